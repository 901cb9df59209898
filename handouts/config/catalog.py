"""Everything a handout can be built from, loaded once and validated: practice, visit types, modules.

Reads the practice folder and the built-ins through one search path, and turns every problem
into a `UserError` that names the file, the key and the fix.
"""

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from ..base.errors import UserError
from ..base.i18n import DEFAULT
from ..base.paths import BUILTIN_ROOT
from ..inputs.layout import APPROVALS_FILE
from ..inputs.searchpath import SearchPath
from ..inputs.snapshot import Snapshot
from . import approvals as approvals_file
from .approvals import Approvals
from .editions import Texts, translated
from .loading import POST_OP_STARTER, Fonts, check_printable, load_model, read_toml
from .models import RED_FLAGS, Module, PostOpInstructions, Practice, ScheduleMap, Surgeon, VisitType
from .schedule_map import load_schedule_map


@dataclass(frozen=True)
class Catalog:
    """The validated practice, visit types and modules, ready for rendering."""

    search: SearchPath
    practice: Practice
    visits: dict[str, VisitType]
    modules: dict[str, Module]
    surgeons: dict[str, Surgeon]
    broken_surgeons: dict[str, str]  # surgeon ID -> what is wrong with the profile, for check and make
    snapshot: Snapshot  # every file it can make a handout from, as they were when it was loaded
    approvals: Approvals = Approvals()
    post_op_starter: PostOpInstructions = PostOpInstructions()
    lang: str = "en"  # the language of its text: each language is an edition of the English catalog
    # its editions, made when first asked for: every Catalog made (by `replace` too) starts with none of its own
    _editions: dict[str, "Catalog"] = field(init=False, default_factory=dict, compare=False, repr=False)

    def edition(self, lang: str) -> "Catalog":
        """This catalog in `lang`, translated once and kept (editions.py), read through the part of the
        snapshot that language is made from."""
        if lang == self.lang:
            return self
        if lang not in self._editions:
            search = SearchPath.of(self.snapshot.view(lang))
            texts = translated(self.texts, search, lang)
            self._editions[lang] = replace(self, **vars(texts), search=search, lang=lang)
        return self._editions[lang]

    @property
    def texts(self) -> Texts:
        """What this catalog prints, the part of it a translation replaces."""
        return Texts(
            self.practice, self.visits, self.modules, self.surgeons, self.broken_surgeons, self.post_op_starter
        )

    @property
    def post_op(self) -> PostOpInstructions:
        """The practice's post-op instructions: its own [post_op] topics over the built-in starter set."""
        own = self.practice.post_op.model_dump(exclude_none=True)
        return self.post_op_starter.model_copy(update=own)

    @cached_property
    def schedule(self) -> ScheduleMap:
        """How the practice's schedule export reads (schedule.toml), read when a schedule first is."""
        return load_schedule_map(
            self.search.practice, self.snapshot, self.visits, [*self.surgeons, *self.broken_surgeons]
        )

    @classmethod
    def load(cls, practice_dir: Path | None = None, builtin: Path = BUILTIN_ROOT) -> "Catalog":
        """The catalog of a practice folder (None: the built-in sample practice) as its files are now."""
        if practice_dir is not None and not practice_dir.is_dir():
            raise UserError(f"practice folder {practice_dir} does not exist: check the path")
        return cls.of(Snapshot.take(practice_dir, builtin))  # refuses a link in the folder before anything is read

    @classmethod
    def of(cls, snapshot: Snapshot) -> "Catalog":
        """The catalog made from a snapshot's files, read through it alone: the English text here, each
        language's in `edition`, each through the part of the snapshot its language is made from."""
        search = SearchPath.of(snapshot.view(DEFAULT))
        files, practice_dir = search.files, search.practice
        practice_file = search.practice_file
        if practice_dir is not None and not files.is_file(practice_file):
            raise UserError(f"{practice_file} is missing: create it with 'handouts init-practice {practice_dir}'")
        practice = load_model(Practice, practice_file, files)
        _check_assets(practice, practice_file, search)
        module_files = search.names("modules", ".toml")
        modules = {mid: load_model(Module, path, files, id=mid) for mid, path in module_files.items()}
        for mid, module in modules.items():
            if not any(files.is_file(d / module.template_name) for d in search.dirs("templates")):
                raise UserError(
                    f"{module_files[mid]}: template {module.template_name!r} not found in "
                    f"{' or '.join(str(d) for d in search.dirs('templates'))}"
                )
        visit_files = search.names("visits", ".toml")
        loaded = [load_model(VisitType, path, files, id=vid) for vid, path in visit_files.items()]
        visits = {v.id: v for v in sorted(loaded, key=lambda v: (v.order, v.id))}
        for vid, visit in visits.items():
            check_modules(visit.modules, modules, f"{visit_files[vid]}: key 'modules'")
        for vid in practice.links:
            if vid not in visits:
                raise UserError(
                    f"{practice_file}: key 'links.{vid}': unknown visit type; known: {', '.join(visits)}"
                )
        starter_file = search.builtin / POST_OP_STARTER
        has_starter = files.is_file(starter_file)
        starter = load_model(PostOpInstructions, starter_file, files) if has_starter else PostOpInstructions()
        surgeons, broken = {}, {}
        fonts = Fonts(search, practice)
        for sid, path in search.names("surgeons", ".toml").items():
            try:
                surgeons[sid] = _load_surgeon(path, sid, visits, modules, files)
                check_printable(surgeons[sid], path, fonts)
            except UserError as exc:  # one surgeon's typo must not stop the front desk for everyone
                surgeons.pop(sid, None)
                broken[sid] = str(exc)
        approvals = Approvals()
        if practice_dir is not None and files.is_file(practice_dir / APPROVALS_FILE):
            path = practice_dir / APPROVALS_FILE
            texts = {f"module:{m}" for m in modules} | {f"visit:{v}" for v in visits} | {"style:practice"}
            texts |= {f"surgeon:{s}" for s in [*surgeons, *broken]}  # a profile with a typo is still the practice's
            data = read_toml(path, files)  # UTF-8 TOML, or refused here
            approvals = approvals_file.load(path, data, files.read(path).decode("utf-8"), texts)
        return cls(search, practice, visits, modules, surgeons, broken, snapshot, approvals, starter)

    def visit(self, visit_id: str) -> VisitType:
        try:
            return self.visits[visit_id]
        except KeyError:
            raise UserError(
                f"unknown visit type {visit_id!r}: choose one of {', '.join(sorted(self.visits))} (see 'handouts list')"
            ) from None


def _load_surgeon(
    path: Path, sid: str, visits: dict[str, VisitType], modules: dict[str, Module], files: Snapshot
) -> Surgeon:
    surgeon = load_model(Surgeon, path, files, id=sid)
    for vid, prefs in surgeon.visits.items():
        if vid not in visits:
            raise UserError(f"{path}: key 'visits.{vid}': unknown visit type; known: {', '.join(visits)}")
        if prefs.modules is not None:
            check_modules(prefs.modules, modules, f"{path}: key 'visits.{vid}.modules'")
    return surgeon


def check_modules(ids: list[str], modules: dict[str, Module], where: str) -> None:
    """Every module named must exist, none twice, and the red flags must be there."""
    for mid in ids:
        if mid not in modules:
            raise UserError(f"{where}: unknown module {mid!r}; known modules: {', '.join(sorted(modules))}")
    if len(set(ids)) != len(ids):
        raise UserError(f"{where}: a module is listed twice")
    if RED_FLAGS not in ids:
        raise UserError(f"{where}: '{RED_FLAGS}' is missing; the red flags are on every handout, add it back")


def _check_assets(practice: Practice, path: Path, search: SearchPath) -> None:
    """The logo and font files the practice names must be in an assets folder."""
    named = {"logo": practice.logo}
    if practice.font:
        named |= {"font.regular": practice.font.regular, "font.bold": practice.font.bold}
    folders = " or ".join(str(d) for d in search.dirs("assets"))
    for key, name in named.items():
        if name and search.find("assets", name) is None:
            raise UserError(f"{path}: key '{key}': file {name!r} not found in {folders}; put it there or fix the name")
