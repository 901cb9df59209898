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
    "(month first) or --dates eu (day first), or write them as YYYY-MM-DD"
)


def iso_date(text: str, order: str | None, what: str) -> str:
    """A date as spreadsheets write it (3/14/2026 or 14/03/2026) in YYYY-MM-DD, by the order given."""
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
        reading = "month/day/year (--dates us)" if order == "us" else "day/month/year (--dates eu)"
        raise UserError(
            f"{what} {text.strip()!r} is not a real date read as {reading}: check the month and day"
        ) from None


def request_kwargs(catalog: Catalog, values: dict[str, str], archival: bool = False, dates: str | None = None) -> dict:
    """The arguments of `build_request` for one row; declared fields of its visit type only."""
    if values.get("_error"):
        raise UserError(values["_error"])
    lang = parse_lang(values["lang"], "the language") if values.get("lang", "").strip() else None
    visit = catalog.visit(values.get("visit", ""))
    clean_id(values.get("id"))  # a record number goes into the manifest and the record: checked like a name
    return {
        "visit_id": visit.id,
        "patient": values.get("patient", ""),
        "visit_date": iso_date(values.get("date") or date.today().isoformat(), dates, "the date"),
        "sets": {
            k: iso_date(v, dates, f"the {visit.fields[k].label.lower()}") if visit.fields[k].kind == "date" else v
            for k, v in values.items()
            if k in visit.fields and v
        },
        "large_print": _flag(values.get("large_print", ""), "large_print"),
        "surgeon": values.get("surgeon") or None,
        "archival": archival,
        "lang": lang,
    }


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
            warnings.append(f"column '{column}' is not used by any visit type: {hint}")
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
            "patient": row.values.get("patient", ""),
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
