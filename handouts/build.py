"""Request -> finished file bytes: the one pipeline `make`, `batch` and the web page all call.

A handout is laid out in two parts and the pages joined (render.py says why): page 1, the
summary, from the whole request; the detail pages from a context without the patient. The
detail layout is kept under the sha256 of its own HTML, so a batch reuses it for every patient
whose detail pages are the same text, and a reuse can only ever return the layout of exactly
that text. `make` takes the same path with an empty cache, so the same request gives the same
bytes from every interface.
"""

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from weasyprint import Document

from .catalog import Catalog
from .draftmark import stamped
from .errors import UserError
from .limits import limits
from .pdf import layout, replayed, write
from .render import PageNumbers, Renderer
from .request import Request

FORMATS = ("pdf", "html")
MAX_SUMMARY_PAGES = 3  # page 1 is meant to be one page; a long note may take a second
KEEP_LAYOUTS = 24  # detail layouts kept per process: a visit type's handful of variants, not one per patient


PAPER_IN = {"letter": (8.5, 11.0), "a4": (210 / 25.4, 297 / 25.4)}


def check_paper(pages: list, paper: str) -> None:
    """Every page is the paper it prints on: a practice style that sets another page size (`@page { size:
    17in 11in }`) would be shrunk to fit by the printer, the warning signs and the draft mark with it."""
    want = [round(side * 96) for side in PAPER_IN[paper]]
    for number, page in enumerate(pages, 1):
        if [round(page.width), round(page.height)] != want:
            size = f"{page.width / 96:.2f} x {page.height / 96:.2f} in"
            raise UserError(
                f"page {number} is {size}, not {paper} paper: the practice's styles set another page size "
                "(@page size); remove it (the paper is practice.toml's `paper`)"
            )


@dataclass(frozen=True)
class Details:
    """Laid-out detail pages, after `blank` empty pages that the summary takes the place of."""

    document: Document
    blank: int
    numbers: PageNumbers


class Builder:
    """Builds handouts for one renderer, keeping recent detail-page layouts for reuse."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer
        self._layouts: OrderedDict[str, Details] = OrderedDict()

    def _layout(self, html: str, request: Request) -> Document:
        return layout(html, self.renderer.catalog.search, request.pdf_variant)

    def details(self, request: Request, blank: int = 1) -> Details:
        """The detail pages for `request`, laid out once per distinct text (and PDF variant)."""
        html = self.renderer.details_html(request, blank)
        key = hashlib.sha256(f"{request.pdf_variant}\0{html}".encode()).hexdigest()
        found = self._layouts.get(key)
        if found is None:
            document = replayed(self._layout(html, request))
            anchors: dict[str, int] = {}
            for number, page in enumerate(document.pages, 1):
                for anchor in page.anchors:
                    anchors.setdefault(anchor, number)
            found = Details(document, blank, PageNumbers(len(document.pages), anchors))
            self._layouts[key] = found
            while len(self._layouts) > KEEP_LAYOUTS:
                self._layouts.popitem(last=False)
        self._layouts.move_to_end(key)
        return found

    def pdf(self, request: Request, gate: bool = True) -> bytes:
        """Summary page(s) laid out with the detail pages' numbers, then joined to them, with the
        draft mark drawn on every page while any of its text is not approved (draftmark.py).

        The details are laid out after as many blank pages as the summary takes; that count is
        found by trying 1, 2, ... so the result never depends on what was laid out before.
        gate=False skips the approval gate: for a preview of a draft, which is not given to anyone."""
        with limits(self.renderer.catalog.practice.time_limit):
            return self._pdf(request, gate)

    def _pdf(self, request: Request, gate: bool) -> bytes:
        if gate:
            self.check_approved(request)
        mark = self.renderer.draft_mark(request)
        for blank in range(1, MAX_SUMMARY_PAGES + 1):
            details = self.details(request, blank)
            summary = self._layout(self.renderer.summary_html(request, details.numbers), request)
            if len(summary.pages) == blank:
                pages = summary.pages + details.document.pages[blank:]
                check_paper(pages, request.paper or self.renderer.catalog.practice.paper)
                if mark is not None:  # drawn on the laid-out pages, out of the practice's styles' reach
                    pages = stamped(pages, mark, request.lang, request.large_print)
                return write(summary.copy(pages), request.pdf_variant)
        raise UserError(
            f"page 1 of the {request.visit.id} handout runs past {MAX_SUMMARY_PAGES} pages: shorten the note "
            "or the practice's page-1 template"
        )

    def check_approved(self, request: Request) -> None:
        """With `require_approval = true`, a handout with any text not yet approved is not printed."""
        if not self.renderer.catalog.practice.require_approval:
            return
        drafts = [unit.id for unit in self.renderer.drafts(request)]
        if drafts:
            raise UserError(
                f"not printed: the practice requires approval, and this handout has text not yet approved "
                f"({', '.join(drafts)}); approve it with: handouts approve {' '.join(drafts)} --by \"NAME, ROLE\""
            )

    def build(self, request: Request, fmt: str = "pdf") -> bytes:
        """The handout as PDF (for patients) or HTML (to preview a template in a browser)."""
        if fmt == "html":
            self.check_approved(request)  # the whole handout, as the PDF: not without the approval it needs
            with limits(self.renderer.catalog.practice.time_limit):
                return self.renderer.preview_html(request).encode("utf-8")
        return self.pdf(request)


class KeptBuilder:
    """The builder of the last catalog asked for, kept while nothing it is made from changes.

    A long-running process (the web page's render workers) reuses its detail layouts from one
    handout to the next; any edit to the practice's files or approvals gives a new builder."""

    def __init__(self) -> None:
        self._kept: tuple[str, Builder] | None = None
        self._lock = threading.Lock()

    def __call__(self, catalog: Catalog) -> Builder:
        approvals = catalog.search.practice / "approvals.toml" if catalog.search.practice else None
        approved = approvals.read_text(errors="replace") if approvals and approvals.is_file() else ""
        stamp = catalog.fingerprint() + approved  # the files' paths and bytes: another practice, another stamp
        with self._lock:
            if self._kept is None or self._kept[0] != stamp:
                self._kept = (stamp, Builder(Renderer(catalog)))
            return self._kept[1]


def build(renderer: Renderer, request: Request, fmt: str = "pdf") -> bytes:
    """One handout, built as every interface builds it (a builder of its own: nothing reused)."""
    return Builder(renderer).build(request, fmt)


def file_name(request: Request, fmt: str) -> str:
    """`<visit>-<date>.<fmt>`: no patient name, so a file listing or a download shows no patient data."""
    return f"{request.visit.id}-{request.visit_date.isoformat()}.{fmt}"


def default_filename(request: Request, fmt: str, folder: Path) -> Path:
    """`file_name` in `folder`, with _2, _3 ... when taken: never another patient's handout overwritten."""
    stem, n = file_name(request, fmt).removesuffix(f".{fmt}"), 1
    target = folder / f"{stem}.{fmt}"
    while os.path.lexists(target):  # a dangling symbolic link takes the name too
        n += 1
        target = folder / f"{stem}_{n}.{fmt}"
    return target


def check_format(target: Path, fmt: str) -> None:
    """An -o name whose ending says another format is a mistake worth stopping for."""
    suffix = target.suffix.lower().lstrip(".")
    if suffix in FORMATS and suffix != fmt:
        raise UserError(f"-o {target.name} ends in .{suffix} but the format is {fmt}: name it {target.stem}.{fmt}")
