"""Reading a clinic's schedule export: CSV as Excel and EHRs write it, or JSON Lines.

CSV may be UTF-8 with or without a byte-order mark, or Windows-1252 (detected, or given with
--encoding), separated by commas, semicolons or tabs. Header names are matched forgivingly
("Patient Name", "patient", "PATIENT" all mean `patient`). Each row keeps its line number, so a
problem is reported where the person can find it.
"""

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError

MAX_BYTES = 20_000_000
MAX_ROWS = 20_000
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
}


@dataclass(frozen=True)
class Row:
    line: int  # as the person sees it in a spreadsheet or editor: the header is line 1
    values: dict[str, str]


def normalize(header: str) -> str:
    """'Patient Name ' -> 'patient_name' -> 'patient' (through the aliases)."""
    key = re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")
    return ALIASES.get(key, key)


def decode(data: bytes, encoding: str | None) -> str:
    """Text from bytes: the given encoding, else UTF-8 (BOM or not), else Windows-1252."""
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise UserError(f"the schedule cannot be read as {encoding}: {exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_schedule(path: Path, encoding: str | None = None) -> list[Row]:
    """Every data row of the schedule with its line number; a broken file is a UserError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read the schedule {path}: {exc.strerror}") from None
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise UserError(
            f"{path} is a spreadsheet workbook, not text: in Excel use File > Save As > 'CSV UTF-8' and use that file"
        )
    if len(data) > MAX_BYTES:
        raise UserError(f"the schedule {path} is {len(data):,} bytes; the most allowed is {MAX_BYTES:,}")
    text = decode(data, encoding)
    if path.suffix.lower() in (".jsonl", ".ndjson") or text.lstrip().startswith("{"):
        rows = _json_lines(text, path)
    else:
        rows = _csv(text, path)
    if len(rows) > MAX_ROWS:
        raise UserError(f"the schedule has {len(rows):,} rows; the most allowed is {MAX_ROWS:,}: split it")
    return rows


def _csv(text: str, path: Path) -> list[Row]:
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise UserError(f"the schedule {path} is empty: it needs a header line (visit, patient, date)")
    delimiter = max(",;\t", key=lines[0].count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [normalize(h) for h in next(reader)]
    missing = {"visit", "patient"} - set(header)
    if missing:
        raise UserError(
            f"the schedule {path} has no column {' or '.join(sorted(missing))}; its header is: {', '.join(header)}"
        )
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        values = {key: cell.strip() for key, cell in zip(header, cells, strict=False) if key}
        rows.append(Row(reader.line_num, values))
    return rows


def _json_lines(text: str, path: Path) -> list[Row]:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append(Row(number, {"_error": f"not valid JSON ({exc.msg})"}))
            continue
        if not isinstance(record, dict):
            rows.append(Row(number, {"_error": "each line must be a JSON object"}))
            continue
        rows.append(Row(number, {normalize(k): "" if v is None else str(v).strip() for k, v in record.items()}))
    return rows
