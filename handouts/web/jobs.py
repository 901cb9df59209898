"""The page's background jobs: a whole day's handouts made, or printed, in a worker process.

A schedule uploaded on the page, or "Print all not yet given", is too long for a request: it would
hold the page's render workers for minutes (the front desk's handouts would wait behind it) and
keep a day's layouts in memory. So each job runs `worker.run` in a worker process of its own
(runs/pool.py: started for the job, gone after it, at a lower priority), one job at a time (two
cores: one for the desk, one for the day), while the page shows its progress. Results are kept on
disk in the job's folder, inside this process's private temporary folder (scratch.py: owner-only,
removed after a crash by the next start), for `KEEP_SECONDS` or until newer jobs push them out, and
then removed. They answer only to the browser session that started the job: a result URL seen by
someone else (over a shoulder, in a shared history) opens nothing.
"""

import json
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..base.errors import UserError
from ..base.scratch import private_tempdir
from ..runs.pool import Crashed, Pool
from . import worker

KEEP_SECONDS = 30 * 60
KEEP_MAX = 4  # finished jobs kept; older ones (and their print files) are removed
NICE = 10  # the job's worker's lower priority: the desk's own handouts come first
STOPPED = "the job stopped before it was done: try again"


@dataclass
class Job:
    """One job and, once it is over, what it made."""

    key: str
    owner: str
    folder: Path
    printing: bool
    state: str = "waiting"  # waiting, running, done, failed
    result: dict[str, Any] = field(default_factory=dict)
    finished: float = 0.0
    on_done: Callable[["Job"], None] | None = None
    given: bool = False  # its handouts recorded as given (the print file downloaded or printed from the page)

    @property
    def over(self) -> bool:
        return self.state in ("done", "failed")

    def progress(self) -> tuple[int, int]:
        """(handouts made, handouts to make); (0, 0) before the worker has counted them."""
        try:
            done, total = (self.folder / "progress").read_text().split()
            return int(done), int(total)
        except (OSError, ValueError):
            return 0, 0

    @property
    def pdf(self) -> Path | None:
        path = self.folder / "print.pdf"
        return path if self.state == "done" and self.result.get("made", 0) + self.result.get("skipped", 0) else None

    @property
    def errors_csv(self) -> bytes:
        path = self.folder / "errors.csv"
        return path.read_bytes() if path.is_file() else b"line,reason\n"

    def as_json(self) -> dict[str, Any]:
        done, total = self.progress()
        return {"state": self.state, "done": done, "total": total}


class Jobs:
    """Jobs by random key and owner (a browser session's id), run one at a time (thread-safe)."""

    def __init__(self) -> None:
        self._items: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._one = threading.Lock()  # one job at a time
        self._pool = Pool(1, per_worker=1, nice=NICE)  # a new worker for each job, gone after it

    def start(
        self,
        owner: str,
        spec: dict[str, Any],
        schedule: bytes,
        printing: bool = False,
        on_done: Callable[[Job], None] | None = None,
    ) -> Job:
        """A job for `schedule` with the worker's settings `spec` (see worker.py), started in the background."""
        folder = Path(tempfile.mkdtemp(prefix="job-", dir=private_tempdir()))
        (folder / "schedule").write_bytes(schedule)
        (folder / "job.json").write_text(json.dumps(spec), encoding="utf-8")
        job = Job(secrets.token_urlsafe(18), owner, folder, printing, on_done=on_done)
        with self._lock:
            self._expire()
            self._items[job.key] = job
        threading.Thread(target=self._run, args=(job,), name="handouts-job", daemon=True).start()
        return job

    def _run(self, job: Job) -> None:
        """The job, in its worker, waited for in this thread."""
        with self._one:
            job.state = "running"
            try:
                job.result = self._pool.run(worker.run, job.folder)
            except UserError as exc:  # the schedule or the practice cannot be read: said on the page
                job.result = {"error": STOPPED if isinstance(exc, Crashed) else str(exc)}
            except Exception:  # noqa: BLE001 - not shown or kept: it could quote a patient's row
                job.result = {"error": STOPPED}
        job.state = "failed" if "error" in job.result else "done"
        job.finished = time.monotonic()
        if job.on_done is not None:
            job.on_done(job)

    def get(self, key: str, owner: str) -> Job | None:
        """The job under `key` if `owner` started it; anyone else gets nothing, as for an unknown key."""
        with self._lock:
            self._expire()
            job = self._items.get(key)
            return job if job is not None and secrets.compare_digest(job.owner, owner) else None

    def claim_given(self, job: Job) -> bool:
        """True the first time only: a print file downloaded twice, or printed then downloaded, is given once."""
        with self._lock:
            first, job.given = not job.given, True
            return first

    def latest(self, owner: str, printing: bool) -> Job | None:
        """`owner`'s newest job of this kind, running or over."""
        with self._lock:
            mine = [job for job in self._items.values() if job.owner == owner and job.printing == printing]
            return mine[-1] if mine else None

    def _expire(self) -> None:
        now = time.monotonic()
        over = [job for job in self._items.values() if job.over]
        old = [job for job in over if now - job.finished > KEEP_SECONDS] + over[: max(0, len(over) - KEEP_MAX)]
        for job in old:
            self._items.pop(job.key, None)
            shutil.rmtree(job.folder, ignore_errors=True)
