"""HTML -> PDF bytes with WeasyPrint, loading only the practice's and the project's assets."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from weasyprint import HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError

from .errors import UserError
from .fetcher import ASSET_BASE, AssetFetcher
from .searchpath import SearchPath

PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}  # tagged, with title and language: readable aloud


@cache
def font_config() -> FontConfiguration:
    """One font configuration per process: building it is a tenth of a render."""
    return FontConfiguration()


@contextmanager
def _fetch_errors_are_user_errors() -> Iterator[None]:
    """A refused or missing asset stops the render (at layout or, for attachments, at writing)."""
    try:
        yield
    except FatalURLFetchingError as exc:
        raise UserError(str(exc)) from None


def layout(html: str, search: SearchPath) -> Document:
    """Lay out a handout; a refused or missing asset is an error, never a PDF without it."""
    document = HTML(string=html, base_url=ASSET_BASE, url_fetcher=AssetFetcher(search))
    with _fetch_errors_are_user_errors():
        return document.render(font_config=font_config(), **PDF_OPTIONS)


def write(document: Document) -> bytes:
    with _fetch_errors_are_user_errors():
        return document.write_pdf(**PDF_OPTIONS)


def html_to_pdf(html: str, search: SearchPath) -> bytes:
    return write(layout(html, search))


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
