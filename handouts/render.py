"""Catalog + request -> HTML, through Jinja2 templates found on the practice's search path.

Autoescaping is on for every template whatever its name, and an undefined variable is an error,
so a patient's name is always printed as text and a template typo fails loudly.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
)
from markdown_it import MarkdownIt
from markupsafe import Markup

from . import __version__
from .catalog import Catalog
from .errors import UserError
from .figures import figure
from .models import POST_OP_TOPICS, RED_FLAGS, Module, PostOpInstructions, Surgeon
from .request import Request
from .searchpath import SearchPath

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

BASE_TEMPLATE = "handout.html"
FIGURE_PT = {False: 13, True: 18}  # figure labels: standard print, large print


def long_date(value: date) -> str:
    """A date as patients read it: 'March 4, 2026' (no locale, so every machine prints the same)."""
    return f"{MONTHS[value.month - 1]} {value.day}, {value.year}"


def follow_up_date(request: Request, weeks: int | None) -> date | None:
    """The follow-up visit: as given, else surgery date plus the configured interval, else unknown."""
    given = request.fields.get("follow_up")
    surgery = request.fields.get("surgery_date")
    if isinstance(given, date):
        return given
    if weeks and isinstance(surgery, date):
        return surgery + timedelta(weeks=weeks)
    return None


def post_op_instructions(defaults: PostOpInstructions, surgeon: Surgeon | None) -> PostOpInstructions:
    """The surgeon's post-op instructions topic by topic, the practice's where the surgeon has none."""
    if surgeon is None:
        return defaults
    return defaults.model_copy(update=surgeon.post_op.model_dump(exclude_none=True))


# A surgeon's sections allow bold, italics and lists; raw HTML, links and images stay plain text.
MARKDOWN = MarkdownIt("zero").enable(["emphasis", "list"])


def make_environment(search: SearchPath) -> Environment:
    """Jinja2 environment: practice templates first, built-ins second, built-ins also as `default:`."""
    loader = ChoiceLoader(
        [
            PrefixLoader({"default": FileSystemLoader(search.builtin_dir("templates"))}, delimiter=":"),
            FileSystemLoader(search.dirs("templates")),
        ]
    )
    env = Environment(loader=loader, autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["long_date"] = long_date
    return env


@dataclass(frozen=True)
class PageNumbers:
    """Page facts of a laid-out handout, for printing its summary page on its own."""

    total: int
    anchors: dict[str, int]  # element id -> the page it starts on

    def page_of(self, anchor: str) -> str:
        return str(self.anchors[anchor])


def _page_ref(anchor: str) -> Markup:
    """A reference WeasyPrint fills with the page number of `anchor` when it lays the page out."""
    return Markup('<a class="page-ref" href="#{}"></a>').format(anchor)


@dataclass(frozen=True)
class Handout:
    """A rendered handout: its HTML, ready for WeasyPrint or for a browser preview."""

    html: str


class Renderer:
    """Turns requests into HTML for one catalog; the environment and styles are built once."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.env = make_environment(catalog.search)
        self._css: dict[bool, Markup] = {}

    def modules_for(self, request: Request) -> list[Module]:
        return [self.catalog.modules[mid] for mid in request.modules]

    def css(self, large_print: bool = False) -> Markup:
        """The stylesheets in cascade order, each the first found on the search path."""
        if large_print not in self._css:
            names = ["handout.css", *(["large-print.css"] if large_print else []), "practice.css"]
            parts = []
            for name in names:
                path = self.catalog.search.find("styles", name)
                if path is None:
                    raise UserError(f"style {name!r} not found in {self.catalog.search.dirs('styles')}")
                parts.append(path.read_text(encoding="utf-8"))
            # Style files come from the project and the practice, never from a patient.
            self._css[large_print] = Markup("\n".join(parts))
        return self._css[large_print]

    def render(self, request: Request, summary_of: "PageNumbers | None" = None) -> Handout:
        """The handout's HTML; with `summary_of`, only its summary page, numbered as part of a
        handout whose detail pages were laid out already (see reuse.py)."""
        practice = self.catalog.practice
        modules = self.modules_for(request)
        steps = post_op_instructions(practice.post_op, request.surgeon)
        context = {
            "practice": practice,
            "visit": request.visit,
            "patient": request.patient,
            "visit_date": request.visit_date,
            "fields": request.fields,
            "modules": [] if summary_of else modules,
            "paper": request.paper or practice.paper,
            "css": self.css(request.large_print),
            "figure": partial(figure, size=FIGURE_PT[request.large_print]),
            "lang": "en",
            "version": __version__,
            "reviewed": max(m.reviewed for m in modules),
            "instructions": steps.model_dump(),
            "post_op_topics": POST_OP_TOPICS,
            "follow_up": follow_up_date(request, steps.follow_up_weeks),
            "surgeon": request.surgeon,
            # a surgeon's extra sections follow the visit's own first module (the red flags may lead)
            "first_own_module": next((m.id for m in modules if m.id != RED_FLAGS), None),
            "sections": [(section.title, Markup(MARKDOWN.render(section.text))) for section in request.sections],
            "note": request.note.split("\n") if request.note else [],
            "total_pages": Markup(f'"{summary_of.total}"' if summary_of else "counter(pages)"),
            "page_of": summary_of.page_of if summary_of else _page_ref,
        }
        try:
            html = self.env.get_template(BASE_TEMPLATE).render(context)
        except TemplateNotFound as exc:
            raise UserError(f"template {exc.name!r} not found in {self.catalog.search.dirs('templates')}") from None
        except TemplateError as exc:
            where = f"{exc.filename}:{exc.lineno}: " if getattr(exc, "filename", None) else ""
            raise UserError(f"{where}template error: {exc.message}") from None
        return Handout(html=html)
