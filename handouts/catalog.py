"""Everything a handout can be built from, loaded once and validated: practice, visit types, modules.

Reads the practice folder and the built-ins through one search path, and turns every problem
into a `UserError` that names the file, the key and the fix.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import UserError
from .models import RED_FLAGS, Module, Practice, VisitType
from .searchpath import BUILTIN_PRACTICE_FILE, SearchPath

M = TypeVar("M", bound=BaseModel)


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, reporting syntax errors with the file and line."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML ({exc}); fix the line it names") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror})") from None


def validate(model: type[M], data: dict[str, Any], path: Path) -> M:
    """Build `model` from `data`, translating pydantic's messages into one plain line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UserError(f"{path}: {explain(exc)}") from None


def explain(exc: ValidationError) -> str:
    """The first problem pydantic found, in plain words with its key."""
    err = exc.errors()[0]
    key = ".".join(str(part) for part in err["loc"]) or "(top level)"
    if err["type"] == "extra_forbidden":
        return f"unknown key '{key}': check its spelling (see the built-in file for the keys allowed)"
    if err["type"] == "missing":
        return f"key '{key}' is required but missing: add it"
    message = err["msg"].removeprefix("Value error, ")
    return f"key '{key}': {message}"


def load_model(model: type[M], path: Path, **extra: Any) -> M:
    return validate(model, {**read_toml(path), **extra}, path)


@dataclass(frozen=True)
class Catalog:
    """The validated practice, visit types and modules, ready for rendering."""

    search: SearchPath
    practice: Practice
    visits: dict[str, VisitType]
    modules: dict[str, Module]

    @classmethod
    def load(cls, practice_dir: Path | None = None) -> "Catalog":
        if practice_dir is not None and not practice_dir.is_dir():
            raise UserError(f"practice folder {practice_dir} does not exist: check the path")
        search = SearchPath(practice_dir)
        practice_file = BUILTIN_PRACTICE_FILE
        if practice_dir is not None:
            practice_file = practice_dir / "practice.toml"
            if not practice_file.is_file():
                raise UserError(f"{practice_file} is missing: create it with 'handouts init-practice {practice_dir}'")
        practice = load_model(Practice, practice_file)
        if practice.logo and search.find("assets", practice.logo) is None:
            raise UserError(
                f"{practice_file}: key 'logo': file {practice.logo!r} not found in "
                f"{' or '.join(str(d) for d in search.dirs('assets'))}; put it there or fix the name"
            )
        modules = {mid: load_model(Module, path, id=mid) for mid, path in search.names("modules", ".toml").items()}
        loaded = [load_model(VisitType, path, id=vid) for vid, path in search.names("visits", ".toml").items()]
        visits = {v.id: v for v in sorted(loaded, key=lambda v: (v.order, v.id))}
        for vid, visit in visits.items():
            _check_visit(visit, modules, search.names("visits", ".toml")[vid])
        for module in modules.values():
            if not any((d / module.template_name).is_file() for d in search.dirs("templates")):
                path = search.names("modules", ".toml")[module.id]
                raise UserError(
                    f"{path}: template {module.template_name!r} not found in "
                    f"{' or '.join(str(d) for d in search.dirs('templates'))}"
                )
        return cls(search, practice, visits, modules)

    def visit(self, visit_id: str) -> VisitType:
        try:
            return self.visits[visit_id]
        except KeyError:
            raise UserError(
                f"unknown visit type {visit_id!r}: choose one of {', '.join(sorted(self.visits))} (see 'handouts list')"
            ) from None


def _check_visit(visit: VisitType, modules: dict[str, Module], path: Path) -> None:
    """Every module named must exist, none twice, and the red flags must be there."""
    for mid in visit.modules:
        if mid not in modules:
            raise UserError(
                f"{path}: key 'modules': unknown module {mid!r}; known modules: {', '.join(sorted(modules))}"
            )
    if len(set(visit.modules)) != len(visit.modules):
        raise UserError(f"{path}: key 'modules': a module is listed twice")
    if RED_FLAGS not in visit.modules:
        raise UserError(f"{path}: key 'modules': '{RED_FLAGS}' is missing; the red flags are on every handout, add it")
