"""PDF/UA-1 as a checker that is not ours sees it (the `pdfua` package, on pikepdf), on every visit type in
standard print, large print and the archival PDF/A-3a; and what that checker only glances at: the
identification an XMP reader finds, and the scope each table header cell declares."""

import io

import pikepdf
import pytest
from pdfua import validate

import pdfcheck
from conftest import VISITS, render

MODES = {"standard": {}, "large print": {"large_print": True}, "archival": {"archival": True}}
# pdfua 0.1.3 cannot run its empty-heading rule with pikepdf 8 or later (all it allows): it asks each
# heading's /K for `.is_integer`, and pikepdf answers an array (every WeasyPrint heading's) with
# ValueError, so the rule stops unchecked. test_no_heading_is_empty checks the same thing here.
CRASHES_IN_THE_CHECKER = {"UA-14-001"}
HEADINGS = {f"/H{level}" for level in range(1, 7)}


@pytest.fixture(scope="module")
def pdfs(renderer, handouts) -> dict[tuple[str, str], bytes]:
    """Every visit type in every mode, standard print taken from the session's renders."""
    made = {(visit, "standard"): pdf for visit, pdf in handouts.items()}
    for visit in VISITS:
        for mode, options in MODES.items():
            made.setdefault((visit, mode), render(renderer, visit, **options))
    return made


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("visit", VISITS)
def test_pdfua_checker_finds_nothing(pdfs, tmp_path, visit, mode):
    path = tmp_path / f"{visit}.pdf"
    path.write_bytes(pdfs[visit, mode])
    report = validate(str(path))
    assert [(f.rule_id, f.message) for f in report.findings] == []
    # A rule that raised checked nothing; only the known crash is allowed.
    skipped = {o.rule_id: o.skipped_reason for o in report.skipped}
    assert set(skipped) <= CRASHES_IN_THE_CHECKER, skipped


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("visit", VISITS)
def test_an_xmp_reader_finds_pdfua_and_for_the_record_pdfa(pdfs, visit, mode):
    """Read as an XMP parser does (the first rdf:RDF only), not as text: a second rdf:RDF would go unread."""
    with pikepdf.open(io.BytesIO(pdfs[visit, mode])) as pdf, pdf.open_metadata() as xmp:
        assert xmp.get("pdfuaid:part") == "1"
        if mode == "archival":
            assert (xmp.get("pdfaid:part"), xmp.get("pdfaid:conformance")) == ("3", "A")


@pytest.mark.parametrize("mode", MODES)
def test_header_cells_carry_the_templates_scope(pdfs, mode):
    """The comparison table heads its columns (scope="col") and its rows (scope="row"), on every page it spans."""
    scopes = set()
    for role, cell in pdfcheck.structure(pdfs["new-patient", mode]):
        if role == "/TH":
            group = cell["/P"].get_object()["/P"].get_object()["/S"]  # TH -> TR -> THead or TBody
            scopes.add((group, cell["/A"].get("/Scope")))
    assert scopes == {("/THead", "/Column"), ("/TBody", "/Row")}


def _marks_content(element) -> bool:
    """True when the element, or one below it, marks page content (an MCID, or a reference to one)."""
    kids = element.get("/K")
    kids = [] if kids is None else kids.get_object()
    for kid in kids if isinstance(kids, list) else [kids]:
        kid = kid.get_object()
        if isinstance(kid, int) or "/MCID" in kid or _marks_content(kid):
            return True
    return False


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("visit", VISITS)
def test_no_heading_is_empty(pdfs, visit, mode):
    """PDF/UA-1 7.4: the checker's rule UA-14-001, which cannot run (see CRASHES_IN_THE_CHECKER)."""
    headings = [(role, node) for role, node in pdfcheck.structure(pdfs[visit, mode]) if role in HEADINGS]
    assert headings and [role for role, node in headings if not _marks_content(node)] == []
