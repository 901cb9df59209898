"""manifest.csv: the practice's record of which handout each patient was given, kept as it is made.

Each finished file is appended and flushed at once, so a batch killed half way loses at most the
line being written (a line cut short is ignored when read back); at the end the file is rewritten
in schedule order.
"""

import csv
import io
import os
from pathlib import Path

from .output import write_atomic

MANIFEST_COLUMNS = ["row", "id", "patient", "visit", "date", "version", "file", "sha256", "key"]


def read_manifest(path: Path) -> dict[str, dict[str, str]]:
    """file -> its last complete manifest line; a line cut short by a kill is ignored."""
    if not path.is_file():
        return {}
    entries = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            if record.get("key") and len(record.get("sha256") or "") == 64:
                entries[record["file"]] = record
    return entries


class Journal:
    """manifest.csv, appended and flushed as each file is finished, rewritten in row order at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fresh = not path.is_file() or path.stat().st_size == 0
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._handle = os.fdopen(fd, "a", newline="", encoding="utf-8")
        if not fresh and not path.read_bytes().endswith(b"\n"):
            self._handle.write("\n")  # a line cut short by a kill stays alone, and is ignored
        self._writer = csv.DictWriter(self._handle, MANIFEST_COLUMNS)
        if fresh:
            self._writer.writeheader()

    def add(self, record: dict[str, str]) -> None:
        self._writer.writerow(record)
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self, order: list[str]) -> None:
        self._handle.close()
        entries = read_manifest(self.path)
        rows = [entries[f] for f in order if f in entries]
        out = io.StringIO()
        writer = csv.DictWriter(out, MANIFEST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        write_atomic(self.path, out.getvalue().encode("utf-8"))
