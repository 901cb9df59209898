"""A text's version is what it prints: its words and its drawings as drawn, never the code that draws them."""

import dataclasses
import functools
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
from markupsafe import Markup

from handouts.config import approvals
from handouts.config.catalog import Catalog
from handouts.quality.check import unapproved
from handouts.record.reprint import _changes
from handouts.render import figures, shapes, versions
from handouts.render.environment import HandoutEnvironment, _figure_calls
from handouts.render.renderer import Renderer

ROOT = Path(__file__).parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
# approvals.toml written by `handouts approve` when versions hashed the drawing code's source
BEFORE = FIXTURES / "approved-before-drawings"
PRACTICE = 'name = "Lakeside Spine Clinic"\naddress = "7 Lake Street, Lakeside"\nphone = "555-0170"\n'


@pytest.fixture(autouse=True)
def drawn_afresh(monkeypatch):
    """Each test draws for itself: the drawings are kept for the rest of a process once drawn."""
    monkeypatch.setattr(versions, "_DRAWN", {})


def all_versions(practice: Path | None = None, langs: tuple[str, ...] = ("en", "es")) -> dict[str, str]:
    renderer = Renderer(Catalog.load(practice))
    return {uid: unit.version for lang in langs for uid, unit in renderer.edition(lang).units.items()}


def change_drawing(monkeypatch, name: str, lang: str, at: float, only: dict | None = None) -> None:
    """Figure `name` draws something more in `lang` at size `at` only: every drawing of it, or the one
    drawn with exactly the options `only`."""
    draw = figures.FIGURES[name]

    @functools.wraps(draw)
    def changed(size: float, **options):
        svg = draw(size=size, **options)
        spanish = figures._("bone") != "bone"
        if size == at and spanish == (lang == "es") and (only is None or options == only):
            return Markup(svg.replace("</svg>", '<circle cx="1" cy="1" r="1"/></svg>'))
        return svg

    monkeypatch.setitem(figures.FIGURES, name, changed)
    monkeypatch.setattr(versions, "_DRAWN", {})  # as the next process after the change would draw


def test_drawing_code_that_draws_the_same_keeps_every_version(monkeypatch):
    """A refactor of the drawing code that prints the same pages: every figure function and the SVG
    writer replaced by others that draw the same, drawn again; no version of any text changes."""
    before = all_versions()
    calls = []
    for name, draw in figures.FIGURES.items():

        @functools.wraps(draw)
        def same(*args, draw=draw, **options):
            calls.append(1)
            return draw(*args, **options)

        monkeypatch.setitem(figures.FIGURES, name, same)
    to_svg = shapes.to_svg
    monkeypatch.setattr(shapes, "to_svg", lambda drawing, *rest: to_svg(drawing, *rest))
    monkeypatch.setattr(versions, "_DRAWN", {})
    assert all_versions() == before
    assert len(calls) >= 2 * 2 * len(figures.FIGURES)  # every figure drawn again, in both languages and sizes


def test_a_refactor_of_the_drawing_code_source_keeps_every_version(tmp_path):
    """The drawing code rewritten (an internal renamed, a comment added) in a copy of the tool, and
    the versions worked out there by a process of its own: the same as this code's."""
    copy = tmp_path / "tool"
    shutil.copytree(ROOT / "handouts", copy / "handouts", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in ("templates", "styles", "content", "assets"):
        (copy / folder).symlink_to(ROOT / folder)
    code = copy / "handouts" / "render" / "figures.py"
    source = code.read_text()
    assert "_spread(" in source
    code.write_text("# The drawings, refactored.\n" + source.replace("_spread(", "_spread_labels("))
    script = (
        "import json, sys, handouts\n"
        "from handouts.config.catalog import Catalog\nfrom handouts.render.renderer import Renderer\n"
        "assert handouts.__file__.startswith(sys.argv[1])\n"
        "renderer = Renderer(Catalog.load(None))\n"
        "print(json.dumps({u: t.version for lang in ('en', 'es') for u, t in renderer.edition(lang).units.items()}))"
    )
    env = os.environ | {"PYTHONPATH": str(copy)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(copy)], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == all_versions()


@pytest.mark.parametrize(
    ("name", "lang", "size", "only", "drawn_by"),
    [
        ("leaning", "en", 13, None, {"module:what-it-is", "module:walking"}),
        ("leaning", "es", 18, None, {"module:what-it-is@es", "module:walking@es"}),
        ("surgery", "en", 18, {"only": "fusion"}, {"module:post-op-care"}),
        ("surgery", "es", 13, {}, {"module:decompression-vs-fusion@es"}),
        ("pathway", "es", 13, {"step": 6}, {"module:pathway@es"}),  # the injection visit's step
        ("recovery", "en", 18, None, {"module:recovery"}),  # drawn from the visit's timeline
        ("lifting", "es", 18, None, {"module:post-op-care@es"}),
    ],
)
def test_a_changed_drawing_changes_the_texts_that_draw_it_and_no_other(monkeypatch, name, lang, size, only, drawn_by):
    """One drawing changed in one language at one print size: exactly the texts that print it get a
    new version (an English text's translation too: its version covers the English it translates)."""
    before = all_versions()
    change_drawing(monkeypatch, name, lang, size, only)
    after = all_versions()
    expected = drawn_by | ({f"{uid}@es" for uid in drawn_by} if lang == "en" else set())
    assert {uid for uid in before if before[uid] != after[uid]} == expected


def test_a_template_draws_what_its_figure_calls_can_draw():
    env = HandoutEnvironment()
    cases = {
        '{{ figure("surgery", only="fusion") }}{{ figure("lifting") }}': {
            ("surgery", (("only", "fusion"),)), ("lifting", ()),
        },
        '{{ figure("pathway", step=visit.pathway_step) }}': {("pathway", None)},  # any step
        '{{ figure("pathway", **options) }}': {("pathway", None)},
        "{{ figure(which) }}": {(None, None)},  # any figure
        '{% set draw = figure %}{{ draw("leaning") }}': {(None, None)},
        "<p>No drawing.</p>": set(),
    }
    for source, calls in cases.items():
        assert _figure_calls(env.parse(source)) == calls, source


def test_a_figure_named_when_the_page_is_made_puts_every_drawing_in_the_version(tmp_path, monkeypatch):
    practice = tmp_path / "practice"
    (practice / "templates" / "modules").mkdir(parents=True)
    (practice / "practice.toml").write_text(PRACTICE)
    own = practice / "templates" / "modules" / "walking.html"
    own.write_text('{% set which = "leaning" %}<figure>{{ figure(which) }}</figure>')
    before = all_versions(practice, ("en",))
    change_drawing(monkeypatch, "exercises", "en", 13)
    after = all_versions(practice, ("en",))
    assert {uid for uid in before if before[uid] != after[uid]} == {"module:walking", "module:physical-therapy"}


def test_the_drawings_are_drawn_once_a_process(monkeypatch):
    """Every command works out the versions: the second catalog of a process draws nothing again."""
    drawn = []
    monkeypatch.setattr(versions, "figure", lambda *a, **k: drawn.append(a[0]) or figures.figure(*a, **k))
    first = all_versions()
    assert drawn
    drawn.clear()
    assert all_versions() == first and drawn == []


def approved_before() -> dict[str, str]:
    """The fixture's approvals as the old main's `handouts approve` wrote them: text -> version."""
    written = tomllib.loads((BEFORE / "approvals.toml").read_text())["approval"]
    return {a["unit"]: a["version"] for a in written}


def test_approvals_written_before_the_drawings_were_hashed_count_where_the_text_draws_nothing(tmp_path):
    """The upgrade from the main whose versions hashed the drawing code's source: a text that draws
    nothing has the version it had, so its approval still counts; a text that draws has a version of
    its drawings as drawn, and those drawings changed since (issue 22), so it is a draft until
    approved again."""
    practice = Path(shutil.copytree(BEFORE, tmp_path / "practice"))
    written = approved_before()
    catalog = Catalog.load(practice)
    units = Renderer(catalog).units
    assert {uid for uid in written if units[uid].version == written[uid]} == {"module:causes"}
    drafts = {unit.id for unit, _ in unapproved(catalog, Renderer(catalog))}
    assert drafts & set(written) == {"module:what-it-is", "module:pathway", "module:recovery"}


def test_a_text_whose_drawings_print_as_before_keeps_its_approval_of_the_old_kind(tmp_path):
    """physical-therapy draws only the exercises, which issue 22 left as they were: its English text
    approved under the old main's version (the drawing code's source hashed, ea421a1997) prints the
    same, so the approval still counts; the same approval with another version does not."""
    practice = tmp_path / "practice"
    practice.mkdir()
    (practice / "practice.toml").write_text(PRACTICE)
    unit = Renderer(Catalog.load(practice)).units["module:physical-therapy"]
    assert unit.version != "ea421a1997" and unit.legacy == "ea421a1997"
    for version, draft in (("0123456789", True), ("ea421a1997", False)):
        (practice / "approvals.toml").unlink(missing_ok=True)
        approvals.record(practice, [dataclasses.replace(unit, version=version)], "Dr. Ana Lee", "MD")
        catalog = Catalog.load(practice)
        assert (unit.id in {u.id for u, _ in unapproved(catalog, Renderer(catalog))}) is draft, version


# Every built-in text that draws a figure, by its templates' figure() calls.
DRAWING_TEXTS = {
    "module:decompression-vs-fusion", "module:injections", "module:pathway", "module:physical-therapy",
    "module:post-op-care", "module:recovery", "module:walking", "module:what-it-is",
}


def test_changed_drawings_bring_back_the_draft_mark_on_exactly_the_texts_that_draw_in_each_language(
    tmp_path, monkeypatch
):
    """Every built-in text and its Spanish translation approved, then every drawing changed in both
    languages at both sizes (an upgrade like issue 22's): the texts that draw, and their translations,
    are drafts again; every other text keeps its approval, in each language."""
    practice = tmp_path / "practice"
    practice.mkdir()
    (practice / "practice.toml").write_text(PRACTICE + 'languages = ["en", "es"]\n')
    renderer = Renderer(Catalog.load(practice))
    texts = [u for lang in ("en", "es") for u in renderer.edition(lang).units.values() if u.needs_approval]
    approvals.record(practice, texts, "Dr. Ana Lee", "MD")
    catalog = Catalog.load(practice)
    assert unapproved(catalog, Renderer(catalog)) == []

    for name in list(figures.FIGURES):
        for lang in ("en", "es"):
            for size in sorted(set(figures.FIGURE_PT.values())):
                change_drawing(monkeypatch, name, lang, size)
    catalog = Catalog.load(practice)
    drafts = {unit.id for unit, _ in unapproved(catalog, Renderer(catalog))}
    drawing = DRAWING_TEXTS | {f"{uid}@es" for uid in DRAWING_TEXTS}
    assert drafts == drawing & {u.id for u in texts}  # what-it-is and walking are the source's: no approval
    assert {"module:what-it-is@es", "module:walking@es", "module:causes", "module:causes@es"} <= {u.id for u in texts}


def test_a_reprint_of_a_record_of_before_names_the_texts_whose_drawings_changed(tmp_path):
    """A handout recorded before the drawings were hashed carries the versions of then (the fixture's,
    as the old main worked them out): reprinted now, the texts that draw are named as changed, and a
    text that draws nothing is not."""
    practice = Path(shutil.copytree(BEFORE, tmp_path / "practice"))
    record = SimpleNamespace(request={"lang": "en"}, units=approved_before())
    changed = [line.split(": ")[0] for line in _changes(record, Renderer(Catalog.load(practice)))]
    assert changed == ["module:pathway", "module:recovery", "module:what-it-is"]
