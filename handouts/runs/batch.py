"""A whole clinic day: one handout per schedule row, in parallel, resumable, nothing lost or mixed up.

- Every row is validated first; a bad row is reported with its line number and never stops the
  good ones. The error report (errors.csv) gives the line and the reason only: file names carry
  patients' names, so no reason names a file.
- One batch at a time writes into a folder (a lock file); the next run removes the part files a
  killed one left.
- Files are written atomically, and each finished file is appended to manifest.csv at once, with a
  key of everything that made it; a rerun skips a file only when its manifest key and sha256 still
  match, so a batch killed half way makes only what is missing, and a reordered or edited schedule
  can never hand one patient's file to another.
- Each handout made is recorded (record/recorder.py) after it is in the manifest; when the ledger
  cannot take it (down, damaged, the disk full), it waits in the spool and the batch goes on. Its
  record's key comes from its manifest line, so a batch run again records what the manifest has and
  the ledger lacks (a record the spool could not keep either), and never one twice.
- The output folder, and every folder made for it, is owner-only (0700): file names carry names.
- The rows are shared out among forked workers kind by kind, so each worker lays out and paints a
  kind's detail pages once (build.py, pdf.py) and most kinds are laid out by one worker only.
  Workers are replaced after a number of handouts so memory stays flat; a crashed worker costs
  only the row it was making. Workers die with the main process, even when it is killed with kill -9.
"""

import ctypes
import gc
import hashlib
import json
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..base.errors import UserError
from ..base.limits import Stopped
from ..base.output import WriteError, check_writable, one_writer, outside_practice, remove_leftovers, write_atomic
from ..compose.identity import of_row
from ..compose.request import build_request, typed_language_warnings
from ..config.catalog import Catalog
from ..engine.build import Builder
from ..engine.pdf import font_config
from ..record.recorder import Recorder
from ..render.renderer import Renderer
from .manifest import Journal, csv_line, read_manifest
from .printfile import merge_for_printing
from .rows import DEFAULT_NAMES, file_names, request_kwargs, unused_columns
from .schedule import Row, read_schedule

TASKS_PER_WORKER = 500  # then a worker is replaced, so memory stays flat on long batches


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclass(frozen=True)
class Job:
    """One valid row, ready for a worker: only plain values cross the process boundary."""

    line: int
    values: dict[str, str]
    kwargs: dict
    file: str
    key: str

    def record_key(self, digest: str) -> str:
        """The key of this row's record in the ledger: the same for the same manifest line."""
        return hashlib.sha256(f"batch\0{self.key}\0{self.file}\0{digest}".encode()).hexdigest()[:32]

    def record(self, digest: str) -> dict[str, str]:
        """This row's manifest line: always the row's current line number and id."""
        return {
            "row": str(self.line),
            "id": self.values.get("id", ""),
            "patient": self.kwargs["patient"],
            "visit": self.kwargs["visit_id"],
            "date": self.kwargs["visit_date"],
            "version": __version__,
            "file": self.file,
            "sha256": digest,
            "key": self.key,
        }


@dataclass
class BatchResult:
    made: int = 0
    skipped: int = 0
    failed: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    manifest: Path | None = None
    errors_csv: Path | None = None
    merged: Path | None = None


def _key(kwargs: dict, snapshot: str) -> str:
    """Everything a handout is made from: the row's values, the tool and the files (the id of the part of the
    snapshot its language is made from: a change to another language's text leaves it as made)."""
    blob = json.dumps([kwargs, __version__, snapshot], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- manifest ------------------------------------------------------------------------------------


# --- workers ---------------------------------------------------------------------------------------

# The builder of the batch being run. Set anew by every run_batch from the catalog it was given
# (so a long-running process never reuses another run's practice or layouts); forked workers
# inherit it, and each keeps in it the layouts of the kinds of handout it makes.
_builder: Builder | None = None


def _make(job: Job, folder: Path) -> tuple[int, str | None, str | None]:
    """(row line, sha256, None) when the file is written, (row line, None, reason) when not."""
    global _builder
    assert _builder is not None
    try:
        request = build_request(_builder.renderer.catalog, **job.kwargs)
        data = _builder.pdf(request)
        write_atomic(folder / job.file, data, _builder.renderer.catalog.practice.file_mode)
        return job.line, hashlib.sha256(data).hexdigest(), None
    except WriteError as exc:
        return job.line, None, f"could not write this row's handout: {exc.reason}"
    except Stopped as exc:  # stopped half way: this process goes on with a builder made afresh
        _builder = Builder(Renderer(_builder.renderer.catalog))
        return job.line, None, str(exc)
    except UserError as exc:
        return job.line, None, str(exc)


def _kind(job: Job) -> str:
    """Rows of one kind have the same detail pages: everything but the patient is the same."""
    return json.dumps({k: v for k, v in job.kwargs.items() if k != "patient"}, sort_keys=True, default=str)


def _share(jobs: list[Job], workers: int) -> list[deque[Job]]:
    """The rows for each worker, kind by kind: a worker lays out and paints a kind's detail pages
    once (build.py, pdf.py), so each kind goes to as few workers as keeps them equally busy."""
    kinds: dict[str, list[Job]] = {}
    for job in jobs:
        kinds.setdefault(_kind(job), []).append(job)
    shares: list[deque[Job]] = [deque() for _ in range(workers)]
    each, worker = -(-len(jobs) // workers), 0
    for job in (job for rows in kinds.values() for job in rows):
        if len(shares[worker]) == each:
            worker += 1
        shares[worker].append(job)
    return shares


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent(parent: int) -> None:
    """Worker initializer: the kernel kills the worker when the process that started it dies, even
    by kill -9. Left alone, a worker would wait for work forever, holding 100 MB and the folder's lock."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _pool() -> ProcessPoolExecutor:
    """One forked worker. It dies with the process that started it (`_die_with_parent`)."""
    return ProcessPoolExecutor(
        1, mp_context=multiprocessing.get_context("fork"), initializer=_die_with_parent, initargs=(os.getpid(),)
    )


@dataclass
class _Worker:
    """A worker and the rows it is to make; it is replaced by a fresh one every TASKS_PER_WORKER rows."""

    share: deque[Job]
    pool: ProcessPoolExecutor | None = None
    given: int = 0  # rows given to this worker
    busy: dict[Future, Job] = field(default_factory=dict)

    def fill(self, team: list["_Worker"], folder: Path) -> None:
        """Two rows in flight: its own next ones, and when it has none left, the busiest one's last."""
        while len(self.busy) < 2:
            if self.given == TASKS_PER_WORKER:
                if self.busy:
                    return
                self.stop(wait=True)
            most = self if self.share else max(team, key=lambda w: len(w.share))
            if not most.share:
                return
            job = most.share.popleft() if most is self else most.share.pop()
            if self.pool is None:
                self.pool = _pool()
            self.busy[self.pool.submit(_make, job, folder)] = job
            self.given += 1

    def stop(self, wait: bool) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=wait, cancel_futures=True)
        self.pool, self.given = None, 0


def _in_pool(jobs: list[Job], folder: Path, workers: int) -> Iterator[tuple]:
    """Results as they finish, from forked workers that each make the rows of a few kinds (`_share`).

    A worker with no rows left takes the last rows of the busiest one. Only two handouts per worker
    are in flight at a time, so Ctrl-C stops the batch at once. Each worker is replaced after
    TASKS_PER_WORKER handouts, so memory stays flat. When a worker crashes, the handouts it had in
    flight are made again one at a time, each in a worker of its own, so the crash costs only the
    row that caused it; then the batch goes on. Workers die with the process that started them
    (`_die_with_parent`), and are waited for at the end, so the folder is free for the next batch
    when this one returns.
    """
    font_config()  # made here, so every worker shares it and this process's folder for its font files
    # The workers share this process's memory until they write to it, and the cycle collector
    # writes to every object it walks: set aside what is here, so each worker keeps sharing it.
    gc.freeze()
    team = [_Worker(share) for share in _share(jobs, workers)]
    try:
        while True:
            for worker in team:
                worker.fill(team, folder)
            running = {future: worker for worker in team for future in worker.busy}
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                worker = running[future]
                if future not in worker.busy:
                    continue  # it was in flight on a worker that crashed: made again below
                try:
                    result = future.result()
                except BrokenProcessPool:
                    suspects = list(worker.busy.values())
                    worker.busy.clear()
                    worker.stop(wait=False)
                    yield from (_alone(job, folder) for job in suspects)
                    continue
                del worker.busy[future]
                yield result
        for worker in team:
            worker.stop(wait=True)
    finally:
        for worker in team:
            worker.stop(wait=False)
        gc.unfreeze()


def _alone(job: Job, folder: Path) -> tuple:
    """One row in a worker of its own, after a crash: it fails alone if it was the one that crashed."""
    pool = _pool()
    try:
        return pool.submit(_make, job, folder).result()
    except BrokenProcessPool:
        return job.line, None, "a worker process crashed while making this handout"
    finally:
        pool.shutdown(wait=True)


def _in_process(jobs: list[Job], folder: Path) -> Iterator[tuple]:
    for job in jobs:
        yield _make(job, folder)


# --- the batch -----------------------------------------------------------------------------------


def run_batch(
    catalog: Catalog,
    schedule: Path | list[Row],
    out_dir: Path,
    *,
    workers: int | None = None,
    force: bool = False,
    merge: Path | None = None,
    separator: bool = False,
    encoding: str | None = None,
    names: str = DEFAULT_NAMES,
    progress: Callable[[int, int], None] | None = None,
    archival: bool = False,
    dates: str | None = None,
    record: bool = True,
) -> BatchResult:
    """Make every valid row's handout into `out_dir`; see the module docstring for the guarantees.
    `schedule` is the file, or rows read from it already (the page's list, with its corrections)."""
    started = time.perf_counter()
    rows = read_schedule(schedule, encoding) if isinstance(schedule, Path) else schedule
    for target in (out_dir, *([merge] if merge is not None else [])):
        outside_practice(target, catalog.search.practice)
    make_private_folder(out_dir)
    result = BatchResult(manifest=out_dir / "manifest.csv", errors_csv=out_dir / "errors.csv")
    result.warnings = unused_columns(catalog, rows)

    valid: list[tuple[Row, dict]] = []
    for row in rows:
        try:
            kwargs = request_kwargs(catalog, row.values, archival, dates)
            request = build_request(catalog, **kwargs)
            result.warnings += [f"line {row.line}: {w}" for w in typed_language_warnings(catalog, request)]
            valid.append((row, kwargs | {"lang": request.lang}))  # its language as worked out, for its key
        except UserError as exc:
            result.failed.append(RowError(row.line, str(exc)))

    with one_writer(out_dir):
        remove_leftovers(out_dir)
        check_writable(result.manifest)
        check_writable(result.errors_csv)
        done = {} if force else read_manifest(result.manifest)
        journal = Journal(result.manifest)
        jobs, order, kept = [], [], []
        for (row, kwargs), file in zip(valid, file_names(names, valid), strict=True):
            job = Job(row.line, row.values, kwargs, file, _key(kwargs, catalog.snapshot.view(kwargs["lang"]).id))
            order.append(file)
            entry, path = done.get(file), out_dir / file
            if entry and entry["key"] == job.key and path.is_file() and sha256(path) == entry["sha256"]:
                journal.keep(job.record(entry["sha256"]))  # the file stands; its row and id may have moved
                kept.append((job, entry["sha256"]))
                result.skipped += 1
            else:
                jobs.append(job)

        global _builder
        _builder = Builder(Renderer(catalog))
        recorder = Recorder(catalog, _builder.renderer, "batch", enabled=record)
        unrecorded: list[str] = []  # why each handout neither the ledger nor the spool could keep was not
        if kept and recorder.on:
            _record_missing(catalog, recorder, kept, result, unrecorded)
        by_line = {job.line: job for job in jobs}
        workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
        runner = _in_process(jobs, out_dir) if workers == 1 else _in_pool(jobs, out_dir, workers)
        try:
            for count, (line, digest, error) in enumerate(runner, 1):
                job = by_line[line]
                if not error:
                    try:
                        journal.add(job.record(digest or ""))
                        result.made += 1
                    except WriteError as exc:
                        (out_dir / job.file).unlink(missing_ok=True)  # a handout is made once it is recorded
                        error = f"could not record this row's handout in manifest.csv: {exc.reason}"
                    else:
                        _record(catalog, recorder, job, digest or "", unrecorded)
                if error:
                    result.failed.append(RowError(line, error))
                if progress:
                    progress(count, len(jobs))
        finally:
            recorder.finish()
            result.failed.sort(key=lambda e: e.line)
            _finish(journal, order, result)
            result.warnings += _record_warnings(recorder, unrecorded)
        if merge is not None:
            files = [(out_dir / f, journal.records[f]) for f in order if f in journal.records]
            merge_for_printing(files, merge, catalog.search, separator)
            result.merged = merge
    result.seconds = time.perf_counter() - started
    return result


def make_private_folder(folder: Path) -> None:
    """`folder`, and each missing folder above it, made owner-only (0700): the handouts' file
    names carry patients' names, which any local user could list in a 0755 folder."""
    missing = []
    while not os.path.lexists(folder):
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
            path.chmod(0o700)  # whatever the umask
        except FileExistsError:
            continue
        except OSError as exc:
            raise UserError(f"cannot create the output folder {path}: {exc.strerror}") from None
    if missing and not missing[0].is_dir():
        raise UserError(f"cannot create the output folder {missing[0]}: a file has its name")
    if not missing and not folder.is_dir():
        raise UserError(f"cannot create the output folder {folder}: a file has its name")


def _record(catalog: Catalog, recorder: Recorder, job: Job, digest: str, unrecorded: list[str]) -> None:
    """One handout made, into the record (or the spool); never stops the batch: when neither can
    keep it, the reason is kept for a warning, and the manifest has it for the next run."""
    try:
        request = build_request(catalog, **job.kwargs)
        recorder.add(request, digest, of_row(job.line, job.values, request.patient), key=job.record_key(digest))
    except UserError as exc:
        unrecorded.append(str(exc))


def _record_missing(
    catalog: Catalog, recorder: Recorder, kept: list[tuple[Job, str]], result: BatchResult, unrecorded: list[str]
) -> None:
    """The handouts an earlier run made (in the manifest, their files unchanged) that the record
    lacks: a run whose ledger and spool were both down (a full disk), or an older version's."""
    keys = {job.record_key(digest): (job, digest) for job, digest in kept}
    missing = recorder.lacks({key: digest for key, (_, digest) in keys.items()})
    if missing is None:
        result.warnings.append(
            f"could not check that the handouts made before are in the record ({recorder.problem}): "
            "run the batch again when the ledger is back"
        )
        return
    for key in sorted(missing, key=lambda k: keys[k][0].line):
        _record(catalog, recorder, keys[key][0], keys[key][1], unrecorded)
    if missing:
        result.warnings.append(f"{len(missing)} handout(s) made before were missing from the record: added now")


def _record_warnings(recorder: Recorder, unrecorded: list[str]) -> list[str]:
    warnings = []
    if unrecorded:
        warnings.append(
            f"{len(unrecorded)} handout(s) made are in manifest.csv but not yet in the record ({unrecorded[-1]}): "
            "run the same batch again when the disk has room, and they are recorded"
        )
    try:
        notice = recorder.notice("the handouts are made")
    except UserError as exc:
        notice = str(exc)
    if notice:
        waiting = recorder.waiting()
        warnings.append(f"{notice} ({waiting} record(s) wait in {recorder.spool.path})" if waiting else notice)
    return warnings


def _finish(journal: Journal, order: list[str], result: BatchResult) -> None:
    """The manifest in schedule order and the error report; when the disk is full, a warning
    each, and the manifest stays as it was appended (every handout made is in it)."""
    try:
        journal.close(order)
    except WriteError as exc:
        result.warnings.append(f"{journal.path} lists every handout made, but not in schedule order ({exc.reason})")
    errors_csv = journal.path.with_name("errors.csv")
    try:
        _write_errors(errors_csv, result.failed)
    except WriteError as exc:
        result.warnings.append(f"could not write {errors_csv} ({exc.reason}); the failed rows are listed below")
        result.errors_csv = None


def _write_errors(path: Path, failed: list[RowError]) -> None:
    """errors.csv: the line and the reason; never a name (file names carry patients' names)."""
    write_atomic(path, csv_line(["line", "reason"]) + b"".join(csv_line([str(e.line), e.reason]) for e in failed))
