"""A schedule as the practice reads it: its schedule.toml (config/schedule_map.py) applied to the rows.

The file's columns are named as it is read (schedule.py, fhir_schedule.py). Here, the rows left out
(a visit name in schedule.toml's skip, a cancelled FHIR appointment), and each value as a handout
takes it: visit names and codes -> visit type IDs, provider names -> surgeon profiles, language
names -> codes, names as printed ("Lopez, Maria" -> "Maria Lopez"). A row's values stay as the
export wrote them, so the Today list shows them and its corrections replace them; `request_kwargs`
(rows.py) reads them through these functions, for `batch`, the Today list and its print jobs alike.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from ..base.errors import UserError
from ..config.catalog import Catalog
from ..config.models import ScheduleMap
from .schedule import Row, parse_schedule


@dataclass(frozen=True)
class Schedule:
    rows: list[Row]  # the rows to make, with their line numbers
    skipped: list[tuple[int, str]]  # (line, why) of each row left out


def schedule_rows(catalog: Catalog, data: bytes, path: Path, encoding: str | None = None) -> Schedule:
    """The schedule's rows read with the practice's schedule.toml; a file that cannot be read is a UserError."""
    mapping = catalog.schedule
    rows, skipped = [], []
    for row in parse_schedule(data, path, encoding, mapping):
        why = skipped_why(mapping, row.values)
        if why:
            skipped.append((row.line, why))
        else:
            rows.append(row)
    return Schedule(rows, skipped)


def read_rows(catalog: Catalog, path: Path, encoding: str | None = None) -> Schedule:
    """`schedule_rows` of a file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read the schedule {path}: {exc.strerror}") from None
    return schedule_rows(catalog, data, path, encoding)


def skipped_why(mapping: ScheduleMap, values: dict[str, str]) -> str:
    """Why a row gets no handout, or '' (it does)."""
    if values.get("_skip"):
        return f"the appointment is {values['_skip']}"
    visit = values.get("visit", "").strip()
    if visit and mapping.named("skip", visit) is not None:
        return "its visit is in schedule.toml skip"
    return ""


def visit_id(mapping: ScheduleMap, name: str) -> str:
    """The visit type ID schedule.toml gives the export's visit name or code, else the name as written."""
    name = name.strip()
    return mapping.named("visits", name) or name


def surgeon_id(catalog: Catalog, name: str) -> str | None:
    """The surgeon profile of the export's provider: as schedule.toml's [surgeons] names it, or a
    profile ID written as is. With a [surgeons] table, a provider it lacks is refused: the patient
    would get the practice's general sheet instead of their surgeon's instructions."""
    name = name.strip()
    if not name:
        return None
    mapped = catalog.schedule.named("surgeons", name)
    if mapped is not None:
        return mapped or None
    if catalog.schedule.surgeons and name not in catalog.surgeons and name not in catalog.broken_surgeons:
        raise UserError(
            f"the provider {name[:80]!r} is not in the practice's schedule.toml [surgeons]: add it there with "
            'the surgeon\'s profile ID, or "" for no profile'
        )
    return name


def language(mapping: ScheduleMap, name: str) -> str:
    """The language code schedule.toml's [languages] gives the export's language, else as written."""
    name = name.strip()
    return mapping.named("languages", name) or name


def patient_name(mapping: ScheduleMap, values: dict[str, str]) -> str:
    """The patient's name as it prints: one column (turned "First Last" from "Last, First" when
    schedule.toml says names = "last-first"), or first and last name columns; names written all
    in capitals capitalized when it says capitals = "capitalize"."""
    name = values.get("patient", "").strip()
    if not name:
        parts = (values.get("first_name", "").strip(), values.get("last_name", "").strip())
        name = " ".join(part for part in parts if part)
    elif mapping.names == "last-first":
        name = first_last(name)
    if mapping.capitals == "capitalize" and name == name.upper():
        name = re.sub(r"[^\W\d_]+", lambda word: word.group(0).capitalize(), name)
    return name


def first_last(name: str) -> str:
    """'Lopez, Maria' -> 'Maria Lopez'; 'Smith, John, Jr.' -> 'John Smith Jr.'; a name without a comma as it is."""
    last, comma, rest = name.partition(",")
    if not comma:
        return name
    first, _, suffix = rest.partition(",")
    return " ".join(part.strip() for part in (first, last, suffix) if part.strip())


def last_first_names(rows: list[Row]) -> int:
    """How many rows write their patient's name with one comma, as "Last, First"."""
    return sum(row.values.get("patient", "").count(",") == 1 for row in rows)
