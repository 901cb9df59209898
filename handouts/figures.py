"""Vector figures drawn with reportlab's graphics and placed in the HTML as inline SVG.

One mechanism for every figure: a function returns a reportlab `Drawing` measured in points, and
`to_svg` turns it into inline SVG sized in points (so 13 units of font are 13 pt on paper), with
the alternative text as the SVG `<title>` (WeasyPrint ignores aria-label but tags the title).
Figures use the bundled font and only black, white and grey, so they print right in black and white.
"""

import math
import re
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache
from xml.sax.saxutils import escape

from markupsafe import Markup
from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.lib.colors import HexColor, black, white
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from .paths import BUILTIN_ROOT

REGULAR = "Atkinson Hyperlegible"
BOLD = "Atkinson Hyperlegible Bold"
GREY = HexColor("#d9d9d9")
WIDTH = 468.0  # the text column: 8.5 in paper less two 1 in margins, in points
SCALE = 0.75  # the leaning drawings, drawn in 130-unit panels


@cache
def _register_fonts() -> None:
    fonts = BUILTIN_ROOT / "assets" / "fonts"
    pdfmetrics.registerFont(TTFont(REGULAR, str(fonts / "AtkinsonHyperlegible_400Regular.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(fonts / "AtkinsonHyperlegible_700Bold.ttf")))


def wrap(text: str, size: float, width: float, font: str = REGULAR) -> list[str]:
    """Greedy word wrap by the font's real widths."""
    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and pdfmetrics.stringWidth(trial, font, size) <= width:
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
    """Inline SVG sized in points, titled with the alternative text, with no XML prolog or clip."""
    drawing.height = math.ceil(drawing.height)
    svg = renderSVG.drawToString(drawing)
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"\s*<clipPath id=\"clip\">.*?</clipPath>", "", svg, flags=re.S)
    svg = svg.replace(' style="clip-path: url(#clip)"', "")
    size = f'width="{drawing.width}pt" height="{drawing.height}pt"'
    svg = re.sub(r'width="[\d.]+" height="[\d.]+"', size, svg, count=1)
    svg = svg.replace("<title>...</title>", f"<title>{escape(alt)}</title>").replace("<desc>...</desc>", "")
    svg = svg.replace("<svg ", '<svg role="img" ', 1).replace(' id="group"', "")
    return Markup(_STYLE.sub(_attributes, svg))


_STYLE = re.compile(r'style="([^"]*)"')


def _attributes(match: re.Match) -> str:
    """`style="fill: red; stroke:none"` as presentation attributes: WeasyPrint's HTML parser warns
    about SVG properties inside style attributes, but reads the attributes themselves."""
    pairs = (item.split(":", 1) for item in match.group(1).split(";") if ":" in item)
    attrs = " ".join(f'{key.strip()}="{value.strip()}"' for key, value in pairs)
    return attrs.replace(f'font-family="{BOLD}"', f'font-family="{REGULAR}" font-weight="bold"')


# --- Why leaning forward helps -------------------------------------------------------------


def _person(x: float, y: float, lean: bool, size: float) -> Group:
    """A stick figure standing straight, or bent forward over a shopping cart."""
    g = Group()
    hip = (x, y + 60)
    if lean:
        shoulder, head, hand = (x + 26, y + 98), (x + 36, y + 112), (x + 52, y + 74)
        g.add(Rect(x + 52, y + 22, 44, 34, fillColor=GREY, strokeColor=black, strokeWidth=2))
        g.add(Line(x + 52, y + 56, x + 52, y + 76, strokeWidth=2))
        g.add(Circle(x + 60, y + 14, 5, fillColor=white, strokeWidth=2))
        g.add(Circle(x + 90, y + 14, 5, fillColor=white, strokeWidth=2))
    else:
        shoulder, head, hand = (x, y + 104), (x, y + 120), (x + 12, y + 64)
    for x1, y1, x2, y2 in (hip + shoulder, shoulder + hand, hip + (x - 10, y), hip + (x + 10, y)):
        g.add(Line(x1, y1, x2, y2, strokeWidth=3, strokeLineCap=1))
    g.add(Circle(*head, 10, fillColor=white, strokeWidth=3))
    return g


def _canal(x: float, y: float, open_: bool, size: float) -> Group:
    """A close-up of the spinal canal: two walls with the nerve between them."""
    g = Group()
    gap = 30 if open_ else 12
    pinch = 0 if open_ else 8
    mid = y + 55
    left = [x, y + 110, x, mid + 20, x + pinch, mid, x, mid - 20, x, y]
    right = [
        x + gap + 20,
        y + 110,
        x + gap + 20,
        mid + 20,
        x + gap + 20 - pinch,
        mid,
        x + gap + 20,
        mid - 20,
        x + gap + 20,
        y,
    ]
    g.add(PolyLine(left, strokeWidth=6, strokeColor=black))
    g.add(PolyLine(right, strokeWidth=6, strokeColor=black))
    nerve_x = x + (gap + 20) / 2
    g.add(
        Line(
            nerve_x,
            y + 110,
            nerve_x,
            y,
            strokeWidth=4,
            strokeColor=HexColor("#7f7f7f"),
            strokeDashArray=None if open_ else [6, 3],
        )
    )
    g.add(String(x + gap + 30, mid + size * 0.3, "nerve", fontName=REGULAR, fontSize=size))
    g.add(Line(x + gap + 28, mid + size * 0.6, nerve_x + 3, mid + size * 0.6, strokeWidth=1))
    return g


def leaning(size: float = 13) -> Markup:
    """Standing straight narrows the canal; bending forward (the shopping-cart posture) opens it."""
    half = WIDTH / 2
    d = Drawing(WIDTH, 130 * SCALE + 20 + size * 3.8)
    panels = [
        (False, "Standing straight: the tunnel gets narrower and squeezes the nerve."),
        (True, "Leaning forward on a cart: the tunnel opens and the nerve has room."),
    ]
    for i, (lean, caption) in enumerate(panels):
        x0 = i * half
        for part in (_person(0, 0, lean, size / SCALE), _canal(110, 0, lean, size / SCALE)):
            part.translate(x0 + 30, size * 3.8 + 14)
            part.scale(SCALE, SCALE)
            d.add(part)
        block, _ = text_block(x0 + 4, size * 3.6, caption, size, half - 20, BOLD if lean else REGULAR)
        d.add(block)
    d.add(Line(half, 10, half, d.height - 6, strokeWidth=1, strokeColor=GREY))
    alt = (
        "Two drawings. Standing straight, the tunnel for the nerves in the lower back is narrow and squeezes "
        "the nerve. Leaning forward on a shopping cart, the tunnel opens and the nerve has room."
    )
    return to_svg(d, alt)


# --- The stepwise decision pathway ----------------------------------------------------------

PATHWAY_STEPS = (
    "Notice the pattern",
    "Exam by your doctor",
    "MRI scan",
    "2 to 8 weeks of care without surgery",
    "Better? Keep going",
    "Not better? 1 or 2 epidural shots",
    "Shots did not help? Talk about surgery",
    "Decide about surgery",
)
BETTER, NOT_BETTER = 5, 6  # the two ways on after step 4: alternatives, not one after the other


def _arrow(d: Drawing, x1: float, y1: float, x2: float, y2: float) -> None:
    """A straight arrow from (x1, y1) to (x2, y2), horizontal or vertical."""
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
        here = wrap("You are here", size, box_w - 12, BOLD) if i == step else []
        return here + wrap(f"{i}. {text}", size, box_w - 12, font)

    box_h = max(len(lines(i, s)) for i, s in enumerate(PATHWAY_STEPS, 1)) * size * 1.2 + 14
    row_gap = size * 3  # room for the fork and its two labels
    d = Drawing(WIDTH, 2 * box_h + row_gap + 4)
    tops = (d.height - 2, d.height - 2 - box_h - row_gap)
    for i, text in enumerate(PATHWAY_STEPS, 1):
        row, col = divmod(i - 1, cols)
        x, top = col * (box_w + gap), tops[row]
        here = i == step
        d.add(Rect(x, top - box_h, box_w, box_h, rx=6, ry=6, strokeWidth=3 if here else 1.2,
                   fillColor=black if here else white, strokeColor=black))
        for n, line in enumerate(lines(i, text), 1):
            d.add(String(x + 6, top - 4 - n * size * 1.2, line, fontName=BOLD if here else REGULAR, fontSize=size,
                         fillColor=white if here else black))
        if col < cols - 1 and i != BETTER:  # 5 is a way of its own: no arrow from it to 6
            ay = top - box_h / 2
            _arrow(d, x + box_w + 2, ay, x + box_w + gap - 2, ay)
    # The fork: down from step 4, across, and down into step 5 ("better") and step 6 ("not better").
    fork_y = tops[1] + row_gap / 2
    x4 = 3 * (box_w + gap) + box_w / 2
    x5, x6 = box_w / 2, box_w + gap + box_w / 2
    d.add(Line(x4, tops[0] - box_h - 2, x4, fork_y, strokeWidth=2))
    d.add(Line(x4, fork_y, x5, fork_y, strokeWidth=2))
    _arrow(d, x5, fork_y, x5, tops[1] + 2)
    _arrow(d, x6, fork_y, x6, tops[1] + 2)
    for x, label in ((x5, "If better"), (x6, "If not better")):
        d.add(String(x + 6, tops[1] + 6, label, fontName=BOLD, fontSize=size))
    steps = "; ".join(f"step {i}: {s}" for i, s in enumerate(PATHWAY_STEPS, 1))
    where = f" You are here: step {step}, {PATHWAY_STEPS[step - 1]}." if step else ""
    alt = (
        f"The usual steps for leg pain when walking: {steps}. After step 4 there are two ways on: "
        f"if you are better, step 5; if not, step 6, then 7 and 8.{where}"
    )
    return to_svg(d, alt)


# --- Recovery timeline after decompression --------------------------------------------------


def _short(day: date) -> str:
    return f"{day.strftime('%b')} {day.day}"


def recovery_milestones(surgery: date | None) -> list[tuple[str, str]]:
    """(when, what) pairs; with a surgery date, 'when' carries real calendar dates."""
    spans = [
        ("Day of surgery", 0, 0, "Most people walk"),
        ("Next day", 1, 1, "Most people go home"),
        ("2 to 3 weeks", 14, 21, "Most can go back to desk work, when your team says so"),
        ("6 to 8 weeks", 42, 56, "Most can do more physical activities, when your team says so"),
    ]
    milestones = []
    for label, start, end, what in spans:
        if surgery is not None:
            first, last = surgery + timedelta(days=start), surgery + timedelta(days=end)
            label = _short(first) if start == end else f"{label}: {_short(first)} to {_short(last)}"
        milestones.append((label, what))
    return milestones


def recovery(surgery: date | None = None, size: float = 13) -> Markup:
    """Four milestones on a line: walking, home, desk work, more activity."""
    marks = recovery_milestones(surgery)
    col = WIDTH / len(marks)
    when_h = max(len(wrap(w, size, col - 10, BOLD)) for w, _ in marks) * size * 1.2
    what_h = max(len(wrap(t, size, col - 10)) for _, t in marks) * size * 1.2
    height = when_h + what_h + 40
    d = Drawing(WIDTH, height)
    axis = height - when_h - 16
    d.add(Line(6, axis, WIDTH - 10, axis, strokeWidth=3))
    d.add(Polygon([WIDTH, axis, WIDTH - 12, axis + 6, WIDTH - 12, axis - 6], fillColor=black, strokeColor=black))
    for i, (when, what) in enumerate(marks):
        x = i * col + 6
        d.add(Circle(x + 6, axis, 6, fillColor=black))
        top_block, _ = text_block(x, height - 2, when, size, col - 10, BOLD)
        d.add(top_block)
        bottom_block, _ = text_block(x, axis - 10, what, size, col - 10)
        d.add(bottom_block)
    alt = "Recovery timeline: " + "; ".join(f"{w}: {t}" for w, t in marks) + "."
    return to_svg(d, alt)


FIGURES: dict[str, Callable[..., Markup]] = {"leaning": leaning, "pathway": pathway, "recovery": recovery}


def figure(name: str, size: float, **options) -> Markup:
    """Draw the named figure at the given text size."""
    _register_fonts()
    return FIGURES[name](size=size, **options)
