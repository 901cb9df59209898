"""Content units and their versions: what a practice approves, and what a handout records it gave.

A unit is a piece of text that prints: a content module (`module:ID`), a visit type with its page
1 and page template (`visit:ID`), or a surgeon's profile (`surgeon:ID`). Its version is a short
hash of exactly what it prints: the data file, the template source and every template it includes
(practice override or built-in), the drawings it makes as they are drawn, and the practice's own
post-op wording where a module prints it. Change a word or a drawing and the version changes, so
an approval of the old version no longer covers it and the draft mark comes back by itself; change
the code that draws without changing a drawing and nothing changes.

Which drawings a unit makes is read from its templates' figure() calls, from the same parse that
compiles them (environment.py): a call written with constants is that one drawing; a call whose
options come from data (the pathway's step, the recovery timeline) stands for every drawing the
figure makes (`figures.variants`); a name worked out when rendered, for every figure. Each is
drawn in the unit's language at both print sizes, once per process (`_drawn`). Reading the calls,
not listing figures per unit, keeps a practice's own template honest: what it can draw is in its
version, and a drawing it cannot make is not.

Until the drawings were hashed as drawn, the version hashed the drawing code's source: approvals
written then name those versions. `legacy` works them out with that code as it was
(legacy_figure_code.json.gz), and an approval of one still counts while the unit's drawings print
what they printed when the scheme changed (`DRAWN_AT_CHANGE`): the text the practice approved.
"""

import gzip
import hashlib
import json
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any, Literal

from jinja2 import TemplateError, TemplateNotFound

from ..base.errors import UserError
from ..base.i18n import DEFAULT, catalog_path, translations
from ..compose.request import Request
from ..config.approvals import VERSION_LENGTH
from ..config.catalog import Catalog
from ..config.models import Module, Surgeon, VisitType
from ..inputs.searchpath import SearchPath
from ..inputs.snapshot import PRACTICE, Snapshot
from .environment import FigureCall, HandoutEnvironment, Parsed
from .figures import FIGURE_PT, FIGURES, figure, variants

PAGE_TEMPLATE = "handout.html"
UNREADABLE = Parsed("", None, frozenset(), ())  # a template that cannot be loaded or parsed
# The drawing code whose source the versions hashed until they hashed the drawings: figures.py and
# shapes.py as they were then, to work out the versions approvals of that time name (`legacy`).
LEGACY_CODE = Path(__file__).with_name("legacy_figure_code.json.gz")
LEGACY_CODE_SHA256 = "c08b22a8cba20ffbf3d74dfb2a489e2038aed1cd12d3606680d8786386c3c325"
# What each figure drew in each language when the scheme changed, every variant at both sizes (`_drawn`):
# an approval of a legacy version counts while the unit's figures still draw this.
DRAWN_AT_CHANGE: dict[str, str] = {
    "exercises@en": "ed1a25bcd0", "injection@en": "6ac4e49421", "leaning@en": "1ae3561b09",
    "lifting@en": "dc8a65e23f", "pathway@en": "cda355710d", "recovery@en": "2bbd434871",
    "spine-section@en": "490f2915c9", "spine-side@en": "ee85677987", "surgery@en": "5ceb592010",
    "walk-rest-walk@en": "dca61b53d3", "walking-aids@en": "41049ac0bc", "exercises@es": "8663c5f48d",
    "injection@es": "07260952db", "leaning@es": "ae86ea442d", "lifting@es": "c3f2de6aab", "pathway@es": "f062f1f5e0",
    "recovery@es": "ea8e24f1a9", "spine-section@es": "a695fc0e2b", "spine-side@es": "f0780297d7",
    "surgery@es": "e301538102", "walk-rest-walk@es": "0448c558ca", "walking-aids@es": "1830b4cfbe",
}

Basis = Literal["source", "general", "practice", "translation", "tool"]
LOOK = "style:practice"  # the practice's styles and images: what the page looks like, and what it may add or hide
LOOK_FOLDERS = ("styles", "assets")
TRANSLATION_NOTE = (
    "approve it after a qualified medical translator or bilingual clinician has checked it "
    "against the English (docs/translation-review.md)"
)


@dataclass(frozen=True)
class Unit:
    """One approvable piece of text and where it comes from."""

    id: str  # module:ID, visit:ID or surgeon:ID
    title: str
    version: str
    basis: Basis  # source: the clinical source; general: common practice; practice: the practice's own;
    # translation: another language's version of a text, approved apart from the English; tool: the
    # tool's own look, with no styles or images of the practice
    note: str  # for general text: which statements the source does not state
    # the version an approval written before the drawings were hashed as drawn names, while the unit
    # still prints what it printed then; "" when it does not (or has had no other version: a surgeon)
    legacy: str = ""

    @property
    def needs_approval(self) -> bool:
        return self.basis not in ("source", "tool")

    @property
    def versions(self) -> tuple[str, ...]:
        """The versions an approval of this text may name: its version, and its legacy version."""
        return (self.version, self.legacy) if self.legacy and self.legacy != self.version else (self.version,)


def digest(*parts: object) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:VERSION_LENGTH]


class _Templates:
    """Template sources with everything they include, as the renderer's environment compiled them.

    Each template is looked up once: every visit type's unit has the same page template, and the
    modules share their includes."""

    def __init__(self, env: HandoutEnvironment, search: SearchPath) -> None:
        self.env = env
        self.search = search
        self._parsed: dict[str, tuple[Parsed, bool]] = {}

    def _parse(self, name: str) -> tuple[Parsed, bool]:
        """One template as compiled, and whether it is the practice's own."""
        if name not in self._parsed:
            try:
                parsed = self.env.parse_of(name)
            except (TemplateNotFound, TemplateError):
                parsed = UNREADABLE  # reported when rendered; still part of the version
            found = self.search.files.locate(parsed.filename) if parsed.filename else None
            self._parsed[name] = (parsed, found is not None and found[0] == PRACTICE)
        return self._parsed[name]

    def tree(self, name: str) -> tuple[dict[str, str], set[str], bool, set[FigureCall]]:
        """(name -> source for `name` and all it includes, the variables they use, from the practice?,
        the figure() calls they make)"""
        sources: dict[str, str] = {}
        used: set[str] = set()
        calls: set[FigureCall] = set()
        own = computed = False
        todo = [name]
        while todo:
            current = todo.pop()
            if current in sources:
                continue
            parsed, from_practice = self._parse(current)
            sources[current] = parsed.source
            own |= from_practice
            computed |= parsed.computed and from_practice
            used |= parsed.names
            calls |= parsed.figures
            todo += parsed.includes
        if computed:  # `{% include name %}` may reach any template of the practice: the version covers them all
            sources |= self.practice_templates()
            calls.add((None, None))  # and any drawing they make
        return sources, used, own, calls

    def practice_templates(self) -> dict[str, str]:
        """Every file of the practice's templates folder its language reads (its own language folder too), by path."""
        folder = self.search.practice_dir("templates")
        found = self.search.files.walk(folder) if folder else []
        return {f"practice:{p.relative_to(folder).as_posix()}": self.search.text(p, "replace") for p in found}


_DRAWN: dict[tuple[str, str, str], str] = {}  # (name, language, options) -> what it draws, once per process


def _drawn_once(name: str, options: dict[str, Any], lang: str) -> str:
    """A digest of what `figure(name, **options)` draws in `lang` at both print sizes, drawn once per
    process: every command works out versions, and the drawings do not change while it runs."""
    key = (name, lang, json.dumps(options, sort_keys=True, default=repr))
    if key not in _DRAWN:
        drawn = []
        for size in sorted(set(FIGURE_PT.values())):
            try:
                drawn.append(str(figure(name, size, translations(lang).gettext, **options)))
            except Exception as exc:  # a call the template gets wrong: reported when the page is made
                drawn.append(f"{type(exc).__name__}: {exc}")
        _DRAWN[key] = digest(drawn)
    return _DRAWN[key]


def _drawn(name: str, options: tuple[tuple[str, Any], ...] | None, lang: str) -> str:
    """What `figure(name, **options)` draws; with `options` None, every drawing the figure makes."""
    return digest([_drawn_once(name, each, lang) for each in (variants(name) if options is None else [dict(options)])])


def _figures(calls: Collection[FigureCall]) -> list[tuple[str, tuple[tuple[str, Any], ...] | None]]:
    """The calls with a name, every figure's for a call whose name is worked out when rendered."""
    named = {(name, options) for name, options in calls if name is not None}
    if any(name is None for name, _ in calls):
        named |= {(name, None) for name in FIGURES}
    return sorted(named, key=repr)


def _drawings(calls: set[FigureCall], lang: str) -> list[object]:
    """What the calls draw: one digest per drawing, so a change to one changes the units that make it."""
    return [[name, options, _drawn(name, options, lang)] for name, options in _figures(calls)]


def _drawn_as_at_change(calls: set[FigureCall], lang: str) -> bool:
    """Whether every figure the calls can make draws, in `lang`, what it drew when the scheme changed."""
    names = {name for name, _ in _figures(calls)}
    return all(DRAWN_AT_CHANGE.get(f"{name}@{lang}") == _drawn(name, None, lang) for name in names)


@cache
def _legacy_code() -> list[str]:
    """The drawing code's source as the versions hashed it before they hashed the drawings."""
    blob = gzip.decompress(LEGACY_CODE.read_bytes())
    if hashlib.sha256(blob).hexdigest() != LEGACY_CODE_SHA256:
        raise UserError(f"{LEGACY_CODE} is damaged: install handouts again")
    texts = json.loads(blob)
    return [texts["figures.py"], texts["shapes.py"]]


def _versions(words: list[object], calls: set[FigureCall], old: list[object], lang: str) -> tuple[str, str]:
    """(version, legacy version) of a text: its `words` and its drawings; before, its `old` parts and,
    where it used figure(), the drawing code. A text that draws nothing has one version under both."""
    if not calls:
        version = digest(*words)
        return version, version
    version = digest(*words, _drawings(calls, lang))
    return version, digest(*old) if _drawn_as_at_change(calls, lang) else ""


def _module_unit(module: Module, catalog: Catalog, templates: _Templates, from_practice: bool) -> Unit:
    sources, used, own, calls = templates.tree(module.template_name)
    extra: list[object] = []
    if "instructions" in used:
        extra.append(catalog.post_op.model_dump())
    if "fever" in used:  # the practice's own fever threshold is part of what the module says
        extra.append(catalog.practice.fever_f)
    data = module.model_dump(exclude={"reviewed"})
    old = [data, sources, (_legacy_code() if "figure" in used else []) + extra]
    version, legacy = _versions([data, sources, extra], calls, old, catalog.lang)
    basis: Basis = "practice" if from_practice or own else module.basis
    return Unit(f"module:{module.id}", module.title, version, basis, module.basis_note, legacy)


def _visit_unit(visit: VisitType, templates: _Templates, from_practice: bool, lang: str) -> Unit:
    sources, _, own, calls = templates.tree(PAGE_TEMPLATE)
    version, legacy = _versions([visit.model_dump(), sources], calls, [visit.model_dump(), sources], lang)
    basis: Basis = "practice" if from_practice or own else visit.basis
    return Unit(f"visit:{visit.id}", visit.title, version, basis, visit.basis_note, legacy)


def _look_unit(files: Snapshot) -> Unit:
    """The practice's styles and images, one text to approve: a stylesheet can add words (`content:`),
    hide a warning sign (`display: none`) or move the page, and a font or image can draw anything, so
    a change to any of them brings the draft mark back on every handout, as a change of words does."""
    practice, digests = files.roots.get(PRACTICE), []
    for folder in LOOK_FOLDERS:  # by the sha256 the snapshot took: nothing is read again
        relatives = [p.relative_to(practice).as_posix() for p in files.walk(practice / folder)] if practice else []
        digests += [(relative, files[PRACTICE, relative]) for relative in relatives]
    note = "styles/ and assets/: they can add, hide or move what prints"
    return Unit(LOOK, "The practice's styles and images", digest(digests), "practice" if digests else "tool", note)


def _surgeon_unit(surgeon: Surgeon) -> Unit:
    return Unit(f"surgeon:{surgeon.id}", surgeon.display_name, digest(surgeon.model_dump()), "practice", "")


class Units(Mapping[str, Unit]):
    """Every unit of the catalog by id, each version worked out when first asked for: making one
    handout reads and parses only its own templates, not every module's.

    A translated catalog's units are `ID@<lang>`; each needs approval, and its version also covers
    the language's message catalog and the English unit's version (`english`), so a change to the
    English brings the translation's draft mark back."""

    def __init__(self, catalog: Catalog, env: HandoutEnvironment, english: Mapping[str, Unit] | None = None) -> None:
        search = catalog.search
        templates = _Templates(env, search)
        own_modules = _own(search, "modules")
        own_visits = _own(search, "visits")
        self._makers: dict[str, Callable[[], Unit]] = {}
        for m in catalog.modules.values():
            self._makers[f"module:{m.id}"] = partial(_module_unit, m, catalog, templates, m.id in own_modules)
        for v in catalog.visits.values():
            self._makers[f"visit:{v.id}"] = partial(_visit_unit, v, templates, v.id in own_visits, catalog.lang)
        for s in catalog.surgeons.values():
            self._makers[f"surgeon:{s.id}"] = partial(_surgeon_unit, s)
        if catalog.lang != DEFAULT:
            messages = catalog_path(catalog.lang).read_text(encoding="utf-8")
            self._makers = {
                f"{uid}@{catalog.lang}": partial(_translation, make, uid, catalog.lang, english or {}, messages)
                for uid, make in self._makers.items()
            }
        else:  # one look for every language: the English catalog holds it, a translation's finds it there
            self._makers[LOOK] = partial(_look_unit, search.files)
        self._made: dict[str, Unit] = {}

    def __getitem__(self, uid: str) -> Unit:
        if uid not in self._made:
            self._made[uid] = self._makers[uid]()  # the same unit every time: made twice by two threads is harmless
        return self._made[uid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)


def _translation(
    make: Callable[[], Unit], uid: str, lang: str, english: Mapping[str, Unit], messages: str
) -> Unit:
    unit, source = make(), english.get(uid)
    version = digest(unit.version, source.version if source else "", messages)
    legacy = digest(unit.legacy, source.legacy if source else "", messages)
    legacy = legacy if unit.legacy and (source is None or source.legacy) else ""
    return Unit(f"{uid}@{lang}", unit.title, version, "translation", TRANSLATION_NOTE, legacy)


def content_units(catalog: Catalog, env: HandoutEnvironment, english: Mapping[str, Unit] | None = None) -> Units:
    """Every unit of the catalog by id, with its current version (a translation's: see `Units`)."""
    return Units(catalog, env, english)


def _own(search: SearchPath, kind: str) -> set[str]:
    """The IDs of the practice's own files of `kind` (modules, visits)."""
    folder = search.practice_dir(kind)
    return {p.stem for p in search.files.listed(folder, ".toml")} if folder else set()


def handout_units(request: Request) -> list[str]:
    """The units one handout prints, page 1 first; a translated handout's English units, then its translations."""
    ids = [f"visit:{request.visit.id}", *(f"module:{m}" for m in request.modules)]
    ids += [f"surgeon:{request.surgeon.id}"] if request.surgeon else []
    return ids + ([f"{i}@{request.lang}" for i in ids] if request.lang != DEFAULT else []) + [LOOK]


def handout_version(units: Mapping[str, Unit], ids: list[str]) -> str:
    """One short version for a whole handout, printed in its footer so a page can be traced."""
    return digest([(i, units[i].version) for i in ids])[:8]


def find_units(units: Mapping[str, Unit], items: list[str]) -> list[Unit]:
    """Units by what a person types: `module:ID`, `visit:ID`, `surgeon:ID`, or a bare module or visit ID."""
    found = []
    for item in items:
        if ":" in item:
            matches = [item] if item in units else []
        else:
            matches = [uid for uid in (f"module:{item}", f"visit:{item}") if uid in units]
        if not matches:
            known = ", ".join(sorted(units))
            raise UserError(f"no text called {item!r} to approve; choose from: {known}")
        if len(matches) > 1:
            raise UserError(f"{item!r} is both a module and a visit type: write {' or '.join(matches)}")
        found.append(units[matches[0]])
    return found
