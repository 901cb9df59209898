"""approvals.toml: who approved which version of which text, a plain file in the practice folder.

It is written by `handouts approve` (and the surgeon page) by appending, so the file reads as a
log, keeps any comments, and shows in a git diff who signed off what and when. An approval covers
one version of one unit: when the text changes, its version changes and the approval no longer
applies, so the handout prints as a draft again until someone approves the new text.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, StringConstraints

from .models import Strict, Text
from .output import write_atomic

if TYPE_CHECKING:
    from .versions import Unit  # versions reads the catalog, which reads this module

FILE = "approvals.toml"
HEADER = (
    "# Who approved which text of this practice's handouts, and which version of it.\n"
    "# Written by `handouts approve`; keep it with the practice folder (in git, if you use it).\n"
)
UnitId = Annotated[str, StringConstraints(pattern=r"^(module|visit|surgeon):[a-z0-9][a-z0-9-]{0,40}(@[a-z]{2})?$")]
Version = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{6,64}$")]


class Approval(Strict):
    unit: UnitId
    version: Version
    by: Text
    role: Text
    date: datetime


class ApprovalsFile(Strict):
    approval: list[Approval] = Field(default=[])


@dataclass(frozen=True)
class Approvals:
    """The approvals of one practice (none for the built-in sample practice)."""

    items: tuple[Approval, ...] = ()

    def of(self, unit: str, version: str) -> Approval | None:
        """The latest approval of exactly this version of `unit`."""
        found = [a for a in self.items if a.unit == unit and a.version == version]
        return max(found, key=lambda a: a.date) if found else None

    def last(self, unit: str) -> Approval | None:
        """The latest approval of any version of `unit` (to say 'changed since approved')."""
        found = [a for a in self.items if a.unit == unit]
        return max(found, key=lambda a: a.date) if found else None


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
    path = practice / FILE
    text = path.read_text(encoding="utf-8") if path.is_file() else HEADER
    write_atomic(path, (text + "".join(approval_block(a) for a in approvals)).encode("utf-8"), mode)
    return path


def record(practice: Path, units: Sequence["Unit"], by: str, role: str) -> tuple[Path, datetime]:
    """Approve the current version of each unit under one name, role and time: the one record that
    `handouts approve` and the surgeon page both write. `by` and `role` are already checked text."""
    when = now()
    return append(practice, [Approval(unit=u.id, version=u.version, by=by, role=role, date=when) for u in units]), when


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
