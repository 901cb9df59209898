"""The draft mark, drawn by this code on every laid-out page of a handout with text not yet approved.

The practice's styles and templates lay out the page; they must not be able to hide the mark
(`display: none`, `visibility`, white or transparent text, `font-size: 0`, `opacity`, a
`transform` or a position off the page, a box drawn over it, a dark page background, a font
file of their own). So the mark in the PDF is not the template's element. The page template still
prints `<div class="draft-mark">` in its header: that holds the mark's place in the layout, and
it is what a browser preview of the HTML shows. After layout, that element is taken off each
page, and the mark is drawn in its place by `stamped`, after everything else on the page: black
bold type on an opaque white box with a dashed border, laid out from this module's own HTML and
CSS with the bundled font, in a font configuration of its own that no practice style is ever
parsed with. Where the element is missing, too narrow for the mark, or would put it off the page,
the mark goes to the top right corner of the page instead.

`unseen` reads a finished PDF as a reader would, with PDFium: `handouts check`
runs it on each draft handout, so a page without a readable mark is found before clinic day.
"""

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

import pydyf
from markupsafe import escape
from weasyprint import HTML, Page
from weasyprint.draw import draw_page
from weasyprint.formatting_structure import boxes
from weasyprint.pdf.stream import Stream
from weasyprint.text.fonts import FontConfiguration

from ..base.errors import UserError
from ..base.scratch import private_tempdir
from ..inputs.searchpath import SearchPath
from .fetcher import ASSET_BASE, AssetFetcher

PLACE = "draft-mark"  # the class of the template's element that holds the mark's place
PX_PER_IN = 96  # WeasyPrint lays pages out in CSS pixels
# Type size, and the width and place in the top right corner when the template gives none: in
# standard print as the built-in header draws it, in large print wider for the larger type.
MARK_PT = {False: 12, True: 18}
DEFAULT_WIDTH_IN = {False: 2.2, True: 3.3}
MIN_WIDTH_IN = {False: 1.5, True: 2.2}  # narrower, and the mark is more lines than it is words
CORNER_IN = (1.0, 0.33)  # from the page's right and top edges
# Printers leave a strip at each edge unprinted (0.17 to 0.25 in): the mark is drawn inside this margin
# whatever place the practice's styles give it.
SAFE_IN = 0.3
# The bundled faces the mark is set in: the handout's own family names, so a PDF embeds each font once.
_FONT_FACES = (
    ("Atkinson Hyperlegible", "AtkinsonHyperlegible_700Bold.ttf"),
    ("Handouts Fallback", "DejaVuSans-Bold.ttf"),
    ("Handouts CJK", "DroidSansFallbackFull.ttf"),
    ("Handouts Korean", "NanumGothic.ttf"),
)
_CSS = """
{faces}
@page {{ size: {width}px 20in; margin: 0; }}
html, body {{ margin: 0; padding: 0; background: none; }}
.mark {{ box-sizing: border-box; width: {width}px; padding: 1pt 5pt; border: 1.5pt dashed #000;
  background: #fff; color: #000; font: 700 {size}pt/1.25 {families}; text-align: center;
  overflow-wrap: anywhere; }}
"""
# A watermark, in PDF terms: not part of the page's text for a screen reader, as the running header is not.
_ARTIFACT = pydyf.Dictionary({"Type": "/Pagination", "Subtype": "/Watermark"})


@cache
def _fonts() -> FontConfiguration:
    """The mark's own font configuration: only this module's @font-face rules are ever added to it."""
    private_tempdir()
    return FontConfiguration()


@dataclass(frozen=True)
class Stamp:
    """The mark laid out: a page box to paint, and the mark's size in CSS pixels."""

    page_box: boxes.PageBox
    width: float
    height: float


@lru_cache(maxsize=32)
def _stamp(text: str, lang: str, width: float, large_print: bool) -> Stamp:
    faces = "\n".join(
        f'@font-face {{ font-family: "{family}"; font-weight: 700; src: url(fonts/{name}); }}'
        for family, name in _FONT_FACES
    )
    families = ", ".join(f'"{family}"' for family, _ in _FONT_FACES)
    css = _CSS.format(faces=faces, width=width, size=MARK_PT[large_print], families=families)
    html = f'<!DOCTYPE html><html lang="{escape(lang)}"><head><style>{css}</style></head><body>'
    html += f'<div class="mark">{escape(text)}</div></body></html>'
    builtin_only = AssetFetcher(SearchPath(None))  # the bundled fonts, never a practice's file of the same name
    document = HTML(string=html, base_url=ASSET_BASE, url_fetcher=builtin_only).render(font_config=_fonts())
    page_box = document.pages[0]._page_box
    mark = next(box for box in page_box.descendants() if box.element_tag == "div")
    return Stamp(page_box, mark.border_width(), mark.border_height())


class StampedPage(Page):
    """A laid-out page that paints itself, then the draft mark at (x, y) over everything it painted."""

    def __init__(self, page: Page, stamp: Stamp, x: float, y: float) -> None:  # noqa: D107 (wraps a laid-out page)
        self.__dict__.update(vars(page))
        self._page, self._stamp, self._at = page, stamp, (x, y)

    def paint(self, stream: Stream, scale: float = 1) -> None:
        self._page.paint(stream, scale)
        fonts: dict = {}
        mark = stream.clone(fonts=fonts, tags=None)  # untagged: the whole mark is one artifact
        mark._ctm_stack = list(stream._ctm_stack)
        with mark.stacked():
            mark.transform(a=scale, d=scale)
            mark.transform(e=self._at[0], f=self._at[1])
            draw_page(self._stamp.page_box, mark)
        for key, font in fonts.items():
            own = stream._fonts.get(key)
            if own is None:
                stream._fonts[key] = font
                continue
            if own.file_content != font.file_content:  # the PDF would draw the mark's glyphs from that file
                raise UserError(
                    f"the practice's styles give the font {font.family!r} a file of their own, and the draft mark "
                    "is printed in the bundled file of that name: give the practice's font a family name of its own"
                )
            for glyph, width in font.widths.items():
                own.widths.setdefault(glyph, width)
            for glyph, text in font.to_unicode.items():
                own.to_unicode.setdefault(glyph, text)
        stream.begin_marked_content("Artifact", _ARTIFACT)
        stream.stream.extend(mark.stream)
        stream.end_marked_content()


def stamped(pages: list[Page], text: str, lang: str, large_print: bool) -> list[Page]:
    """`pages`, each with the draft mark drawn over it: where the template's element held its place,
    else in the top right corner. The element itself is taken off the page (once: a detail page is
    laid out once and stamped for every handout it goes into)."""
    made = []
    for page in pages:
        if not hasattr(page, "_draft_mark_place"):
            page._draft_mark_place = _take_place(page)
        made.append(_stamp_at(page, page._draft_mark_place, text, lang, large_print))
    return made


def _stamp_at(
    page: Page, place: tuple[float, float, float] | None, text: str, lang: str, large_print: bool
) -> StampedPage:
    if place is not None:
        x, y, width = place
        if width >= MIN_WIDTH_IN[large_print] * PX_PER_IN:
            stamp = _stamp(text, lang, round(width, 2), large_print)
            safe = SAFE_IN * PX_PER_IN
            inside = x >= safe and y >= safe and x + stamp.width <= page.width - safe
            if inside and y + stamp.height <= page.height - safe:
                return StampedPage(page, stamp, x, y)
    stamp = _stamp(text, lang, DEFAULT_WIDTH_IN[large_print] * PX_PER_IN, large_print)
    right, top = (inches * PX_PER_IN for inches in CORNER_IN)  # fits: every page is letter or A4 (build.check_paper)
    return StampedPage(page, stamp, page.width - right - stamp.width, top)


def _take_place(page: Page) -> tuple[float, float, float] | None:
    """The border box (x, y, width) of the template's mark in the page's margins, taken off the page."""
    place = None
    for parent, box in _margin_boxes(page._page_box):
        element = getattr(box, "element", None)
        if element is None or PLACE not in (element.get("class") or "").split():
            continue
        if place is None:
            place = (box.border_box_x(), box.border_box_y(), box.border_width())
        parent.children = [child for child in parent.children if child is not box]
    return place


def _margin_boxes(page_box: boxes.PageBox) -> Iterator[tuple[boxes.Box, boxes.Box]]:
    """(parent, box) for every box in the page's margin boxes (the running header and footer)."""
    todo = [(page_box, box) for box in page_box.children if isinstance(box, boxes.MarginBox)]
    while todo:
        parent, box = todo.pop()
        yield parent, box
        todo += [(box, child) for child in getattr(box, "children", ())]


# --- reading the mark on the finished PDF ------------------------------------------------------
# With PDFium (pypdfium2, which the surgeon page's preview draws with): it reads a page's text with
# each character's box, size and colour, and draws the page, annotations too, quickly enough for
# `handouts check` to read every page of every draft handout.

MIN_PT = 10  # the smallest type `unseen` takes as readable
INK_SCALE = 2  # pixels a point when the page is drawn: 12 pt type is 24 pixels high
MIN_INK, MIN_GROUND = 0.04, 0.3  # of the mark's words' area: dark pixels (the type), light ones (the ground)


@dataclass(frozen=True)
class _Char:
    text: str
    box: tuple[float, float, float, float]  # left, bottom, right, top in points, from the page's lower left
    size: float  # in points, as printed
    upright: bool
    rgb: tuple[int, int, int]


def unseen(pdf: bytes, text: str) -> list[str]:
    """What keeps the draft mark `text` from being read, one line per page of `pdf` that has a problem.

    Read as a reader sees the page: the mark's words in the page's text (the last time they occur,
    as the mark is drawn last), each at least MIN_PT, upright, dark and inside the trimmed page, no
    other text of the page under them; and the page as PDFium draws it, annotations too, has dark
    type on a light ground where those words are."""
    import pypdfium2

    problems = []
    document = pypdfium2.PdfDocument(pdf)
    try:
        for number, page in enumerate(document, 1):
            problem = _page_problem(page, text)
            if problem:
                problems.append(f"page {number}: {problem}")
    finally:
        document.close()
    return problems


def _plain(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _chars(page) -> list[_Char]:
    """The page's characters as PDFium reads them, spaces and line ends left out."""
    import ctypes

    import pypdfium2.raw as pdfium

    textpage = page.get_textpage()
    chars = []
    matrix, colour = pdfium.FS_MATRIX(), [ctypes.c_uint() for _ in range(4)]
    for index in range(textpage.count_chars()):
        text = _plain(textpage.get_text_range(index, 1))
        if not text:
            continue
        pdfium.FPDFText_GetMatrix(textpage.raw, index, matrix)
        pdfium.FPDFText_GetFillColor(textpage.raw, index, *colour)
        scale = abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
        size = pdfium.FPDFText_GetFontSize(textpage.raw, index) * scale
        upright = matrix.b == 0 and matrix.c == 0 and matrix.a > 0 and matrix.d > 0
        chars.append(_Char(text, textpage.get_charbox(index), size, upright, tuple(c.value for c in colour[:3])))
    return chars


def _page_problem(page, text: str) -> str | None:
    chars = _chars(page)
    starts, joined = [], ""
    for char in chars:
        starts.append(len(joined))
        joined += char.text
    wanted = _plain(text)
    begin = joined.rfind(wanted)
    if begin < 0:
        return f"the draft mark {text!r} is not in the page's text"
    mark = [c for c, start in zip(chars, starts, strict=True) if begin <= start < begin + len(wanted)]
    left, bottom, right, top = page.get_trimbox()
    safe = SAFE_IN * 72  # points
    left, bottom, right, top = left + safe, bottom + safe, right - safe, top - safe
    for char in mark:
        if char.size < MIN_PT:
            return f"the draft mark is {char.size:.1f} pt: it must be {MIN_PT} pt or larger"
        if not char.upright:
            return "the draft mark is turned: it must be upright"
        if sum(char.rgb) / 3 > 102:
            return f"the draft mark's colour (RGB {char.rgb}) is too light: it must be dark"
        x0, y0, x1, y1 = char.box
        if x0 < left or x1 > right or y0 < bottom or y1 > top:
            return f"the draft mark is not inside the page's printed area ({SAFE_IN} in from each edge)"
    box = (min(c.box[0] for c in mark), min(c.box[1] for c in mark), max(c.box[2] for c in mark),
           max(c.box[3] for c in mark))
    ours = {id(c) for c in mark}
    if any(id(c) not in ours and _overlap(c.box, box) for c in chars):
        return "text of the page lies under the draft mark: keep the top right corner of the page free for it"
    return _ink(page, box)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether the centre of box `a` lies in box `b`."""
    x, y = (a[0] + a[2]) / 2, (a[1] + a[3]) / 2
    return b[0] <= x <= b[2] and b[1] <= y <= b[3]


def _ink(page, box: tuple[float, float, float, float]) -> str | None:
    """Whether the mark's words, as PDFium draws the page, are dark type on a light ground."""
    left, bottom, _, top = page.get_cropbox()
    image = page.render(scale=INK_SCALE, draw_annots=True).to_pil().convert("L")
    area = (box[0] - left, top - box[3], box[2] - left, top - box[1])
    pixels = image.crop(tuple(round(v * INK_SCALE) for v in area)).tobytes()
    dark = sum(1 for p in pixels if p < 96) / max(len(pixels), 1)
    light = sum(1 for p in pixels if p > 192) / max(len(pixels), 1)
    if dark < MIN_INK or light < MIN_GROUND:
        return "the draft mark does not show on the page as drawn: no dark type on a light ground where it is"
    return None
