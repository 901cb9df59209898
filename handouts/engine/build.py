"""Request -> finished file bytes: the one pipeline `make`, `batch` and the web page all call.

A handout is laid out in two parts and the pages joined (render/renderer.py says why): page 1, the
summary, from the whole request; the detail pages from a context without the patient. The
detail layout is kept under the sha256 of its own HTML, so a batch reuses it for every patient
whose detail pages are the same text, and a reuse can only ever return the layout of exactly
that text. `make` takes the same path with an empty cache, so the same request gives the same
bytes from every interface.
"""

import hashlib
import math
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from weasyprint import Document

from ..base.errors import UserError
from ..base.limits import limits
from ..compose.request import Request
from ..config.catalog import Catalog
from ..render.renderer import LogFill, PageNumbers, Renderer
from .draftmark import stamped
from .pdf import layout, replayed, write

FORMATS = ("pdf", "html")
MAX_PAGES = 6  # a handout's pages in standard print; large print may take twice as many (health-literacy.md)
CLOSER_LEVELS = 3  # the detail pages as designed, then their lines closer (closer-1, closer-2) to keep to MAX_PAGES
MAX_SUMMARY_PAGES = 3  # page 1 is meant to be one page; a long note may take a second
TIGHT_LEVELS = 4  # page 1 as designed, then tighter and tighter (styles: body.tight-1 to body.tight-3)
SUMMARY_END = "summary-end"  # the element that ends page 1's summary (next-steps.html)
MIN_LINES = 4  # lines a log to write in keeps on the page it starts on, at the least
LOG_LINE = re.compile(r"log-(?P<kind>row|day)-(?P<log>.+)-(?P<n>\d+)")  # a line of a log (templates/modules)
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
        """The detail pages for `request`: as designed, or, where that runs past the handout's pages (a
        translation runs about a fifth longer), the first closer-set layout that keeps to them. Lines
        close up; type never shrinks. When none keeps to them, as designed (`handouts lint` reports it)."""
        limit = MAX_PAGES * (2 if request.large_print else 1)
        designed = self._details(request, blank, 0)
        if len(designed.document.pages) <= limit:
            return designed
        for closer in range(1, CLOSER_LEVELS):
            found = self._details(request, blank, closer)
            if len(found.document.pages) <= limit:
                return found
        return designed

    def _details(self, request: Request, blank: int, closer: int) -> Details:
        """The detail pages at one spacing, laid out once per distinct text (and PDF variant)."""
        html = self.renderer.details_html(request, blank, closer=closer)
        key = hashlib.sha256(f"{request.pdf_variant}\0{html}".encode()).hexdigest()
        found = self._layouts.get(key)
        if found is None:
            document = replayed(self._filled(self._layout(html, request), request, blank, closer))
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

    def _filled(self, document: Document, request: Request, blank: int, closer: int) -> Document:
        """`document` laid out again with its closing logs fitted to their page (render.LogFill): a log
        grows into the room under it (more lines, or taller ones) or, run onto one more page, gives
        back the lines that ran on. Measured and laid out again until nothing is left to gain, never
        to more pages."""
        total: dict[str, tuple[float, float, int]] = {}
        for _ in range(3):
            room = {log: found for log, found in _log_room(document).items() if abs(found[0]) >= found[1]}
            if not room:
                break
            total |= {log: (total.get(log, (0.0,))[0] + free, line, first) for log, (free, line, first) in room.items()}
            filled = self._layout(
                self.renderer.details_html(request, blank, logs=LogFill(total), closer=closer), request
            )
            if len(filled.pages) > len(document.pages):
                break  # a line too many ran onto a page more: the last layout is the one
            document = filled
        return document

    def pdf(self, request: Request, gate: bool = True) -> bytes:
        """Summary page(s) laid out with the detail pages' numbers, then joined to them, with the
        draft mark drawn on every page while any of its text is not approved (draftmark.py).

        The details are laid out after as many blank pages as the summary takes; that count is
        found by trying 1, 2, ... so the result never depends on what was laid out before. Page 1
        must hold the whole summary (key points, next steps, when to call): where it runs past page 1
        (a surgeon's lines, a note, a long translation), it is laid out again tighter, never in
        smaller type, and the first layout that keeps the summary on page 1 is taken.
        gate=False skips the approval gate: for a preview of a draft, which is not given to anyone."""
        with limits(self.renderer.catalog.practice.time_limit):
            return self._pdf(request, gate)

    def _pdf(self, request: Request, gate: bool) -> bytes:
        if gate:
            self.check_approved(request)
        fallback = None
        for blank in range(1, MAX_SUMMARY_PAGES + 1):
            details = self.details(request, blank)
            for tight in range(TIGHT_LEVELS):
                summary = self._layout(self.renderer.summary_html(request, details.numbers, tight), request)
                if len(summary.pages) != blank:
                    continue
                if _summary_on_page_one(summary):
                    return self._joined(request, summary, details)
                fallback = fallback or (summary, details)
        if fallback:  # a practice's page 1 too long for one page whatever the spacing: as it comes
            return self._joined(request, *fallback)
        raise UserError(
            f"page 1 of the {request.visit.id} handout runs past {MAX_SUMMARY_PAGES} pages: shorten the note "
            "or the practice's page-1 template"
        )

    def _joined(self, request: Request, summary: Document, details: Details) -> bytes:
        """Page 1 and the detail pages as one PDF, the draft mark drawn on every page while any of its
        text is not approved."""
        pages = summary.pages + details.document.pages[len(summary.pages) :]
        check_paper(pages, request.paper or self.renderer.catalog.practice.paper)
        mark = self.renderer.draft_mark(request)
        if mark is not None:  # drawn on the laid-out pages, out of the practice's styles' reach
            pages = stamped(pages, mark, request.lang, request.large_print)
        return write(summary.copy(pages), request.pdf_variant)

    def check_approved(self, request: Request) -> None:
        """With `require_approval = true`, a handout with any text not yet approved is not printed."""
        if not self.renderer.catalog.practice.require_approval:
            return
        drafts = [unit.id for unit in self.renderer.drafts(request)]
        if drafts:
            raise UserError(
                f"not printed: the practice requires approval, and this handout has text not yet approved "
                f'({", ".join(drafts)}); approve it with: handouts approve {" ".join(drafts)} --by "NAME, ROLE"'
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

    A worker process (runs/pool.py: the batch's, the web page's) reuses its detail layouts from one
    handout to the next; any edit to a file the catalog's snapshot holds gives a new builder."""

    def __init__(self) -> None:
        self._kept: tuple[str, Builder] | None = None
        self._lock = threading.Lock()

    def __call__(self, catalog: Catalog) -> Builder:
        # every file it is made from, approvals and language folders included (snapshot.py), and where
        # they are: another practice with the same files is another practice
        stamp = f"{catalog.snapshot.id}\0{catalog.search.practice}\0{catalog.search.builtin}"
        with self._lock:
            if self._kept is None or self._kept[0] != stamp:
                self._kept = (stamp, Builder(Renderer(catalog)))
            return self._kept[1]


def _log_room(document: Document) -> dict[str, tuple[float, float, int]]:
    """For each log that ends the document, how much to grow it (CSS px), the height of one of its
    lines, and the first of its lines on the last page. Templates mark each line `log-row-NAME-N` (a
    log of open lines, which can take more or fewer) or `log-day-NAME-N` (one line a day, which can
    only grow taller), and may mark the end of what follows its lines `log-end-NAME`. A log grows by
    the room between its end and the foot of the text area. A log of open lines that ran onto the
    last page gives up as many lines as what ran on needs, when at least MIN_LINES stay (the room is
    negative: fewer lines); else it grows to fill that last page. A log with anything after it is
    left as it is."""
    last = len(document.pages) - 1
    box = document.pages[last]._page_box  # WeasyPrint 70's page box (pyproject pins 70.x)
    foot = box.content_box_y() + box.height
    after = max(
        (top for name, (_x0, top, _x1, _y1) in document.pages[last].anchors.items() if not name.startswith("log-")),
        default=0.0,
    )  # where the last section on the page starts
    logs: dict[tuple[str, str], list[tuple[int, int, tuple]]] = {}
    for index, page in enumerate(document.pages):
        for name, anchor in page.anchors.items():
            found = LOG_LINE.fullmatch(name)
            if found:
                logs.setdefault((found["kind"], found["log"]), []).append((index, int(found["n"]), anchor))
    room = {}
    top = box.content_box_y()
    for (kind, log), lines in logs.items():
        here = sorted((n, anchor) for index, n, anchor in lines if index == last)
        closing = document.pages[last].anchors.get(f"log-end-{log}")  # the end of what is under its lines
        if not (here or closing):
            continue  # not on the last page
        line = lines[-1][2][3] - lines[-1][2][1]
        end = closing[1] if closing else here[-1][1][3]
        if end < after:
            continue  # something follows it
        began_before = len(here) < len(lines)
        if kind == "row" and began_before and end - top <= (len(lines) - MIN_LINES) * line:
            # what ran onto the last page fits in lines it can give up: fewer lines, one page less
            room[log] = (-math.ceil((end - top) / line) * line, line, 1)
        elif here:
            free = foot - end - 1
            room[log] = (math.floor(free / line) * line if kind == "row" else free, line, here[0][0])  # whole lines
    return room


def _summary_on_page_one(summary: Document) -> bool:
    """Whether the summary ends on page 1; a practice's page template without the marker is taken as it is."""
    ends = [n for n, page in enumerate(summary.pages) if SUMMARY_END in page.anchors]
    return ends in ([], [0])


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
