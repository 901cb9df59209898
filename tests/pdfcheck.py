"""Reading what the user gets: the text, pages, fonts and structure of a finished PDF."""

import hashlib
import io
import re
from functools import lru_cache
from typing import NamedTuple

import pdfplumber
import pypdf

from runshare import RunShare

# The handouts the test processes of a run share (conftest.render), by their sha256, and the run's
# share (set by conftest for the session): what is read from one of these is read by one process
# and shared with the others, as the handout itself is.
RUN: RunShare | None = None
_SHARED: set[str] = set()


def share(pdf: bytes) -> None:
    """`pdf` is one of the run's shared handouts: what is read from it is shared too."""
    _SHARED.add(hashlib.sha256(pdf).hexdigest())


def _shared_digest(pdf: bytes) -> str | None:
    """The sha256 of a shared handout; None for any other PDF."""
    if RUN is None or not _SHARED:
        return None
    digest = hashlib.sha256(pdf).hexdigest()
    return digest if digest in _SHARED else None


def _shared(pdf: bytes, what: str, read):
    """read(), or for a shared handout what the first process of the run to read it read."""
    digest = _shared_digest(pdf)
    return read() if digest is None else RUN.get(f"{what}-{digest}", read)


@lru_cache(maxsize=2)
def _atkinson(bold: bool):
    from fontTools.ttLib import TTFont

    from handouts.base.paths import BUILTIN_ROOT

    name = "AtkinsonHyperlegible_700Bold.ttf" if bold else "AtkinsonHyperlegible_400Regular.ttf"
    font = TTFont(BUILTIN_ROOT / "assets" / "fonts" / name)
    return font.getBestCmap(), font.getGlyphSet(), font["head"].unitsPerEm


def text_width(text: str, bold: bool, size: float) -> float:
    """How wide `text` sets in the bundled Atkinson Hyperlegible at `size`, read from the font file's
    glyphs here (not with the code's own table, figures.string_width): no kerning, as figures measure."""
    cmap, glyphs, per_em = _atkinson(bold)
    return sum(glyphs[cmap.get(ord(char), ".notdef")].width for char in text) * size / per_em


def _source(pdf: bytes):
    return io.BytesIO(pdf)


# Reading a PDF takes about as long as making it (pypdf's text, 0.1 s a page; pdfplumber's layout,
# about a second a handout), and the content tests read the same few dozen handouts page by page
# many times over. So each PDF is read once by each reader and what was read is kept, by the PDF's
# bytes: a PDF that differs in any byte is read afresh.
class _Read:
    """A PDF open for reading, and the text of each page read so far (a page is read when first asked for)."""

    def __init__(self, pdf: bytes) -> None:
        self.reader = pypdf.PdfReader(_source(pdf))
        self.texts: dict[int, str] = {}
        digest = _shared_digest(pdf)  # a shared handout's pages are read all at once, by one process of the run
        if digest is not None:
            self.texts = dict(enumerate(RUN.get(f"text-{digest}", self._every_page)))

    def _every_page(self) -> list[str]:
        return [self._text(index) for index in range(len(self.reader.pages))]

    def _text(self, index: int) -> str:
        return " ".join((self.reader.pages[index].extract_text() or "").split())

    def page(self, index: int) -> str:
        if index not in self.texts:
            self.texts[index] = self._text(index)
        return self.texts[index]


@lru_cache(maxsize=128)
def _read(pdf: bytes) -> _Read:
    return _Read(pdf)


def forget() -> None:
    """Drop every PDF read so far (at the end of the session)."""
    _read.cache_clear()
    _LAYOUTS.clear()
    _SHARED.clear()


def page_texts(pdf: bytes) -> tuple[str, ...]:
    """Every page's text (whitespace collapsed), in page order."""
    read = _read(pdf)
    return tuple(read.page(index) for index in range(len(read.reader.pages)))


class Char(NamedTuple):
    """A printed character as pdfplumber reads it: what the tests look at, and what pdfplumber's own
    word and line grouping reads (so `words` and `plumber_texts` give what its page methods give)."""

    text: str
    size: float
    fontname: str
    x0: float
    x1: float
    top: float
    bottom: float
    doctop: float
    upright: bool
    width: float
    height: float
    tag: str | None  # the structure tag of its marked content: "Figure" for a drawing's labels
    non_stroking_color: tuple | None  # the colour it is filled with


class Box(NamedTuple):
    """A rectangle or a line drawn on the page, in points from the page's top left."""

    x0: float
    x1: float
    top: float
    bottom: float
    tag: str | None
    non_stroking_color: tuple | None  # the fill of a rectangle

    @property
    def width(self) -> float:
        return self.x1 - self.x0


class PageLayout(NamedTuple):
    width: float
    height: float
    chars: tuple[Char, ...]
    rects: tuple[Box, ...]
    lines: tuple[Box, ...]
    curves: tuple[Box, ...]  # other shapes, by the box around them (a drawing's rounded boxes)
    bbox: tuple[float, float, float, float]
    images: int  # how many images are drawn on the page


def _colour(value) -> tuple | None:
    return None if value is None else tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _read_layout(pdf: bytes) -> tuple[PageLayout, ...]:
    def chars(objects: list[dict]) -> tuple[Char, ...]:
        return tuple(
            Char(*(o[key] for key in Char._fields[:-1]), _colour(o["non_stroking_color"])) for o in objects
        )

    def boxes(objects: list[dict]) -> tuple[Box, ...]:
        return tuple(Box(*(o[key] for key in Box._fields[:-1]), _colour(o["non_stroking_color"])) for o in objects)

    with pdfplumber.open(_source(pdf)) as doc:
        return tuple(
            PageLayout(page.width, page.height, chars(page.chars), boxes(page.rects), boxes(page.lines),
                       boxes(page.curves), tuple(page.bbox), len(page.images))
            for page in doc.pages
        )


# pdfplumber's reading (pdfminer's layout of every character) is the costly one: the words and
# lines of a page are worked out from the characters read once, as pdfplumber's page methods do.
_LAYOUTS: dict[bytes, tuple[PageLayout, ...]] = {}
KEEP_LAYOUTS = 48


def layout(pdf: bytes) -> tuple[PageLayout, ...]:
    """Where every character, rectangle and line is on each page, as pdfplumber reads it."""
    found = _LAYOUTS.pop(pdf, None)
    if found is None:
        found = _shared(pdf, "layout", lambda: _read_layout(pdf))
    _LAYOUTS[pdf] = found  # the most recently used last
    while len(_LAYOUTS) > KEEP_LAYOUTS:
        del _LAYOUTS[next(iter(_LAYOUTS))]
    return found


def _dicts(page: PageLayout) -> list[dict]:
    return [char._asdict() for char in page.chars]


def words(pdf: bytes, number: int, **options) -> list[dict]:
    """Page `number`'s words (1-based) as pdfplumber's `page.extract_words(**options)` gives them."""
    return pdfplumber.utils.extract_words(_dicts(layout(pdf)[number - 1]), **options)


def _textmap(page: PageLayout):
    return pdfplumber.utils.chars_to_textmap(
        _dicts(page), layout_bbox=page.bbox, layout_width=page.width, layout_height=page.height
    )


def plumber_texts(pdf: bytes) -> tuple[str, ...]:
    """Each page's lines as pdfplumber's `page.extract_text()` gives them (the golden texts)."""
    return tuple(_textmap(page).as_string if page.chars else "" for page in layout(pdf))


def text(pdf: bytes) -> str:
    """All page text, whitespace collapsed so wrapped lines still match phrases."""
    return " ".join(page_texts(pdf))


def pages(pdf: bytes) -> int:
    return len(_read(pdf).reader.pages)


def page_size_pt(pdf: bytes) -> tuple[float, float]:
    box = pypdf.PdfReader(_source(pdf)).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


def font_sizes(pdf: bytes) -> list[float]:
    """The size of every printed character, in points."""
    return [c.size for page in layout(pdf) for c in page.chars]


def font_names(pdf: bytes) -> set[str]:
    """Font names without the subset prefix (ABCDEF+Name)."""
    return {re.sub(r"^[A-Z]{6}\+", "", c.fontname) for page in layout(pdf) for c in page.chars}


def squash(value: str) -> str:
    """Text with all whitespace removed: a long name may wrap anywhere on the page."""
    return "".join(value.split())


def structure(pdf: bytes) -> list[tuple[str, dict]]:
    """(role, element) for every element of the PDF's structure tree, in reading order."""
    found: list[tuple[str, dict]] = []

    def walk(node) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict) and "/S" in node:
            found.append((str(node["/S"]), node))
            if "/K" in node:
                walk(node["/K"])

    walk(pypdf.PdfReader(_source(pdf)).trailer["/Root"]["/StructTreeRoot"]["/K"])
    return found


def figure_alts(pdf: bytes) -> list[str]:
    """The alternative text of every /Figure in the PDF's structure tree."""
    return [str(node.get("/Alt", "")) for role, node in structure(pdf) if role == "/Figure"]


def page_text(pdf: bytes, number: int) -> str:
    """One page's text (1-based), whitespace collapsed."""
    if number < 1:
        raise IndexError(f"page {number}: pages are numbered from 1")
    return _read(pdf).page(number - 1)


def summary_text(pdf: bytes) -> str:
    """The personal pages' text: page 1, and page 2 when a long note runs on there (every page
    before the warning-sign box, with which the detail pages begin)."""
    texts = []
    for number in range(1, pages(pdf) + 1):
        text = page_text(pdf, number)
        if number > 1 and "Warning signs that need care right away" in text:
            break
        texts.append(text)
    return " ".join(texts)


def name_box(pdf: bytes, name: str) -> tuple[int, tuple[float, float, float, float]]:
    """(page index, (x0, top, x1, bottom) in points) of the first line that prints `name`."""
    for index, page in enumerate(layout(pdf)):
        found = _textmap(page).search(name) if page.chars else []
        if found:
            hit = found[0]
            return index, (hit["x0"], hit["top"], hit["x1"], hit["bottom"])
    raise AssertionError(f"{name!r} is not printed in this PDF")


def region(
    pdf: bytes | tuple[bytes, int, int], page: int, box: tuple[float, float, float, float], scale: float = 3.0
) -> list[int]:
    """The grey levels of `box` on `page`, rendered as a printer would (pdfium, `scale` pixels a point);
    `(pdf, dx, dy)` takes the box that many pixels over."""
    import pypdfium2

    pdf, dx, dy = pdf if isinstance(pdf, tuple) else (pdf, 0, 0)
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[page].render(scale=scale, grayscale=True).to_pil().convert("L")
    finally:
        document.close()
    x0, top, x1, bottom = (round(v * scale) for v in (box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2))
    x0, top, x1, bottom = x0 + dx, top + dy, x1 + dx, bottom + dy
    return list(image.crop((x0, top, x1, bottom)).tobytes())


def printed_difference(printed: bytes, sent: bytes, page: int, box: tuple[float, float, float, float]) -> float:
    """difference() of `box` as printed and as sent, the printed one taken where it matches best within
    a point either way: a print queue re-writes the PDF and may set a line a third of a point lower,
    which is no change a reader sees, while another name in the same place differs by far more."""
    scale = 3
    shifted = [
        difference(region((printed, dx, dy), page, box, scale), region(sent, page, box, scale))
        for dx in (-1, 0, 1)
        for dy in (-1, 0, 1)
    ]
    return min(shifted)


def difference(a: list[int], b: list[int]) -> float:
    """Mean absolute difference of two regions' grey levels (0: the same, 255: opposite)."""
    assert len(a) == len(b)
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)
