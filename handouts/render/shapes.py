"""The few vector shapes the figures are drawn with, and the SVG they are written as.

The figures were drawn with reportlab's graphics: these classes take the same arguments and
defaults (y up, stroke black 1 unit wide, shapes filled black unless told otherwise), so the
drawing code reads as before. Writing them here costs a cold `handouts make` nothing to import:
reportlab's graphics package loads its whole page-layout package first, and
its SVG writer builds an XML DOM. Text is measured with the bundled font's widths (figures.py).
"""

import math
from collections.abc import Iterable
from itertools import pairwise
from xml.sax.saxutils import escape, quoteattr

Color = str | None  # "#rrggbb", or None for no paint
Matrix = tuple[float, float, float, float, float, float]
Outline = list[tuple[float, float]]  # a polygon's corners

black, white = "#000000", "#ffffff"
IDENTITY: Matrix = (1, 0, 0, 1, 0, 0)
CAPS = ("butt", "round", "square")  # reportlab's strokeLineCap 0, 1, 2


def num(value: float) -> str:
    """A coordinate to a thousandth of a unit (of a point, in a figure at scale 1), without trailing zeros."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _points(values: Iterable[float]) -> str:
    flat = list(values)
    return " ".join(f"{num(x)},{num(y)}" for x, y in zip(flat[::2], flat[1::2], strict=True))


def _multiply(a: Matrix, b: Matrix) -> Matrix:
    """a after b: b's coordinates mapped by b, then by a (reportlab's `mmult`)."""
    return (
        a[0] * b[0] + a[2] * b[1], a[1] * b[0] + a[3] * b[1],
        a[0] * b[2] + a[2] * b[3], a[1] * b[2] + a[3] * b[3],
        a[0] * b[4] + a[2] * b[5] + a[4], a[1] * b[4] + a[3] * b[5] + a[5],
    )


def _element(tag: str, attrs: dict[str, str], text: str | None = None) -> str:
    opening = f"<{tag} {' '.join(f'{k}={quoteattr(v)}' for k, v in attrs.items())}"
    return f"{opening}/>" if text is None else f"{opening}>{escape(text)}</{tag}>"


def _bounds(points: Iterable[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs, ys = zip(*points, strict=True)
    return min(xs), min(ys), max(xs), max(ys)


class Shape:
    """Paint of a shape: what reportlab calls its state, with reportlab's defaults."""

    tag = ""
    filled = True  # an outline only (a line, a polyline) is never filled

    def __init__(
        self,
        fillColor: Color = black,  # noqa: N803  (reportlab's argument names, kept for the drawing code)
        strokeColor: Color = black,  # noqa: N803
        strokeWidth: float = 1,  # noqa: N803
        strokeLineCap: int = 0,  # noqa: N803
        strokeDashArray: list[float] | None = None,  # noqa: N803
    ) -> None:
        self.fill, self.stroke, self.width = fillColor, strokeColor, strokeWidth
        self.cap, self.dashes = strokeLineCap, strokeDashArray

    def geometry(self) -> dict[str, str]:
        raise NotImplementedError

    def bounds(self) -> tuple[float, float, float, float]:
        raise NotImplementedError

    def area(self) -> list[Outline]:
        """What the shape covers, as polygons in its own units (a line: its stroke; a filled shape:
        its inside, without its edge): to check a drawing's geometry, such as where a leader runs."""
        raise NotImplementedError

    def svg(self) -> str:
        attrs = self.geometry()
        if self.stroke is None:
            attrs["stroke"] = "none"
        else:
            attrs |= {"stroke": self.stroke, "stroke-width": num(self.width), "stroke-linecap": CAPS[self.cap]}
            if self.dashes:
                attrs["stroke-dasharray"] = ",".join(num(d) for d in self.dashes)
        attrs["fill"] = self.fill if self.filled and self.fill is not None else "none"
        return _element(self.tag, attrs)


class Rect(Shape):
    tag = "rect"

    def __init__(self, x: float, y: float, width: float, height: float, rx: float = 0, ry: float = 0, **paint) -> None:
        super().__init__(**paint)
        self.x, self.y, self.w, self.h, self.rx, self.ry = x, y, width, height, rx, ry

    def geometry(self) -> dict[str, str]:
        values = {"x": self.x, "y": self.y, "width": self.w, "height": self.h, "rx": self.rx, "ry": self.ry}
        return {k: num(v) for k, v in values.items() if v or k not in ("rx", "ry")}

    def bounds(self) -> tuple[float, float, float, float]:
        return self.x, self.y, self.x + self.w, self.y + self.h

    def area(self) -> list[Outline]:
        x1, y1, x2, y2 = self.bounds()
        return [[(x1, y1), (x2, y1), (x2, y2), (x1, y2)]]


class Ellipse(Shape):
    tag = "ellipse"

    def __init__(self, cx: float, cy: float, rx: float, ry: float, **paint) -> None:
        super().__init__(**paint)
        self.cx, self.cy, self.rx, self.ry = cx, cy, rx, ry

    def geometry(self) -> dict[str, str]:
        return {"cx": num(self.cx), "cy": num(self.cy), "rx": num(self.rx), "ry": num(self.ry)}

    def bounds(self) -> tuple[float, float, float, float]:
        return self.cx - self.rx, self.cy - self.ry, self.cx + self.rx, self.cy + self.ry

    def area(self) -> list[Outline]:
        turns = [2 * math.pi * i / 48 for i in range(48)]
        return [[(self.cx + self.rx * math.cos(a), self.cy + self.ry * math.sin(a)) for a in turns]]


class Circle(Ellipse):
    tag = "circle"

    def __init__(self, cx: float, cy: float, r: float, **paint) -> None:
        super().__init__(cx, cy, r, r, **paint)

    def geometry(self) -> dict[str, str]:
        return {"cx": num(self.cx), "cy": num(self.cy), "r": num(self.rx)}


class PolyLine(Shape):
    tag = "polyline"
    filled = False

    def __init__(self, points: list[float], **paint) -> None:
        super().__init__(**paint)
        self.points = list(points)

    def geometry(self) -> dict[str, str]:
        return {"points": _points(self.points)}

    def bounds(self) -> tuple[float, float, float, float]:
        return _bounds(zip(self.points[::2], self.points[1::2], strict=True))

    def area(self) -> list[Outline]:
        """Each stretch of the line as the band its stroke paints (the joins and round ends left out)."""
        corners = list(zip(self.points[::2], self.points[1::2], strict=True))
        half, bands = self.width / 2, []
        for (x1, y1), (x2, y2) in pairwise(corners):
            length = math.hypot(x2 - x1, y2 - y1) or 1.0
            nx, ny = -(y2 - y1) / length * half, (x2 - x1) / length * half
            bands.append([(x1 + nx, y1 + ny), (x2 + nx, y2 + ny), (x2 - nx, y2 - ny), (x1 - nx, y1 - ny)])
        return bands


class Polygon(PolyLine):
    tag = "polygon"
    filled = True

    def area(self) -> list[Outline]:
        return [list(zip(self.points[::2], self.points[1::2], strict=True))]


class Line(PolyLine):
    """A straight line: an open path, so its ends take the line cap."""

    tag = "path"

    def __init__(self, x1: float, y1: float, x2: float, y2: float, **paint) -> None:
        super().__init__([x1, y1, x2, y2], **paint)

    def geometry(self) -> dict[str, str]:
        x1, y1, x2, y2 = self.points
        return {"d": f"M {num(x1)},{num(y1)} L {num(x2)},{num(y2)}"}


class Path(Shape):
    tag = "path"

    def __init__(self, **paint) -> None:
        super().__init__(**paint)
        self.parts: list[str] = []
        self.points: list[tuple[float, float]] = []

    def moveTo(self, x: float, y: float) -> None:  # noqa: N802  (reportlab's method names)
        self.parts.append(f"M {num(x)},{num(y)}")
        self.points.append((x, y))

    def curveTo(self, x1: float, y1: float, x2: float, y2: float, x3: float, y3: float) -> None:  # noqa: N802
        self.parts.append(f"C {_points([x1, y1, x2, y2, x3, y3])}")
        self.points += [(x1, y1), (x2, y2), (x3, y3)]

    def closePath(self) -> None:  # noqa: N802
        self.parts.append("Z")

    def geometry(self) -> dict[str, str]:
        return {"d": " ".join(self.parts)}

    def bounds(self) -> tuple[float, float, float, float]:
        return _bounds(self.points)


class String:
    """A line of text at (x, y) on its baseline; `textAnchor` end or middle places it by its measured
    width (`measure`), as reportlab does, so the SVG needs no text-anchor."""

    def __init__(
        self, x: float, y: float, text: str, fontName: str, fontSize: float,  # noqa: N803
        textAnchor: str = "start", fillColor: Color = black,  # noqa: N803
    ) -> None:
        self.x, self.y, self.text, self.font, self.size = x, y, text, fontName, fontSize
        self.anchor, self.fill = textAnchor, fillColor

    def svg(self, font_attrs: dict[str, str], width: float) -> str:
        x = self.x - {"start": 0, "middle": width / 2, "end": width}[self.anchor]
        attrs = {"x": num(x), "y": num(-self.y), **font_attrs, "font-size": f"{num(self.size)}px",
                 "fill": self.fill or "none", "transform": "scale(1,-1)"}
        return _element("text", attrs, self.text)


class Group:
    """Shapes drawn in one coordinate system, placed by `transform` (a, b, c, d, e, f)."""

    def __init__(self, *contents: "Shape | String | Group") -> None:
        self.contents = list(contents)
        self.transform: Matrix = IDENTITY

    def add(self, node: "Shape | String | Group") -> None:
        self.contents.append(node)

    def translate(self, dx: float, dy: float) -> None:
        self.transform = _multiply(self.transform, (1, 0, 0, 1, dx, dy))

    def getBounds(self) -> tuple[float, float, float, float]:  # noqa: N802  (reportlab's name)
        """The box of what the group draws (shapes' geometry, without line widths), in its parent's units."""
        corners = []
        for node in self.contents:
            if isinstance(node, String):
                continue  # the exercise drawings measured with this hold no text
            x1, y1, x2, y2 = node.getBounds() if isinstance(node, Group) else node.bounds()
            corners += [(x1, y1), (x1, y2), (x2, y1), (x2, y2)]
        a, b, c, d, e, f = self.transform
        return _bounds((a * x + c * y + e, b * x + d * y + f) for x, y in corners)


class Drawing(Group):
    """A figure's canvas, `width` x `height` units, y up from the bottom left."""

    def __init__(self, width: float, height: float) -> None:
        super().__init__()
        self.width, self.height = width, height


def to_svg(drawing: Drawing, title: str, fonts: dict[str, dict[str, str]], measure) -> str:
    """The drawing as an SVG element: its size in points (a unit is a point on paper), y flipped so
    it runs down as SVG's does, the title as its accessible name. `fonts` gives each font name's
    SVG font attributes, `measure(text, font, size)` a text's width for anchored text."""
    out: list[str] = []

    def write(node: "Shape | String | Group") -> None:
        if isinstance(node, Group):
            matrix = "" if node.transform == IDENTITY else f' transform="matrix({",".join(map(num, node.transform))})"'
            out.append(f"<g{matrix}>")
            for child in node.contents:
                write(child)
            out.append("</g>")
        elif isinstance(node, String):
            width = measure(node.text, node.font, node.size) if node.anchor != "start" else 0.0
            out.append(node.svg(fonts[node.font], width))
        else:
            out.append(node.svg())

    width, height = num(drawing.width), num(math.ceil(drawing.height))
    out.append(
        f'<svg role="img" width="{width}pt" height="{height}pt" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" fill-rule="evenodd">'
        f"<title>{escape(title)}</title>"
        f'<g transform="matrix(1,0,0,-1,0,{height})">'
    )
    for node in drawing.contents:
        write(node)
    out.append("</g></svg>")
    return "\n".join(out)
