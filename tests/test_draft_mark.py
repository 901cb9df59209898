"""The draft mark is on every page of a draft handout, readable, whatever the practice's styles and
templates do to it; and `handouts check` reads it on the finished pages (draftmark.py)."""

import io
import re
import shutil
from pathlib import Path

import pdfplumber
import pytest
from click.testing import CliRunner
from fontTools.ttLib import TTFont

from handouts.base.errors import UserError
from handouts.base.paths import BUILTIN_ROOT
from handouts.cli.main import main
from handouts.compose.request import build_request
from handouts.config.catalog import Catalog
from handouts.engine import build as build_module
from handouts.engine.build import Builder
from handouts.engine.draftmark import unseen
from handouts.engine.pdf import font_config
from handouts.quality.check import check
from handouts.render.renderer import Renderer

from conftest import NAME

FIXTURE = Path(__file__).parent / "fixtures" / "practice"
MARK = "Draft: not yet approved by Riverbend Spine Center"
MIN_PT = 10
BLACK = {(0,), (0, 0, 0)}
PRINTED_MARGIN = 0.25 * 72  # points at each edge of the sheet that printers may leave unprinted

# What a careless or hostile practice writes to hide the mark; each through its styles and through its page template.
ATTACKS = {
    "display none": ".draft-mark { display: none !important; }",
    "hidden": ".draft-mark, .running-header { visibility: hidden !important; }",
    "white": ".draft-mark { color: #fff !important; border-color: #fff !important; }",
    "transparent": ".draft-mark { color: transparent !important; }",
    "no size": ".draft-mark { font-size: 0 !important; line-height: 0 !important; padding: 0 !important; }",
    "tiny": ".draft-mark { font-size: 4pt !important; }",
    "off the page": ".draft-mark { position: absolute !important; left: -30in !important; top: -30in !important; }",
    "moved far down": ".draft-mark { position: relative !important; top: 40in !important; }",
    "see-through": ".draft-mark, .running-header { opacity: 0 !important; }",
    "transformed": ".draft-mark { transform: scale(0.01) rotate(180deg) translate(-5000px, 0) !important; }",
    "header away": ".running-header { transform: translateY(-30in) !important; }",
    "too narrow": ".draft-mark { width: 0.1in !important; }",
    "covered": ".draft-mark { position: relative !important; } .draft-mark::after { content: ''; position: absolute; "
    "top: -2pt; left: -2pt; right: -2pt; bottom: -2pt; background: #fff; }",
    "page covered": "html::after { content: ''; position: fixed; top: -1in; left: -1in; width: 12in; height: 3in; "
    "background: #fff; z-index: 2147483647; }",
    "dark page": "@page { background: #000; } html { background: #000; color: #fff; }",
    "bleed and marks": "@page { bleed: 0.5in; marks: crop cross; }",
    # where printers do not print: the page's top edge, its bottom edge
    "top edge": "@page { @top-left { vertical-align: top !important; padding: 0 !important; } } "
    ".draft-mark { float: none !important; width: 6.5in !important; margin: 0 !important; }",
    "bottom edge": "@page { @top-left { vertical-align: bottom !important; padding: 0 !important; "
    "height: 10.9in !important; } } .draft-mark { float: none !important; margin: 0 !important; }",
}


@pytest.fixture
def practice(tmp_path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "practice"))


def make(practice: Path, visit: str = "pre-op-class", **options) -> bytes:
    """One handout of `practice`, as `make` builds it."""
    catalog = Catalog.load(practice)
    return Builder(Renderer(catalog)).pdf(build_request(catalog, visit, NAME, "2026-03-14", **options))


def mark_chars(page, text: str = MARK) -> list[dict]:
    """The characters of the last `text` on a pdfplumber page, in the order they are drawn (the mark
    wraps over lines, which pdfplumber's text layout interleaves with the header's)."""
    chars = [c for c in page.chars if c["text"].strip()]
    joined, wanted = "".join(c["text"] for c in chars), "".join(text.split())
    begin = joined.rfind(wanted)
    assert begin >= 0, f"page {page.page_number}: no {text!r} in {page.extract_text()!r}"
    return chars[begin : begin + len(wanted)]


def assert_mark_on_every_page(pdf: bytes, text: str = MARK) -> None:
    """Every page prints `text` in the text layer, black, MIN_PT or larger, upright, inside what a printer
    prints of the page; and PDFium draws dark type on a light ground there, nothing over it (draftmark.unseen)."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) >= 2
        for page in document.pages:
            left, top, right, bottom = page.trimbox
            left, top, right, bottom = left + PRINTED_MARGIN, top + PRINTED_MARGIN, right - PRINTED_MARGIN, (
                bottom - PRINTED_MARGIN
            )
            for char in mark_chars(page, text):
                where = (page.page_number, char["text"])
                assert char["size"] >= MIN_PT, (*where, char["size"])
                assert tuple(char["non_stroking_color"]) in BLACK, (*where, char["non_stroking_color"])
                assert char["upright"], where
                assert left <= char["x0"] and char["x1"] <= right and top <= char["top"] and char["bottom"] <= bottom
    assert unseen(pdf, text) == []


def test_the_mark_is_drawn_where_the_built_in_header_holds_its_place(practice):
    """Standard and large print: the mark sits in the header as before, drawn once, on every page."""
    for options in ({}, {"large_print": True}):
        pdf = make(practice, **options)
        assert_mark_on_every_page(pdf)
        with pdfplumber.open(io.BytesIO(pdf)) as document:
            for page in document.pages:
                assert page.extract_text().count("Draft:") == 1  # the template's own copy is not printed too
                assert max(c["bottom"] for c in mark_chars(page)) < 72  # in the top margin, above the page's text


@pytest.mark.parametrize("attack", ATTACKS)
def test_practice_styles_cannot_hide_the_mark(practice, attack):
    (practice / "styles" / "practice.css").write_text(ATTACKS[attack])
    assert_mark_on_every_page(make(practice))


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_practice_template_cannot_hide_the_mark(practice, attack):
    (practice / "templates" / "handout.html").write_text(
        '{% extends "default:handout.html" %}{% block header %}<style>' + ATTACKS[attack] + "</style>"
        "{{ super() }}{% endblock %}"
    )
    assert_mark_on_every_page(make(practice))


def test_large_print_and_a_long_handout_keep_the_mark_on_every_page(practice):
    (practice / "styles" / "practice.css").write_text(ATTACKS["display none"] + ATTACKS["covered"])
    assert_mark_on_every_page(make(practice, "post-op", large_print=True, surgeon="lee"))


def test_a_page_template_without_the_mark_still_prints_it(practice):
    """A page template of the practice's own that leaves the mark out: the mark is drawn all the same,
    in the top right corner (it used to be refused, and a template that hid it in CSS was not)."""
    page = (BUILTIN_ROOT / "templates" / "handout.html").read_text()
    without = re.sub(r"\{% if draft %\}<div class=\"draft-mark\">.*?</div>\{% endif %\}", "", page)
    assert without != page
    (practice / "templates" / "handout.html").write_text(without.replace("{% if draft %}", "{% if false %}"))
    assert_mark_on_every_page(make(practice))


@pytest.fixture
def blank_font(practice) -> str:
    """The bundled bold font with every outline taken out, as a practice asset: its text prints nothing."""
    blank = TTFont(BUILTIN_ROOT / "assets" / "fonts" / "AtkinsonHyperlegible_700Bold.ttf")
    for name in blank.getGlyphOrder():
        glyph = blank["glyf"][name]
        glyph.numberOfContours, glyph.program = 0, None
        glyph.coordinates, glyph.endPtsOfContours, glyph.flags = [], [], []
    blank.save(practice / "assets" / "blank.ttf")
    return '@font-face { font-family: "Atkinson Hyperlegible"; font-weight: 700; src: url(blank.ttf); }'


def test_a_practice_font_under_the_marks_name_cannot_blank_it(practice, blank_font):
    """The mark is set in the bundled file, in a font set-up of its own: the practice's file of the
    same name (in its styles, or in place of the built-in styles) never prints the mark; where the
    PDF would have to share the practice's file with it, the handout is refused."""
    (practice / "styles" / "practice.css").write_text(blank_font)
    try:
        pdf = make(practice)
    except UserError as exc:  # the page's text took the practice's file: the mark would have to share it
        assert "give the practice's font a family name of its own" in str(exc)
    else:
        assert_mark_on_every_page(pdf)

    own = (BUILTIN_ROOT / "styles" / "handout.css").read_text()
    (practice / "styles" / "handout.css").write_text(own.replace("fonts/AtkinsonHyperlegible_700Bold.ttf", "blank.ttf"))
    (practice / "styles" / "practice.css").write_text("")
    font_config.cache_clear()  # as a fresh `make` starts: no other file of that name known to the page's fonts
    try:
        with pytest.raises(UserError, match="give the practice's font a family name of its own"):
            make(practice)
    finally:
        font_config.cache_clear()


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def first_check(practice: Path) -> tuple[str, list[str]]:
    """What `handouts check` finds on the practice's first visit type (it goes on to every other)."""
    return next(found for found in check(Catalog.load(practice)) if found[0] != "practice.toml")


def test_check_reads_the_mark_on_every_page(practice, monkeypatch):
    """`check` reads the finished pages: with the mark left to the template (as it was drawn before),
    a practice style that hides it is a problem, named by page; drawn as it is now, there is none."""
    (practice / "styles" / "practice.css").write_text(ATTACKS["white"])
    assert first_check(practice) == ("new-patient", [])

    monkeypatch.setattr(build_module, "stamped", lambda pages, *args: pages)
    checked = invoke("check", "--practice", practice)
    assert checked.exit_code == 2
    assert "page 1: the draft mark's colour (RGB (255, 255, 255)) is too light: it must be dark" in checked.output
    assert "page 2: the draft mark's colour" in checked.output and "PROBLEM pre-op-class" in checked.output
    for attack, problem in [
        ("display none", f"page 1: the draft mark {MARK!r} is not in the page's text"),
        ("tiny", "page 1: the draft mark is 4.0 pt: it must be 10 pt or larger"),
        ("covered", "page 1: the draft mark is not inside the page's printed area"),  # the template's, up in the margin
        ("off the page", "page 1: the draft mark is not inside the page"),
    ]:
        (practice / "styles" / "practice.css").write_text(ATTACKS[attack])
        label, problems = first_check(practice)
        assert problems and problems[0].startswith(problem), (attack, problems)


@pytest.mark.parametrize("size", ["17in 11in", "100in 130in", "2in 40in", "letter landscape", "a4"])
def test_a_page_size_the_practice_does_not_print_on_is_refused(practice, size):
    """A practice style's @page size would have the printer shrink the page to fit, the warning signs
    and the mark with it: refused with what to remove (the paper is practice.toml's, letter here)."""
    with (practice / "styles" / "practice.css").open("a") as css:
        css.write(f"\n@page {{ size: {size} !important; }}\n")
    with pytest.raises(UserError, match="not letter paper: the practice's styles set another page size"):
        make(practice)
