"""Catalog + request -> HTML, through Jinja2 templates found on the practice's search path.

Autoescaping is on for every template whatever its name, and an undefined variable is an error,
so a patient's name is always printed as text and a template typo fails loudly. A practice
folder is data, not code: its templates run in Jinja2's immutable sandbox, which refuses
`__globals__`, `__init__` and the like, so a template cannot reach Python, files or the shell.
"""

import math
import traceback
from collections import ChainMap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, lru_cache, partial
from itertools import takewhile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateRuntimeError,
    meta,
    nodes,
    pass_context,
)
from jinja2.loaders import split_template_path
from jinja2.runtime import Context
from markupsafe import Markup, escape

from .. import __version__
from ..base.errors import UserError
from ..base.i18n import DEFAULT, LANGUAGES, long_date, short_date, translations
from ..base.ranges import joined
from ..compose.request import Request
from ..config.approvals import Approvals
from ..config.catalog import Catalog
from ..config.models import PAGE_REF, POST_OP_TOPICS, RED_FLAGS, Milestone, Module, PostOpInstructions, Surgeon
from ..inputs.searchpath import SearchPath
from .environment import HandoutEnvironment, Withheld
from .figures import FIGURE_PT, figure
from .plain import Record, plain
from .qr import online_link
from .versions import Unit, content_units, handout_units, handout_version

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

BASE_TEMPLATE = "handout.html"
WARNING_MODULES = (RED_FLAGS, "post-op-warnings", "injection-warnings")  # the boxed warning signs


def follow_up_date(request: Request, weeks: int | None) -> date | None:
    """The follow-up visit: as given, else surgery date plus the configured interval, else unknown."""
    given = request.fields.get("follow_up")
    surgery = request.fields.get("surgery_date")
    if isinstance(given, date):
        return given
    if weeks and isinstance(surgery, date):
        return surgery + timedelta(weeks=weeks)
    return None


def fever_text(fahrenheit: float) -> str:
    """A fever threshold as the warning signs print it, °F with its °C ("101 °F (38.3 °C)"), each number
    kept with its unit on one line."""

    def number(value: float) -> str:
        return f"{value:.1f}".removesuffix(".0")

    return f"{number(fahrenheit)}\u00a0°F ({number((fahrenheit - 32) * 5 / 9)}\u00a0°C)"


def post_op_instructions(defaults: PostOpInstructions, surgeon: Surgeon | None) -> PostOpInstructions:
    """The surgeon's post-op instructions topic by topic, the practice's where the surgeon has none."""
    if surgeon is None:
        return defaults
    return defaults.model_copy(update=surgeon.post_op.model_dump(exclude_none=True))


def timeline_rows(milestones: list[Milestone], surgery: date | None, today: date, lang: str = DEFAULT) -> list[dict]:
    """The recovery timeline as rows for its drawing (figures.recovery), each with its days after
    surgery. With a surgery date each row carries its calendar dates, and a "today" row follows the
    last step already begun (none before surgery or after the last step ends)."""
    _ = translations(lang).gettext
    # without a surgery date the days still tell a step of one day from a range (a dot, not a bar)
    start = surgery or today
    spans = [step.dates(start) for step in milestones]
    since = (today - surgery).days if surgery else -1
    last_end = max(((last - start).days for _first, last in spans), default=-1)
    begun = [i for i, (first, _last) in enumerate(spans) if (first - start).days <= since]
    begun = begun if 0 <= since <= last_end else []
    rows: list[dict] = []
    for i, (step, (first, last)) in enumerate(zip(milestones, spans, strict=True)):
        dates = ""
        if surgery is not None:
            begin, end = short_date(first, lang), short_date(last, lang)
            dates = begin if first == last else _("{start} to {end}").format(start=begin, end=end)
        rows.append(
            {
                "today": False,
                "when": step.when,
                "dates": dates,
                "what": step.what,
                "days": ((first - start).days, (last - start).days),
            }
        )
        if begun and i == begun[-1]:
            rows.append(
                {
                    "today": True,
                    "when": _("Today"),
                    "dates": short_date(today, lang),
                    "what": "",
                    "days": (since, since),
                }
            )
    return rows


@lru_cache(maxsize=64)  # a few figures per visit type, size and language; more only with many surgery dates
def _drawn(name: str, size: float, lang: str, options: tuple) -> Markup:
    return figure(name, size, translations(lang).gettext, **dict(options))


def drawn_figure(name: str, size: float, lang: str = DEFAULT, **options) -> Markup:
    """`figure` in `lang`, drawn once per process for the same name, size, language and options: a
    figure is the same for every patient, and drawing it again for each would be the detail pages'
    HTML's largest cost."""
    key = tuple(sorted(options.items()))
    try:
        hash(key)
    except TypeError:  # an option a template gets wrong; `figure` reports it
        return figure(name, size, translations(lang).gettext, **options)
    return _drawn(name, size, lang, key)


@cache
def markdown() -> "MarkdownIt":
    """A surgeon's sections allow bold, italics and lists; raw HTML, links and images stay plain text.
    Loaded for the first handout with such a section: most have none, and `make` starts faster without it."""
    from markdown_it import MarkdownIt

    return MarkdownIt("zero").enable(["emphasis", "list"])


DETAIL_TEMPLATES = "modules/"


class LanguageLoader(BaseLoader):
    """Templates in one language from a list of roots (practice first): `ROOT/<lang>/NAME` if there,
    else the English `ROOT/NAME`, which carries its fixed words through gettext. Content that is not
    through gettext must be there in the language: a practice's own template, and every module's text.
    An English file there with no translation is an error that names the file to add, never English
    text printed inside another language's handout. Every source is read from the search path's
    snapshot: a template is the same file for as long as the environment lives."""

    def __init__(self, roots: list[tuple[Path, bool]], lang: str, search: SearchPath) -> None:
        self.roots = roots  # (templates folder, is it the practice's own)
        self.lang = lang
        self.search = search

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Any]:
        for root, own in self.roots:
            if self.lang != DEFAULT:
                try:
                    return self._source(root / self.lang, template)
                except TemplateNotFound:
                    pass
            try:
                found = self._source(root, template)
            except TemplateNotFound:
                continue
            if self.lang != DEFAULT and (own or template.startswith(DETAIL_TEMPLATES)):
                name = LANGUAGES[self.lang][0]
                raise UserError(
                    f"{root / template} has no {name} version: add {root / self.lang / template} with its text "
                    f"in {name}"
                )
            return found
        raise TemplateNotFound(template)

    def _source(self, root: Path, template: str) -> tuple[str, str, Any]:
        """`template` in `root` as Jinja's FileSystemLoader reads it (its source with "\\n" line ends, its
        file's path), from the snapshot; one saved in another encoding than UTF-8 said in one line."""
        path = root.joinpath(*split_template_path(template))
        if not self.search.is_file(path):
            raise TemplateNotFound(template)
        try:
            source = self.search.text(path)
        except UnicodeDecodeError as exc:
            raise UserError(f"{root / template} is not UTF-8 text (byte {exc.start + 1}): save it as UTF-8") from None
        return source, str(path), _unchanged


def _unchanged() -> bool:
    """A template's file as the snapshot took it is never out of date."""
    return True


def make_environment(search: SearchPath, lang: str = DEFAULT) -> HandoutEnvironment:
    """Jinja2 environment in `lang`: practice templates first, built-ins second, built-ins also as `default:`."""
    builtin = [(search.builtin_dir("templates"), False)]
    own = [(d, True) for d in search.dirs("templates") if d != search.builtin_dir("templates")]
    loader = ChoiceLoader(
        [
            PrefixLoader({"default": LanguageLoader(builtin, lang, search)}, delimiter=":"),
            LanguageLoader(own + builtin, lang, search),
        ]
    )
    env = HandoutEnvironment(
        loader=loader,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(lang), newstyle=True)
    env.filters["long_date"] = partial(long_date, lang=lang)
    env.globals["figure"] = _figure
    env.globals["page_of"] = _page_of
    env.globals["log_rows"] = _log_rows
    env.globals["log_height"] = _log_height
    env.filters["keep_end"] = keep_end
    env.filters["keep_parts"] = keep_parts
    env.filters["page_refs"] = _page_refs
    return env


@pass_context
def _figure(context: Context, name: str, **options: Any) -> Markup:
    """`figure("walking")`: a drawing in the handout's language and print size (from the context's data)."""
    return drawn_figure(name, FIGURE_PT[bool(context["large_print"])], context["lang"], **options)


@pass_context
def _page_of(context: Context, anchor: str) -> Markup | str:
    """`page_of("red-flags")`: the page a section starts on. On page 1 the detail pages are laid out and
    their numbers known; on the detail pages themselves WeasyPrint fills in a reference as it lays them out."""
    numbers = context["page_numbers"]
    if numbers is None:
        return Markup('<a class="page-ref" href="#{}"></a>').format(anchor)
    if anchor not in numbers:
        raise UserError(f"page_of({anchor!r}): no section with id {anchor!r} on the detail pages")
    return str(numbers[anchor])


@pass_context
def _log_rows(context: Context, log: str) -> int:
    """`log_rows("walking-log")`: how many more lines fill the page under a log (build.py measures it)."""
    return LogFill(context["log_room"]).rows(log)


@pass_context
def _log_height(context: Context, log: str, day: int, days: int) -> Markup:
    """`log_height("recovery-log", day, 14)`: the style that makes a dated log's lines fill its page."""
    return LogFill(context["log_room"]).height(log, day, days)


NBSP = "\u00a0"


def keep_end(text: str) -> Markup:
    """`text` (escaped) with its last two words joined, so a title never leaves one word alone on its last line."""
    head, _, last = escape(text).rpartition(" ")
    return Markup(f"{head}{NBSP}{last}") if head else escape(text)


def keep_parts(text: str, separator: str = " · ") -> Markup:
    """`text` (HTML) with the words of each part between separators joined, so a line breaks only
    at a separator: a footer never leaves '2026' alone on its second line."""
    return Markup(separator).join(Markup(part).replace(" ", NBSP) for part in Markup(text).split(separator))


@pass_context
def _page_refs(context: Context, text: str) -> Markup:
    """`point|page_refs`: a text of a visit type's file with each `{page:ID}` as page_of(ID) prints it,
    and no line ending inside a range of numbers."""
    text = joined(str(escape(text)), NBSP)
    return Markup(PAGE_REF.sub(lambda ref: str(escape(_page_of(context, ref[1]))), text))


def check_detail_templates(env: Environment, search: SearchPath) -> None:
    """Refuse, when the practice loads, a module template of the practice's (or one it includes)
    that names a personal value: it would fail on every handout that prints it."""
    folder = search.practice_dir("templates")
    if folder is None or not search.files.is_dir(folder):
        return
    found = [p for p in search.files.walk(folder / DETAIL_TEMPLATES) if p.name.endswith(".html")]
    todo = [p.relative_to(folder).as_posix() for p in found]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name.startswith("default:"):
            continue
        seen.add(name)
        try:
            source = env.loader.get_source(env, name)[0]
            tree = env.parse(source, name)
        except TemplateNotFound:
            continue  # reported where it is included, when rendered
        except TemplateError as exc:
            raise UserError(f"{_where(exc)}template error: {exc.message}") from None
        # the names it reads, from the tree as parsed (Jinja's find_undeclared_variables runs its optimizer,
        # which would work out `'x'|center(3000000000)` here, before any limit holds)
        used = sorted({node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"} & set(PERSONAL))
        if used:
            raise UserError(f"templates/{name}: {_ON_PAGE_ONE.format(name=used[0])}; move it to page 1 or remove it")
        todo += [t for t in meta.find_referenced_templates(tree) if t]


def _where(exc: TemplateError) -> str:
    """'templates/x.html:3: ' for the template line an error comes from, when it can be told."""
    if getattr(exc, "filename", None):
        return f"{exc.filename}:{exc.lineno}: "
    if getattr(exc, "name", None):  # parsed from its source alone (check_detail_templates)
        return f"templates/{exc.name}:{exc.lineno}: "
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        if frame.filename.endswith(".html"):
            return f"{frame.filename}:{frame.lineno}: "
    return ""


def _scrubbed(message: str, context: dict) -> str:
    """A template's error message without the patient's values in it: Jinja quotes a key it was given
    (`practice[patient]`: "has no attribute 'Ana Silva'"), and the message goes to the screen, the
    batch's errors.csv and the page."""
    note = context.get("note")  # a tuple of lines on page 1; on the detail pages a Withheld, which holds nothing
    personal = [context.get("patient"), *(note if isinstance(note, tuple) else ())]
    fields = context.get("fields")
    personal += [fields[name] for name in fields] if isinstance(fields, Record) else []
    values = {form for v in personal if isinstance(v, str) and v.strip() for form in (v, repr(v)[1:-1])}
    for value in sorted(values, key=len, reverse=True):  # as typed, and as Python quotes it in a message
        message = message.replace(value, "(a value of this patient's)")
    return message


MAX_HTML = 20_000_000  # characters of one part's HTML: a handout's is under 1,000,000, drawings and styles included


def _bounded_output(chunks: Iterator[str]) -> str:
    """The template's output, stopped once it passes MAX_HTML: a loop that prints without end fills
    memory long before any time limit."""
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_HTML:
            raise TemplateRuntimeError(f"the page would be over {MAX_HTML:,} characters long: a loop prints too much")
        parts.append(chunk)
    return "".join(parts)


@dataclass(frozen=True)
class PageNumbers:
    """Page facts of a handout's laid-out detail pages, for numbering its summary page(s)."""

    total: int
    anchors: dict[str, int]  # element id -> the page it starts on


@dataclass(frozen=True)
class LogFill:
    """The room left under each log to write in at the end of the handout, measured on a first layout
    (build.py), so the log fills its page: a log of open lines adds as many lines as fit, a log of
    dated lines (one a day) makes its lines on that page that much taller. Empty: the logs as their
    templates say."""

    # log -> (room to grow by, a line's height, the first line on its last page)
    room: Mapping[str, tuple[float, float, int]] = field(default_factory=dict)

    def rows(self, log: str) -> int:
        """How many more lines fit under the log (fewer, when the room is negative)."""
        free, line, _first = self.room.get(log, (0.0, 1.0, 1))
        return math.floor(free / line)

    def height(self, log: str, day: int, days: int) -> Markup:
        """A style attribute for line `day` of a log of `days` lines, one a day: the lines on the log's
        last page share the room there (a line is never made shorter than its style says)."""
        free, line, first = self.room.get(log, (0.0, 1.0, 1))
        if free <= 0 or day < first:
            return Markup("")
        return Markup(' style="height: {:.2f}px"').format(line + free / (days - first + 1))



DRAFT_MARK = "Draft: not yet approved by %(name)s"  # as the page template prints it (the same catalog entry)


def mark_text(practice_name: str, lang: str) -> str:
    """The draft mark's words in the handout's language, as the page template words them."""
    return translations(lang).gettext(DRAFT_MARK) % {"name": practice_name}


# Page 1 alone may show these: the detail pages are laid out once and shared by every patient of
# the same visit type and options, so they are rendered from a context that does not hold them.
PERSONAL = ("patient", "visit_date", "note")
_ON_PAGE_ONE = (
    "'{name}' is personal and may appear on page 1 only (the 'title' block, summary.html, next-steps.html): "
    "the detail pages are the same for every patient"
)


@dataclass(frozen=True)
class Edition:
    """One language of a catalog: its translated text, its templates, and the versions of its texts."""

    catalog: Catalog
    env: Environment
    units: Mapping[str, Unit]


def _unapproved(unit: Unit, approvals: Approvals) -> bool:
    return unit.needs_approval and approvals.of(unit.id, *unit.versions) is None


class Renderer:
    """Turns requests into HTML for one catalog; the environment and styles are built once.

    A handout is two HTML documents from the same page template (handout.html): the summary
    (`part="summary"`, page 1, from the whole context) and the details (`part="details"`, the
    modules, from a context without PERSONAL values). build.py lays them out and joins the pages.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._editions: dict[str, Edition] = {}
        self.env = self.edition(DEFAULT).env
        check_detail_templates(self.env, catalog.search)
        self._css: dict[bool, Markup] = {}

    @property
    def units(self) -> Mapping[str, Unit]:
        """The English texts and their versions (`edition(lang).units` adds a language's translations)."""
        return self.edition(DEFAULT).units

    def edition(self, lang: str) -> "Edition":
        """The catalog, templates and text versions of one language, made when first asked for."""
        if lang not in self._editions:
            catalog = self.catalog.edition(lang)
            env = make_environment(catalog.search, lang)
            if lang == DEFAULT:
                units = content_units(catalog, env)
            else:  # a translated handout prints the English texts' approval state too
                units = ChainMap(content_units(catalog, env, self.units), self.units)
            self._editions[lang] = Edition(catalog, env, units)
        return self._editions[lang]

    def all_units(self) -> dict[str, Unit]:
        """The texts of every language the practice offers (a language whose files are incomplete is skipped:
        `handouts check` names what it lacks)."""
        units: dict[str, Unit] = {}
        for lang in self.catalog.practice.languages:
            try:
                units |= dict(self.edition(lang).units)  # whole or not at all: versions are worked out here
            except UserError:
                continue
        return units

    def drafts(self, request: Request) -> list[Unit]:
        """The texts of this handout that need the practice's approval and do not have it (for this version)."""
        approvals = self.catalog.approvals
        units = self.edition(request.lang).units
        return [units[uid] for uid in handout_units(request) if _unapproved(units[uid], approvals)]

    def draft_mark(self, request: Request) -> str | None:
        """The draft mark's words for this handout, or None when all its text is approved."""
        if not self.drafts(request):
            return None
        return mark_text(self.edition(request.lang).catalog.practice.name, request.lang)

    def modules_for(self, request: Request) -> list[Module]:
        return [self.edition(request.lang).catalog.modules[mid] for mid in request.modules]

    def css(self, large_print: bool = False) -> Markup:
        """The stylesheets in cascade order, each the first found on the search path."""
        if large_print not in self._css:
            names = ["handout.css", *(["large-print.css"] if large_print else []), "practice.css"]
            parts = []
            for name in names:
                path = self.catalog.search.find("styles", name)
                if path is None:
                    raise UserError(f"style {name!r} not found in {self.catalog.search.dirs('styles')}")
                try:
                    parts.append(self.catalog.search.text(path))
                except UnicodeDecodeError as exc:
                    raise UserError(f"{path} is not UTF-8 text (byte {exc.start + 1}): save it as UTF-8") from None
            # Style files come from the project and the practice, never from a patient.
            self._css[large_print] = Markup("\n".join(parts))
        return self._css[large_print]

    def context(self, request: Request, part: str, **page: Any) -> dict[str, Any]:
        """What a template sees, built here and nowhere else, as plain data (plain.py): the visit type,
        its fields, the practice, surgeon and options; on page 1 ("summary") also the patient, whose
        values the shared detail pages ("details", "fragment") hold back (`Withheld`). `page` gives the
        page facts of this part (total_pages, page_numbers, blank_pages, details)."""
        edition = self.edition(request.lang)
        practice = edition.catalog.practice
        modules = self.modules_for(request)
        steps = post_op_instructions(edition.catalog.post_op, request.surgeon)
        surgery = request.fields.get("surgery_date")
        _ = translations(request.lang).gettext
        shared = {
            "part": part,
            "practice": practice,
            "visit": request.visit,
            # every field a visit type of the catalog declares, None when not given: `fields.procedure`
            "fields": Record({name: None for name in self._field_names} | request.fields),
            "modules": modules,
            "paper": request.paper or practice.paper,
            "large_print": request.large_print,
            "css": self.css(request.large_print),
            "lang": request.lang,
            "version": __version__,
            "reviewed": max(m.reviewed for m in modules),
            "instructions": steps.model_dump(),
            "fever": fever_text(practice.fever_f),
            "post_op_topics": {key: _(title) for key, title in POST_OP_TOPICS.items()},
            "follow_up": follow_up_date(request, steps.follow_up_weeks),
            # the visit date, for a "today" mark on the detail pages: shared by a clinic day's handouts
            "timeline": timeline_rows(
                request.visit.timeline, surgery if isinstance(surgery, date) else None, request.visit_date, request.lang
            ),
            "online": online_link(practice.links.get(request.visit.id)),
            "surgeon": request.surgeon,
            # in large print, the QR code follows the warning-sign boxes that lead the details
            "online_after": [modules[0].id, *(m.id for m in takewhile(lambda m: m.id in WARNING_MODULES, modules))][-1],
            # the boxes of warning signs this handout prints, in print order ("When to call" names their pages)
            "warning_boxes": [m.id for m in modules if m.id in WARNING_MODULES],
            # a surgeon's extra sections follow the visit's own first module (the red flags may lead)
            "first_own_module": next((m.id for m in modules if m.id != RED_FLAGS), None),
            "sections": [(section.title, Markup(markdown().render(section.text))) for section in request.sections],
            "details": Markup(""),
            "blank_pages": 0,
            "total_pages": Markup("counter(pages)"),
            "page_numbers": None,
            "tight": 0,  # page 1 laid out tighter (1 to 3), when it must be (build.py)
            "closer": 0,  # the detail pages' lines set closer (1 or 2), when the handout must keep to its pages
            "log_room": {},  # room under the logs that close the handout (LogFill)
            "draft": bool(self.drafts(request)),
            "content_version": handout_version(edition.units, handout_units(request)),
        }
        if part == "summary":
            shared |= {
                "patient": request.patient,
                "visit_date": request.visit_date,
                "note": request.note.split("\n") if request.note else [],
            }
        withheld = {} if part == "summary" else {name: Withheld(_ON_PAGE_ONE.format(name=name)) for name in PERSONAL}
        return {name: plain(value) for name, value in (shared | page).items()} | withheld

    @property
    def _field_names(self) -> set[str]:
        return {name for visit in self.catalog.visits.values() for name in visit.fields}

    def details_html(
        self,
        request: Request,
        blank_pages: int = 0,
        part: str = "details",
        logs: LogFill | None = None,
        closer: int = 0,
    ) -> str:
        """The detail pages, after `blank_pages` empty pages that stand for the summary, so page
        numbers, "of N" and the pages sections start on come out as in the joined handout; `logs`
        fills the page under the logs; `closer` (1 or 2) sets their lines closer, for a handout that runs
        past its pages (build.py). With part="fragment", the modules alone, for `preview_html`."""
        room = dict(logs.room) if logs else {}
        return self._render(self.context(request, part, blank_pages=blank_pages, log_room=room, closer=closer))

    def summary_html(self, request: Request, numbers: PageNumbers, tight: int = 0) -> str:
        """Page 1 (the summary), numbered as the first page(s) of a handout whose details are laid out;
        `tight` (1 to 3) sets it tighter, for when it runs past its page (build.py)."""
        return self._render(
            self.context(
                request, "summary", total_pages=Markup(f'"{numbers.total}"'), page_numbers=numbers.anchors, tight=tight
            )
        )

    def preview_html(self, request: Request) -> str:
        """The whole handout as one HTML page for a browser: the summary with the detail modules
        inserted, each part rendered from its own context as for the PDF."""
        details = Markup(self.details_html(request, part="fragment"))
        return self._render(self.context(request, "summary", details=details))

    def _render(self, context: dict) -> str:
        try:
            return _bounded_output(self.edition(context["lang"]).env.get_template(BASE_TEMPLATE).generate(context))
        except TemplateNotFound as exc:
            raise UserError(f"template {exc.name!r} not found in {self.catalog.search.dirs('templates')}") from None
        except TemplateError as exc:
            raise UserError(_scrubbed(f"{_where(exc)}template error: {exc.message}", context)) from None
        except (UserError, MemoryError):  # MemoryError: the limit on a handout's memory (limits.py) says it
            raise
        except Exception as exc:  # a template that divides by zero, or feeds a filter what it cannot take
            where = _where(exc)
            if not where:
                raise  # not from a template: ours
            message = f"{where}template error: {type(exc).__name__}: {str(exc)[:200]}"
            raise UserError(_scrubbed(message, context)) from None
