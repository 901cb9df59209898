"""Warm worker processes that make the page's PDFs, so ten people at the desk do not wait in one line.

WeasyPrint is not made for renders in threads, so the page once made every PDF under one lock:
with many browsers, each waited for all the others. Here each PDF is
made in one of a few worker processes (one per core by default), and the page's threads wait
only for a free worker.

- **Warm.** A worker keeps its builder (build.KeptBuilder): a kind of handout's detail pages are
  laid out and painted once, then only page 1 per patient, as in a batch. A handout goes to the
  worker that made its kind last, when that one is free, so a kind is laid out by few workers.
- **Started afresh.** A worker is a new Python process (multiprocessing's "spawn"), not a fork of
  the page's, which runs threads (a fork could copy a lock some thread holds), nor of a fork server
  (its socket lives in the temporary folder, and a long TMPDIR makes its path too long to bind).
  `serve` starts the workers with the page, so the first handout does not wait for their imports.
- **Flat memory.** A worker is replaced after `TASKS_PER_WORKER` PDFs (its layouts are bounded
  by build.KEEP_LAYOUTS meanwhile); one that crashes costs only the handout it was making.
- **Gone with the page.** Each worker watches the page's process and ends with it, even when that
  is killed with kill -9, and removes its own temporary folder as it goes.

Only plain values cross to a worker: the practice folder and the checked request; the worker
reads the practice's files itself, so an edit shows in the next handout as before.
"""

import multiprocessing
import os
import select
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any, TypeVar

from ..base.errors import UserError
from ..base.limits import Stopped
from ..base.scratch import remove_private
from ..compose.request import Request
from ..config.catalog import Catalog
from ..engine.build import KeptBuilder
from ..engine.pdf import font_config

TASKS_PER_WORKER = 500  # then a worker is replaced, so memory stays flat on a server that runs all day
CRASHED = "a worker process stopped while making it (the next one starts by itself): try again"

T = TypeVar("T")

_kept = KeptBuilder()  # in a worker: its builder, with the layouts of the kinds it made


def _start(page: int) -> None:
    """Worker initializer: end with the page's process; one font configuration for the worker's life."""
    _die_with(page)
    font_config()  # its font files go to the worker's private temporary folder (scratch.py)
    Finalize(None, remove_private, exitpriority=-1000)  # a worker ends with os._exit: no atexit handlers


def _die_with(page: int) -> None:
    """End this process when process `page` ends. Not by waiting for its work queue to close: each
    worker holds both ends of it, so none would ever see the page gone."""
    try:
        handle = os.pidfd_open(page)
    except ProcessLookupError:  # gone already
        os._exit(1)

    def watch() -> None:
        select.select([handle], [], [])  # readable when the process has ended
        remove_private()
        os._exit(1)

    threading.Thread(target=watch, name="ends-with-the-page", daemon=True).start()


def _ready() -> None:
    """A first task: the worker is started and loaded (`_start`)."""


def _with_catalog(practice: Path | None, task: Callable[..., T], *args: Any) -> T:
    """In a worker: `task(catalog, *args)` with the practice's files as they are now."""
    return task(Catalog.load(practice), *args)


def handout_pdf(catalog: Catalog, request: Request, gate: bool = True) -> bytes:
    """A handout's PDF from the worker's kept builder (the one build path every interface uses)."""
    return _kept(catalog).pdf(request, gate)


def kind(request: Request) -> str:
    """Handouts of one kind share their detail pages: everything but the patient's name and note."""
    return repr(replace(request, patient="", note=None))


@dataclass(eq=False)
class _Worker:
    """One worker process (started on first use), the PDFs it made, and the kinds it has laid out."""

    executor: ProcessPoolExecutor | None = None
    made: int = 0
    kinds: set[str] = field(default_factory=set)

    def run(self, context: multiprocessing.context.BaseContext, job: Callable[..., T], args: tuple) -> T:
        if self.executor is not None and self.made >= TASKS_PER_WORKER:
            self.stop()
        try:
            future = self.executor_in(context).submit(job, *args)
        except BrokenProcessPool:  # it died while idle (killed, out of memory): a new one, nothing lost
            self.stop()
            future = self.executor_in(context).submit(job, *args)
        try:
            result = future.result()
        except BrokenProcessPool:
            self.stop()
            raise UserError(CRASHED) from None
        except Stopped:  # stopped half way through: a new worker for the next handout
            self.stop()
            raise
        self.made += 1
        return result

    def executor_in(self, context: multiprocessing.context.BaseContext) -> ProcessPoolExecutor:
        if self.executor is None:
            self.executor = ProcessPoolExecutor(1, mp_context=context, initializer=_start, initargs=(os.getpid(),))
        return self.executor

    def stop(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
        self.executor, self.made = None, 0
        self.kinds.clear()


@dataclass(eq=False)
class _Turn:
    """A handout waiting for a worker: the worker is handed to it, in the order they came."""

    given: threading.Event = field(default_factory=threading.Event)
    worker: _Worker | None = None


class RenderPool:
    """`workers` warm worker processes (default: one per core); `run` waits its turn for a free one,
    first come first served (thread-safe): no handout is passed over by later ones."""

    def __init__(self, workers: int | None = None) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._workers = [_Worker() for _ in range(workers or os.cpu_count() or 1)]
        self._free = list(self._workers)
        self._waiting: deque[_Turn] = deque()
        self._lock = threading.Lock()

    def run(self, practice: Path | None, task: Callable[..., T], *args: Any, kind: str | None = None) -> T:
        """`task(catalog, *args)` in a worker, for the practice folder `practice`; its result, or its UserError."""
        worker = self._take(kind)
        try:
            result = worker.run(self._context, _with_catalog, (practice, task, *args))
            if kind is not None:
                worker.kinds.add(kind)
            return result
        finally:
            self._give(worker)

    def warm(self) -> None:
        """Start every worker now, without waiting (a worker loads the whole pipeline before its first
        handout), so the desk's first handout of the day does not wait for it. Call before serving requests."""
        for worker in self._workers:
            worker.executor_in(self._context).submit(_ready)

    def pdf(self, practice: Path | None, request: Request, gate: bool = True) -> bytes:
        """The handout's PDF, made by the free worker that last made one of its kind if there is one."""
        return self.run(practice, handout_pdf, request, gate, kind=kind(request))

    def _take(self, kind: str | None) -> _Worker:
        with self._lock:
            if self._free and not self._waiting:
                worker = next((w for w in self._free if kind in w.kinds), None)
                worker = worker or min(self._free, key=lambda w: len(w.kinds))  # a kind new to all: the least loaded
                self._free.remove(worker)
                return worker
            turn = _Turn()
            self._waiting.append(turn)
        turn.given.wait()
        assert turn.worker is not None
        return turn.worker

    def _give(self, worker: _Worker) -> None:
        """The worker to the handout that has waited longest, or back to the free ones."""
        with self._lock:
            if not self._waiting:
                self._free.append(worker)
                return
            turn = self._waiting.popleft()
        turn.worker = worker
        turn.given.set()


_pool: RenderPool | None = None
_pool_lock = threading.Lock()


def render_pool() -> RenderPool:
    """This process's pool, started on first use: the page's handouts, whatever practice they are for."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = RenderPool()
        return _pool
