"""A whole clinic day: one handout per schedule row, in parallel, resumable, nothing lost or mixed up.

- Every row is validated first; a bad row is reported with its line number and never stops the
  good ones.
- Files are written atomically, and each finished file is appended to manifest.csv at once, with a
  key of everything that made it; a rerun skips a file only when its manifest key and sha256 still
  match, so a batch killed half way makes only what is missing, and a reordered or edited schedule
  can never hand one patient's file to another.
- Workers lay out each visit type's detail pages once (reuse.py), forked from a parent that laid
  out the shared ones already, and are replaced after a number of handouts so memory stays
  flat; a crashed worker costs only the row it was making.
"""

import contextlib
import csv
import difflib
import hashlib
import io
import json
import multiprocessing
import os
import re
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import __version__
from .catalog import Catalog
from .errors import UserError
from .output import check_writable, write_atomic
from .printfile import merge_for_printing
from .render import Renderer
from .request import build_request
from .reuse import ReusingBuilder
from .schedule import Row, read_schedule

DEFAULT_NAMES = "{date}_{visit}_{patient}"
NAME_FIELDS = ("row", "id", "visit", "date", "patient", "surgeon")
TASKS_PER_WORKER = 250  # then the workers are replaced, so memory stays flat on long batches
MANIFEST_COLUMNS = ["row", "id", "patient", "visit", "date", "version", "file", "sha256", "key"]
LANGUAGES = ("en",)
COLUMNS = ("visit", "patient", "date", "surgeon", "lang", "large_print", "id")
_TRUE, _FALSE = {"1", "yes", "y", "true", "x", "on"}, {"", "0", "no", "n", "false", "off"}


@dataclass(frozen=True)
class RowError:
    line: int
    id: str
    reason: str


@dataclass(frozen=True)
class Job:
    """One valid row, ready for a worker: only plain values cross the process boundary."""

    line: int
    values: dict[str, str]
    kwargs: dict
    file: str
    key: str

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


def _flag(value: str, column: str) -> bool:
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise UserError(f"column {column}: {value!r} is not yes or no")


_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def iso_date(text: str, order: str | None) -> str:
    """A date as spreadsheets write it (3/14/2026 or 14/03/2026) in YYYY-MM-DD, by the order given."""
    match = _SLASHED.match(text.strip())
    if not match:
        return text
    if order is None:
        raise UserError(
            f"the date {text!r} is not written as YYYY-MM-DD: fix the column, or run the batch with "
            "--dates us (for 3/14/2026) or --dates eu (for 14/03/2026)"
        )
    first, second, year = (int(part) for part in match.groups())
    month, day = (first, second) if order == "us" else (second, first)
    return f"{year:04d}-{month:02d}-{day:02d}"


def request_kwargs(catalog: Catalog, values: dict[str, str], archival: bool = False, dates: str | None = None) -> dict:
    """The arguments of `build_request` for one row; declared fields of its visit type only."""
    if values.get("_error"):
        raise UserError(values["_error"])
    lang = values.get("lang", "").lower() or "en"
    if lang not in LANGUAGES:
        raise UserError(f"language {lang!r} is not available (available: {', '.join(LANGUAGES)})")
    visit = catalog.visit(values.get("visit", ""))
    return {
        "visit_id": visit.id,
        "patient": values.get("patient", ""),
        "visit_date": iso_date(values.get("date") or date.today().isoformat(), dates),
        "sets": {
            k: iso_date(v, dates) if visit.fields[k].kind == "date" else v
            for k, v in values.items()
            if k in visit.fields and v
        },
        "large_print": _flag(values.get("large_print", ""), "large_print"),
        "surgeon": values.get("surgeon") or None,
        "archival": archival,
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


def _key(kwargs: dict, fingerprint: str) -> str:
    """Everything a handout is made from: the row's values, the tool and the practice's files."""
    blob = json.dumps([kwargs, __version__, fingerprint], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- manifest ------------------------------------------------------------------------------------


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


# --- workers ---------------------------------------------------------------------------------------

# The builder of the batch being run. Set anew by every run_batch from the catalog it was given
# (so a long-running process never reuses another run's practice or layouts); forked workers
# inherit it, with the layouts the parent made already.
_builder: ReusingBuilder | None = None


def _make(job: Job, folder: Path) -> tuple[int, str | None, str | None]:
    """(row line, sha256, None) when the file is written, (row line, None, reason) when not."""
    assert _builder is not None
    try:
        request = build_request(_builder.renderer.catalog, **job.kwargs)
        data = _builder.build(request)
        write_atomic(folder / job.file, data, _builder.renderer.catalog.practice.file_mode)
        return job.line, hashlib.sha256(data).hexdigest(), None
    except UserError as exc:
        return job.line, None, str(exc)


def _warm(jobs: list[Job], builder: ReusingBuilder) -> None:
    """Lay out, in this process, the detail pages that several rows share, before forking."""
    seen: set[str] = set()
    for job in jobs:
        visit = job.kwargs["visit_id"]
        shared = not job.kwargs["sets"] and not job.kwargs["surgeon"] and not job.kwargs["large_print"]
        if shared and visit not in seen:
            seen.add(visit)
            with contextlib.suppress(UserError):
                builder.details(build_request(builder.renderer.catalog, **job.kwargs))


def _in_pool(jobs: list[Job], folder: Path, workers: int) -> Iterator[tuple]:
    """Results as they finish, from forked workers that start with the warm layouts.

    Only a few handouts are in flight at a time, so Ctrl-C stops the batch at once. Workers are
    replaced every TASKS_PER_WORKER handouts (a fresh pool per round) so memory stays flat. When a
    worker crashes, the handouts that were in flight are made again one at a time, each in a pool
    of its own, so the crash costs only the row that caused it; then the batch goes on in parallel.
    """
    assert _builder is not None
    _warm(jobs, _builder)
    pending, suspects = deque(jobs), deque()
    while pending or suspects:
        alone = bool(suspects)
        queue = (
            deque([suspects.popleft()])
            if alone
            else deque(pending.popleft() for _ in range(min(len(pending), workers * TASKS_PER_WORKER)))
        )
        size = 1 if alone else workers
        pool = ProcessPoolExecutor(size, mp_context=multiprocessing.get_context("fork"))
        futures: dict = {}
        try:
            while queue or futures:
                while queue and len(futures) < 2 * size:
                    job = queue.popleft()
                    futures[pool.submit(_make, job, folder)] = job
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
                    del futures[future]
        except BrokenProcessPool:
            if alone:
                yield next(iter(futures.values())).line, None, "a worker process crashed while making this handout"
            else:
                suspects.extend(futures.values())
                pending.extendleft(reversed(queue))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def _in_process(jobs: list[Job], folder: Path) -> Iterator[tuple]:
    for job in jobs:
        yield _make(job, folder)


# --- the batch -----------------------------------------------------------------------------------


def run_batch(
    catalog: Catalog,
    schedule: Path,
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
) -> BatchResult:
    """Make every valid row's handout into `out_dir`; see the module docstring for the guarantees."""
    started = time.perf_counter()
    rows = read_schedule(schedule, encoding)
    out_dir.mkdir(parents=True, exist_ok=True)
    check_writable(out_dir / "manifest.csv")
    result = BatchResult(manifest=out_dir / "manifest.csv", errors_csv=out_dir / "errors.csv")
    result.warnings = unused_columns(catalog, rows)

    valid: list[tuple[Row, dict]] = []
    for row in rows:
        try:
            kwargs = request_kwargs(catalog, row.values, archival, dates)
            build_request(catalog, **kwargs)
            valid.append((row, kwargs))
        except UserError as exc:
            result.failed.append(RowError(row.line, row.values.get("id", ""), str(exc)))

    fingerprint = catalog.fingerprint()
    done = {} if force else read_manifest(result.manifest)
    jobs, order, still_good = [], [], []
    for (row, kwargs), file in zip(valid, file_names(names, valid), strict=True):
        job = Job(row.line, row.values, kwargs, file, _key(kwargs, fingerprint))
        order.append(file)
        entry, path = done.get(file), out_dir / file
        if entry and entry["key"] == job.key and path.is_file() and sha256(path) == entry["sha256"]:
            still_good.append(job.record(entry["sha256"]))  # the file stands; its row and id may have moved
        else:
            jobs.append(job)

    global _builder
    _builder = ReusingBuilder(Renderer(catalog))
    journal = Journal(result.manifest)
    for record in still_good:
        journal.add(record)
    result.skipped = len(still_good)
    by_line = {job.line: job for job in jobs}
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    runner = _in_process(jobs, out_dir) if workers == 1 else _in_pool(jobs, out_dir, workers)
    try:
        for count, (line, digest, error) in enumerate(runner, 1):
            job = by_line[line]
            if error:
                result.failed.append(RowError(line, job.values.get("id", ""), error))
            else:
                result.made += 1
                journal.add(job.record(digest or ""))
            if progress:
                progress(count, len(jobs))
    finally:
        journal.close(order)
        result.failed.sort(key=lambda e: e.line)
        _write_errors(result.errors_csv, result.failed)
    if merge is not None:
        entries = read_manifest(result.manifest)
        files = [(out_dir / f, entries[f]) for f in order if f in entries]
        merge_for_printing(files, merge, catalog.search, separator)
        result.merged = merge
    result.seconds = time.perf_counter() - started
    return result


def _write_errors(path: Path, failed: list[RowError]) -> None:
    """errors.csv: the line, the id and the reason; never the patient's name."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["line", "id", "reason"])
    writer.writerows([e.line, e.id, e.reason] for e in failed)
    write_atomic(path, out.getvalue().encode("utf-8"))
