"""Any name, any input, no leaks, tagged PDFs, the same bytes twice, and faults that hurt no one."""

import io
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handouts.cli.main import main
from handouts.compose.request import build_request
from handouts.config.catalog import Catalog
from handouts.engine.build import Builder
from handouts.render.renderer import Renderer
from handouts.runs.batch import run_batch
from handouts.runs.manifest import read_manifest

import pdfcheck
from conftest import NAME, ROOT, VISITS, render

FIXTURE = Path(__file__).parent / "fixtures" / "practice"
NAMES = [
    "Nguyễn Thị Minh Khai",
    "Łukasz Żółkiewski",
    "Çağla Şahin Öztürk",
    "Γιώργος Παπαδόπουλος",
    "Ольга Кузнецова",
    "王小明",
    "山田 花子",
    "김민준",
    "محمد عبد الله",
    "דוד כהן",
    "Zoë O'Brien-Nuñez",
    "Mary-Kate D'Angelo",
    "Jean-Baptiste Alexandre Maximilien de la Tour d'Auvergne-Lauragais y Córdoba",
]


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def fast(renderer) -> Builder:
    return Builder(renderer)


@pytest.mark.parametrize("name", NAMES)
def test_every_name_prints_right_in_bundled_fonts(renderer, name):
    pdf = render(renderer, "injection", patient=name)  # any .notdef box would fail the render
    assert pdfcheck.squash(name) in pdfcheck.squash(pdfcheck.page_text(pdf, 1))
    bundled = ("Atkinson-Hyperlegible", "Handouts-Fallback", "Handouts-CJK", "Handouts-Korean")
    assert all(font.startswith(bundled) for font in pdfcheck.font_names(pdf))


def test_a_long_name_wraps_inside_the_page(renderer):
    name = " ".join(["Bartholomew-Maximilian"] * 6)
    pdf = render(renderer, "new-patient", patient=name)
    page = pdfcheck.layout(pdf)[0]
    assert all(c.x0 >= 0.9 * 72 and c.x1 <= page.width - 0.9 * 72 for c in page.chars)
    assert pdfcheck.squash(name) in pdfcheck.squash(pdfcheck.page_text(pdf, 1))


# Scripts the bundled fonts cover; one script per name, as real names are written.
SCRIPTS = {
    "latin": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZàáâãäåçèéêëìíîïñòóôõöøùúûüýÿłńśźżčřšžğışőű'-.",
    "greek": "αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩάέήίόύώ",
    "cyrillic": "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЭЮЯ",
    "han": "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐山田中村小林佐藤",
    "hangul": "김이박최정강조윤장임한오서신권황안송류홍민준서연지우",
    "hebrew": "אבגדהוזחטיכלמנסעפצקרשת",
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
}


@st.composite
def names(draw):
    letters = SCRIPTS[draw(st.sampled_from(sorted(SCRIPTS)))]
    words = draw(st.lists(st.text(st.sampled_from(letters), min_size=1, max_size=12), min_size=1, max_size=4))
    return " ".join(words)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names())
def test_any_name_comes_back_in_the_text(fast, catalog, name):
    pdf = fast.build(build_request(catalog, "injection", name, "2026-03-14"))
    text = unicodedata.normalize("NFC", pdfcheck.page_text(pdf, 1))
    assert pdfcheck.squash(name) in pdfcheck.squash(text)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    note=st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0x17F, exclude_categories=("Cc", "Cs", "Mn", "Cf")),
        min_size=1,
        max_size=300,
    ).filter(str.strip)
)
def test_any_note_comes_back_as_text(fast, catalog, note):
    pdf = fast.build(build_request(catalog, "injection", "Ana Silva", "2026-03-14", note=note))
    assert pdfcheck.squash(note) in pdfcheck.squash(pdfcheck.summary_text(pdf))


def test_hostile_config_values_print_as_text(tmp_path):
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "p"))
    toml = practice / "practice.toml"
    toml.write_text(toml.read_text().replace('name = "Riverbend Spine Center"', 'name = "<b>R</b> {{ 7*7 }}"'))
    pdf = render(Renderer(Catalog.load(practice)), "injection")
    assert "<b>R</b> {{ 7*7 }}" in pdfcheck.text(pdf)


def test_hostile_schedule_cells_print_as_text_and_reach_nothing(tmp_path, catalog, listener):
    port, hits = listener
    canary = tmp_path / "canary.txt"
    canary.write_text("secret")
    cells = [
        f"<img src='http://127.0.0.1:{port}/a.png'>",
        f"<link rel=attachment href='{canary.as_uri()}'>",
        "{{ config }} {% for x in range(9) %}x{% endfor %}",
        "<style>@import url(data:text/css,*{color:red})</style>",
    ]
    schedule = tmp_path / "day.csv"
    schedule.write_text(
        "visit\tpatient\tdate\n" + "".join(f"injection\t{c}\t2026-03-14\n" for c in cells), encoding="utf-8"
    )
    result = run_batch(catalog, schedule, tmp_path / "out", workers=1)
    assert result.made == len(cells) and hits == []
    for entry in read_manifest(tmp_path / "out" / "manifest.csv").values():
        data = (tmp_path / "out" / entry["file"]).read_bytes()
        assert pdfcheck.squash(entry["patient"]) in pdfcheck.squash(pdfcheck.text(data)) and b"secret" not in data


def test_sizes_are_bounded_before_rendering(tmp_path):
    assert "the most allowed is 150" in invoke("make", "injection", "-p", "word " * 40_000).output
    assert "the most allowed is 1500" in invoke("make", "injection", "-p", "A B", "--note", "x" * 1501).output
    rows = tmp_path / "big.csv"
    rows.write_text("visit,patient,date\n" + "injection,A B,2026-03-14\n" * 20_001)
    result = invoke("batch", str(rows), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2 and "the most allowed is 20,000" in result.output
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "p"))
    (practice / "practice.toml").write_text("# padding\n" * 200_000)
    big = invoke("check", "--practice", str(practice))
    assert big.exit_code == 2 and "too large for a settings file" in big.output


@pytest.mark.parametrize("visit", VISITS)
def test_tagged_pdf_with_title_language_headings_figures_and_table_headers(handouts, catalog, visit):
    pdf = handouts[visit]
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"]
    assert reader.metadata.title == catalog.visits[visit].title
    structure = pdfcheck.structure(pdf)
    levels = [int(kind[2]) for kind, _ in structure if kind in ("/H1", "/H2", "/H3", "/H4")]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    figures = [node for kind, node in structure if kind == "/Figure"]
    assert figures and all(str(node.get("/Alt", "")).strip() for node in figures)
    if visit in ("new-patient", "conservative-care", "injection"):
        assert any(kind == "/TH" for kind, _ in structure)


def test_pdf_a_for_the_record(tmp_path):
    out = tmp_path / "a.pdf"
    assert invoke("make", "injection", "-p", NAME, "--pdf-a", "-o", str(out)).exit_code == 0
    xmp = pypdf.PdfReader(out).trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="A"' in xmp
    assert any(kind == "/Figure" for kind, _ in pdfcheck.structure(out.read_bytes()))


def test_same_input_same_bytes_in_another_process(tmp_path):
    """A fresh process (its own hash seed, nothing cached) makes the same bytes as this one (where the
    tests before may have made many handouts)."""
    args = ["make", "post-op", "-p", NAME, "-d", "2026-03-14", "--set", "surgery_date=2026-03-10", "-o"]
    subprocess.run([sys.executable, str(ROOT / "generate.py"), *args, str(tmp_path / "1.pdf")], check=True,
                   capture_output=True)
    assert invoke(*args, str(tmp_path / "2.pdf")).exit_code == 0
    outputs = [(tmp_path / f"{n}.pdf").read_bytes() for n in (1, 2)]
    assert outputs[0] == outputs[1]
    info = pypdf.PdfReader(io.BytesIO(outputs[0])).metadata
    assert info["/CreationDate"] == info["/ModDate"] == "D:20260314"  # the visit's date, not the clock's


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: (p / "assets" / "riverbend.png").write_bytes(b"not a png"), "asset 'riverbend.png' cannot be read"),
        (lambda p: (p / "assets" / "riverbend.png").unlink(), "key 'logo': file 'riverbend.png' not found"),
        (lambda p: (p / "practice.toml").write_bytes(b"\x00\xff garbage ["), "not valid TOML"),
        (lambda p: (p / "templates" / "modules" / "walking.html").write_text("{% if %}"), "template error"),
    ],
)
def test_damaged_practice_files_are_clear_errors(tmp_path, damage, message):
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "p"))
    damage(practice)
    out = tmp_path / "x.pdf"
    result = invoke("make", "conservative-care", "-p", NAME, "--practice", str(practice), "-o", str(out))
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.glob(".*.part"))


def test_a_damaged_font_is_a_clear_error(tmp_path):
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "p"))
    (practice / "assets" / "fonts").mkdir()
    (practice / "assets" / "fonts" / "Bad.ttf").write_bytes(b"junk")
    with (practice / "practice.toml").open("a") as handle:
        handle.write('\n[font]\nfamily = "Bad"\nregular = "fonts/Bad.ttf"\nbold = "fonts/Bad.ttf"\n')
    result = invoke("make", "injection", "-p", NAME, "--practice", str(practice), "-o", str(tmp_path / "x.pdf"))
    assert result.exit_code == 2 and "the font 'Bad' cannot be loaded" in result.output


def test_a_character_no_font_has_is_refused_not_boxed(tmp_path):
    result = invoke("make", "injection", "-p", "Ana \U0001f9ec Silva", "-o", str(tmp_path / "x.pdf"))
    assert result.exit_code == 2 and "U+1F9EC" in result.output and not (tmp_path / "x.pdf").exists()


def test_a_crashing_worker_costs_only_its_row(tmp_path, catalog, monkeypatch):
    from handouts.engine.build import Builder
    from handouts.runs import batch

    original = Builder.pdf

    def crash_on_one(self, request):
        if request.patient == "Crash Me":
            os._exit(3)  # a worker dying mid-handout, as a segfault would
        return original(self, request)

    monkeypatch.setattr(Builder, "pdf", crash_on_one)  # the batch's workers are forks: they inherit it
    schedule = tmp_path / "day.csv"
    rows = ["Ana Silva", "Crash Me", "Tom Baker", "Li Wei", "Rosa Diaz"]
    schedule.write_text("visit,patient,date\n" + "".join(f"injection,{r},2026-03-14\n" for r in rows))
    result = batch.run_batch(catalog, schedule, tmp_path / "out", workers=2)
    assert result.made == 4 and [(e.line, e.reason) for e in result.failed] == [
        (3, "a worker process crashed while making this handout")
    ]
    assert not list((tmp_path / "out").glob(".*.part"))


def test_disk_full_mid_batch_fails_the_rows_and_keeps_the_rest(tmp_path, catalog, monkeypatch):
    from handouts.base import output
    from handouts.runs import batch

    real_replace = os.replace

    def full_for_one(src, dst):
        if "Tom-Baker" in str(dst):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(output.os, "replace", full_for_one)
    schedule = tmp_path / "day.csv"
    rows = ("Ana Silva", "Tom Baker", "Li Wei")
    schedule.write_text("visit,patient,date\n" + "".join(f"injection,{r},2026-03-14\n" for r in rows))
    result = batch.run_batch(catalog, schedule, tmp_path / "out", workers=1)
    assert result.made == 2 and "No space left on device" in result.failed[0].reason
    made = sorted(p.name for p in (tmp_path / "out").iterdir() if p.suffix == ".pdf")
    assert len(made) == 2 and "Ana-Silva" in made[0] and "Li-Wei" in made[1]
    assert not list((tmp_path / "out").glob(".*.part"))


def test_no_patient_data_in_messages_and_owner_only_files(tmp_path):
    schedule = tmp_path / "day.csv"
    schedule.write_text(
        "visit,patient,date\nbogus,Secret Person,2026-03-14\ninjection,Other Secret,14/03/2026\n"
        "injection,Ana Silva,2026-03-14\n"
    )
    result = invoke("batch", str(schedule), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    report = result.output + (tmp_path / "out" / "errors.csv").read_text()
    assert "Secret" not in report and "Line 2" in result.output and "Line 3" in result.output
    made = next((tmp_path / "out").glob("*.pdf"))
    assert made.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "out" / "manifest.csv").stat().st_mode & 0o777 == 0o600


def test_file_permissions_can_be_configured(tmp_path):
    practice = Path(shutil.copytree(FIXTURE, tmp_path / "p"))
    toml = practice / "practice.toml"
    toml.write_text('file_permissions = "640"\n' + toml.read_text())
    out = tmp_path / "x.pdf"
    assert invoke("make", "injection", "-p", NAME, "--practice", str(practice), "-o", str(out)).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o640
