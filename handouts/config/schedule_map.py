"""The practice's schedule.toml: how its schedule export reads, checked against its visit types and surgeons.

Each mistake is one line naming the file and the key, as for the practice's other files; the file
is read when a schedule is (a batch, the Today list, `schedule check`), so a mistake in it never
stops the front desk's single handouts. No file: the schedule is read with the built-in column
names and the tool's own visit type IDs.
"""

import difflib
from collections.abc import Callable, Iterable
from pathlib import Path

from ..base.errors import UserError
from ..inputs.layout import SCHEDULE_FILE
from ..inputs.snapshot import Snapshot
from .loading import load_model
from .models import SCHEDULE_COLUMNS, ScheduleMap, VisitType, column_name, fold


def load_schedule_map(
    practice: Path | None, files: Snapshot, visits: dict[str, VisitType], surgeons: Iterable[str]
) -> ScheduleMap:
    """The practice's schedule.toml as the catalog's snapshot took it, validated, or the empty mapping when it
    has none."""
    path = practice / SCHEDULE_FILE if practice is not None else None
    if path is None or not files.is_file(path):
        return ScheduleMap()
    mapping = load_model(ScheduleMap, path, files)
    fields = {name for visit in visits.values() for name in visit.fields}
    for key in mapping.columns:
        if key not in SCHEDULE_COLUMNS and key not in fields:
            known = [*SCHEDULE_COLUMNS, *sorted(fields)]
            guess = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean '{guess[0]}'?" if guess else f"use one of {', '.join(known)}"
            raise UserError(f"{path}: key 'columns.{key}': no visit type reads a column '{key}': {hint}")
    _once(path, "columns", mapping.columns, column_name)
    for name, visit in mapping.visits.items():
        if visit not in visits:
            raise UserError(f"{path}: key 'visits.{name}': unknown visit type {visit!r}; known: {', '.join(visits)}")
    known_surgeons = sorted(surgeons)
    for name, surgeon in mapping.surgeons.items():
        if surgeon and surgeon not in known_surgeons:
            known = ", ".join(known_surgeons) or "none (add surgeons/ID.toml to the practice folder)"
            raise UserError(
                f"{path}: key 'surgeons.{name}': no surgeon profile {surgeon!r}; known: {known} (\"\" for none)"
            )
    for table in ("visits", "surgeons", "languages"):
        _once(path, table, {name: name for name in getattr(mapping, table)}, fold)
    return mapping


def _once(path: Path, table: str, names: dict[str, str], same: Callable[[str], str]) -> None:
    """No two keys of `table` name one thing in any case and spacing: which one is meant is not guessed."""
    seen: dict[str, str] = {}
    for key, name in names.items():
        first = seen.setdefault(same(name), key)
        if first == key:
            continue
        where = f"{path}: key '{table}.{key}'"
        if table == "columns":
            raise UserError(f"{where}: '{first}' and '{key}' both name the column {name!r}: keep one")
        raise UserError(f"{where}: {key!r} and {first!r} are one name (in any case and spacing): keep one")
