"""One snapshot of the inputs (issue 23, item 1): every file a handout can be made from, the
practice's language folders included, is in the one map whose id the batch's resume key, the web
builder's cache and the record's stored files all use. The practice here prints in English and
Spanish; its Spanish footer lives in `es/practice.toml`, the file none of them used to see."""

import re
import shutil
import uuid
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.base.errors import UserError
from handouts.cli.main import main
from handouts.compose.request import build_request
from handouts.config.catalog import Catalog
from handouts.engine.build import KeptBuilder
from handouts.runs.batch import run_batch

import pdfcheck

FIXTURE = Path(__file__).parent / "fixtures" / "practice"
FOOTER = "Educación para pacientes de Riverbend"
CHANGED = "Educación corregida de Riverbend"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def practice(tmp_path) -> Path:
    """The fixture practice in English and Spanish: its Spanish text in es/practice.toml."""
    folder = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    for name in ("templates", "modules", "visits"):
        shutil.rmtree(folder / name)
    toml = folder / "practice.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('languages = ["en"]', 'languages = ["en", "es"]'))
    (folder / "es").mkdir()
    spanish_footer(folder, FOOTER)
    return folder


def spanish_footer(practice: Path, footer: str) -> None:
    (practice / "es" / "practice.toml").write_text(
        f'footer = "{footer}"\n\n[post_op]\n'
        'driving = "Regla de la práctica: no maneje hasta que su cirujano diga que es seguro."\n',
        encoding="utf-8",
    )


def test_the_snapshot_holds_the_language_folders_and_changes_with_them(practice):
    from handouts.inputs.snapshot import Snapshot

    taken = Snapshot.take(practice)
    assert ("practice", "es/practice.toml") in taken and ("builtin", "content/modules/red-flags.toml") in taken
    assert Snapshot.take(practice).id == taken.id  # the same files, the same id
    spanish_footer(practice, CHANGED)
    assert Snapshot.take(practice).id != taken.id
    assert Catalog.load(practice).snapshot.id == Snapshot.take(practice).id


def test_a_rerun_batch_remakes_the_spanish_handouts_after_es_practice_toml_changes(practice, tmp_path):
    """Only the Spanish handouts: the English ones are made from none of the Spanish files."""
    schedule = tmp_path / "day.csv"
    schedule.write_text(
        "visit,patient,date,lang\ninjection,Rosa Delgado,2026-03-14,es\ninjection,Ann Smith,2026-03-14,en\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    first = run_batch(Catalog.load(practice), schedule, out, workers=1, record=False)
    assert (first.made, first.failed) == (2, [])
    made = {pdf.name: pdf.read_bytes() for pdf in out.glob("*.pdf")}
    spanish, english = sorted(made, key=lambda name: FOOTER not in pdfcheck.text(made[name]))
    assert FOOTER in pdfcheck.text(made[spanish]) and FOOTER not in pdfcheck.text(made[english])
    assert run_batch(Catalog.load(practice), schedule, out, workers=1, record=False).skipped == 2

    spanish_footer(practice, CHANGED)
    again = run_batch(Catalog.load(practice), schedule, out, workers=1, record=False)
    assert (again.made, again.skipped, again.failed) == (1, 1, [])
    text = pdfcheck.text((out / spanish).read_bytes())
    assert CHANGED in text and FOOTER not in text
    assert (out / english).read_bytes() == made[english]


def test_a_file_changed_after_the_snapshot_is_never_mixed_into_a_handout(practice):
    """The catalog reads es/practice.toml when a Spanish handout is first asked for: a file changed since
    its snapshot was taken is refused (make it again), never printed under the old snapshot's id."""
    spanish_footer(practice, f"{FOOTER} {uuid.uuid4().hex}")  # bytes this process has never read
    catalog = Catalog.load(practice)
    spanish_footer(practice, CHANGED)
    with pytest.raises(UserError, match=r"es/practice\.toml changed while a handout was made from it"):
        builder = KeptBuilder()(catalog)
        builder.pdf(build_request(catalog, "injection", "Rosa Delgado", date(2026, 3, 14), lang="es"))


def test_the_web_builder_prints_the_new_spanish_footer_at_once(practice):
    kept = KeptBuilder()

    def spanish_pdf() -> tuple[object, str]:
        catalog = Catalog.load(practice)  # as the page and its workers load it for each handout
        builder = kept(catalog)
        request = build_request(catalog, "injection", "Rosa Delgado", date(2026, 3, 14), lang="es")
        return builder, pdfcheck.text(builder.pdf(request))

    builder, text = spanish_pdf()
    assert FOOTER in text
    assert kept(Catalog.load(practice)) is builder  # nothing changed: the warm builder is kept
    spanish_footer(practice, CHANGED)
    renewed, text = spanish_pdf()
    assert renewed is not builder and CHANGED in text and FOOTER not in text


def test_the_web_page_prints_the_new_spanish_footer_at_once(practice):
    """Through the page and its warm render workers, as the front desk gets it."""
    from handouts.web import create_app

    client = create_app(practice).test_client()

    def spanish_handout() -> str:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)
        data = {"csrf_token": csrf, "visit": "injection", "patient": "Rosa Delgado", "date": "2026-03-14", "lang": "es"}
        response = client.post("/handout", data=data)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        return pdfcheck.text(response.data)

    assert FOOTER in spanish_handout()
    spanish_footer(practice, CHANGED)
    text = spanish_handout()
    assert CHANGED in text and FOOTER not in text


def test_a_spanish_reprint_after_es_practice_toml_changes_is_byte_identical(practice, tmp_path, monkeypatch):
    monkeypatch.delenv("HANDOUTS_LEDGER")  # the practice's own ledger.sqlite
    made = tmp_path / "made.pdf"
    result = invoke("make", "injection", "-p", "Rosa Delgado", "-d", "2026-03-14", "--lang", "es",
                    "-o", made, "--practice", practice)
    assert result.exit_code == 0 and "(record 1)" in result.output, result.output
    spanish_footer(practice, CHANGED)
    again = tmp_path / "again.pdf"
    reprinted = invoke("reprint", "1", "-o", again, "--practice", practice)
    assert reprinted.exit_code == 0 and "identical to record 1" in reprinted.output, reprinted.output
    assert again.read_bytes() == made.read_bytes() and FOOTER in pdfcheck.text(again.read_bytes())


@pytest.mark.parametrize("link", ["es/practice.toml", "es"])
def test_a_link_under_a_language_folder_is_refused_in_one_line(practice, tmp_path, link):
    outside = tmp_path / "elsewhere"
    shutil.copytree(practice / "es", outside)
    shutil.rmtree(practice / "es") if link == "es" else (practice / link).unlink()
    (practice / link).symlink_to(outside if link == "es" else outside / "practice.toml")
    result = invoke("make", "injection", "-p", "Rosa Delgado", "--lang", "es", "--practice", practice,
                    "-o", tmp_path / "x.pdf")
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert f"{link} (a link to {outside}" in line and not (tmp_path / "x.pdf").exists()


def test_the_surgeon_pages_preview_is_a_catalog_of_its_own(tmp_path):
    """The preview's copy of the practice, with the practice's unsaved post-op text, has its own snapshot: a
    warm builder (the page's render worker keeps one) never prints the unsaved text on a handout, nor the
    saved text in the preview."""
    from handouts.web.profiles import post_op_sheet

    practice = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    catalog = Catalog.load(practice)
    saved, unsaved = "Practice rule: no driving until your surgeon says it is safe.", "No driving for six weeks."
    steps = catalog.practice.post_op.model_copy(update={"driving": unsaved})
    edited, sample = post_op_sheet(catalog, "", steps)
    kept = KeptBuilder()
    handout = build_request(catalog, "post-op", "Ana Silva", date(2026, 3, 14))
    assert saved in pdfcheck.text(kept(catalog).pdf(handout, gate=False))
    preview = pdfcheck.text(kept(edited).pdf(sample, gate=False))
    assert unsaved in preview and saved not in preview
    assert saved in pdfcheck.text(kept(Catalog.load(practice)).pdf(handout, gate=False))
    assert edited.snapshot.id != catalog.snapshot.id
