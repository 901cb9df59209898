"""The day's schedule uploaded from the page: `run_batch` in a temporary folder, results in memory.

Nothing is left on disk: the upload, the single handouts and the merged file live in a temporary
folder for the length of the request, inside the process's private one (scratch.py), so no other
user can read them and a server killed mid-upload leaves nothing the next start does not remove.
The merged PDF and the error report are then held in memory for a short while under a random
key, so the result page can show, print and download them; they are dropped after
`KEEP_SECONDS`, or when newer results push them out. They answer only to the browser session
that uploaded the schedule: a result URL seen by someone else (over a shoulder, in a shared
history, a proxy log) opens nothing.
"""

import re
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.datastructures import FileStorage

from ..batch import run_batch
from ..catalog import Catalog
from ..scratch import private_tempdir

KEEP_SECONDS = 30 * 60
KEEP_MAX = 4


@dataclass(frozen=True)
class BatchOutcome:
    """What one upload produced, held in memory only."""

    made: int
    skipped: int
    failed: list[tuple[int, str]]
    pdf: bytes | None
    errors_csv: bytes
    created: float = field(default_factory=time.monotonic)


def run_upload(catalog: Catalog, upload: FileStorage) -> BatchOutcome:
    """Save the upload privately, run the batch on it, and read back the merged PDF and report."""
    suffix = Path(upload.filename or "").suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ".csv"
    with tempfile.TemporaryDirectory(prefix="batch-", dir=private_tempdir()) as tmp:
        root = Path(tmp)
        schedule = root / f"schedule{suffix}"
        upload.save(schedule)
        out = root / "handouts"
        out.mkdir()
        # One worker, in this process: the page serves one person, and renders are serialised anyway.
        result = run_batch(catalog, schedule, out, workers=1, merge=root / "merged.pdf")
        report = Path(result.errors_csv) if result.errors_csv else None
        merged = Path(result.merged) if result.merged and result.made + result.skipped else None
        return BatchOutcome(
            made=result.made,
            skipped=result.skipped,
            failed=[(item.line, item.reason) for item in result.failed],
            pdf=merged.read_bytes() if merged and merged.is_file() else None,
            errors_csv=report.read_bytes() if report and report.is_file() else b"",
        )


class OutcomeStore:
    """Recent batch results by random key and owner (a browser session's id), in memory, for a short
    time (thread-safe)."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[str, BatchOutcome]] = {}
        self._lock = threading.Lock()

    def add(self, outcome: BatchOutcome, owner: str) -> str:
        key = secrets.token_urlsafe(18)
        with self._lock:
            self._expire()
            while len(self._items) >= KEEP_MAX:
                self._items.pop(next(iter(self._items)))
            self._items[key] = (owner, outcome)
        return key

    def get(self, key: str, owner: str) -> BatchOutcome | None:
        """The outcome under `key` if `owner` made it; anyone else gets nothing, as for an unknown key."""
        with self._lock:
            self._expire()
            mine, outcome = self._items.get(key, ("", None))
            return outcome if mine and secrets.compare_digest(mine, owner) else None

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, (_, item) in self._items.items() if now - item.created > KEEP_SECONDS]:
            del self._items[key]
