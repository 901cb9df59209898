"""The drawings that teach: each one is in the handout it belongs to, tagged with its alternative
text, its labels printed as text in the label size (18 pt in large print), in standard and large print."""

import re
import shutil
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner

from handouts.base.i18n import translations
from handouts.cli.main import main
from handouts.engine.pdf import html_to_pdf
from handouts.render.figures import BODY_H, BOLD, DISC_H, FIGURES, FUSION_STEPS, REGULAR, WIDTH, figure, leaders
from handouts.render.renderer import timeline_rows

import pdfcheck
from conftest import NAME, ROOT, render

FIXTURE = Path(__file__).parent / "fixtures" / "practice"

# figure: (a visit whose handout carries it, words of its alternative text, its labels)
DRAWINGS = {
    "spine-side": (
        "new-patient",
        "lower spine seen from the side",
        ["bone", "disc", "nerves", "ligament", "joint", "squeezed nerves", "thickened ligament", "bulging disc",
         "joint with arthritis"],
    ),
    "spine-section": (
        "new-patient",
        "spine seen from above. Normal",
        ["disc", "joint", "nerves", "ligament", "bone", "bulging disc", "joint with arthritis", "thickened ligament",
         "squeezed nerves"],
    ),
    "leaning": (
        "conservative-care",
        "Leaning forward on a shopping cart, the canal is wider",
        ["Standing up straight", "Leaning forward on a cart", "narrower canal", "squeezed nerves", "wider canal",
         "nerves have room"],
    ),
    "surgery": (
        "surgical-consult",
        "Decompression and fusion: the same, and screws and a rod",
        ["Decompression", "Decompression and fusion", "bone and ligament taken out", "nerves have room", "screws",
         "rod", "joined bones"],
    ),
    "surgery (after a fusion)": (
        "post-op-fusion",
        "What holds the bones together: screws and a rod on each side join two bones",
        ["What was taken out", "What holds the bones together", "bone and ligament taken out", "nerves have room",
         "the bones grow together", "rod", "screws"],
    ),
    "injection": (
        "injection",
        "A thin needle comes in from the back",
        ["disc", "nerves", "bone", "medicine", "needle"],
    ),
    "exercises": (
        "conservative-care",
        "Four exercises",
        ["Knees to chest", "Pelvic tilt", "Sitting forward bend", "Exercise bike", "Pull both knees up to your chest"],
    ),
    "walk-rest-walk": (
        "conservative-care",
        "1: a person walks. 2: the person rests, sitting on a bench bent forward, or standing bent forward",
        ["1. Walk", "2. Rest: sit or lean forward", "3. Walk on"],
    ),
    "walking-aids": (
        "conservative-care",
        "leaning on a shopping cart, leaning on a walking pole in each hand, and leaning on a walker",
        ["Shopping cart", "Walking poles", "Walker"],
    ),
    "recovery": (
        "post-op",
        "Recovery timeline, step by step. Day of surgery: Most people walk. Next day: After a minimally invasive",
        ["When", "What most people can do", "Day of surgery", "Next day", "2 to 3 weeks", "6 to 8 weeks",
         "Most people can go back to desk work, when your team says so."],
    ),
}


def figure_words(pdf: bytes) -> list[tuple[str, float]]:
    """(word, size in points) for every word the PDF tags as part of a figure: the drawings' labels."""
    return [
        (w["text"], w["size"])
        for number in range(1, pdfcheck.pages(pdf) + 1)
        for w in pdfcheck.words(pdf, number, extra_attrs=["size", "tag"])
        if w["tag"] == "Figure"
    ]


@pytest.mark.parametrize("large_print", [False, True], ids=["standard", "large-print"])
@pytest.mark.parametrize("name", DRAWINGS)
def test_each_drawing_is_tagged_with_its_alt_text_and_labelled_in_the_label_size(
    handouts, large, name, large_print
):
    visit, alt, labels = DRAWINGS[name]
    pdf = (large if large_print else handouts)[visit]
    assert any(alt in text for text in pdfcheck.figure_alts(pdf)), f"{name}: no /Figure with its alt text"
    words = figure_words(pdf)
    printed = {word for word, _ in words}
    for label in labels:
        assert set(label.split()) <= printed, f"{name}: label {label!r} is not printed as text"
    smallest = 18 if large_print else 13
    assert min(size for _, size in words) >= smallest - 0.01


def test_the_module_pages_carry_the_drawings_with_captions(handouts):
    """Each drawing sits in its module with a caption the reader sees under it."""
    captions = {
        "new-patient": ["Your lower back seen from the side, normal and narrowed.", "The same seen from above.",
                        "Leaning forward opens the canal"],
        "conservative-care": ["Leaning forward opens the canal", "Moves a therapist may teach you."],
        "surgical-consult": ["Decompression takes out bone and ligament. A fusion also joins bones with screws"],
        "injection": ["The needle puts the medicine in the space around the nerves."],
    }
    for visit, wanted in captions.items():
        text = pdfcheck.text(handouts[visit])
        for caption in wanted:
            assert caption in text, (visit, caption)


def _size_pt(svg: str) -> tuple[float, float]:
    width, height = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    return float(width), float(height)


def test_the_fusion_drawing_spans_the_text_column_and_grows_with_its_labels():
    """After a fusion the operation is drawn in two panels across the text column (one small panel
    beside the text crowded its three labels together), and in large print the drawing grows with
    its 18 pt labels, so they stand as far apart as in standard print."""
    standard, large = (_size_pt(figure("surgery", size=size, only="fusion")) for size in (13, 18))
    assert standard[0] == WIDTH and large[0] == WIDTH
    assert large[1] >= standard[1] * 18 / 13 * 0.95, (standard, large)
    assert _size_pt(figure("surgery", size=13, only="decompression"))[0] < WIDTH / 2  # still beside the text


def test_the_fusion_drawing_points_at_the_new_bone_between_the_joined_bones():
    """'the bones grow together' pointed at a screw head, and nothing in the drawing showed bone joining:
    it points into the gap between the two joined bones, where speckled new bone bridges them."""
    panel = FUSION_STEPS[1]
    names = {text: name for text, name, _side in panel.labels}
    _x, y = panel.art.points[names["the bones grow together"]]
    lower = panel.art.points[names["screws"]][1]  # the lower screws' centre line
    upper = lower + BODY_H + DISC_H
    assert lower + 8 < y < upper - 8, (lower, y, upper)  # clear of both screw heads (radius 8)
    assert figure("surgery", size=13, only="fusion").count('r="1.2"') > 20  # the chips of new bone


@pytest.mark.parametrize("visit", ["post-op", "post-op-fusion"])
@pytest.mark.parametrize(("lang", "heading", "label"), [("en", "Driving", "knees"), ("es", "Manejar", "rodillas")])
def test_the_step_after_the_lifting_drawing_starts_under_it(renderer, visit, lang, heading, label):
    """The driving step ran beside the lifting drawing for a few words ("Do not drive while you"), then
    jumped to the full width mid-sentence: the step that holds the drawing now holds it to its end."""
    pdf = render(renderer, visit, lang=lang)
    pages = (pdfcheck.words(pdf, number) for number in range(1, pdfcheck.pages(pdf) + 1))
    words = next(w for w in pages if {heading, label} <= {x["text"] for x in w})
    head = next(w for w in words if w["text"] == heading)
    drawing_left = min(w["x0"] for w in words if w["text"] == label)
    first = min((w for w in words if w["top"] > head["bottom"]), key=lambda w: w["top"])
    line = [w for w in words if abs(w["top"] - first["top"]) < 1]
    assert max(w["x1"] for w in line) > drawing_left, " ".join(w["text"] for w in line)


SHAPE = re.compile(r"<(path|polyline|polygon|rect|circle|ellipse|text)\b([^>]*)>")


@pytest.mark.parametrize("name", sorted(FIGURES))
@pytest.mark.parametrize("size", [13, 18])
def test_no_part_of_a_drawing_is_filled_black_by_mistake(catalog, name, size):
    """A shape is filled black unless told otherwise (the drawing code's default, as reportlab's was),
    and SVG fills an open outline as if it were closed: every line and polyline of a drawing (a limb,
    a leader) is written unfilled. Every fill is a colour or "none" (reportlab's writer wrote an empty
    one as "None", which SVG does not know: black); a straight line written closed loses the round
    ends of a person's limbs."""
    timeline = timeline_rows(catalog.visits["post-op"].timeline, date(2026, 3, 10), date(2026, 3, 14))
    options = {"pathway": {"step": 2}, "recovery": {"timeline": timeline}}.get(name, {})
    svg = figure(name, size=size, **options)
    shapes = SHAPE.findall(svg)
    assert shapes
    for tag, attrs in shapes:
        fill = re.search(r' fill="([^"]*)"', attrs).group(1)
        assert re.fullmatch(r"none|#[0-9a-f]{6}", fill), (tag, attrs)
        if tag == "polyline" or (tag == "path" and "Z" not in re.search(r' d="([^"]*)"', attrs).group(1)):
            assert fill == "none", (tag, attrs)
    assert not re.search(r'd="M [-\d.]+,[-\d.]+ L [-\d.]+,[-\d.]+ Z"', svg)


@pytest.mark.parametrize("visit", ["post-op", "post-op-fusion"])
def test_the_recovery_drawing_marks_today_from_the_surgery_date(renderer, visit):
    """The drawing on the detail pages marks today from the surgery date and the visit date, the same
    rows the renderer makes (render.timeline_rows): after the steps begun, before the steps to come."""
    dated = render(renderer, visit, sets={"surgery_date": "2026-03-10"})
    words = " ".join(word for word, _ in figure_words(dated))
    assert "Today, Mar 14 You are here." in words
    alt = next(a for a in pdfcheck.figure_alts(dated) if a.startswith("Recovery timeline"))
    assert "Today, Mar 14: You are here." in alt
    steps = [step.when for step in renderer.catalog.visits[visit].timeline]
    begun = [when for when in steps if alt.index(when) < alt.index("Today")]
    assert begun == steps[:2], begun  # 4 days after surgery: walking and going home have begun, no more
    undated = render(renderer, visit)
    assert "Today" not in " ".join(word for word, _ in figure_words(undated))
    assert "You are here" not in " ".join(pdfcheck.figure_alts(undated))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ('figure("spine")', "there is no figure 'spine'; the figures are: exercises, injection, leaning"),
        ('figure("leaning", step=2)', "figure 'leaning': got an unexpected keyword argument 'step'"),
    ],
)
def test_a_practice_template_that_gets_a_figure_wrong_is_told_where(tmp_path, call, message):
    folder = Path(shutil.copytree(FIXTURE, tmp_path / "practice"))
    (folder / "templates" / "modules").mkdir(parents=True, exist_ok=True)
    (folder / "templates" / "modules" / "walking.html").write_text(f"<p>Walk.</p>\n{{{{ {call} }}}}\n")
    out = tmp_path / "x.pdf"
    args = ["make", "conservative-care", "-p", NAME, "-o", str(out), "--practice", str(folder)]
    made = CliRunner().invoke(main, args)
    assert made.exit_code == 2 and not out.exists()
    assert "templates/modules/walking.html:2: template error: " + message in made.output
    assert "Traceback" not in made.output and len(made.output.strip().splitlines()) == 1


def _plan_at_every_step(catalog, lang: str, size: int) -> bytes:
    """The plan drawn at each of its 8 steps, one to a page, printed as a handout prints a drawing
    (WeasyPrint, with the handout's own @font-face rules for the bundled fonts)."""
    faces = "\n".join(re.findall(r"@font-face\s*\{[^}]*\}", (ROOT / "styles" / "handout.css").read_text()))
    gettext = translations(lang).gettext
    plans = "".join(f'<div style="break-after: page">{figure("pathway", size=size, gettext=gettext, step=step)}</div>'
                    for step in range(1, 9))
    page = f"<style>{faces}\n@page {{ size: 11in 17in; margin: 0.5in }}</style>{plans}"
    return html_to_pdf(f"<!DOCTYPE html><html lang='{lang}'><head>{page}</head></html>", catalog.search)


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("size", [13, 18])
def test_every_line_of_the_plan_stays_inside_its_box(catalog, lang, size):
    """In Spanish large print "inyecciones" (bold, in the "You are here" box) is wider than a box's
    line: it ran 1.3 pt past the black box's edge, where white on white cut its last letter off.
    Read where each letter prints, at every step: not measured the way the drawing code measures
    (a table of the font's advance widths), which could not see the code's own measure go wrong."""
    pages = pdfcheck.layout(_plan_at_every_step(catalog, lang, size))
    assert len(pages) == 8
    for step, page in enumerate(pages, 1):
        boxes = [shape for shape in page.curves if shape.width > 50]  # the steps' boxes, not the arrowheads
        assert len(boxes) == 8, (step, boxes)
        for box in boxes:
            inside = [c for c in page.chars
                      if box.x0 <= c.x0 <= box.x1 and box.top <= (c.top + c.bottom) / 2 <= box.bottom]
            assert inside, (step, box)  # every step's text was found in its box
            for char in inside:
                assert char.x1 <= box.x1 - 1, (step, "".join(c.text for c in inside), char.text, char.x1, box.x1)


# --- Geometry: where the needle goes, and where each leader runs ------------------------------------
# The drawings' own shapes (figures.Art.parts) in the drawings' own units, and the leaders as the figure
# draws them (figures.leaders), checked with plain plane geometry.

Point = tuple[float, float]


def _inside(point: Point, outline: list[Point]) -> bool:
    """Whether `point` is inside the polygon (a ray to its right crosses the edges an odd number of times)."""
    x, y = point
    crossings = 0
    for (x1, y1), (x2, y2) in zip(outline, outline[1:] + outline[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            crossings += 1
    return crossings % 2 == 1


def _to_segment(point: Point, a: Point, b: Point) -> float:
    """The distance from `point` to the segment a-b."""
    (px, py), (ax, ay), (bx, by) = point, a, b
    length = (bx - ax) ** 2 + (by - ay) ** 2
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / length))
    return ((px - ax - t * (bx - ax)) ** 2 + (py - ay - t * (by - ay)) ** 2) ** 0.5


def _cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    def side(p: Point, q: Point, r: Point) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    return side(a, b, c) * side(a, b, d) < 0 and side(c, d, a) * side(c, d, b) < 0


def _clearance(a: Point, b: Point, outline: list[Point]) -> float:
    """How far the segment a-b stays from the polygon: 0 when it enters it."""
    edges = list(zip(outline, outline[1:] + outline[:1], strict=True))
    if _inside(a, outline) or _inside(b, outline) or any(_cross(a, b, c, d) for c, d in edges):
        return 0.0
    return min(min(_to_segment(c, a, b), _to_segment(a, c, d), _to_segment(b, c, d)) for c, d in edges)


def _path_clearance(path: list[Point], shapes) -> float:
    return min((_clearance(a, b, outline) for a, b in pairwise(path) for shape in shapes for outline in shape.area()),
               default=float("inf"))


def _until_inside(path: list[Point], shapes) -> list[Point]:
    """The path up to where it first comes into one of the shapes (in steps of a tenth of a unit)."""
    outlines = [outline for shape in shapes for outline in shape.area()]
    kept = [path[0]]
    for (ax, ay), (bx, by) in pairwise(path):
        steps = max(1, int(((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5 * 10))
        for i in range(1, steps + 1):
            point = (ax + (bx - ax) * i / steps, ay + (by - ay) * i / steps)
            if any(_inside(point, outline) for outline in outlines):
                return [*kept, point]
        kept.append((bx, by))
    return kept


ANATOMY = ["spine-side", "spine-section", "injection"]


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("size", [13, 18])
@pytest.mark.parametrize("name", ANATOMY)
def test_each_leader_ends_on_its_own_part_and_runs_over_no_other(name, size, lang):
    """The 'bulging disc' leader of the side view ran from the back, over the joint (labelled too) and
    the nerves, to a point short of the disc: a reader took the label for the joint's. Each leader ends
    inside the part its label names, and until it reaches that part keeps off every other named part
    of its drawing (it may run over an unnamed one, such as the bony arch behind the canal)."""
    drawn = leaders(name, size, translations(lang).gettext)
    assert drawn
    for leader in drawn:
        art, end = leader.art, leader.path[-1]
        own = art.parts[leader.point]
        assert any(_inside(end, outline) for shape in own for outline in shape.area()), (leader.point, end)
        named = {other.point for other in drawn if other.art is art} - {leader.point}
        others = [shape for point in named for shape in art.parts[point] if all(shape is not mine for mine in own)]
        assert _path_clearance(_until_inside(leader.path, own), others) >= 1, (leader.point, leader.path)


def test_the_needle_goes_between_the_bones_and_its_tip_stops_short_of_the_nerves():
    """The shot's drawing had the needle through the bony arch and its tip on the nerves. An epidural
    needle passes between two bones (the gap between their arches), through the ligament that closes
    the gap, and stops in the space around the sac of nerves, without touching it."""
    art = next(leader.art for leader in leaders("injection", 13) if leader.point == "needle")
    shaft = art.parts["needle"][0]  # a straight line from the tip back out of the body
    tip, out = (shaft.points[0], shaft.points[1]), (shaft.points[2], shaft.points[3])
    assert tip == art.points["tip"]
    assert _path_clearance([tip, out], art.parts["bone"]) >= shaft.width / 2 + 2  # through the gap, clear of bone
    assert _path_clearance([tip, out], art.parts["ligament"]) == 0  # through the ligament
    sac = art.parts["nerves"]
    assert _path_clearance([tip, tip], sac) >= shaft.width / 2 + 2  # short of the nerves, round end and all
    assert not any(_inside(tip, o) for shape in art.parts["ligament"] + art.parts["bone"] for o in shape.area())
    # in the space behind the sac: between the sac and the ligament, level with the gap
    sac_back = max(x for outline in sac[0].area() for x, _ in outline)
    ligament_front = min(x for shape in art.parts["ligament"] for outline in shape.area() for x, _ in outline)
    assert sac_back < tip[0] < ligament_front
    assert any(_inside(tip, outline) for shape in art.parts["medicine"] for outline in shape.area())


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("size", [13, 18])
def test_a_range_of_numbers_in_the_plan_stays_on_one_line(lang, size):
    """Plan box 6 broke "1 / or 2 epidural shots" across two lines in large print: a range of
    numbers ("1 or 2", "2 to 8", "1 o 2") is one thing to read, and no line of a box ends inside one."""
    svg = "".join(figure("pathway", size=size, gettext=translations(lang).gettext, step=step) for step in (2, 6))
    lines = re.findall(r"<text [^>]*>([^<]*)</text>", svg)
    ranges = [line for line in lines if re.search(r"\d+ (or|to|o|a) \d+", line)]
    assert len(ranges) >= 2, lines  # "2 to 8 weeks" and "1 or 2 shots" are there, each whole on a line
    broken = [(a, b) for a, b in pairwise(lines) if re.search(r"\b\d+$", a) and re.match(r"(or|to|o|a) \d", b)]
    assert broken == []


@pytest.mark.parametrize("bold", [False, True])
def test_the_figures_measure_each_character_as_the_font_file_sets_it(bold):
    """figures.string_width (the table that wraps and places every label) against the font file read
    another way: every character the font has, and one it lacks (measured as its missing glyph)."""
    from handouts.render.figures import string_width

    cmap, _, _ = pdfcheck._atkinson(bold)
    for text in [chr(code) for code in cmap] + ["\U0001f44d", "Sí, llame hoy: 555-0100"]:
        assert string_width(text, BOLD if bold else REGULAR, 13) == pytest.approx(pdfcheck.text_width(text, bold, 13))
