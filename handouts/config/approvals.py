"""approvals.toml: who approved which version of which text, a plain file in the practice folder.

It is written by `handouts approve` (and the surgeon page) by appending, so the file reads as a
log, keeps any comments, and shows in a git diff who signed off what and when. An approval covers
one version of one unit: when the text changes, its version changes and the approval no longer
applies, so the handout prints as a draft again until someone approves the new text.

The file is plain text anyone with the folder can edit, so each entry is checked when the practice
loads (`load`), and the first wrong one stops it with its line and the fix: a version of another
shape than the ones this tool makes, a date without its time zone or in the future, an unknown key
or language. An approval of a text the practice no longer has (a surgeon who left) is history: it
approves nothing, `handouts check` names it, and it never stops the practice from printing. What
cannot be checked is whether an older version ever was the text: a version is a short hash of the
text it stood for, and that text is gone. Such an approval is history too: only an approval of a
text's current version removes the draft mark.
"""

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Protocol

from pydantic import AwareDatetime, StringConstraints, ValidationError

from ..base.errors import UserError
from ..base.i18n import DEFAULT, LANGUAGES
from ..base.output import write_atomic
from ..inputs.layout import APPROVALS_FILE
from .models import Strict, Text

HEADER = (
    "# Who approved which text of this practice's handouts, and which version of it.\n"
    "# Written by `handouts approve`; keep it with the practice folder (in git, if you use it).\n"
)
VERSION_LENGTH = 10  # hex digits of a text's version (versions.py makes them)
UnitId = Annotated[
    str, StringConstraints(pattern=r"^((module|visit|surgeon):[a-z0-9][a-z0-9-]{0,40}(@[a-z]{2})?|style:practice)$")
]
Version = Annotated[str, StringConstraints(pattern=rf"^[0-9a-f]{{{VERSION_LENGTH}}}$")]
CLOCK_SLACK = timedelta(minutes=15)  # two computers sharing the practice folder may disagree on the time
EARLIEST = datetime(2026, 1, 1, tzinfo=UTC)  # no approval of a handout text can be older than the tool
_KEYS = "unit, version, by, role and date"
_FIX = {
    "unit": 'should name a text as `handouts approve` writes it, e.g. "module:red-flags", "visit:post-op", '
    '"surgeon:lee" or "module:red-flags@es" (`handouts check` lists them)',
    "version": f"should be a version as `handouts approve` records it: {VERSION_LENGTH} digits and letters a-f "
    '(e.g. "3f9a0c1b2d")',
    "date": "should be the date and time with its time zone, as `handouts approve` writes it: 2026-03-14T09:30:00Z "
    "(no quotes)",
    "by": 'should be the name in quotes, e.g. "Dr. Ana Lee"',
    "role": 'should be the role in quotes, e.g. "MD"',
}


class Approval(Strict):
    unit: UnitId
    version: Version
    by: Text
    role: Text
    date: AwareDatetime


@dataclass(frozen=True)
class Approvals:
    """The approvals of one practice (none for the built-in sample practice)."""

    items: tuple[Approval, ...] = ()
    # entries for texts the practice no longer has (a surgeon who left, a module removed): history,
    # approving nothing; `handouts check` names them, and they never stop the practice from printing
    gone: tuple[str, ...] = ()

    def of(self, unit: str, *versions: str) -> Approval | None:
        """The latest approval of exactly one of these versions of `unit` (`Unit.versions`)."""
        found = [a for a in self.items if a.unit == unit and a.version in versions]
        return max(found, key=lambda a: a.date) if found else None

    def last(self, unit: str) -> Approval | None:
        """The latest approval of any version of `unit` (to say 'changed since approved')."""
        found = [a for a in self.items if a.unit == unit]
        return max(found, key=lambda a: a.date) if found else None


def load(path: Path, data: dict[str, Any], text: str, texts: Collection[str]) -> Approvals:
    """The approvals of `path` (`data`, its TOML as read from `text`), every entry checked against the practice's
    `texts` (module:ID, visit:ID and surgeon:ID, in English): the first wrong entry is refused with
    its line and how to fix it."""
    if set(data) - {"approval"} or not isinstance(data.get("approval", []), list):
        raise UserError(f"{path}: the file holds [[approval]] entries only, as `handouts approve` writes them")
    entries = data.get("approval", [])
    lines = _entry_lines(text)
    latest = now() + CLOCK_SLACK
    items, gone = [], []
    for index, entry in enumerate(entries):
        where = f"{path}, line {lines[index]}" if len(lines) == len(entries) else str(path)
        where += f" ([[approval]] {index + 1})"
        approval, problem = _checked(entry, latest)
        if approval is None:
            raise UserError(f"{where}: {problem}")
        if approval.unit.partition("@")[0] in texts:
            items.append(approval)
        else:
            gone.append(
                f"{where}: '{approval.unit}' is not a text of this practice now: it approves nothing "
                "(keep it as history, or remove it if the name is mistyped)"
            )
    return Approvals(tuple(items), tuple(gone))


def _entry_lines(text: str) -> list[int]:
    """The line of each [[approval]] header (none when the file writes them another way)."""
    header = re.compile(r"^\s*\[\[\s*approval\s*\]\]\s*(#.*)?$")
    return [number for number, line in enumerate(text.splitlines(), 1) if header.match(line)]


def _checked(entry: object, latest: datetime) -> tuple[Approval | None, str]:
    """The entry as an approval, or None and what is wrong with it, said with the fix."""
    if not isinstance(entry, dict):
        return None, f"an approval is a [[approval]] table with {_KEYS}"
    try:
        approval = Approval.model_validate(entry)
    except ValidationError as exc:
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        key = str(errors[0]["loc"][0]) if errors[0]["loc"] else ""
        if errors[0]["type"] == "extra_forbidden":
            return None, f"unknown key '{key}': an approval has {_KEYS}"
        if errors[0]["type"] == "missing":
            return None, f"key '{key}' is missing: an approval has {_KEYS}"
        return None, f"key '{key}' {_FIX.get(key, errors[0]['msg'])}"
    lang = approval.unit.partition("@")[2]
    if lang and (lang == DEFAULT or lang not in LANGUAGES):
        known = ", ".join(code for code in LANGUAGES if code != DEFAULT)
        return None, f"'{approval.unit}': @{lang} is not a translation the handouts have (they have @{known})"
    if approval.date > latest:
        return None, (
            f"the date {approval.date.isoformat()} is in the future: an approval is dated when it is given; "
            "correct the date, or remove this entry"
        )
    if approval.date < EARLIEST:
        return None, (
            f"the date {approval.date.isoformat()} is before this tool wrote any approval ({EARLIEST.date()}): "
            "an approval is dated when it is given; correct the date, or remove this entry"
        )
    return approval, ""


def approval_block(approval: Approval) -> str:
    """One [[approval]] table, as appended to the file."""

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return (
        "\n[[approval]]\n"
        f"unit = {quoted(approval.unit)}\n"
        f"version = {quoted(approval.version)}\n"
        f"by = {quoted(approval.by)}\n"
        f"role = {quoted(approval.role)}\n"
        f"date = {approval.date.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
    )


def append(practice: Path, approvals: list[Approval], mode: int = 0o644) -> Path:
    """Add approvals to the practice's file, keeping what is there (whole or not at all)."""
    path = practice / APPROVALS_FILE
    text = path.read_text(encoding="utf-8") if path.is_file() else HEADER
    write_atomic(path, (text + "".join(approval_block(a) for a in approvals)).encode("utf-8"), mode)
    return path


class Versioned(Protocol):
    """A text as approving it needs it (render/versions.py's `Unit`, which is worked out from what it prints)."""

    @property
    def id(self) -> str: ...
    @property
    def version(self) -> str: ...


def record(practice: Path, units: Sequence[Versioned], by: str, role: str) -> tuple[Path, datetime]:
    """Approve the current version of each unit under one name, role and time: the one record that
    `handouts approve` and the surgeon page both write. `by` and `role` are already checked text."""
    when = now()
    return append(practice, [Approval(unit=u.id, version=u.version, by=by, role=role, date=when) for u in units]), when


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
