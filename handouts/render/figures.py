"""Vector figures, drawn as shapes (shapes.py) and placed in the HTML as inline SVG.

One mechanism for every figure: a function returns a `Drawing` measured in points, and `to_svg`
turns it into inline SVG sized in points (so 13 units of font are 13 pt on paper), with the
alternative text as the SVG `<title>` (WeasyPrint ignores aria-label but tags the title). Text is
measured with the bundled font's own widths (its advance widths, read with fontTools), so labels wrap and line up
as they print. Figures use the bundled font and only black, white and grey, so they print right in
black and white.
"""

import inspect
import math
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache, partial
from itertools import pairwise
from typing import Any

from jinja2 import TemplateRuntimeError
from markupsafe import Markup

from ..base.i18n import N_
from ..base.paths import BUILTIN_ROOT
from ..base.ranges import joined
from . import shapes
from .shapes import Circle, Drawing, Ellipse, Group, Line, Path, Polygon, PolyLine, Rect, Shape, String, black, white

REGULAR = "Atkinson Hyperlegible"
BOLD = "Atkinson Hyperlegible Bold"
GREY = "#d9d9d9"
WIDTH = 468.0  # the text column: 8.5 in paper less two 1 in margins, in points
FIGURE_PT = {False: 13, True: 18}  # the labels' size: standard print, large print


# The language of the figure being drawn: every printed word goes through `_`, and the figure()
# call that draws it sets the catalog, so the drawing code needs no language parameter.
_GETTEXT: ContextVar[Callable[[str], str]] = ContextVar("gettext", default=str)


def _(text: str) -> str:
    """`text` in the language of the figure being drawn (marked for the message catalog). An empty
    text (a panel without a title) stays empty: gettext("") is the catalog's header, not a word."""
    return _GETTEXT.get()(text) if text else text


FONT_FILES = {REGULAR: "AtkinsonHyperlegible_400Regular.ttf", BOLD: "AtkinsonHyperlegible_700Bold.ttf"}


@cache
def _widths(font: str) -> tuple[dict[int, float], float]:
    """The font's advance width of each character it has, and of its missing-character glyph (what a
    character it lacks is measured as), in thousandths of the type size."""
    from fontTools.ttLib import TTFont  # loaded with WeasyPrint anyway

    data = TTFont(BUILTIN_ROOT / "assets" / "fonts" / FONT_FILES[font], lazy=True)
    per_mille = 1000 / data["head"].unitsPerEm
    advance = data["hmtx"].metrics
    missing = data.getGlyphOrder()[0]
    widths = {code: advance[glyph][0] * per_mille for code, glyph in data.getBestCmap().items() if glyph != missing}
    return widths, advance[missing][0] * per_mille


def string_width(text: str, font: str, size: float) -> float:
    """The width of `text` in points, set in `font` at `size` points, as the bundled font spaces it
    (no kerning: the figures' words are measured, never kerned, as they always were)."""
    widths, missing = _widths(font)
    return 0.001 * size * sum(widths.get(ord(char), missing) for char in text)


def wrap(text: str, size: float, width: float, font: str = REGULAR) -> list[str]:
    """Greedy word wrap by the font's real widths, of `text` in the figure's language: every word a
    figure prints passes through here (or through `_` where it is pieced together). A range of
    numbers stays on one line."""
    lines: list[str] = []
    for word in (piece.replace("\0", " ") for piece in joined(_(text), "\0").split()):
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and string_width(trial, font, size) <= width:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines


def text_block(
    x: float, top: float, text: str, size: float, width: float, font: str = REGULAR, anchor: str = "start", colour=black
) -> tuple[Group, float]:
    """Wrapped lines hanging from `top`; returns the group and the y below the last line."""
    group = Group()
    y = top
    for line in wrap(text, size, width, font):
        y -= size * 1.2
        group.add(String(x, y, line, fontName=font, fontSize=size, textAnchor=anchor, fillColor=colour))
    return group, y - size * 0.3


def to_svg(drawing: Drawing, alt: str) -> Markup:
    """Inline SVG sized in points, titled with the alternative text (in the figure's language)."""
    return Markup(shapes.to_svg(drawing, _(alt), FONT_ATTRIBUTES, string_width))


FONT_ATTRIBUTES = {
    REGULAR: {"font-family": REGULAR},
    BOLD: {"font-family": REGULAR, "font-weight": "bold"},  # the page's @font-face names one family, two weights
}


# --- Parts shared by the drawings of the body ---------------------------------------------------
# Each drawing is made in its own units and scaled to the page by `_layout`, which also places its
# labels in columns beside it, in the label size, with a leader line to the part each one names.

BONE = "#cccccc"
LIGAMENT = "#4d4d4d"
NERVE = "#8c8c8c"
BODY_H, DISC_H = 44.0, 14.0  # one vertebra and one disc, seen from the side, in drawing units
DISC_Y = 136.0  # the middle of the disc, seen from above: far enough forward for a gap before each joint
MID = 59.0  # the middle, seen from above: the joints reach to 1 and 117 across


Point = tuple[float, float]


@dataclass
class Art:
    """A drawing in its own units, and the points (in those units) that its labels name. `parts`
    holds, by the name of a point, the shapes of the part a label there names, so a test can check
    that each leader ends on its own part and runs over no other named part; `vias`, by the name of
    a point, a point its leader passes through on the way (a gap between parts)."""

    group: Group
    width: float
    height: float
    points: dict[str, Point]
    parts: dict[str, list[Shape]] = field(default_factory=dict)
    vias: dict[str, Point] = field(default_factory=dict)


@dataclass
class Panel:
    """One drawing with a title above it and labels beside it: (text, name of the point, side)."""

    title: str
    art: Art
    labels: list[tuple[str, str, str]]


@dataclass
class Leader:
    """Where one label's leader runs, from the label to its point, in the units of the drawing it points into."""

    art: Art
    point: str
    path: list[Point]


# The leaders of the figure being drawn, when someone asks for them (`leaders`).
_LEADERS: ContextVar[list[Leader] | None] = ContextVar("leaders", default=None)


def _smooth(points: list[tuple[float, float]], **style) -> Path:
    """A closed curve through the points (Catmull-Rom), for parts that should not look like boxes."""
    path = Path(**style)
    path.moveTo(*points[0])
    n = len(points)
    for i in range(n):
        p0, p1, p2, p3 = points[i - 1], points[i], points[(i + 1) % n], points[(i + 2) % n]
        path.curveTo(
            p1[0] + (p2[0] - p0[0]) / 6,
            p1[1] + (p2[1] - p0[1]) / 6,
            p2[0] - (p3[0] - p1[0]) / 6,
            p2[1] - (p3[1] - p1[1]) / 6,
            *p2,
        )
    path.closePath()
    return path


def _flat(points: list[tuple[float, float]]) -> list[float]:
    return [c for point in points for c in point]


def _bump(t: float) -> float:
    """0 at both ends, 1 in the middle: how far a bulge stands out along an edge (t from 0 to 1)."""
    return math.sin(math.pi * t) ** 2


def _sample(n: int) -> list[float]:
    return [i / n for i in range(n + 1)]


def _spread(wanted: list[float], heights: list[float], gap: float, low: float, high: float) -> list[float]:
    """Tops for blocks that want to be centred at `wanted` (top first), pushed apart so none overlap,
    then lifted back towards the drawing (from `low` up to `high`) if they ran out below it."""
    tops: list[float] = []
    for centre, height in zip(wanted, heights, strict=True):
        top = centre + height / 2
        if tops:
            top = min(top, tops[-1] - heights[len(tops) - 1] - gap)
        tops.append(top)
    if tops:
        lift = max(0.0, min(low - (tops[-1] - heights[-1]), high - tops[0]))
        tops = [top + lift for top in tops]
    return tops


def _place(point: Point, origin: Point, scale: float, back: bool = False) -> Point:
    """A point of a drawing placed on the figure at `origin` and `scale`; `back`: the other way round."""
    if back:
        return (point[0] - origin[0]) / scale, (point[1] - origin[1]) / scale
    return origin[0] + point[0] * scale, origin[1] + point[1] * scale


def _layout(
    panels: list[Panel], size: float, side_by_side: bool, max_scale: float, alt: str, joined: bool = False,
    fit: bool = False,
) -> Markup:
    """The panels in a row (or one under another) at one scale, each label in a column beside its
    panel, wrapped to the column, in the label size, with a leader to its point (white-edged so it
    reads where it crosses a part). `joined` panels are steps: an arrow leads from each to the next.
    A `fit` drawing is only as wide as its panels, to stand beside the text it shows."""
    pad, between = 8.0, (size * 2.8 if joined else 14.0)

    def column(panel: Panel, side: str, cap: float = WIDTH * 0.18) -> float:
        """As wide as the longest label, but no wider than `cap` (a fifth of the figure) unless one word is."""
        texts = [_(t) for t, _unused, s in panel.labels if s == side]
        if not texts:
            return 0.0
        longest = max(string_width(t, REGULAR, size) for t in texts)
        word = max(string_width(w, REGULAR, size) for t in texts for w in t.split())
        return min(longest, max(cap, word)) + 2

    def columns(panel: Panel, cap: float) -> tuple[float, float]:
        widths = (column(panel, side, cap) for side in ("left", "right"))
        return tuple(width + pad if width else 0.0 for width in widths)

    def scale_at(cap: float) -> float:
        if side_by_side:
            room = WIDTH - between * (len(panels) - 1) - sum(sum(columns(p, cap)) for p in panels)
            return min(max_scale, room / sum(p.art.width for p in panels))
        return min(max_scale, *((WIDTH - sum(columns(p, cap))) / p.art.width for p in panels))

    # labels wrap to their longest word when that leaves the drawings larger
    cap = max((WIDTH * 0.18, 0.0), key=scale_at)
    scale = scale_at(cap)

    # side by side, the drawings start level under the tallest title
    title_room = max(len(wrap(p.title, size, p.art.width * scale + columns(p, cap)[1], BOLD)) for p in panels)
    title_room *= size * 1.2
    title_room += size * 0.3
    g = Group()
    low = 0.0
    x = y = 0.0  # side by side: x moves along, one under another: y moves down
    widest = max(p.art.width for p in panels) * scale
    lefts = max(columns(p, cap)[0] for p in panels)
    for panel in panels:
        left, right = columns(panel, cap)
        art_w, art_h = panel.art.width * scale, panel.art.height * scale
        if not side_by_side:  # one under another: right edges in line, so the parts beside them line up
            left = lefts + widest - art_w
        title, title_bottom = text_block(x + left, y, panel.title, size, art_w + right, BOLD)
        g.add(title)
        art_x, art_top = x + left, (y - title_room if side_by_side else title_bottom) - 4
        art = panel.art.group
        art.transform = (scale, 0, 0, scale, art_x, art_top - art_h)
        g.add(art)
        bottom = art_top - art_h
        art_low = art_top - art_h
        place = partial(_place, origin=(art_x, art_low), scale=scale)
        for side in ("left", "right"):
            labels = [(t, name) for t, name, s in panel.labels if s == side]
            # a label stands level with where its leader comes in: its point, or the gap it passes through
            aims = {name: place(panel.art.vias.get(name, panel.art.points[name])) for _, name in labels}
            labels.sort(key=lambda item: -aims[item[1]][1])
            blocks = [wrap(t, size, column(panel, side, cap)) for t, _ in labels]
            heights = [len(lines) * size * 1.2 for lines in blocks]
            # centred so the leader, which starts at the middle of the label's first line, runs level when it can
            wanted = [aims[name][1] + size * 0.6 - h / 2 for (_, name), h in zip(labels, heights, strict=True)]
            tops = _spread(wanted, heights, size * 0.3, art_low, art_top)
            edge = art_x - pad if side == "left" else art_x + art_w + pad
            for lines, top, (_text, name) in zip(blocks, tops, labels, strict=True):
                for n, line in enumerate(lines, 1):
                    g.add(String(edge, top - n * size * 1.2 + size * 0.25, line, fontName=REGULAR, fontSize=size,
                                 textAnchor="end" if side == "left" else "start"))
                via = [place(panel.art.vias[name])] if name in panel.art.vias else []
                path = [(edge + (2 if side == "left" else -2), top - size * 0.6), *via, place(panel.art.points[name])]
                for width, colour in ((3.5, white), (1.2, black)):
                    for (x1, y1), (x2, y2) in pairwise(path):
                        g.add(Line(x1, y1, x2, y2, strokeWidth=width, strokeColor=colour, strokeLineCap=1))
                g.add(Circle(*path[-1], 2.6, fillColor=black, strokeColor=white, strokeWidth=1))
                record = _LEADERS.get()
                if record is not None:
                    record.append(Leader(panel.art, name, [place(p, back=True) for p in path]))
                bottom = min(bottom, top - len(lines) * size * 1.2)
        low = min(low, bottom)
        if side_by_side:
            x += left + art_w + right + between
            if joined and panel is not panels[-1]:
                g.add(_arrow(x - between + size * 0.5, art_top - art_h / 2, x - size * 0.5, art_top - art_h / 2))
        else:
            y = bottom - size
    d = Drawing(math.ceil(x - between) if fit and side_by_side else WIDTH, 2 - low)
    g.translate((d.width - x + between) / 2 if side_by_side else 0, -low + 1)
    d.add(g)
    return to_svg(d, alt)


# --- The lower spine from the side and from above ------------------------------------------------


def _side(pinch: float = 0.0, levels: int = 3) -> Art:
    """The lower spine seen from the side, front to the left: bones, discs, the canal with the nerves
    and, behind it, the ligament and the joints of the arches. `pinch` (0 to 1) narrows the canal at
    the lowest disc: the disc bulges back, the ligament thickens, the joint grows and the nerves are squeezed.
    A label on a part at the front (bone, disc, the squeezed nerves) comes from the left, one on a
    part at the back from the right, so no leader runs over another named part."""
    step = BODY_H + DISC_H
    height = levels * step - DISC_H + 16
    tops = [height - 8 - i * step for i in range(levels)]
    joints = [top - BODY_H - DISC_H / 2 for top in tops[:-1]]  # at the middle of each disc
    pinch_y = joints[-1]
    g = Group()
    parts: dict[str, list[Shape]] = {name: [] for name in ("bone", "disc", "ligament", "joint")}
    edge = [(y, 10 - 6 * pinch * math.exp(-(((y - pinch_y) / 9) ** 2))) for y in range(-2, int(height) + 3, 2)]
    nerves = [(72 + w, y) for y, w in edge] + [(72 - w, y) for y, w in reversed(edge)]
    g.add(Polygon(_flat(nerves), fillColor=NERVE, strokeColor=black, strokeWidth=1.2))
    parts["nerves"] = parts["nerves above"] = parts["squeezed"] = [g.contents[-1]]
    for i, top in enumerate(tops):
        parts["bone"].append(Rect(0, top - BODY_H, 54, BODY_H, rx=6, ry=6, fillColor=BONE, strokeColor=black,
                                  strokeWidth=1.5))
        g.add(parts["bone"][-1])
        upper = joints[i - 1] if i else top + 6
        lower = joints[i] if i < len(joints) else top - BODY_H - 6
        arch = [(92, upper - 2), (116, upper + 2), (116, top - 6), (134, top - 14), (138, top - 22), (134, top - 30),
                (116, top - 34), (116, lower + 2), (92, lower - 2)]
        g.add(Polygon(_flat(arch), fillColor=BONE, strokeColor=black, strokeWidth=1.5))
    for i, y in enumerate(joints):
        high, low = tops[i] - BODY_H, tops[i + 1]
        grow = pinch if i == len(joints) - 1 else 0.0
        disc = [(54 + 13 * grow * _bump(t), high - t * DISC_H) for t in _sample(8)]
        disc += [(1 - 3 * _bump(t), low + t * DISC_H) for t in _sample(8)]
        ligament = [(85 - 11 * grow * _bump(t), y + 16 - 32 * t) for t in _sample(10)] + [(91, y - 16), (91, y + 16)]
        shapes = {
            "disc": Polygon(_flat(disc), fillColor=white, strokeColor=black, strokeWidth=1.5),
            "ligament": Polygon(_flat(ligament), fillColor=LIGAMENT, strokeColor=black, strokeWidth=1),
            "joint": Ellipse(105, y, 9 + 5 * grow, 8 + 5 * grow, fillColor=BONE, strokeColor=black, strokeWidth=1.5),
        }
        for name, shape in shapes.items():
            parts[name].append(shape)
            g.add(shape)
        g.add(Line(96 - 5 * grow, y - 2, 114 + 5 * grow, y + 2, strokeWidth=2))
    # the joint grows with the pinch, so the ligament's leader comes down onto it from above the joint
    ligament_y = pinch_y + 13 + 2 * pinch
    points = {
        "canal": (72, pinch_y),
        "nerves": (72, pinch_y + 16 + 6 * (1 - pinch)),
        "squeezed": (70, pinch_y + 1.5),  # at the narrowest, reached from the front, above the disc
        "nerves above": (72, pinch_y + 32),  # above the ligament, so the ligament's label can come in under it
        "bone": (30, tops[1] - BODY_H / 2),
        "disc": (24 + 36 * pinch, pinch_y),
        "ligament": (88 - pinch, ligament_y),
        "joint": (110 + 3 * pinch, pinch_y - 5),
    }
    vias = {"squeezed": (57, pinch_y + 12), "ligament": (104, ligament_y + 8 + 6 * pinch)}
    return Art(g, 140, height, points, parts, vias)


def _bands(lines: list[list[tuple[float, float]]], width: float, fill) -> list[PolyLine]:
    """Thick lines with a black edge (drawn twice: black and wider, then the fill), joined cleanly."""
    return [PolyLine(_flat(line), strokeWidth=w, strokeColor=c, strokeLineCap=1)
            for w, c in ((width + 3, black), (width, fill)) for line in lines]


def _section(pinch: float = 0.0) -> Art:
    """The spine seen from above at a disc, front at the top: the disc, the canal with the nerves,
    the ligament lining the back of the canal, a joint on each side and the bony arch behind.
    `pinch` (0 to 1) narrows it: the disc bulges back, the ligament and the joints thicken. Between
    the disc and each joint a gap opens into the canal (where the nerves leave it): the leaders to
    the nerves and the ligament come in there, over no other named part."""
    g = Group()
    left, right, back = (MID - 41, 90.0), (MID + 41, 90.0), (MID, 46.0)
    arch = _bands([[left, back, right], [back, (MID, 10)]], 12, BONE)
    for part in arch:
        g.add(part)
    thick = 5 + 6 * pinch
    inward = []  # the ligament's middle line: inside the arch by half the arch and half the ligament
    for x, y in (left, back, right):
        dx, dy = MID - x, 100 - y
        n = math.hypot(dx, dy)
        inward.append((x + dx / n * (7.5 + thick / 2), y + dy / n * (7.5 + thick / 2)))
    ligament = _bands([inward], thick, LIGAMENT)
    for part in ligament:
        g.add(part)
    rx, ry = 13 + 4 * pinch, 12 + 3 * pinch
    joints = [Ellipse(jx, jy, rx, ry, fillColor=BONE, strokeColor=black, strokeWidth=1.5) for jx, jy in (left, right)]
    for joint in joints:
        g.add(joint)
        g.add(Line(joint.cx - rx * 0.8, joint.cy + ry * 0.5, joint.cx + rx * 0.8, joint.cy - ry * 0.5, strokeWidth=2))
    disc = []
    for i in range(60):
        a = 2 * math.pi * i / 60
        x, y = MID + 50 * math.cos(a), DISC_Y + 26 * math.sin(a)
        if math.sin(a) < 0:  # the back edge: a little hollow when normal, bulging into the canal when narrowed
            y += (5 - 28 * pinch) * math.exp(-((math.cos(a) / 0.4) ** 2))
        disc.append((x, y))
    g.add(Polygon(_flat(disc), fillColor=white, strokeColor=black, strokeWidth=1.5))
    disc_part = g.contents[-1]
    g.add(Ellipse(MID, DISC_Y + 2, 22, 11, fillColor=None, strokeColor=GREY, strokeWidth=1.5))
    sac_y, srx, sry = 96 - 14 * pinch, 16 - 6 * pinch, 11 - 4 * pinch  # just behind the disc, as it lies
    sac = Ellipse(MID, sac_y, srx, sry, fillColor=NERVE, strokeColor=black, strokeWidth=1.2)
    g.add(sac)
    for dx, dy in ((-0.5, 0.25), (0.0, 0.45), (0.5, 0.25), (-0.25, -0.35), (0.25, -0.35)):
        g.add(Circle(MID + dx * srx, sac_y + dy * sry, 2.2 - 0.8 * pinch, fillColor=white, strokeWidth=0.8))
    points = {
        "nerves": (MID - srx * (0.4 + 0.3 * pinch), sac_y + sry * 0.25),
        "disc": (MID + 38, DISC_Y + 6),
        "ligament": tuple(a + (b - a) * (0.5 - 0.15 * pinch) for a, b in zip(inward[1], inward[2], strict=True)),
        "joint": (right[0] + rx * 0.4, right[1] - ry * 0.4),
        "bone": (MID + 2, 18),
    }
    parts = {"nerves": [sac], "disc": [disc_part], "ligament": ligament[:1], "joint": joints, "bone": arch[:2]}
    # the gaps between the disc and the joints; the thickened ligament fills the arch's corner, and its
    # leader comes in from behind, over the arch (not named in that drawing)
    vias = {"nerves": (MID - 30, 106 + 2 * pinch)} | ({} if pinch else {"ligament": (MID + 30, 106)})
    return Art(g, 2 * MID, DISC_Y + 28, points, parts, vias)


# (text, point, side) of the normal and the narrowed panel of each view: a part at the front is
# labelled from the left, one at the back from the right, and the canal is reached through a gap.
SIDE_LABELS = (
    [(N_("bone"), "bone", "left"), (N_("disc"), "disc", "left"), (N_("nerves"), "nerves above", "right"),
     (N_("ligament"), "ligament", "right"), (N_("joint"), "joint", "right")],
    [(N_("bulging disc"), "disc", "left"), (N_("squeezed nerves"), "squeezed", "left"),
     (N_("thickened ligament"), "ligament", "right"), (N_("joint with arthritis"), "joint", "right")],
)
SECTION_LABELS = (
    [(N_("disc"), "disc", "right"), (N_("nerves"), "nerves", "left"), (N_("ligament"), "ligament", "right"),
     (N_("joint"), "joint", "right"), (N_("bone"), "bone", "right")],
    [(N_("bulging disc"), "disc", "right"), (N_("squeezed nerves"), "nerves", "left"),
     (N_("thickened ligament"), "ligament", "right"), (N_("joint with arthritis"), "joint", "right")],
)


def _normal_and_narrowed(view: Callable[..., Art], labels: tuple, size: float, alt: str) -> Markup:
    """Normal and narrowed side by side; in large print one under the other, where 18 pt labels on
    both sides would leave the drawings too small in a row."""
    panels = [Panel(N_("Normal"), view(0.0), labels[0]), Panel(N_("Narrowed"), view(1.0), labels[1])]
    return _layout(panels, size, side_by_side=size < 16, max_scale=0.75, alt=alt)


def spine_side(size: float = 13) -> Markup:
    """The lower spine from the side, normal and narrowed: the picture of what stenosis is."""
    alt = N_(
        "Two drawings of the lower spine seen from the side. Normal: the bones, the discs between them, "
        "and the nerves in the canal behind, with a ligament and the joints at the back. Narrowed: the disc "
        "bulges, the ligament is thickened and the joint has arthritis, so the canal is narrow and the "
        "nerves are squeezed."
    )
    return _normal_and_narrowed(_side, SIDE_LABELS, size, alt)


def spine_section(size: float = 13) -> Markup:
    """The same, seen from above: how the round canal becomes a narrow slot."""
    alt = N_(
        "Two drawings of the spine seen from above. Normal: the disc in front, the nerves in a wide canal, "
        "the ligament behind them and a joint on each side. Narrowed: the bulging disc, the thickened "
        "ligament and the joints with arthritis leave a small canal, and the nerves are squeezed."
    )
    return _normal_and_narrowed(_section, SECTION_LABELS, size, alt)


# --- Decompression and fusion, seen from the back ----------------------------------------------


def _back(fused: bool) -> Art:
    """Three bones of the lower spine seen from the back, after a decompression: the arch of the middle
    one and the ligament above and below it taken out (dashed), so the nerves show and have room.
    With `fused`, screws in the lower two bones and a rod each side join them."""
    step = BODY_H + DISC_H
    height = 3 * step - DISC_H + 16
    tops = [height - 8 - i * step for i in range(3)]
    g = Group()
    window_top, window_low = tops[0] - 46, tops[2] + 2
    for i, top in enumerate(tops):
        g.add(Rect(18, top - 24, 114, 12, rx=6, ry=6, fillColor=BONE, strokeColor=black, strokeWidth=1.5))
        if i == 1:
            continue
        lamina = [(46, top - 2), (104, top - 2), (112, top - 18), (100, top - 38), (50, top - 38), (38, top - 18)]
        g.add(_smooth(lamina, fillColor=BONE, strokeColor=black, strokeWidth=1.5))
        g.add(Rect(68, top - 44, 14, 40, rx=7, ry=7, fillColor=BONE, strokeColor=black, strokeWidth=1.5))
    g.add(Rect(56, window_low, 38, window_top - window_low, rx=10, ry=10, fillColor=NERVE, strokeColor=black,
               strokeWidth=1.2))
    for x in (63, 71, 79, 87):
        g.add(Line(x, window_low + 6, x, window_top - 6, strokeWidth=1, strokeColor=black))
    g.add(Rect(40, window_low - 2, 70, window_top - window_low + 4, rx=12, ry=12, fillColor=None,
               strokeColor=black, strokeWidth=2, strokeDashArray=[5, 3]))
    points = {"removed": (110, tops[1] - 30), "nerves": (92, tops[1] - 6)}
    if fused:
        # the bone laid in the gap beside each rod, between the lower two bones, where new bone grows
        # and joins them: speckled like bone chips, so it reads apart from the bones and the rod
        gap_top, gap_low = tops[1] - 24, tops[2] - 12
        for left in (18, 110):
            g.add(Rect(left, gap_low - 2, 22, gap_top - gap_low + 4, rx=5, ry=5, fillColor=BONE, strokeColor=black,
                       strokeWidth=1.2))
            for n, y in enumerate(range(int(gap_low) + 4, int(gap_top) - 1, 5)):
                for x in range(left + 3 + 2 * (n % 2), left + 21, 5):
                    g.add(Circle(x, y, 1.2, fillColor=LIGAMENT, strokeColor=None))
        for x in (30, 120):
            g.add(Line(x, tops[1] - 18, x, tops[2] - 18, strokeWidth=7, strokeColor=black, strokeLineCap=1))
            for top in tops[1:]:
                g.add(Circle(x, top - 18, 8, fillColor=white, strokeColor=black, strokeWidth=2.5))
                g.add(Line(x - 5, top - 18, x + 5, top - 18, strokeWidth=2))
        points |= {"screws": (126, tops[2] - 18), "rod": (120, (tops[1] + tops[2]) / 2 - 18),
                   "joined": (131, tops[1] - 24), "grown": (129, (gap_top + gap_low) / 2),
                   "rod above graft": (120, tops[1] - 30)}
    g.translate(-16, 0)  # the bones run from 18 to 132 across
    return Art(Group(g), 118, height, {name: (x - 16, y) for name, (x, y) in points.items()})


SURGERY_PANELS = {
    "decompression": Panel(
        N_("Decompression"), _back(False),
        [(N_("bone and ligament taken out"), "removed", "right"), (N_("nerves have room"), "nerves", "right")],
    ),
    "fusion": Panel(
        N_("Decompression and fusion"), _back(True),
        [(N_("joined bones"), "joined", "right"), (N_("rod"), "rod", "right"), (N_("screws"), "screws", "right")],
    ),
}
# After a fusion the patient had both operations: what was taken out, and what holds the bones
# together, in two panels, each part named on its own.
FUSION_STEPS = [
    Panel(
        N_("What was taken out"), _back(False),
        [(N_("bone and ligament taken out"), "removed", "right"), (N_("nerves have room"), "nerves", "right")],
    ),
    Panel(
        N_("What holds the bones together"), _back(True),
        [(N_("the bones grow together"), "grown", "right"), (N_("rod"), "rod above graft", "right"),
         (N_("screws"), "screws", "right")],
    ),
]
SURGERY_ALTS = {
    "decompression": N_(
        "Drawing of the lower spine seen from the back after a decompression: some bone and ligament are "
        "taken out, so the nerves have room."
    ),
    "fusion": N_(
        "Two drawings of the lower spine seen from the back after a decompression and fusion. What was taken "
        "out: some bone and ligament, so the nerves have room. What holds the bones together: screws and a rod "
        "on each side join two bones, and new bone grows in the space between them, so the bones grow together."
    ),
}


def surgery(size: float = 13, only: str = "") -> Markup:
    """What each operation does: decompression takes out bone and ligament; a fusion also joins bones.
    With `only`, the one operation a patient had: a decompression as wide as itself, to stand beside
    the text of the sheet after it; a fusion the width of the page, in two panels (what was taken
    out, what holds the bones together), large enough for its five labels to stand apart."""
    if only == "decompression":
        return _layout([SURGERY_PANELS[only]], size, side_by_side=True, max_scale=0.8, alt=SURGERY_ALTS[only], fit=True)
    if only == "fusion":
        # the drawing grows with its labels (in large print as far as the page allows), so they keep their spacing
        return _layout(FUSION_STEPS, size, side_by_side=True, max_scale=0.5 * size / 13, alt=SURGERY_ALTS[only])
    if only:
        raise TemplateRuntimeError(f"figure 'surgery': only= is {only!r}; it may be {' or '.join(SURGERY_PANELS)}")
    alt = N_(
        "Two drawings of the lower spine seen from the back. Decompression: some bone and ligament are taken "
        "out, so the nerves have room. Decompression and fusion: the same, and screws and a rod on each side "
        "join two bones together."
    )
    return _layout(list(SURGERY_PANELS.values()), size, side_by_side=True, max_scale=0.85, alt=alt)


# --- Where the injection goes -------------------------------------------------------------------


NEEDLE_TIP = (86.0, 67.5)  # in the space behind the nerves, between them (to 80) and the gap's ligament (from 92)
NEEDLE_SLOPE = 0.22  # it comes up a little from behind and below, as an epidural needle does


def _midline() -> Art:
    """The lower spine cut down its middle and seen from the side, front to the left, for the shot:
    bones and discs in front; the canal with the sac of nerves (which runs on past the bones) and
    the space around it; behind, each bone's arch, with a gap between one arch and the next that a
    ligament closes. The needle comes in from the back through the lower gap, between two bones and
    through the ligament, and its tip stops in the space behind the nerves, short of them; the
    medicine spreads in that space, behind the nerves and around to their front."""
    step = BODY_H + DISC_H
    height = 3 * step - DISC_H + 30  # 14 more on top: the nerves show above the bones
    tops = [height - 22 - i * step for i in range(3)]
    g = Group()
    sac = Rect(60, -2, 20, height + 4, fillColor=NERVE, strokeColor=black, strokeWidth=1.2)
    g.add(sac)
    for x in (65, 70, 75):
        g.add(Line(x, 0, x, height, strokeWidth=0.8))
    bones: list[Shape] = []
    ligaments: list[Shape] = []
    for i, top in enumerate(tops):
        bones.append(Rect(0, top - BODY_H, 54, BODY_H, rx=6, ry=6, fillColor=BONE, strokeColor=black, strokeWidth=1.5))
        if i < 2:  # the disc below, and the ligament in the gap between this arch and the next
            high, low = top - BODY_H, tops[i + 1]
            disc = [(54, high - t * DISC_H) for t in _sample(8)]
            disc += [(1 - 3 * _bump(t), low + t * DISC_H) for t in _sample(8)]
            g.add(Polygon(_flat(disc), fillColor=white, strokeColor=black, strokeWidth=1.5))
            ligaments.append(Rect(92, top - 58, 8, 28, fillColor=LIGAMENT, strokeColor=black, strokeWidth=1))
        arch = [(95, top + 2), (107, top + 4), (117, top - 2), (149, top - 6), (157, top - 12), (155, top - 24),
                (143, top - 28), (117, top - 28), (107, top - 34), (95, top - 32)]
        bones.append(Polygon(_flat(arch), fillColor=BONE, strokeColor=black, strokeWidth=1.5))
    discs = [shape for shape in g.contents if isinstance(shape, Polygon)]
    for shape in ligaments + bones:
        g.add(shape)
    # the medicine: dots in the space around the nerves, behind them (where the tip is) and in front
    tx, ty = NEEDLE_TIP
    clouds = [Rect(80.5, ty - 32, 11, 76), Rect(54.5, ty - 26, 5.5, 60)]
    for cloud in clouds:
        for y in range(int(cloud.y) + 2, int(cloud.y + cloud.h) - 1, 4):
            for x in range(int(cloud.x) + 2, int(cloud.x + cloud.w), 4):
                dot_x = x + (y % 8) / 4
                if abs(y - (ty - (dot_x - tx) * NEEDLE_SLOPE)) > 3 or dot_x < tx - 3:  # not on the needle
                    g.add(Circle(dot_x, y, 1.3, fillColor=black, strokeColor=None))
    end = (tx + 106, ty - 106 * NEEDLE_SLOPE)
    hub = (end[0] + 14, end[1] - 14 * NEEDLE_SLOPE)
    needle = [Line(*NEEDLE_TIP, *end, strokeWidth=3, strokeLineCap=1), Line(*end, *hub, strokeWidth=11)]
    for shape in needle:
        g.add(shape)
    points = {
        "disc": (26, tops[0] - BODY_H - DISC_H / 2),
        "bone": (26, tops[2] - BODY_H / 2),
        "nerves": (70, height - 8),
        "medicine": (tx, ty + 40),
        "needle": (tx + 86, ty - 86 * NEEDLE_SLOPE),
        "tip": NEEDLE_TIP,
    }
    parts = {"disc": discs, "bone": bones, "nerves": [sac], "medicine": clouds, "needle": needle,
             "ligament": ligaments}
    vias = {"medicine": (98, tops[1] + 12)}  # in through the upper gap
    return Art(Group(g), hub[0] + 2, height, points, parts, vias)


def injection(size: float = 13) -> Markup:
    """Where an epidural shot goes, seen from the side: the needle passes between two bones and
    through the ligament that joins them, and stops in the space around the nerves."""
    labels = [(N_("disc"), "disc", "left"), (N_("bone"), "bone", "left"), (N_("nerves"), "nerves", "right"),
              (N_("medicine"), "medicine", "right"), (N_("needle"), "needle", "right")]
    alt = N_(
        "Drawing of the lower spine seen from the side. A thin needle comes in from the back, between two "
        "bones and through the ligament that joins them. Its tip stops in the space around the nerves, "
        "without touching them, and the medicine spreads around the nerves."
    )
    return _layout([Panel("", _midline(), labels)], size, side_by_side=True, max_scale=0.9, alt=alt)


# --- Why leaning forward helps -------------------------------------------------------------

PERSON = "#7f7f7f"
FAR_SIDE = "#bfbfbf"  # the arm and leg on the far side, behind the body


LIMBS = [("hip", "knee", 12), ("knee", "foot", 11), ("hip", "shoulder", 16), ("shoulder", "elbow", 9),
         ("elbow", "hand", 8)]
FAR_LIMBS = [("hip", "knee2", 12), ("knee2", "foot2", 11), ("shoulder", "elbow2", 9), ("elbow2", "hand2", 8)]


def _body(joints: dict[str, tuple[float, float]], colour=PERSON) -> Group:
    """A person seen from the side, drawn like a sign: thick round-ended limbs and a round head.
    `joints` names head, shoulder, elbow, hand, hip, knee, foot (the heel) and, if not straight ahead
    to the left, toe. A walking person's far arm and leg (elbow2, hand2, knee2, foot2, toe2), when
    given, are drawn first and lighter, so they read as behind."""
    g = Group()
    for limbs, end, shade in ((FAR_LIMBS, "2", FAR_SIDE), (LIMBS, "", colour)):
        for a, b, width in limbs:
            if end == "" or b in joints:
                g.add(Line(*joints[a], *joints[b], strokeWidth=width, strokeColor=shade, strokeLineCap=1))
        if "foot" + end in joints:
            fx, fy = joints["foot" + end]
            toe = joints.get("toe" + end, (fx - 12, fy))
            g.add(Line(fx, fy, *toe, strokeWidth=8, strokeColor=shade, strokeLineCap=1))
    g.add(Circle(*joints["head"], 11, fillColor=colour, strokeColor=None))
    return g


def _cart(x: float) -> Group:
    """A shopping cart, its handle at (x, 98), the basket in front (to the left)."""
    g = Group()
    g.add(Line(x, 98, x - 10, 82, strokeWidth=3, strokeLineCap=1))
    g.add(Line(x - 4, 98, x + 6, 98, strokeWidth=5, strokeLineCap=1))
    g.add(Polygon([x - 80, 84, x - 6, 84, x - 14, 44, x - 72, 44], fillColor=white, strokeWidth=2.5))
    for i in range(1, 4):
        gx = x - 80 + i * 18.5
        g.add(Line(gx, 84, gx - 2 + i * 0.5, 44, strokeWidth=1.2))
    g.add(Line(x - 14, 44, x - 14, 16, strokeWidth=2.5))
    g.add(Line(x - 72, 44, x - 66, 16, strokeWidth=2.5))
    g.add(Line(x - 70, 16, x - 10, 16, strokeWidth=2.5))
    for wx in (x - 64, x - 20):
        g.add(Circle(wx, 8, 7, fillColor=white, strokeWidth=2.5))
    return g


STANDING = {"head": (134, 173), "shoulder": (134, 150), "elbow": (132, 124), "hand": (130, 100),
            "hip": (134, 96), "knee": (134, 50), "foot": (136, 6)}
LEANING = {"head": (92, 152), "shoulder": (106, 136), "elbow": (96, 114), "hand": (84, 98), "hip": (140, 94),
           "knee": (136, 50), "foot": (140, 6)}


def _posture(lean: bool) -> Art:
    """A person standing straight, or leaning forward on a shopping cart, with a close-up of the
    lower spine beside them: the canal narrower when standing, wider when leaning."""
    joints = LEANING if lean else STANDING
    g = Group()
    if lean:
        g.add(_cart(84))
    g.add(_body(joints))
    (hx, hy), (sx, sy) = joints["hip"], joints["shoulder"]
    length = math.hypot(sx - hx, sy - hy)
    back = ((sy - hy) / length, -(sx - hx) / length)  # at right angles to the trunk, towards the back
    cx, cy = hx + (sx - hx) * 0.3 + back[0] * 4, hy + (sy - hy) * 0.3 + back[1] * 4
    g.add(Circle(cx, cy, 13, fillColor=None, strokeColor=black, strokeWidth=2.5))
    close = _side(0.0 if lean else 0.85, levels=2)
    scale, left, bottom = 1.5, 170.0, 4.0
    frame_w, frame_h = close.width * scale + 12, close.height * scale + 8
    g.add(Line(cx + 9, cy + 9, left, bottom + frame_h, strokeWidth=1.5))
    g.add(Line(cx + 9, cy - 9, left, bottom, strokeWidth=1.5))
    g.add(Rect(left, bottom, frame_w, frame_h, rx=8, ry=8, fillColor=white, strokeColor=black, strokeWidth=2.5))
    close.group.transform = (scale, 0, 0, scale, left + 6, bottom + 4)
    g.add(close.group)
    trim = 2.0 if lean else min(x for x, _ in joints.values()) - 16  # no room for a cart that is not there
    g.translate(-trim, 0)
    points = {name: (left + 6 + x * scale - trim, bottom + 4 + y * scale) for name, (x, y) in close.points.items()}
    return Art(Group(g), left + frame_w + 2 - trim, max(186, bottom + frame_h + 2), points)


def leaning(size: float = 13) -> Markup:
    """Standing straight narrows the canal; bending forward (the shopping-cart posture) opens it.
    Side by side in standard print; in large print the labels would leave the drawings too small in
    a row, so there they stand one under another, larger."""
    panels = [
        Panel(N_("Standing up straight"), _posture(False),
              [(N_("narrower canal"), "canal", "right"), (N_("squeezed nerves"), "nerves", "right")]),
        Panel(N_("Leaning forward on a cart"), _posture(True),
              [(N_("wider canal"), "canal", "right"), (N_("nerves have room"), "nerves", "right")]),
    ]
    alt = N_(
        "Two drawings. Standing up straight, the canal for the nerves in the lower back is narrower and the "
        "nerves are squeezed. Leaning forward on a shopping cart, the canal is wider and the nerves have room."
    )
    return _layout(panels, size, side_by_side=size < 16, max_scale=0.58, alt=alt)


# --- Walk, rest, walk on; and what to lean on while walking -----------------------------------
# Every person here is 186 units tall, feet on the ground at 0, so the panels of a row stand level.

WALKING = {"head": (60, 172), "shoulder": (56, 150), "hip": (52, 96), "knee": (66, 54), "foot": (76, 8),
           "toe": (88, 8), "elbow": (48, 124), "hand": (40, 104), "knee2": (40, 54), "foot2": (28, 14),
           "toe2": (38, 4), "elbow2": (64, 124), "hand2": (74, 106)}
SITTING = {"head": (66, 122), "shoulder": (52, 104), "hip": (26, 58), "knee": (70, 60), "foot": (72, 8),
           "toe": (84, 8), "elbow": (64, 80), "hand": (76, 66)}
BENDING = {"head": (178, 146), "shoulder": (164, 132), "hip": (132, 96), "knee": (138, 52), "foot": (134, 8),
           "toe": (146, 8), "elbow": (160, 104), "hand": (150, 78)}


def _ground(x1: float, x2: float) -> Line:
    return Line(x1, 0, x2, 0, strokeWidth=4, strokeColor=GREY, strokeLineCap=1)


def _walking_art() -> Art:
    body = _body(WALKING)
    body.translate(14, 0)  # in the middle of a panel wide enough for its title
    return Art(Group(_ground(0, 136), body), 136, 186, {})


def _resting_art() -> Art:
    """Sitting on a bench bent forward, and standing bent forward with the hands on the thighs."""
    bench = Group(
        Line(2, 48, 58, 48, strokeWidth=6, strokeLineCap=1), Line(8, 48, 8, 0, strokeWidth=3),
        Line(52, 48, 52, 0, strokeWidth=3), Line(4, 48, 4, 100, strokeWidth=4, strokeLineCap=1),
    )
    return Art(Group(_ground(0, 196), bench, _body(SITTING), _body(BENDING)), 196, 186, {})


def walk_rest_walk(size: float = 13) -> Markup:
    """The walking plan as three pictures: walk until the legs hurt, rest sitting or bent forward, walk on."""
    panels = [
        Panel(N_("1. Walk"), _walking_art(), []),
        Panel(N_("2. Rest: sit or lean forward"), _resting_art(), []),
        Panel(N_("3. Walk on"), _walking_art(), []),
    ]
    alt = N_(
        "Three drawings in a row, with arrows between them. 1: a person walks. 2: the person rests, sitting "
        "on a bench bent forward, or standing bent forward with the hands on the thighs. 3: the person walks on."
    )
    return _layout(panels, size, side_by_side=True, max_scale=0.55, alt=alt, joined=True)


POLES = {"head": (66, 164), "shoulder": (78, 144), "hip": (98, 94), "knee": (84, 52), "foot": (80, 8),
         "elbow": (66, 120), "hand": (52, 104), "knee2": (108, 52), "foot2": (118, 14), "toe2": (106, 4),
         "elbow2": (88, 118), "hand2": (76, 102)}
WALKER = {"head": (78, 152), "shoulder": (92, 136), "hip": (124, 94), "knee": (120, 50), "foot": (124, 8),
          "elbow": (80, 114), "hand": (68, 98)}


def _poles_art() -> Art:
    g = Group(_ground(0, 150))
    g.add(Line(78, 116, 58, 0, strokeWidth=3, strokeColor=FAR_SIDE, strokeLineCap=1))  # the far pole, behind
    g.add(_body(POLES))
    g.add(Line(54, 118, 30, 0, strokeWidth=3, strokeLineCap=1))
    return Art(g, 150, 186, {})


def _walker_frame_art() -> Art:
    frame = Group(
        Line(24, 98, 70, 98, strokeWidth=5, strokeLineCap=1),
        Line(28, 98, 22, 12, strokeWidth=3.5), Line(66, 98, 70, 0, strokeWidth=3.5),
        Line(24, 50, 68, 50, strokeWidth=2.5), Circle(22, 7, 7, fillColor=white, strokeWidth=2.5),
    )
    return Art(Group(_ground(0, 150), frame, _body(WALKER)), 150, 186, {})


def walking_aids(size: float = 13) -> Markup:
    """What a person can lean on while walking: a shopping cart, walking poles, a walker."""
    cart = Art(Group(_ground(0, 156), _cart(84), _body(LEANING)), 156, 186, {})
    panels = [
        Panel(N_("Shopping cart"), cart, []),
        Panel(N_("Walking poles"), _poles_art(), []),
        Panel(N_("Walker"), _walker_frame_art(), []),
    ]
    alt = N_(
        "Three drawings of a person walking bent a little forward: leaning on a shopping cart, "
        "leaning on a walking pole in each hand, and leaning on a walker."
    )
    return _layout(panels, size, side_by_side=True, max_scale=0.5, alt=alt)


# --- Lifting safely after surgery -----------------------------------------------------------------

LIFTING = {"head": (120, 150), "shoulder": (124, 128), "elbow": (114, 104), "hand": (94, 98), "hip": (136, 76),
           "knee": (98, 54), "foot": (114, 8), "toe": (100, 8)}


def _milk_jug(x: float, y: float) -> Group:
    """A gallon jug of milk standing at (x, y), its handle at the top right, where the hand holds it."""
    return Group(
        Rect(x, y, 30, 38, rx=5, ry=5, fillColor=white, strokeColor=black, strokeWidth=2.5),
        Rect(x + 4, y + 38, 12, 8, rx=2, ry=2, fillColor=GREY, strokeColor=black, strokeWidth=2),
        Polygon([x + 18, y + 38, x + 18, y + 44, x + 30, y + 44, x + 30, y + 30], fillColor=None, strokeColor=black,
                strokeWidth=3),
    )


def lifting(size: float = 13) -> Markup:
    """How to lift the most the team allows (a gallon of milk): knees bent, back straight, the load
    held close to the body, so the back does not bend over or reach. As wide as itself, to stand
    beside the lifting step."""
    g = Group(_ground(50, 160), _milk_jug(66, 58), _body(LIFTING))
    art = Art(g, 170, 164, {"knees": (98, 54), "back": (132, 100), "jug": (70, 78)})
    labels = [(N_("Hold it close to your body"), "jug", "left"), (N_("Bend your knees"), "knees", "left"),
              (N_("Keep your back straight"), "back", "right")]
    alt = N_(
        "Drawing of a person lifting a gallon of milk: knees bent, back straight, and the jug held close "
        "to the body."
    )
    panel = Panel(N_("Lifting safely"), art, labels)
    return _layout([panel], size, side_by_side=True, max_scale=0.7, alt=alt, fit=True)


# --- Exercises that bend the back forward and make the core stronger ---------------------------


def _arrow(x1: float, y1: float, x2: float, y2: float) -> Group:
    """A short arrow showing which way to move."""
    length = math.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    head = [x2, y2, x2 - ux * 9 - uy * 6, y2 - uy * 9 + ux * 6, x2 - ux * 9 + uy * 6, y2 - uy * 9 - ux * 6]
    return Group(Line(x1, y1, x2 - ux * 6, y2 - uy * 6, strokeWidth=3, strokeLineCap=1),
                 Polygon(head, fillColor=black, strokeColor=black, strokeWidth=1))


def _floor(x1: float, x2: float) -> Line:
    return Line(x1, -2, x2, -2, strokeWidth=4, strokeColor=GREY)


def _knees_to_chest() -> Group:
    joints = {"head": (20, 14), "shoulder": (40, 12), "elbow": (58, 36), "hand": (80, 54), "hip": (104, 12),
              "knee": (80, 54), "foot": (112, 62), "toe": (114, 76)}
    return Group(_floor(0, 190), _body(joints), _arrow(140, 70, 116, 46))


def _pelvic_tilt() -> Group:
    joints = {"head": (20, 14), "shoulder": (40, 12), "elbow": (68, 7), "hand": (94, 7), "hip": (108, 12),
              "knee": (140, 48), "foot": (168, 5), "toe": (182, 8)}
    return Group(_floor(0, 190), _body(joints), _arrow(86, 50, 86, 26))


def _sitting_bend() -> Group:
    chair = Group(
        Line(104, 0, 104, 44, strokeWidth=3), Line(150, 0, 150, 104, strokeWidth=3),
        Line(100, 46, 154, 46, strokeWidth=5, strokeLineCap=1),
    )
    joints = {"head": (66, 84), "shoulder": (84, 78), "elbow": (74, 56), "hand": (70, 32), "hip": (130, 56),
              "knee": (90, 56), "foot": (90, 5)}
    return Group(_floor(30, 190), chair, _body(joints), _arrow(104, 122, 72, 108))


def _bike() -> Group:
    bike = Group(
        Line(24, 2, 150, 2, strokeWidth=5, strokeLineCap=1),
        Line(52, 2, 60, 30, strokeWidth=4), Line(136, 2, 122, 58, strokeWidth=4),
        Line(60, 30, 122, 40, strokeWidth=4), Line(60, 30, 58, 90, strokeWidth=4),
        Line(48, 92, 62, 92, strokeWidth=5, strokeLineCap=1),
        Line(112, 62, 134, 62, strokeWidth=6, strokeLineCap=1),
        Circle(60, 30, 22, fillColor=white, strokeWidth=3),
        Circle(98, 34, 10, fillColor=None, strokeWidth=2.5),
    )
    joints = {"head": (74, 126), "shoulder": (90, 112), "elbow": (70, 100), "hand": (56, 92), "hip": (124, 72),
              "knee": (96, 74), "foot": (102, 28), "toe": (90, 26)}
    return Group(_floor(0, 190), bike, _body(joints))


EXERCISES = [
    (N_("Knees to chest"), N_("Lie on your back. Pull both knees up to your chest."), _knees_to_chest),
    (N_("Pelvic tilt"), N_("Lie on your back with your knees bent. Tighten your belly and press your lower back "
     "flat to the floor."), _pelvic_tilt),
    (N_("Sitting forward bend"), N_("Sit in a chair. Slowly bend forward toward your knees."), _sitting_bend),
    (N_("Exercise bike"), N_("Ride a bike that stays in place. You sit bent a little forward."), _bike),
]


def exercises(size: float = 13) -> Markup:
    """Four moves in a grid, each a drawing, a name and what to do, for the therapist to go over: all
    four in a row when a column still holds about 15 characters a line (standard print), else two by two."""
    gap, art_w = 20.0, 190.0
    cols = 4 if (WIDTH - 3 * gap) / 4 >= size * 7.5 else 2
    cell = (WIDTH - gap * (cols - 1)) / cols
    scale = min(0.72, cell / art_w)
    arts = [draw() for _, _, draw in EXERCISES]
    texts = [(wrap(name, size, cell, BOLD), wrap(how, size, cell)) for name, how, _ in EXERCISES]
    groups = [range(start, min(start + cols, len(arts))) for start in range(0, len(arts), cols)]
    rows = [(max(arts[i].getBounds()[3] for i in group) * scale + 8,
             max(len(texts[i][0]) + len(texts[i][1]) for i in group) * size * 1.2 + size) for group in groups]
    d = Drawing(WIDTH, sum(a + t for a, t in rows))
    for i, (art, (name, how)) in enumerate(zip(arts, texts, strict=True)):
        row, col = divmod(i, cols)
        x, top = col * (cell + gap), d.height - sum(a + t for a, t in rows[:row])
        art_h = rows[row][0]
        art.transform = (scale, 0, 0, scale, x, top - art_h + 4)
        d.add(art)
        y = top - art_h
        for n, line in enumerate(name + how):
            y -= size * 1.2
            d.add(String(x, y + size * 0.25, line, fontName=BOLD if n < len(name) else REGULAR, fontSize=size))
    moves = " ".join(f"{_(name)}: {_(how)}" for name, how, _draw in EXERCISES)
    alt = _("Four exercises: {moves}").format(moves=moves)
    return to_svg(d, alt)


# --- The stepwise decision pathway ----------------------------------------------------------

PATHWAY_STEPS = (
    N_("Notice the pattern"),
    N_("Exam by your doctor"),
    N_("MRI scan"),
    N_("2 to 8 weeks of care without surgery"),
    N_("Better? Keep going"),
    N_("Not better? 1 or 2 epidural shots"),
    N_("Relief wore off? Talk about surgery"),
    N_("Decide about surgery"),
)
BETTER, NOT_BETTER = 5, 6  # the two ways on after step 4: alternatives, not one after the other


def _box_arrow(d: Drawing, x1: float, y1: float, x2: float, y2: float) -> None:
    """A straight arrow between the plan's boxes, from (x1, y1) to (x2, y2), horizontal or vertical."""
    d.add(Line(x1, y1, x2 - 6 * (x2 > x1) + 6 * (x2 < x1), y2 + 6 * (y2 < y1) - 6 * (y2 > y1), strokeWidth=2))
    if y1 == y2:
        sign = 1 if x2 > x1 else -1
        points = [x2, y2, x2 - 8 * sign, y2 + 4, x2 - 8 * sign, y2 - 4]
    else:
        sign = 1 if y2 > y1 else -1
        points = [x2, y2, x2 - 4, y2 - 8 * sign, x2 + 4, y2 - 8 * sign]
    d.add(Polygon(points, fillColor=black, strokeColor=black))


def pathway(step: int | None = None, size: float = 13) -> Markup:
    """Steps 1 to 4 in a row; after step 4 the path splits: 5 (better: keep going) or 6 (not
    better: shots), and 6 leads on to 7 and 8. This visit's step is filled black, "You are here"."""
    cols, gap = 4, 16
    box_w = (WIDTH - gap * (cols - 1)) / cols

    def lines(i: int, text: str) -> list[str]:
        font = BOLD if i == step else REGULAR
        here = wrap(N_("You are here"), size, box_w - 12, BOLD) if i == step else []
        return here + wrap(f"{i}. {_(text)}", size, box_w - 12, font)

    # each row's boxes as tall as its longest text (the black "You are here" box is the longest)
    box_hs = [max(len(lines(i, PATHWAY_STEPS[i - 1])) for i in range(first, first + cols)) * size * 1.2 + 10
              for first in (1, cols + 1)]
    row_gap = size * 2.2  # room for the fork and, under it, its two labels
    d = Drawing(WIDTH, sum(box_hs) + row_gap + 4)
    tops = (d.height - 2, d.height - 2 - box_hs[0] - row_gap)
    for i, text in enumerate(PATHWAY_STEPS, 1):
        row, col = divmod(i - 1, cols)
        x, top, box_h = col * (box_w + gap), tops[row], box_hs[row]
        here = i == step
        d.add(Rect(x, top - box_h, box_w, box_h, rx=6, ry=6, strokeWidth=3 if here else 1.2,
                   fillColor=black if here else white, strokeColor=black))
        texts = lines(i, text)
        # a word longer than the box's line ("inyecciones" in bold at 18 pt) takes some of its margin, not the edge
        inset = min(6.0, (box_w - max(string_width(t, BOLD if here else REGULAR, size) for t in texts)) / 2)
        for n, line in enumerate(texts, 1):
            d.add(String(x + inset, top - 2 - n * size * 1.2, line, fontName=BOLD if here else REGULAR, fontSize=size,
                         fillColor=white if here else black))
        if col < cols - 1 and i != BETTER:  # 5 is a way of its own: no arrow from it to 6
            ay = top - box_h / 2
            _box_arrow(d, x + box_w + 2, ay, x + box_w + gap - 2, ay)
    # The fork: down from step 4, across, and down into step 5 ("better") and step 6 ("not better").
    fork_y = tops[1] + size * 1.45  # just over the labels' capitals
    x4 = 3 * (box_w + gap) + box_w / 2
    x5, x6 = box_w / 2, box_w + gap + box_w / 2
    d.add(Line(x4, tops[0] - box_hs[0] - 2, x4, fork_y, strokeWidth=2))
    d.add(Line(x4, fork_y, x5, fork_y, strokeWidth=2))
    _box_arrow(d, x5, fork_y, x5, tops[1] + 2)
    _box_arrow(d, x6, fork_y, x6, tops[1] + 2)
    for x, label in ((x5, _("If better")), (x6, _("If not better"))):
        d.add(String(x + 6, tops[1] + 6, label, fontName=BOLD, fontSize=size))
    step_text = _("step {number}: {text}")
    steps = "; ".join(step_text.format(number=i, text=_(s)) for i, s in enumerate(PATHWAY_STEPS, 1))
    alt = _(
        "The usual steps for leg pain when walking: {steps}. After step 4 there are two ways on: "
        "if you are better, step 5; if not, step 6, then 7 and 8."
    ).format(steps=steps)
    if step:
        alt += " " + _("You are here: step {number}, {text}.").format(number=step, text=_(PATHWAY_STEPS[step - 1]))
    return to_svg(d, alt)


# --- Recovery timeline after surgery ------------------------------------------------------------


def recovery(timeline: list[dict], size: float = 13) -> Markup:
    """The visit type's recovery timeline as the rows `render.timeline_rows` makes of it, one under
    another beside a track: a bar for a step that lasts days, a dot for a single day. With a surgery
    date each step carries its dates, and the "today" row a pointer on the track: the track and the
    steps begun solid, the steps to come open and the track to them dashed, so a patient sees where they are."""
    heads = (_("When"), _("What most people can do"))
    here = _("You are here.")
    line, gap, pad = size * 1.2, size * 0.55, 6.0  # pad: the "today" frame's room around its text
    when_w = WIDTH * 0.34
    track_x = pad + when_w + size * 1.6
    what_x = track_x + size * 1.6
    today = next((i for i, row in enumerate(timeline) if row["today"]), None)

    def lines(x: float, width: float, text: str, font: str) -> list[tuple[float, str, str]]:
        return [(x, piece, font) for piece in wrap(text, size, width, font)]

    rows = []  # each row's text: a column of lines under "When", one under "What"
    for row in timeline:
        if row["today"]:
            rows.append((lines(pad, when_w, f"{row['when']}, {row['dates']}", BOLD),
                         lines(what_x, WIDTH - what_x - pad, here, BOLD)))
        else:
            when = lines(pad, when_w, row["when"], BOLD) + lines(pad, when_w, row["dates"], REGULAR)  # none: no line
            rows.append((when, lines(what_x, WIDTH - what_x - pad, row["what"], REGULAR)))
    heights = [max(len(when), len(what)) * line + gap for when, what in rows]
    head_h = line + size * 0.6
    d = Drawing(WIDTH, head_h + sum(heights) + 4)
    top = d.height - 2
    for x, text in ((pad, heads[0]), (what_x, heads[1])):
        d.add(String(x, top - line + size * 0.25, text, fontName=BOLD, fontSize=size))
    top -= head_h
    d.add(Line(0, top + size * 0.3, WIDTH, top + size * 0.3, strokeWidth=1))
    tops = [top - sum(heights[:i]) for i in range(len(heights))]
    first, last = tops[0] - line / 2, tops[-1] - heights[-1] + gap
    split = tops[today] - line / 2 if today is not None else last
    d.add(Line(track_x, first, track_x, split, strokeWidth=3, strokeLineCap=1))
    if split > last:
        d.add(Line(track_x, split, track_x, last, strokeWidth=2, strokeDashArray=[4, 4]))
    for i, row in enumerate(timeline):
        row_top, height = tops[i], heights[i]
        for column in rows[i]:
            for n, (x, text, font) in enumerate(column, 1):
                d.add(String(x, row_top - n * line + size * 0.25, text, fontName=font, fontSize=size))
        mid = row_top - line / 2
        if row["today"]:
            d.add(Rect(1.5, row_top - height + gap / 2, WIDTH - 3, height, rx=4, ry=4, fillColor=None, strokeWidth=2.5))
            d.add(Polygon([track_x + 7, mid, track_x - 7, mid + 8, track_x - 7, mid - 8], fillColor=black))
            continue
        fill = black if today is None or i < today else white
        start, end = row["days"]
        if end > start:  # a step that lasts days: a bar down its row
            d.add(Rect(track_x - 5, row_top - height + gap, 10, height - gap - line / 2 + 6, rx=5, ry=5,
                       fillColor=fill, strokeWidth=2))
        else:
            d.add(Circle(track_x, mid, 6, fillColor=fill, strokeWidth=2))
    steps = " ".join(
        f"{row['when']}{', ' + row['dates'] if row['dates'] else ''}: {here if row['today'] else row['what']}"
        for row in timeline
    )
    return to_svg(d, _("Recovery timeline, step by step. {steps}").format(steps=steps))


FIGURES: dict[str, Callable[..., Markup]] = {
    "exercises": exercises,
    "injection": injection,
    "leaning": leaning,
    "lifting": lifting,
    "pathway": pathway,
    "recovery": recovery,
    "spine-side": spine_side,
    "spine-section": spine_section,
    "surgery": surgery,
    "walk-rest-walk": walk_rest_walk,
    "walking-aids": walking_aids,
}


# Recovery timelines as `render.timeline_rows` makes them, one through each way the drawing has: no
# dates (no surgery date), dots and bars, a long text that wraps; and with dates, the "today" row, the
# steps begun solid and those to come open. They are in the versions of the texts that draw the
# timeline (versions.py): a change here is a change of those versions.
SAMPLE_TIMELINES = (
    [
        {"today": False, "when": "Day of surgery", "dates": "", "what": "Walk with help.", "days": (0, 0)},
        {"today": False, "when": "Weeks 1 to 2", "dates": "",
         "what": "Short walks several times a day; no lifting, bending or twisting.", "days": (1, 14)},
        {"today": False, "when": "3 to 6 months", "dates": "", "what": "Most daily activities.", "days": (90, 180)},
    ],
    [
        {"today": False, "when": "Day of surgery", "dates": "Mar 10", "what": "Walk with help.", "days": (0, 0)},
        {"today": False, "when": "Weeks 1 to 2", "dates": "Mar 11 to Mar 24",
         "what": "Short walks several times a day; no lifting, bending or twisting.", "days": (1, 14)},
        {"today": True, "when": "Today", "dates": "Mar 14", "what": "", "days": (4, 4)},
        {"today": False, "when": "Week 6", "dates": "Apr 21", "what": "Follow-up visit.", "days": (42, 42)},
        {"today": False, "when": "3 to 6 months", "dates": "Jun 10 to Sep 10", "what": "Most daily activities.",
         "days": (90, 180)},
    ],
)


def variants(name: str) -> list[dict[str, Any]]:
    """The options of every drawing the figure `name` makes for some handout: each operation of the
    surgery drawing, each step of the pathway marked "You are here", sample recovery timelines (its
    words are a visit type's, drawn as the visit gives them). A figure with no options has one."""
    if name == "surgery":
        return [{}, *({"only": only} for only in SURGERY_PANELS)]
    if name == "pathway":
        return [{"step": step} for step in (None, *range(1, len(PATHWAY_STEPS) + 1))]
    if name == "recovery":
        return [{"timeline": timeline} for timeline in SAMPLE_TIMELINES]
    return [{}]


def figure(name: str, size: float, gettext: Callable[[str], str] = str, **options) -> Markup:
    """Draw the named figure at the given text size, its words in the handout's language (`gettext`).
    A name or option a template gets wrong is a template error, which the renderer reports with the
    template's file and line."""
    draw = FIGURES.get(name)
    if draw is None:
        raise TemplateRuntimeError(f"there is no figure {name!r}; the figures are: {', '.join(sorted(FIGURES))}")
    try:
        inspect.signature(draw).bind(size=size, **options)
    except TypeError as exc:
        raise TemplateRuntimeError(f"figure {name!r}: {exc}") from None
    token = _GETTEXT.set(gettext)
    try:
        return draw(size=size, **options)
    finally:
        _GETTEXT.reset(token)


def leaders(name: str, size: float, gettext: Callable[[str], str] = str, **options) -> list[Leader]:
    """The leaders the named figure draws, each in the units of the drawing it points into: to check
    that a drawing's labels end on their own parts (tests/test_figures.py)."""
    drawn: list[Leader] = []
    token = _LEADERS.set(drawn)
    try:
        figure(name, size, gettext, **options)
    finally:
        _LEADERS.reset(token)
    return drawn
