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
- The rows are made in the worker pool (pool.py), shared out kind by kind, so each worker lays out
  and paints a kind's detail pages once (build.py, pdf.py) and most kinds are laid out by one worker
  only. Workers are replaced after a number of handouts so memory stays flat; a crashed worker costs
  only the row it was making. Workers die with the main process, even when it is killed with kill -9.
"""

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..base.errors import UserError
from ..base.output import WriteError, check_writable, one_writer, outside_practice, remove_leftovers, write_atomic
from ..compose.identity import of_row
from ..compose.request import build_request, typed_language_warnings
from ..config.catalog import Catalog
from ..record.recorder import Recorder
from .manifest import Journal, csv_line, read_manifest
from .mapped import read_rows
from .pool import Pool, builder, here, kind
from .printfile import merge_for_printing
from .rows import DEFAULT_NAMES, file_names, request_kwargs, schedule_warnings
from .schedule import Row


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


def _make(job: Job, catalog: Catalog, folder: Path) -> str:
    """Make the row's file (in a worker, or in this process); its sha256. Why not, as a UserError."""
    made = builder(catalog)  # the process's own, kept: a kind's detail pages are laid out once
    data = made.pdf(build_request(made.renderer.catalog, **job.kwargs))
    try:
        write_atomic(folder / job.file, data, made.renderer.catalog.practice.file_mode)
    except WriteError as exc:
        raise UserError(f"could not write this row's handout: {exc.reason}") from None
    return hashlib.sha256(data).hexdigest()


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
    rows = read_rows(catalog, schedule, encoding).rows if isinstance(schedule, Path) else schedule
    for target in (out_dir, *([merge] if merge is not None else [])):
        outside_practice(target, catalog.search.practice)
    make_private_folder(out_dir)
    result = BatchResult(manifest=out_dir / "manifest.csv", errors_csv=out_dir / "errors.csv")
    result.warnings = schedule_warnings(catalog, rows)

    valid: list[tuple[Row, dict]] = []
    kinds: dict[int, str] = {}  # by line: rows of one kind share their detail pages (pool.py)
    for row in rows:
        try:
            kwargs = request_kwargs(catalog, row.values, archival, dates)
            request = build_request(catalog, **kwargs)
            result.warnings += [f"line {row.line}: {w}" for w in typed_language_warnings(catalog, request)]
            valid.append((row, kwargs | {"lang": request.lang}))  # its language as worked out, for its key
            kinds[row.line] = kind(request)
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

        recorder = Recorder(catalog, builder(catalog).renderer, "batch", enabled=record)
        unrecorded: list[str] = []  # why each handout neither the ledger nor the spool could keep was not
        if kept and recorder.on:
            _record_missing(catalog, recorder, kept, result, unrecorded)
        workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
        try:
            with contextlib.ExitStack() as stack:
                if workers == 1:
                    made = here(_make, jobs, catalog, out_dir)
                else:  # the workers are forks of this process: they share what it has loaded
                    pool = stack.enter_context(Pool(workers, fork=True))
                    made = pool.each(_make, jobs, catalog, out_dir, kind=lambda job: kinds[job.line])
                for count, (job, outcome) in enumerate(made, 1):
                    error = str(outcome) if isinstance(outcome, UserError) else None
                    if error is None:
                        try:
                            journal.add(job.record(outcome))
                            result.made += 1
                        except WriteError as exc:
                            (out_dir / job.file).unlink(missing_ok=True)  # a handout is made once it is recorded
                            error = f"could not record this row's handout in manifest.csv: {exc.reason}"
                        else:
                            _record(catalog, recorder, job, outcome, unrecorded)
                    if error:
                        result.failed.append(RowError(job.line, error))
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
