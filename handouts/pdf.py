"""HTML -> PDF bytes with WeasyPrint, loading only the practice's and the project's assets."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError

from .errors import UserError
from .fetcher import ASSET_BASE, AssetFetcher
from .searchpath import SearchPath


@cache
def font_config() -> FontConfiguration:
    """One font configuration per process: building it is a tenth of a render."""
    return FontConfiguration()


def html_to_pdf(html: str, search: SearchPath) -> bytes:
    """Render a handout's HTML; a refused or missing asset is an error, never a PDF without it."""
    document = HTML(string=html, base_url=ASSET_BASE, url_fetcher=AssetFetcher(search))
    try:
        return document.write_pdf(font_config=font_config(), pdf_variant="pdf/ua-1")
    except FatalURLFetchingError as exc:
        raise UserError(str(exc.__cause__ or exc)) from None


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
