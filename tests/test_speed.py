"""What makes handouts fast (issue 15) leaves them as they were: work done once gives the same bytes.

Timings are in benchmarks/ (BENCHMARKS.md), not here: these tests check that the work is done once
and that doing it once changes nothing in the PDF, byte for byte.
"""

import csv
import subprocess
import sys

import pytest
import tinycss2
import weasyprint.css
import weasyprint.document
from click.testing import CliRunner
from weasyprint import Page

from handouts.cli.main import main
from handouts.compose.request import build_request
from handouts.config.catalog import Catalog
from handouts.engine import internals
from handouts.engine.build import Builder
from handouts.engine.internals import ReplayedPage
from handouts.render.environment import HandoutEnvironment
from handouts.render.renderer import Renderer
from handouts.runs.pool import share

import pdfcheck
from conftest import NAME, ROOT

OTHER = "Walter Jankowski"
PRACTICE = ROOT / "tests" / "fixtures" / "practice"


def painted_afresh(catalog: Catalog, monkeypatch, **kwargs) -> bytes:
    """The handout made with none of the work shared: every stylesheet parsed, every page painted."""
    with monkeypatch.context() as m:
        m.setattr(weasyprint.css, "find_stylesheets", internals._find_stylesheets)
        m.setattr(ReplayedPage, "paint", Page.paint)
        return Builder(Renderer(catalog)).pdf(build_request(catalog, **kwargs))


CASES = [
    {"visit_id": visit, "large_print": large}
    for visit in ("new-patient", "conservative-care", "injection", "surgical-consult", "post-op")
    for large in (False, True)
] + [{"visit_id": "post-op-fusion", "archival": True}]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_a_handout_made_after_another_of_its_kind_is_the_same_as_one_made_afresh(catalog, monkeypatch, case):
    builder = Builder(Renderer(catalog))
    builder.pdf(build_request(catalog, patient=OTHER, visit_date="2026-03-14", **case))  # records what is shared
    shared = builder.pdf(build_request(catalog, patient=NAME, visit_date="2026-03-14", **case))
    assert shared == painted_afresh(catalog, monkeypatch, patient=NAME, visit_date="2026-03-14", **case)


def test_a_surgeons_handout_from_a_practice_folder_too(monkeypatch):
    catalog = Catalog.load(PRACTICE)
    case = {"visit_id": "post-op", "visit_date": "2026-03-14", "surgeon": "lee", "sets": {"surgery_date": "2026-03-10"}}
    builder = Builder(Renderer(catalog))
    builder.pdf(build_request(catalog, patient=OTHER, **case))
    shared = builder.pdf(build_request(catalog, patient=NAME, **case))
    assert shared == painted_afresh(catalog, monkeypatch, patient=NAME, **case)


def test_a_kinds_detail_pages_are_painted_once_and_its_stylesheets_parsed_once(catalog, monkeypatch):
    builder = Builder(Renderer(catalog))
    first = builder.pdf(build_request(catalog, "injection", OTHER, "2026-03-14"))
    painted, parsed = [], []
    draw_page, parse = weasyprint.document.draw_page, tinycss2.parse_stylesheet
    monkeypatch.setattr(weasyprint.document, "draw_page", lambda box, stream: painted.append(draw_page(box, stream)))
    monkeypatch.setattr(tinycss2, "parse_stylesheet", lambda *a, **k: parsed.append(1) or parse(*a, **k))
    second = builder.pdf(build_request(catalog, "injection", NAME, "2026-03-14"))
    assert len(painted) == 1 < pdfcheck.pages(second) == pdfcheck.pages(first)  # page 1, the patient's, only
    assert parsed == []
    assert NAME in pdfcheck.page_text(second, 1) and OTHER not in pdfcheck.text(second)


def test_one_handout_works_out_the_versions_of_its_own_texts_only(catalog):
    renderer = Renderer(catalog)
    Builder(renderer).pdf(build_request(catalog, "injection", NAME, "2026-03-14"))
    request = build_request(catalog, "injection", NAME, "2026-03-14")
    assert set(renderer.units._made) == {"visit:injection", *(f"module:{m}" for m in request.modules), "style:practice"}
    assert len(renderer.units) > len(renderer.units._made)  # every text still has its version when asked


def test_each_template_of_a_handout_is_parsed_once(catalog, monkeypatch):
    """A template's version and its rendering come from one parse (templating.py): a cold make parsed
    each template twice, once to work out its version and again to compile it."""
    parsed: list[str] = []
    parse = HandoutEnvironment._parse
    monkeypatch.setattr(HandoutEnvironment, "_parse", lambda env, *a: parsed.append(a[1]) or parse(env, *a))
    request = build_request(catalog, "post-op", NAME, "2026-03-14", {"surgery_date": "2026-03-10"})
    Builder(Renderer(catalog)).pdf(request)
    assert "handout.html" in parsed and len(parsed) == len(set(parsed)), sorted(parsed)


def test_a_batch_shares_the_rows_out_kind_by_kind():
    visits = ("new-patient", "injection", "post-op")
    rows = [(i, visits[i % 3]) for i in range(13)]
    shares = share(rows, 2, kind=lambda row: row[1])
    assert [len(mine) for mine in shares] == [7, 6]
    kinds = [{visit for _, visit in mine} for mine in shares]
    assert len(kinds[0] & kinds[1]) == 1  # one kind split between the two workers, the others on one each
    assert sorted(line for mine in shares for line, _ in mine) == list(range(13))


def test_a_batch_makes_the_same_bytes_as_make(tmp_path, monkeypatch):
    """Rows of one kind after another, across two workers, byte for byte as `handouts make` of each alone.

    The batch is a process of its own (its workers share layouts); each `make` runs here, in the
    test's process, which shares nothing with the batch's, and builds each handout with a builder
    of its own, as the command always does."""
    rows = [
        ("injection", NAME, ""), ("injection", OTHER, ""), ("injection", "Ana Silva", ""),
        ("post-op", NAME, "2026-03-10"), ("post-op", OTHER, "2026-03-10"), ("new-patient", "Li Wei", ""),
    ]
    schedule = tmp_path / "day.csv"
    schedule.write_text("visit,patient,date,surgery_date\n" + "".join(f"{v},{p},2026-03-14,{s}\n" for v, p, s in rows))
    monkeypatch.delenv("HANDOUTS_PRACTICE", raising=False)
    command = [sys.executable, "-m", "handouts", "batch", str(schedule), "-o", str(tmp_path / "out"), "-j", "2"]
    subprocess.run(command, check=True)
    with (tmp_path / "out" / "manifest.csv").open(encoding="utf-8") as handle:
        made = {(row["visit"], row["patient"]): tmp_path / "out" / row["file"] for row in csv.DictReader(handle)}
    assert len(made) == len(rows)
    for n, (visit, patient, surgery) in enumerate(rows):
        target = tmp_path / f"{n}.pdf"
        args = ["make", visit, "-p", patient, "-d", "2026-03-14", "-o", str(target)]
        result = CliRunner().invoke(main, args + (["--set", f"surgery_date={surgery}"] if surgery else []))
        assert result.exit_code == 0, result.output
        assert made[visit, patient].read_bytes() == target.read_bytes(), (visit, n)
