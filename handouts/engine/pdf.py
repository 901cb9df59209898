"""HTML -> PDF bytes with WeasyPrint, loading only the practice's and the project's assets."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from weasyprint import HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError

from ..base.errors import UserError
from ..base.scratch import private_tempdir
from ..compose.request import ACCESSIBLE
from ..inputs.searchpath import SearchPath
from . import internals
from .fetcher import ASSET_BASE, AssetFetcher
from .internals import weasyprint_warnings
from .ua import finish


@cache
def font_config() -> FontConfiguration:
    """One font configuration per process: it is the same for every handout, and costly to build.
    Its font files go to the process's private temporary folder, which is removed even after a crash."""
    private_tempdir()
    return FontConfiguration()


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


# What WeasyPrint does again for every handout is done once: each <style> parsed once per process,
# each detail page painted once (internals.py: both need WeasyPrint's internals). Both give the same
# PDF as doing the work again (tests/test_speed.py).


def replayed(document: Document) -> Document:
    """`document` with its pages painted once however often they are written (see `ReplayedPage`)."""
    document.pages[:] = internals.replayed_pages(document.pages)
    return document
