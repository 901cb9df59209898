"""Reading a practice's settings files: TOML parsed once per change, validated, every problem one plain line.

Each message names the file, the key and the fix, so the person who edits the file can mend it without us.
"""

import difflib
import pickle
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..base.errors import UserError
from ..base.filememo import derived
from ..inputs.searchpath import SearchPath
from ..inputs.snapshot import Snapshot
from .glyphs import describe, handout_fonts, unprintable
from .models import Practice

M = TypeVar("M", bound=BaseModel)
# The built-in starter post-op instructions, one per topic: general practice, so they print as a
# draft until the practice approves them; the practice's [post_op] and a surgeon's replace them topic by topic.
POST_OP_STARTER = "content/post-op.toml"
MAX_CONFIG_BYTES = 1_000_000


def read_toml(path: Path, files: Snapshot | None = None) -> dict[str, Any]:
    """Parse a TOML file, reporting syntax errors with the file and line: through `files` (the snapshot a
    catalog is made from, which reads it as it took it), else the file as it is now (one about to be
    rewritten: a surgeon's profile saved from the page)."""

    def parse(data: bytes) -> bytes:
        if len(data) > MAX_CONFIG_BYTES:
            raise UserError(f"{path}: {len(data):,} bytes is too large for a settings file")
        return pickle.dumps(tomllib.loads(data.decode("utf-8")))

    try:
        return pickle.loads(files.derived(path, "toml", parse) if files is not None else derived(path, "toml", parse))
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


def load_model(model: type[M], path: Path, files: Snapshot, **extra: Any) -> M:
    """`model` from the TOML file at `path`, as `files` took it."""
    return validate(model, {**read_toml(path, files), **extra}, path)


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
        missing = unprintable(text, fonts.files, fonts.search) if not text.isascii() else ""
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
