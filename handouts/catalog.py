"""Everything a handout can be built from, loaded once and validated: practice, visit types, modules.

Reads the practice folder and the built-ins through one search path, and turns every problem
into a `UserError` that names the file, the key and the fix.
"""

import difflib
import pickle
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from . import approvals as approvals_file
from .approvals import FILE as APPROVALS_FILE
from .approvals import Approvals
from .errors import UserError
from .filememo import derived
from .glyphs import describe, handout_fonts, unprintable
from .models import RED_FLAGS, Module, PostOpInstructions, Practice, Surgeon, VisitType
from .paths import BUILTIN_ROOT
from .searchpath import SearchPath
from .snapshot import Snapshot

M = TypeVar("M", bound=BaseModel)

# The built-in starter post-op instructions, one per topic: general practice, so they print as a
# draft until the practice approves them; the practice's [post_op] and a surgeon's replace them topic by topic.
POST_OP_STARTER = "content/post-op.toml"


MAX_CONFIG_BYTES = 1_000_000


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, reporting syntax errors with the file and line."""
    if path.is_file() and path.stat().st_size > MAX_CONFIG_BYTES:
        raise UserError(f"{path}: {path.stat().st_size:,} bytes is too large for a settings file")
    try:
        return pickle.loads(derived(path, "toml", lambda data: pickle.dumps(tomllib.loads(data.decode("utf-8")))))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(
            f"{path}: not valid TOML ({exc}); fix the line it names (text goes in quotes, dates are written "
            "2026-03-14, a [table] header on its own line)"
        ) from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not valid TOML (not UTF-8 text); save it as UTF-8") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None


def validate(model: type[M], data: dict[str, Any], path: Path) -> M:
    """Build `model` from `data`, translating pydantic's messages into one plain line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UserError(f"{path}: {explain(exc, _field_names(model))}") from None


def explain(exc: ValidationError, known_keys: set[str] = frozenset()) -> str:
    """The most telling problem pydantic found, in plain words with its key.

    A misspelt key shows up twice (unknown key, and the real one missing): the unknown key is
    reported, with the missing one as the likely intended spelling.
    """
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    err = errors[0]
    key = ".".join(str(part) for part in err["loc"]) or "(top level)"
    if err["type"] == "extra_forbidden":
        missing = [str(e["loc"][-1]) for e in errors if e["type"] == "missing"]
        guess = difflib.get_close_matches(str(err["loc"][-1]), missing + sorted(known_keys), n=1)
        hint = (
            f"did you mean '{guess[0]}'?"
            if guess
            else "check its spelling (the files 'handouts init-practice' writes list every key)"
        )
        return f"unknown key '{key}': {hint}"
    if err["type"] == "missing":
        return f"key '{key}' is required but missing: add it"
    message = _PLAIN.get(err["type"]) or err["msg"].removeprefix("Value error, ")
    if err["type"] == "string_pattern_mismatch":
        message = f"{err['input']!r} has characters that are not allowed here (letters, digits, - _ . / only)"
    return f"key '{key}': {message}"


# pydantic's wording for the mistakes people make in these files, said with the fix
_PLAIN = {
    "int_parsing": "should be a whole number, e.g. 2 (no quotes, no words)",
    "int_type": "should be a whole number, e.g. 2 (no quotes, no words)",
    "date_from_datetime_parsing": "should be a date written 2026-03-14 (no quotes)",
    "date_parsing": "should be a date written 2026-03-14 (no quotes)",
    "date_type": "should be a date written 2026-03-14 (no quotes)",
    "string_type": 'should be text in quotes, e.g. "Walk three times a day."',
    "literal_error": None,
}


def _field_names(model: type[BaseModel]) -> set[str]:
    """Every key a file of this model may hold, nested tables included (for spelling hints)."""
    names = set()
    for name, info in model.model_fields.items():
        names.add(name)
        kind = info.annotation
        for candidate in (kind, *getattr(kind, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                names |= _field_names(candidate)
    return names


def load_model(model: type[M], path: Path, **extra: Any) -> M:
    return validate(model, {**read_toml(path), **extra}, path)


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
    _editions: dict[str, "Catalog"] = field(default_factory=dict, compare=False, repr=False)

    def edition(self, lang: str) -> "Catalog":
        """This catalog in `lang`, translated once and kept (editions.py)."""
        if lang == self.lang:
            return self
        if lang not in self._editions:
            from .editions import edition

            self._editions[lang] = edition(self, lang)
        return self._editions[lang]

    @property
    def post_op(self) -> PostOpInstructions:
        """The practice's post-op instructions: its own [post_op] topics over the built-in starter set."""
        own = self.practice.post_op.model_dump(exclude_none=True)
        return self.post_op_starter.model_copy(update=own)

    @classmethod
    def load(cls, practice_dir: Path | None = None, builtin: Path = BUILTIN_ROOT) -> "Catalog":
        if practice_dir is not None and not practice_dir.is_dir():
            raise UserError(f"practice folder {practice_dir} does not exist: check the path")
        search = SearchPath(practice_dir, builtin)
        snapshot = Snapshot.take(practice_dir, builtin)  # refuses a link in the folder before anything is read
        practice_file = search.practice_file
        if practice_dir is not None and not practice_file.is_file():
            raise UserError(f"{practice_file} is missing: create it with 'handouts init-practice {practice_dir}'")
        practice = load_model(Practice, practice_file)
        _check_assets(practice, practice_file, search)
        modules = {mid: load_model(Module, path, id=mid) for mid, path in search.names("modules", ".toml").items()}
        for mid, module in modules.items():
            if not any((d / module.template_name).is_file() for d in search.dirs("templates")):
                raise UserError(
                    f"{search.names('modules', '.toml')[mid]}: template {module.template_name!r} not found in "
                    f"{' or '.join(str(d) for d in search.dirs('templates'))}"
                )
        visit_files = search.names("visits", ".toml")
        loaded = [load_model(VisitType, path, id=vid) for vid, path in visit_files.items()]
        visits = {v.id: v for v in sorted(loaded, key=lambda v: (v.order, v.id))}
        for vid, visit in visits.items():
            check_modules(visit.modules, modules, f"{visit_files[vid]}: key 'modules'")
        for vid in practice.links:
            if vid not in visits:
                raise UserError(
                    f"{practice_file}: key 'links.{vid}': unknown visit type; known: {', '.join(visits)}"
                )
        starter_file = search.builtin / POST_OP_STARTER
        starter = load_model(PostOpInstructions, starter_file) if starter_file.is_file() else PostOpInstructions()
        surgeons, broken = {}, {}
        fonts = Fonts(search, practice)
        for sid, path in search.names("surgeons", ".toml").items():
            try:
                surgeons[sid] = _load_surgeon(path, sid, visits, modules)
                check_printable(surgeons[sid], path, fonts)
            except UserError as exc:  # one surgeon's typo must not stop the front desk for everyone
                surgeons.pop(sid, None)
                broken[sid] = str(exc)
        approvals = Approvals()
        if practice_dir is not None and (practice_dir / APPROVALS_FILE).is_file():
            path = practice_dir / APPROVALS_FILE
            texts = {f"module:{m}" for m in modules} | {f"visit:{v}" for v in visits} | {"style:practice"}
            texts |= {f"surgeon:{s}" for s in [*surgeons, *broken]}  # a profile with a typo is still the practice's
            approvals = approvals_file.load(path, read_toml(path), texts)
        return cls(search, practice, visits, modules, surgeons, broken, snapshot, approvals, starter)

    def visit(self, visit_id: str) -> VisitType:
        try:
            return self.visits[visit_id]
        except KeyError:
            raise UserError(
                f"unknown visit type {visit_id!r}: choose one of {', '.join(sorted(self.visits))} (see 'handouts list')"
            ) from None


def _load_surgeon(path: Path, sid: str, visits: dict[str, VisitType], modules: dict[str, Module]) -> Surgeon:
    surgeon = load_model(Surgeon, path, id=sid)
    for vid, prefs in surgeon.visits.items():
        if vid not in visits:
            raise UserError(f"{path}: key 'visits.{vid}': unknown visit type; known: {', '.join(visits)}")
        if prefs.modules is not None:
            check_modules(prefs.modules, modules, f"{path}: key 'visits.{vid}.modules'")
    return surgeon


class Fonts:
    """The handout's font files (glyphs.py), found when a text first needs them."""

    def __init__(self, search: SearchPath, practice: Practice) -> None:
        self.search, self.practice = search, practice
        self._found: list[Path] | None = None

    @property
    def files(self) -> list[Path]:
        if self._found is None:
            self._found = handout_fonts(self.search, self.practice)
        return self._found


def check_printable(model: BaseModel, path: Path, fonts: Fonts) -> None:
    """Every text of a profile prints with the handout's fonts: "Dr. 👍" would stop every handout
    of that surgeon, so the file is refused at once, naming the key."""
    for key, text in _texts(model.model_dump(exclude_none=True)):
        missing = unprintable(text, fonts.files) if not text.isascii() else ""
        if missing:
            raise UserError(
                f"{path}: key '{key}': a character cannot be printed with the handout's fonts: {describe(missing)}; "
                "remove it, or say it in words"
            )


def _texts(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, text) for each text in a model's data, keys written as the files' messages write them."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _texts(item, f"{key}.{name}" if key else str(name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, f"{key}.{index}")


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
