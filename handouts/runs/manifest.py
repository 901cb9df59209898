"""manifest.csv: the practice's record of which handout each patient was given, kept as it is made.

Each finished file is appended and flushed to disk at once, one record per line, so a batch killed
half way loses at most the line being written. A write that fails (a full disk) is cut off again;
a line cut short anyway (a kill, a power cut) is read alone and dropped, never hiding the lines
after it, and its handout is made again. At the end the file is rewritten in schedule order, whole
or not at all. Cells are written so a spreadsheet never runs them as formulas (see `to_cell`).
"""

import contextlib
import csv
import io
import os
from pathlib import Path

from ..base.output import WriteError, write_atomic

MANIFEST_COLUMNS = ["row", "id", "patient", "visit", "date", "version", "file", "sha256", "key"]

# How a formula starts, for Excel, LibreOffice and Google Sheets (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_cell(value: str) -> str:
    """`value` prefixed with ' when it starts like a formula (OWASP's advice), or with ' itself,
    so that `from_cell` gives back every value exactly."""
    return f"'{value}" if value.startswith((*_FORMULA_START, "'")) else value


def from_cell(cell: str) -> str:
    return cell.removeprefix("'")


def csv_line(values: list[str]) -> bytes:
    """One CSV line of neutralised cells."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([to_cell(value) for value in values])
    return out.getvalue().encode("utf-8")


def _record_line(record: dict[str, str]) -> bytes:
    """A record on exactly one line (a line break in a schedule cell becomes a space)."""
    return csv_line([record[c].replace("\r", " ").replace("\n", " ") for c in MANIFEST_COLUMNS])


def read_manifest(path: Path) -> dict[str, dict[str, str]]:
    """file -> its last complete manifest line; a line cut short is dropped alone."""
    try:
        lines = path.read_bytes().decode("utf-8-sig", errors="replace").split("\n")
    except FileNotFoundError:
        return {}
    header = [from_cell(cell) for cell in next(csv.reader(lines[:1]), [])]
    entries = {}
    for line in lines[1:]:
        try:
            cells = next(csv.reader([line.removesuffix("\r")]), [])
        except csv.Error:
            continue
        record = dict(zip(header, map(from_cell, cells), strict=False))
        if len(cells) == len(header) and record.get("key") and len(record.get("sha256") or "") == 64:
            entries[record["file"]] = record
    return entries


class Journal:
    """manifest.csv, appended and synced as each file is finished, rewritten in row order at the end.

    `records` holds this run's records (the files kept and the files made), for that rewrite.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: dict[str, dict[str, str]] = {}
        existed = path.exists()
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
            size = os.fstat(self._fd).st_size
            if size == 0:
                self._append(csv_line(MANIFEST_COLUMNS))
            elif os.pread(self._fd, 1, size - 1) != b"\n":
                self._append(b"\n")  # a line cut short by a kill stays alone, and is dropped when read
        except OSError as exc:
            if not existed:
                path.unlink(missing_ok=True)
            raise WriteError(f"could not write {path}: {exc.strerror}", exc.strerror or str(exc)) from None

    def _append(self, data: bytes) -> None:
        """All of `data` on disk, or none of it: a failed write is cut off again, so the file
        never ends in half a line that the next line would be glued to."""
        size = os.fstat(self._fd).st_size
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view) :]  # a short write is retried, and raises the reason
            os.fsync(self._fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, size)
            raise

    def keep(self, record: dict[str, str]) -> None:
        """A file made before and still good: its line is in the file already."""
        self.records[record["file"]] = record

    def add(self, record: dict[str, str]) -> None:
        """Record a file just made, on disk before this returns; WriteError when it cannot be."""
        try:
            self._append(_record_line(record))
        except OSError as exc:
            raise WriteError(f"could not add to {self.path}: {exc.strerror}", exc.strerror or str(exc)) from None
        self.records[record["file"]] = record

    def close(self, order: list[str]) -> None:
        """Rewrite the manifest in `order`; on a WriteError the appended lines stay as they are."""
        os.close(self._fd)
        lines = [_record_line(self.records[f]) for f in order if f in self.records]
        write_atomic(self.path, csv_line(MANIFEST_COLUMNS) + b"".join(lines))
