"""Lay out a visit type's detail pages once, then only each patient's summary page.

Page 1 carries everything personal (name, date, note); the detail pages after it depend only on
the visit type, the surgeon, the modules and the visit's fields. A batch therefore lays out the
detail pages once per such combination, from a request whose personal values are sentinels, and
checks that no sentinel reached them; if one did (a practice template printing the name on a
later page), that combination is always rendered whole. Each patient's summary page is laid out
on its own, told the total page count and the pages its references point to, so "Page 1 of N"
and "read the box on page N" come out as in a whole render; the two are joined before writing.
"""

import dataclasses
from dataclasses import dataclass
from datetime import date

from weasyprint import Document

from .build import build
from .pdf import layout, write
from .render import PageNumbers, Renderer
from .request import Request

SENTINEL_NAME = "Qzxv Sentinel"
SENTINEL_DATE = date(1901, 2, 3)
_SENTINEL_TEXTS = ("Qzxv", "1901")


@dataclass(frozen=True)
class _Details:
    document: Document
    start: int  # index of the first detail page
    numbers: PageNumbers


def _texts(box) -> list[str]:
    found = [box.text] if hasattr(box, "text") else []
    for child in getattr(box, "children", None) or ():
        found += _texts(child)
    return found


def _key(request: Request) -> tuple:
    """What the detail pages depend on; the patient, the date and the note are left out on purpose."""
    return (
        request.visit.id,
        tuple(request.modules),
        tuple(sorted((k, str(v)) for k, v in request.fields.items())),
        request.paper,
        request.large_print,
        request.surgeon.id if request.surgeon else None,
        request.pdf_variant,
    )


class ReusingBuilder:
    """Builds PDFs like `build.build`, reusing detail-page layouts within one process."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer
        self._details: dict[tuple, _Details | None] = {}

    def _layout(self, html: str, request: Request) -> Document:
        return layout(html, self.renderer.catalog.search, request.pdf_variant)

    def details(self, request: Request) -> _Details | None:
        key = _key(request)
        if key not in self._details:
            sample = dataclasses.replace(request, patient=SENTINEL_NAME, visit_date=SENTINEL_DATE, note=None)
            document = self._layout(self.renderer.render(sample).html, sample)
            first_module = request.modules[0]
            start = next(i for i, page in enumerate(document.pages) if first_module in page.anchors)
            detail_text = " ".join(t for page in document.pages[start:] for t in _texts(page._page_box))
            anchors: dict[str, int] = {}
            for number, page in enumerate(document.pages, 1):
                for anchor in page.anchors:
                    anchors.setdefault(anchor, number)
            clean = not any(s in detail_text for s in _SENTINEL_TEXTS)
            numbers = PageNumbers(len(document.pages), anchors)
            self._details[key] = _Details(document, start, numbers) if clean else None
        return self._details[key]

    def build(self, request: Request) -> bytes:
        details = self.details(request)
        if details is None:
            return build(self.renderer, request)
        summary = self._layout(self.renderer.render(request, summary_of=details.numbers).html, request)
        if len(summary.pages) != details.start:  # a long note took another summary page
            return build(self.renderer, request)
        pages = summary.pages + details.document.pages[details.start :]
        return write(summary.copy(pages), request.pdf_variant)
