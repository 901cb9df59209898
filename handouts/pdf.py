"""HTML -> PDF bytes with WeasyPrint, loading only the practice's and the project's assets."""

import copy
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import pydyf
import weasyprint.css
from weasyprint import CSS, HTML, Document, Page
from weasyprint.css import get_child_text
from weasyprint.pdf.fonts import Font
from weasyprint.pdf.stream import Stream
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError

from .errors import UserError
from .fetcher import ASSET_BASE, AssetFetcher
from .scratch import private_tempdir
from .searchpath import SearchPath
from .ua import finish

ACCESSIBLE = "pdf/ua-1"  # tagged, with title and language: read aloud, reflowed, zoomed
ARCHIVAL = "pdf/a-3a"  # for the patient's record: tagged too (level A), fonts embedded, no outside links


@cache
def font_config() -> FontConfiguration:
    """One font configuration per process: building it is a tenth of a render. Its font files go
    to the process's private temporary folder, which is removed even after a crash."""
    private_tempdir()
    return FontConfiguration()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def weasyprint_warnings() -> Iterator[list[str]]:
    """Collect what WeasyPrint logs as warnings (it warns, then writes a PDF anyway)."""
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


# What WeasyPrint only warns about, then prints anyway: a box for a character no font has, a
# logo or font file it cannot read. A patient's handout with either is wrong, so it is an error.
_FATAL_WARNINGS = (".notdef glyph", "Failed to load", "Failed to read", "Failed to handle", "Font-face")


class UnprintableText(UserError):
    """Characters no font of the handout has (they would print as boxes); `chars` lets a form say
    which of its fields holds them."""

    def __init__(self, message: str, chars: str) -> None:
        super().__init__(message)
        self.chars = chars

    def __reduce__(self) -> tuple:  # whole across a process boundary (the page's render workers)
        return type(self), (str(self), self.chars)


@contextmanager
def _strict() -> Iterator[None]:
    """A refused or missing asset, an unreadable image or font, or a character printed as a box
    stops the render (at layout or, for attachments and glyphs, at writing)."""
    with weasyprint_warnings() as warnings:
        try:
            yield
        except FatalURLFetchingError as exc:
            raise UserError(str(exc)) from None
    fatal = [w for w in warnings if w.startswith(_FATAL_WARNINGS)]
    if fatal and fatal[0].startswith(".notdef"):
        raise UnprintableText(_plain(fatal[0]), "".join(_notdef_chars(w) for w in fatal if w.startswith(".notdef")))
    if fatal:
        raise UserError(_plain(fatal[0]))


def _notdef_chars(warning: str) -> str:
    return warning.split('"')[1] if '"' in warning else "?"


def _plain(warning: str) -> str:
    if warning.startswith(".notdef"):
        chars = _notdef_chars(warning)
        return (
            f"a character cannot be printed with the bundled fonts "
            f"({', '.join(f'U+{ord(c):04X}' for c in chars)}): check the text for unusual symbols"
        )
    if warning.startswith("Font-face"):
        return f"the font {warning.split(chr(39))[1]!r} cannot be loaded: check its files are valid TTF or OTF fonts"
    name = warning.split(ASSET_BASE, 1)[1].split("'")[0].split('"')[0] if ASSET_BASE in warning else "a file"
    return f"asset {name!r} cannot be read: replace it with a valid image (PNG, JPEG, SVG) or font (TTF, OTF)"


def layout(html: str, search: SearchPath, variant: str = ACCESSIBLE) -> Document:
    """Lay out a handout; a refused or missing asset is an error, never a PDF without it."""
    document = HTML(string=html, base_url=ASSET_BASE, url_fetcher=AssetFetcher(search))
    with _strict():
        return document.render(font_config=font_config(), pdf_variant=variant)


def write(document: Document, variant: str = ACCESSIBLE) -> bytes:
    with _strict():
        return document.write_pdf(pdf_variant=variant, finisher=finish)


def html_to_pdf(html: str, search: SearchPath, variant: str = ACCESSIBLE) -> bytes:
    return write(layout(html, search, variant), variant)


# --- what WeasyPrint does again for every handout, done once -------------------------------------
# Both lean on WeasyPrint 70's internals (pyproject pins 70.x), and both give the same PDF as doing
# the work again (tests/test_speed.py): what they leave out of each handout is only repeated work.
#
# 1. The handout's stylesheets. Every handout has the same <style> elements, and parsing them was a
#    fifth of laying out a page 1. WeasyPrint shares its own parsed stylesheets between documents
#    (`HTML._ua_stylesheets`); these are shared the same way, with what parsing adds to the document
#    (its @page rules) added to each, and its warnings (a font that cannot be loaded) told again.


@dataclass(frozen=True)
class _Parsed:
    sheet: CSS | None  # None: parsing it adds more to the document (counter styles, layers): parsed each time
    page_rules: list
    warnings: list[str]


_parsed: OrderedDict[tuple, _Parsed] = OrderedDict()
_parsing = threading.Lock()  # the web page's threads may lay out at once
_KEEP_PARSED = 16  # standard and large print, each with its page count: a handful


def _stylesheets(wrapper, media_type, url_fetcher, base_url, font_config, counter_style, color_profiles,
                 page_rules, layers) -> Iterator[CSS]:
    """`weasyprint.css.find_stylesheets` for a handout: each <style> parsed once per process."""
    args = media_type, url_fetcher, base_url, font_config, counter_style, color_profiles, page_rules, layers
    elements = [w.etree_element for w in wrapper.query_all("style", "link")]
    if not isinstance(url_fetcher, AssetFetcher) or any(e.tag != "style" or e.attrib for e in elements):
        yield from _find_stylesheets(wrapper, *args)
        return
    for element in elements:
        text = get_child_text(element)
        key = (text, base_url, media_type, url_fetcher.search, id(font_config))
        with _parsing:
            parsed = _parsed.get(key)
            if parsed is not None:
                _parsed.move_to_end(key)
        if parsed is None:
            rules: list = []
            adds: tuple[dict, dict, list] = ({}, {}, [])  # counter styles, colour profiles, layers
            with weasyprint_warnings() as warnings:
                sheet = CSS(string=text, base_url=base_url, url_fetcher=url_fetcher, media_type=media_type,
                            font_config=font_config, counter_style=adds[0], color_profiles=adds[1],
                            page_rules=rules, layers=adds[2])
            parsed = _Parsed(None if any(adds) else sheet, rules, list(warnings))
            with _parsing:
                _parsed[key] = parsed
                while len(_parsed) > _KEEP_PARSED:
                    _parsed.popitem(last=False)
        elif parsed.sheet is not None:
            for message in parsed.warnings:  # what parsing it warned about, told to this document too
                logging.getLogger("weasyprint").warning("%s", message)
        if parsed.sheet is None:
            yield CSS(string=text, base_url=base_url, url_fetcher=url_fetcher, media_type=media_type,
                      font_config=font_config, counter_style=counter_style, color_profiles=color_profiles,
                      page_rules=page_rules, layers=layers)
            continue
        page_rules.extend(parsed.page_rules)
        sheet = copy.copy(parsed.sheet)
        sheet.page_rules, sheet.layers = page_rules, layers  # as a fresh parse shares the document's
        yield sheet


_find_stylesheets = weasyprint.css.find_stylesheets
weasyprint.css.find_stylesheets = _stylesheets


# 2. The detail pages' painting. Painting a page (drawing its boxes, text and figures into its content
#    stream) was most of the time of writing a handout, and every patient's handout of a kind has the
#    same detail pages: what `Page.paint` adds to the PDF is recorded once and added again.


@dataclass(frozen=True)
class _Painting:
    """Everything painting one page adds to a PDF, recorded from a stream of its own."""

    start: tuple  # what the page was painted from; another start is painted afresh
    ops: list[bytes]  # the page's content stream, serialized once (as pydyf joins it), or nothing
    alphas: dict[str, pydyf.Dictionary]  # transparency states, named by their value
    images: dict[str, dict]  # XObject name -> WeasyPrint's image record
    fonts: dict[int, Font]  # font key -> a font as first used on this page, with this page's glyphs
    tags: dict  # box -> marked-content tag and id, for the structure tree
    warnings: list[str]  # what WeasyPrint warned about while painting, told again each time

    def replay(self, stream: Stream) -> None:
        """Add to `stream` and the PDF's shared state what painting the page adds, in the same order."""
        stream.stream.extend(self.ops)
        states = stream._resources["ExtGState"]
        for key, state in self.alphas.items():
            if key not in states:
                states[key] = pydyf.Dictionary(state)
        xobjects = stream._resources["XObject"]
        for name, image in self.images.items():
            xobjects[name] = None  # filled in when the PDF is written, as for a painted image
            if name in stream._images:
                stream._images[name]["dpi_ratios"] |= image["dpi_ratios"]
            else:
                stream._images[name] = {**image, "dpi_ratios": set(image["dpi_ratios"]), "x_object": None}
        for key, font in self.fonts.items():
            own = stream._fonts.get(key)
            if own is None:
                stream._fonts[key] = _fresh(font)
                continue
            for glyph, width in font.widths.items():
                own.widths.setdefault(glyph, width)  # a glyph's width and text are the first page's that used it
            for glyph, text in font.to_unicode.items():
                own.to_unicode.setdefault(glyph, text)
        if stream._tags is not None:
            stream._tags.update((box, dict(tag)) for box, tag in self.tags.items())
        for message in self.warnings:
            logging.getLogger("weasyprint").warning("%s", message)


def _fresh(font: Font) -> Font:
    """A copy of a recorded font for one PDF: writing a PDF subsets its fonts in place."""
    fresh = copy.copy(font)
    for name, value in vars(font).items():
        if isinstance(value, dict | list | set):
            setattr(fresh, name, copy.copy(value))
    return fresh


_font_files: dict[bytes, bytes] = {}  # one copy of each font file for all recordings, not one per page


def _start(stream: Stream, scale: float) -> tuple:
    tags = None if stream._tags is None else len(stream._tags)  # marked-content ids go on from here
    ctm = tuple(tuple(row) for matrix in stream._ctm_stack for row in matrix)
    return scale, ctm, tags, tuple(stream._color_profiles), stream._output_intent


class ReplayedPage(Page):
    """A laid-out page that is painted once, into a stream of its own that starts with nothing
    shared (no fonts, images or states), and then replayed into each PDF it goes into. So it is
    painted from the same state every time, and the PDF is the same whichever pages were written
    before. A page that paints what WeasyPrint names by the order it is added in (transparency
    groups, patterns, shadings, other graphics states) or a glyph no font has is painted each time."""

    def __init__(self, page: Page) -> None:  # noqa: D107  (takes over a page WeasyPrint laid out)
        self.__dict__.update(vars(page))
        self._painting: _Painting | None = None
        self._replayable = True

    def paint(self, stream: Stream, scale: float = 1) -> None:
        if not self._replayable:
            super().paint(stream, scale)
            return
        start = _start(stream, scale)
        if self._painting is None or self._painting.start != start:
            painting = self._record(stream, scale, start)
            if painting is None:
                self._replayable = False
                super().paint(stream, scale)
                return
            self._painting = painting
        self._painting.replay(stream)

    def _record(self, stream: Stream, scale: float, start: tuple) -> _Painting | None:
        kinds = ("ExtGState", "XObject", "Pattern", "Shading")
        resources = pydyf.Dictionary({kind: pydyf.Dictionary() for kind in kinds})
        resources["ColorSpace"] = stream._resources["ColorSpace"]
        tags = None if stream._tags is None else dict(stream._tags)
        probe = stream.clone(fonts={}, images={}, resources=resources, tags=tags)
        probe._ctm_stack = list(stream._ctm_stack)
        with weasyprint_warnings() as warnings:
            super().paint(probe, scale)
        if (
            resources["Pattern"]
            or resources["Shading"]
            or set(resources["XObject"]) != set(probe._images)
            or not all(key.startswith(("a", "A")) for key in resources["ExtGState"])
            or any(font.missing for font in probe._fonts.values())
        ):
            return None
        for font in probe._fonts.values():
            font.file_content = _font_files.setdefault(font.file_content, font.file_content)
        known = 0 if tags is None else len(stream._tags)
        return _Painting(
            start=start,
            # joined as pydyf joins a stream's operators when it writes it (with its own `_to_bytes`)
            ops=[b"\n".join(pydyf._to_bytes(op) for op in probe.stream)] if probe.stream else [],
            alphas=dict(resources["ExtGState"]),
            images={name: {k: v for k, v in image.items() if k != "x_object"} for name, image in probe._images.items()},
            fonts=dict(probe._fonts),
            tags={} if probe._tags is None else dict(list(probe._tags.items())[known:]),
            warnings=list(warnings),
        )


def replayed(document: Document) -> Document:
    """`document` with its pages painted once however often they are written (see `ReplayedPage`)."""
    document.pages[:] = [ReplayedPage(page) for page in document.pages]
    return document
