"""From schedule rows to handout requests: columns, spreadsheet dates, flags, file names.

Kept apart from running the batch so the web upload and the command line read rows the same way.
"""

import difflib
import re
import unicodedata
from datetime import date

from ..base.errors import UserError
from ..base.i18n import parse_lang
from ..compose.request import clean_id
from ..config.catalog import Catalog
from .mapped import language, last_first_names, patient_name, surgeon_id, visit_id
from .schedule import COLUMNS, Row

DEFAULT_NAMES = "{date}_{visit}_{patient}"
NAME_FIELDS = ("row", "id", "visit", "date", "patient", "surgeon")
TRUE, FALSE = {"1", "yes", "y", "true", "x", "on"}, {"", "0", "no", "n", "false", "off"}


def _flag(value: str, column: str) -> bool:
    if value.strip().lower() in TRUE:
        return True
    if value.strip().lower() in FALSE:
        return False
    # the cell is not quoted: an unquoted comma may have put part of a name in it
    raise UserError(f"column {column} is not yes or no (not shown here): write yes or no, and put a name with a comma "
                    "in double quotes")


_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
# The same words on every row it hits, so `folded` says it once for the whole schedule.
NEEDS_ORDER = (
    "dates written with slashes (3/14/2026 or 14/03/2026) need their order: run the batch with --dates us "
    "(month first) or --dates eu (day first), or write them as YYYY-MM-DD, or say it once in the practice's "
    'schedule.toml (dates = "us" or "eu")'
)
# A row without its visit's date is refused: a handout dated the day it is made would tell the
# patient of another day's visit.
NO_DATE = "this row has no visit date: write the date of the visit in the schedule's date column"


def iso_date(text: str, order: str | None, what: str, said: str | None = None) -> str:
    """A date as spreadsheets write it (3/14/2026 or 14/03/2026) in YYYY-MM-DD, by the order given
    (`said`: where the order was given, for the message; default --dates)."""
    match = _SLASHED.match(text.strip())
    if not match:
        return text
    if order is None:
        raise UserError(NEEDS_ORDER)
    first, second, year = (int(part) for part in match.groups())
    month, day = (first, second) if order == "us" else (second, first)
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        reading = "month/day/year" if order == "us" else "day/month/year"
        raise UserError(
            f"{what} {text.strip()!r} is not a real date read as {reading} ({said or f'--dates {order}'}): "
            "check the month and day"
        ) from None


def request_kwargs(catalog: Catalog, values: dict[str, str], archival: bool = False, dates: str | None = None) -> dict:
    """The arguments of `build_request` for one row, its values read through the practice's
    schedule.toml (mapped.py); declared fields of its visit type only. `dates`: the order of slashed
    dates as the command or the page says it, else as schedule.toml does."""
    if values.get("_error"):
        raise UserError(values["_error"])
    mapping = catalog.schedule
    said = None if dates else f'schedule.toml dates = "{mapping.dates}"'
    dates = dates or mapping.dates
    written = language(mapping, values.get("lang", ""))
    lang = parse_lang(written, "the language") if written else None
    visit = catalog.visit(_visit(catalog, values.get("visit", "")))
    clean_id(values.get("id"))  # a record number goes into the manifest and the record: checked like a name
    if not values.get("date", "").strip():
        raise UserError(NO_DATE)
    return {
        "visit_id": visit.id,
        "patient": patient_name(mapping, values),
        "visit_date": iso_date(values["date"], dates, "the date", said),
        "sets": {
            k: iso_date(v, dates, f"the {visit.fields[k].label.lower()}", said) if visit.fields[k].kind == "date" else v
            for k, v in values.items()
            if k in visit.fields and v
        },
        "large_print": _flag(values.get("large_print", ""), "large_print"),
        "surgeon": surgeon_id(catalog, values.get("surgeon", "")),
        "archival": archival,
        "lang": lang,
    }


def _visit(catalog: Catalog, name: str) -> str:
    """The row's visit type ID; an empty or unknown one is refused in words the desk can act on."""
    visit = visit_id(catalog.schedule, name)
    if not visit:
        raise UserError(
            f"this row has no visit type: write one of {', '.join(sorted(catalog.visits))} (see 'handouts list')"
        )
    if visit not in catalog.visits:
        raise UserError(
            f"unknown visit type {visit[:80]!r}: choose one of {', '.join(sorted(catalog.visits))} "
            "(see 'handouts list'), or name it once in the practice's schedule.toml [visits]"
        )
    return visit


def schedule_warnings(catalog: Catalog, rows: list[Row]) -> list[str]:
    """What about the whole schedule may not be as the practice meant: the columns no visit type
    reads, and names written "Last, First" that print so (schedule.toml's names not said)."""
    warnings = unused_columns(catalog, rows)
    commas = last_first_names(rows) if catalog.schedule.names is None else 0
    if commas:
        warnings.append(
            f"{commas} name(s) are written 'Last, First' and print so: to print them 'First Last', add "
            'names = "last-first" to the practice\'s schedule.toml (names = "first-last" keeps them as written)'
        )
    return warnings


def unused_columns(catalog: Catalog, rows: list[Row]) -> list[str]:
    """A warning for each column no visit type reads: a misspelt header would otherwise be
    ignored without a word, and a handout made without, say, its surgery date."""
    known = set(COLUMNS) | {name for visit in catalog.visits.values() for name in visit.fields}
    seen = dict.fromkeys(key for row in rows for key in row.values if not key.startswith("_"))
    warnings = []
    for column in seen:
        if column not in known:
            guess = difflib.get_close_matches(column, sorted(known), n=1)
            hint = f"did you mean '{guess[0]}'?" if guess else f"the columns used are: {', '.join(sorted(known))}"
            warnings.append(
                f"column '{column}' is not used by any visit type: {hint} (or list it in schedule.toml ignore)"
            )
    return warnings


def folded(failed: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """("Line 3", reason) or ("Lines 2-40", reason): rows that fail for the same reason are said
    once, so a mistake made throughout the schedule is one line with its fix, not one per row."""
    by_reason: dict[str, list[int]] = {}
    for line, reason in failed:
        by_reason.setdefault(reason, []).append(line)
    return [(_lines(lines), reason) for reason, lines in by_reason.items()]


def _lines(lines: list[int], most: int = 8) -> str:
    """'Line 3', 'Lines 2-5, 9', or the first few runs and how many lines more."""
    runs: list[list[int]] = []
    for line in sorted(lines):
        if runs and line == runs[-1][-1] + 1:
            runs[-1].append(line)
        else:
            runs.append([line])
    shown = [str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs[:most]]
    rest = sum(len(run) for run in runs[most:])
    text = ", ".join(shown) + (f" and {rest} more" if rest else "")
    return f"Line {text}" if len(lines) == 1 else f"Lines {text}"


def safe_name(text: str) -> str:
    """A file-name part: letters and digits kept (any script), everything else a single '-'."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"[^\w]+", "-", text, flags=re.UNICODE).strip("-_")
    return text[:60] or "x"


def file_names(pattern: str, rows: list[tuple[Row, dict]]) -> list[str]:
    """One distinct file name per row: the pattern filled in, then _2, _3 ... on a clash."""
    for name in re.findall(r"{(\w+)", pattern):
        if name not in NAME_FIELDS:
            raise UserError(f"--names: unknown field {{{name}}}; use {', '.join('{' + f + '}' for f in NAME_FIELDS)}")
    seen: set[str] = set()
    names = []
    for row, kwargs in rows:
        parts = {
            "row": str(row.line),
            "id": row.values.get("id", ""),
            "visit": kwargs["visit_id"],
            "date": kwargs["visit_date"],
            "patient": kwargs["patient"],
            "surgeon": kwargs["surgeon"] or "",
        }
        stem = pattern.format(**{k: safe_name(v) if v else "" for k, v in parts.items()}).strip("_-") or "handout"
        name, n = f"{stem}.pdf", 1
        while name.lower() in seen:
            n += 1
            name = f"{stem}_{n}.pdf"
        seen.add(name.lower())
        names.append(name)
    return names
