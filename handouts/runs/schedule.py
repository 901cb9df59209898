"""Reading a clinic's schedule export: CSV as Excel and EHRs write it, or JSON Lines.

Every cell is read as the clinic meant it, or its row is refused with a reason and its line number
(the header is line 1), and every other row is still read. Header names are matched forgivingly
("Patient Name", "patient", "PATIENT" all mean `patient`); cells may be separated by commas,
semicolons or tabs.

Encodings are decided once per file, then checked line by line, so a name is never printed as
mojibake ("ZoÃ«" for "Zoë"):

- A UTF-8 byte-order mark means UTF-8, a UTF-16 one UTF-16 (Excel's "Unicode Text").
- A file that is valid UTF-8 is UTF-8.
- Otherwise, if any line is UTF-8 text with letters beyond ASCII, the file is UTF-8 and the lines
  that are not valid UTF-8 are refused: they were written by something else (a row pasted from
  another export, say), and reading them as Windows-1252 would guess.
- A file with no such line at all is Windows-1252 (older Excel and EHR exports); a line with a byte
  Windows-1252 does not define is refused, and so is a line that does not read as text in it
  (plausible.py): a file in another code page (Windows-1250, DOS 850, MacRoman, Shift-JIS, KOI8-R)
  read as Windows-1252 puts signs inside words ("£ukasz" for "Łukasz").
- A line of UTF-8 text that was once read as Windows-1252 and saved again ("ZoÃ«") is refused.
- `--encoding` names the encoding instead, checked the same way; naming a legacy one for a file
  that is UTF-8 throughout is refused, as it would misread every accented letter.

A refused line keeps its place (read with stand-in characters, never used) so the rows after it
are read where they are. Messages name lines and columns, never what a cell says.

A practice's schedule.toml (config/schedule_map.py) names its export's columns ("Appt Date" is the
date) and the columns it does not read; a column it names for a key takes that key from the
built-in names ("Visit Date" is then not read). A schedule with no visit date column is refused,
naming the columns it has: a handout is never dated by the day it is made. A FHIR Bundle or NDJSON
of Appointment resources is read by fhir_schedule.py into the same rows.
"""

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..base.errors import UserError
from ..config.models import SCHEDULE_COLUMNS, ScheduleMap, column_name
from .fhir_schedule import fhir_kind, fhir_rows
from .plausible import encoded_twice, garbled

MAX_BYTES = 20_000_000
MAX_ROWS = 20_000
MAX_CELL = 10_000  # far above any value a handout takes (a name: 150, a field: 2,000)
COLUMNS = SCHEDULE_COLUMNS
ALIASES = {
    "patient_name": "patient",
    "name": "patient",
    "patient_full_name": "patient",
    "visit_type": "visit",
    "appointment_type": "visit",
    "type": "visit",
    "visit_date": "date",
    "appointment_date": "date",
    "surgeon_id": "surgeon",
    "language": "lang",
    "largeprint": "large_print",
    "record": "id",
    "mrn": "id",
    "visit_id": "id",
    "record_number": "id",
    "patient_id": "id",
    "patient_number": "id",
    "medical_record_number": "id",
    "mrn_number": "id",
    "chart_number": "id",
    "patient_first_name": "first_name",
    "given_name": "first_name",
    "patient_last_name": "last_name",
    "family_name": "last_name",
    "surname": "last_name",
    "preferred_language": "lang",
}
REQUIRED = ("visit", "patient", "date")  # the patient: one column, or first_name and last_name
MAX_LISTED = 30  # a header's columns named in a message
RESAVE = "retype the row, or save the whole file again as 'CSV UTF-8'"


@dataclass(frozen=True)
class Row:
    line: int  # as the person sees it in a spreadsheet or editor: the header is line 1
    values: dict[str, str]  # or {"_error": why the row cannot be read}


@dataclass(frozen=True)
class Lines:
    """The file's lines as text, each with its line ending, and the lines that did not decode."""

    text: list[str]
    bad: dict[int, str]  # line number -> why it is refused


def normalize(header: str) -> str:
    """'Patient Name ' -> 'patient_name' -> 'patient' (through the aliases)."""
    key = column_name(header)
    return ALIASES.get(key, key)


def column_key(header: str, mapping: ScheduleMap | None = None) -> str:
    """The key a column is read as: the one schedule.toml names it for, else its built-in name;
    '' for a column not read (schedule.toml ignores it, or names another column for its key)."""
    if mapping is None:
        return normalize(header)
    named = mapping.named("columns", header)
    if named is not None:
        return named
    if mapping.named("ignore", header) is not None:
        return ""
    key = normalize(header)
    return "" if key in mapping.columns else key


def decode(data: bytes, encoding: str | None) -> Lines:
    """The file's lines by the rule in the module docstring, each checked to read as text."""
    lines, label, legacy = _decoded(data, encoding)
    bad = dict(lines.bad)
    for number, line in enumerate(lines.text, 1):
        if number in bad or line.isascii():
            continue
        if encoded_twice(line):
            bad[number] = TWICE
        elif legacy and garbled(line):
            fix = f"check --encoding {encoding}" if encoding else "or name its encoding with --encoding"
            bad[number] = (
                f"this line does not read as {label} text (signs and letters mixed up, as when a file is read in "
                f"another encoding): save the whole file again as 'CSV UTF-8', {fix}"
            )
    return Lines(lines.text, bad)


TWICE = (
    "this line holds text encoded twice (\"Ã«\" where \"ë\" was meant: UTF-8 read as Windows-1252 and saved "
    "again): retype the row, or export the file again as 'CSV UTF-8' from the program that made it"
)


def _decoded(data: bytes, encoding: str | None) -> tuple[Lines, str, bool]:
    """The lines, the encoding's name for messages, and whether it is a legacy code page (whose
    reading is checked for mojibake: the bytes alone cannot tell one code page from another)."""
    if encoding:
        try:
            name = codecs.lookup(encoding).name
            "".encode(encoding)  # a text encoding, not rot13 or zlib
        except LookupError:
            raise UserError(f"--encoding {encoding}: unknown encoding; use utf-8 or cp1252, for example") from None
        if name != "utf-8" and not data.isascii() and _is_utf8(data):
            raise UserError(
                f"the schedule is UTF-8 text, and reading it as {encoding} would misspell every accented letter: "
                "run the batch without --encoding"
            )
        unicode = name.startswith(("utf-8", "utf-16", "utf-32"))
        return _decode(data, "utf-8" if name == "utf-8" else encoding, encoding), encoding, not unicode
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16", "UTF-16"), "UTF-16", False
    if _is_utf8(data):
        return _decode(data, "utf-8", "UTF-8"), "UTF-8", False
    utf8 = _by_line(data.removeprefix(codecs.BOM_UTF8), "utf-8", "UTF-8")
    if any(not line.isascii() for number, line in enumerate(utf8.text, 1) if number not in utf8.bad):
        return utf8, "UTF-8", False
    return _by_line(data, "cp1252", "Windows-1252"), "Windows-1252", True


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode(data: bytes, encoding: str, label: str) -> Lines:
    """The whole file in one go when it decodes, else line by line (when lines can be told apart in bytes)."""
    if encoding == "utf-8":
        data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        probe = '\r\n\t,;"{}az09'
        if probe.encode(encoding) != probe.encode("ascii"):
            raise UserError(f"the schedule cannot be read as {label}: {exc}") from None
        return _by_line(data, encoding, label)
    return Lines(io.StringIO(text, newline="").readlines(), {})  # lines end at \r\n, \r or \n only, as for csv


def _by_line(data: bytes, encoding: str, label: str) -> Lines:
    lines, bad = [], {}
    for number, raw in enumerate(data.splitlines(keepends=True), 1):  # \r\n, \r or \n, as csv reads them
        try:
            lines.append(raw.decode(encoding))
        except UnicodeDecodeError:
            lines.append(raw.decode(encoding, errors="replace"))
            bad[number] = f"this line is not {label} text like the rest of the schedule: {RESAVE}"
    return Lines(lines, bad)


def read_schedule(path: Path, encoding: str | None = None, mapping: ScheduleMap | None = None) -> list[Row]:
    """Every data row of the schedule with its line number; a broken file is a UserError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read the schedule {path}: {exc.strerror}") from None
    return parse_schedule(data, path, encoding, mapping)


def parse_schedule(
    data: bytes, path: Path, encoding: str | None = None, mapping: ScheduleMap | None = None
) -> list[Row]:
    """`read_schedule` for a file's bytes in hand (an upload); `path` names it in messages and tells
    JSON Lines. `mapping`: the practice's schedule.toml, for its column names and FHIR's names."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise UserError(
            f"{path} is a spreadsheet workbook, not text: in Excel use File > Save As > 'CSV UTF-8' and use that file"
        )
    if len(data) > MAX_BYTES:
        raise UserError(f"the schedule {path} is {len(data):,} bytes; the most allowed is {MAX_BYTES:,}")
    lines = decode(data, encoding)
    first = next((line for line in lines.text if line.strip()), "")
    fhir = fhir_rows(lines.text, lines.bad, path, mapping or ScheduleMap()) if first.lstrip()[:1] == "{" else None
    if fhir is not None:
        rows = [_row(line, values) for line, values in fhir]
    elif path.suffix.lower() in (".jsonl", ".ndjson") or first.lstrip().startswith("{"):
        rows = _json_lines(lines, mapping)
    else:
        rows = _csv(lines, path, mapping)
    if len(rows) > MAX_ROWS:
        raise UserError(f"the schedule has {len(rows):,} rows; the most allowed is {MAX_ROWS:,}: split it")
    return rows


def layout(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, list[str]]:
    """What kind of schedule the bytes are (CSV, JSON Lines, FHIR Bundle, FHIR NDJSON) and a CSV's
    header as written, for `schedule check` to show how each column is read."""
    lines = decode(data, encoding)
    first = next((line for line in lines.text if line.strip()), "")
    if first.lstrip()[:1] == "{":
        return fhir_kind(lines.text) or "JSON Lines", []
    if path.suffix.lower() in (".jsonl", ".ndjson") or not lines.text:
        return "JSON Lines", []
    _, _, cells = next(_records(lines.text, max(",;\t", key=lines.text[0].count)), (0, 0, []))
    return "CSV", cells if isinstance(cells, list) else []


def _records(lines: list[str], delimiter: str) -> Iterator[tuple[int, int, list[str] | str]]:
    """(first line, last line, cells) for each record, or (first, last, why) for one csv cannot read.

    A double quote that is not closed on its line (csv reads on to the next quote, or the end) costs
    only its own row: the lines it swallowed are read again, as rows of their own. Only once: a line
    is never read a third time, so a file of stray quotes takes two passes, not one per line.
    """
    # csv's own cell limit (128 KiB) would stop the whole file; the file is bounded, so cells are
    # bounded by MAX_CELL in _row instead, one row's error.
    csv.field_size_limit(MAX_BYTES + 1)
    start, reread = 0, 0  # reread: the last line read a second time
    while start < len(lines):
        reader, offset, start = csv.reader(lines[start:], delimiter=delimiter, strict=True), start, len(lines)
        while True:
            before = reader.line_num
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                first, last = offset + before + 1, offset + reader.line_num
                if last == first and "end of data" not in str(exc):
                    yield first, last, "a quoted cell has text after its closing quote: put the whole cell in quotes"
                    continue
                unclosed = 'a double quote (") opens a cell on this line and is not closed on it: close it'
                if first <= reread:
                    yield first, last, unclosed + (f" (lines {first + 1}-{last} were not read)" if last > first else "")
                    continue
                yield first, last, unclosed
                start, reread = first, last
                break
            yield offset + before + 1, offset + reader.line_num, cells


def _csv(lines: Lines, path: Path, mapping: ScheduleMap | None) -> list[Row]:
    if not lines.text or not lines.text[0].strip():
        raise UserError(f"the schedule {path} is empty: it needs a header line (visit, patient, date)")
    if 1 in lines.bad:
        raise UserError(f"the schedule {path}, line 1 (the header): {lines.bad[1]}")
    delimiter = max(",;\t", key=lines.text[0].count)
    records = _records(lines.text, delimiter)
    _, _, cells = next(records)
    if isinstance(cells, str):
        raise UserError(f"the schedule {path}, header: {cells}")
    header = [column_key(h, mapping) for h in cells]
    _has_columns(path, cells, header, mapping)
    twice = _twice(cells, header)
    if twice:
        raise UserError(f"the schedule {path}, header: {twice}")
    # A file whose header has no space after its separators ("visit,patient,date", as every
    # spreadsheet and EHR writes it) has none in its rows either, unless one was typed with a value:
    # "Baker, Tom" is a name cut in two by an unquoted comma, whatever column its second half lands in.
    spaced = any(cell[:1] in (" ", "\t") for cell in cells[1:])
    rows = []
    for first, last, cells in records:
        if isinstance(cells, str):
            rows.append(_refused(first, cells))
        elif any(cell.strip() for cell in cells):
            rows.append(_csv_row(first, last, cells, header, lines.bad, None if spaced else delimiter))
    return rows


def _has_columns(path: Path, names: list[str], keys: list[str], mapping: ScheduleMap | None) -> None:
    """A header that names the visit, the patient (or their first and last names) and the visit date.

    A line that names two or more of the columns read is a header, and the message lists its
    columns as written, so the person sees which to name in schedule.toml; any other first line may
    be a patient's row (a file without a header), and nothing of it is repeated."""
    found = set(keys) | ({"patient"} if {"first_name", "last_name"} <= set(keys) else set())
    missing = [key for key in REQUIRED if key not in found]
    if not missing:
        return
    what = f"the schedule {path} has no column {_either(missing)} in its first line"
    if sum(key in COLUMNS for key in keys) < 2:
        named = [c for c in COLUMNS if c in keys]
        raise UserError(
            what
            + (f" (it names {', '.join(named)})" if named else "")
            + ": the first line must name the columns, like visit,patient,date;"
            " add one if the file starts with a patient's row"
        )
    listed = ", ".join(f"'{name.strip()[:60]}'" for name in names[:MAX_LISTED] if name.strip())
    listed += f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else ""
    told = [key for key in missing if mapping is not None and key in mapping.columns]
    if told:
        said = ", ".join(f"columns.{key} = {mapping.columns[key]!r}" for key in told)
        raise UserError(f"{what} (its columns are {listed}): schedule.toml says {said}; correct it there")
    raise UserError(
        f"{what} (its columns are {listed}): say which column it is in the practice's schedule.toml, "
        f'like [columns] {missing[0]} = "its name here" (see docs/batch.md)'
    )


def _either(keys: list[str]) -> str:
    return keys[0] if len(keys) == 1 else f"{', '.join(keys[:-1])} or {keys[-1]}"


def _twice(names: list[str], keys: list[str]) -> str | None:
    """Why a header cannot be read when two of its columns mean one thing (MRN and Patient ID both
    an id): which one is the patient's is not guessed."""
    for key in COLUMNS:
        same = [name.strip() for name, k in zip(names, keys, strict=True) if k == key]
        if len(same) > 1:
            listed = ", ".join(f"'{name}'" for name in same[:-1]) + f" and '{same[-1]}'"
            return f"the columns {listed} {'both' if len(same) == 2 else 'all'} mean '{key}': keep one of them"
    return None


SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


def _csv_row(
    first: int, last: int, cells: list[str], header: list[str], bad: dict[int, str], unspaced: str | None
) -> Row:
    """The row, or its error: a line that did not decode, more cells than columns (an unquoted
    comma moves every cell after it), a cell that starts with a space after the separator in a file
    that has none there (an unquoted comma cut a value in two, and its second half took a column
    the row left empty: `unspaced` is the file's separator then), or a line break in a cell a
    handout uses (a stray quote)."""
    values = {key: cell.strip() for key, cell in zip(header, cells, strict=False) if key}
    broken = next((bad[n] for n in range(first, last + 1) if n in bad), None)
    split = next((key for key in COLUMNS if len(values.get(key, "").splitlines()) > 1), None)
    if broken:
        return _refused(first, broken)
    if any(cell.strip() for cell in cells[len(header) :]):
        return _refused(
            first,
            f"this row has {len(cells)} cells but the header names {len(header)} columns: "
            'a cell with a comma in it (a name written "Last, First") must be in double quotes',
        )
    cut = next(
        (i for i, cell in enumerate(cells[1 : len(header)], 1) if cell[:1] in (" ", "\t") and cell.strip()), None
    )
    if unspaced and cut is not None:
        separator = SEPARATORS.get(unspaced, "separator")
        what = 'a name written "Last, First"' if unspaced == "," else f"a value with a {separator} in it"
        fix = "put a name with a comma in double quotes" if unspaced == "," else "put such a value in double quotes"
        return _refused(
            first,
            f"the cell in column '{header[cut]}' starts with a space after the {separator}, as when {what} is cut "
            f"in two by an unquoted {separator}: {fix}; otherwise remove the space",
        )
    if split:
        return _refused(first, f"the cell in column '{split}' runs over several lines: check its double quotes")
    return _row(first, values)


def _row(line: int, values: dict[str, str]) -> Row:
    """The row, or its error when a cell is too long to be anything a handout uses."""
    for key, value in values.items():
        if len(value) > MAX_CELL:
            return _refused(
                line, f"the cell in column '{key}' is {len(value):,} characters long; the most allowed is {MAX_CELL:,}"
            )
    return Row(line, values)


def _refused(line: int, why: str) -> Row:
    """A row that cannot be read: only its line and the reason, none of its cells (they may be shifted)."""
    return Row(line, {"_error": why})


class _KeyTwice(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _keys_once(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object whose keys are each given once: with two "patient" keys, JSON keeps the last without a
    word, and the handout would carry one name and the record another's id."""
    found: dict = {}
    for key, value in pairs:
        if key in found:
            raise _KeyTwice(key)
        found[key] = value
    return found


def _json_lines(lines: Lines, mapping: ScheduleMap | None = None) -> list[Row]:
    rows = []
    for number, line in enumerate(lines.text, 1):
        if not line.strip():
            continue
        if number in lines.bad:
            rows.append(_refused(number, lines.bad[number]))
            continue
        try:
            record = json.loads(line, object_pairs_hook=_keys_once)
        except _KeyTwice as exc:
            rows.append(_refused(number, f"the key {exc.key[:40]!r} is in this line twice: keep one of them"))
            continue
        except json.JSONDecodeError as exc:
            rows.append(_refused(number, f"not valid JSON ({exc.msg})"))
            continue
        except RecursionError:  # lists in lists thousands deep: no row is shaped so
            rows.append(_refused(number, "not a schedule row: its JSON is nested too deeply; " + JSON_ROW))
            continue
        except ValueError:  # a number of thousands of digits, over Python's limit for reading one
            rows.append(_refused(number, "not a schedule row: it holds a number too long to read; " + JSON_ROW))
            continue
        if not isinstance(record, dict):
            rows.append(_refused(number, "each line must be a JSON object"))
            continue
        keys = [column_key(k, mapping) for k in record]
        twice = _twice(list(record), keys)
        if twice:
            rows.append(_refused(number, twice))
            continue
        rows.append(_json_row(number, record, keys))
    return rows


# Each line of a JSON Lines schedule, as the refusals say it.
JSON_ROW = 'each line must be one object of text values, like {"visit": "injection", "patient": "Ana Silva"}'
# Columns whose value may be a JSON number or true/false as well as text: a record number, and a yes/no.
_JSON_NUMBERS = {"id", "large_print"}
_JSON_FLAGS = {"large_print"}


def _json_row(line: int, record: dict, keys: list[str]) -> Row:
    """The row, or its error when a value is not text where text is expected: `{'a': 1}` or `True`
    printed as a name is a wrong handout, so a list, an object, true/false or a number is refused,
    naming its column, except a whole number as the id and true/false (or 1/0) as large_print."""
    values = {}
    for value, column in zip(record.values(), keys, strict=True):
        if not column:
            continue
        if value is None:
            values[column] = ""
        elif isinstance(value, str):
            values[column] = value.strip()
        elif isinstance(value, bool) and column in _JSON_FLAGS:
            values[column] = "yes" if value else "no"
        elif isinstance(value, int) and not isinstance(value, bool) and column in _JSON_NUMBERS:
            values[column] = str(value)
        else:
            kind = {bool: "true or false", dict: "an object", list: "a list"}.get(type(value), "a number")
            return _refused(
                line,
                f"column '{column[:40]}' holds {kind} where text is expected: write the value in double quotes, "
                'like "Ana Silva"',
            )
    return _row(line, values)
