"""Worker processes: the one way the tool makes handouts in processes other than its own.

Three users, one pool:

- the batch (batch.py): a day's rows shared out among `-j` workers, kind by kind (`Pool.each`);
- the web page (web/shared.py, web/app.py): each handout or preview in a warm worker, first come,
  first served, so ten people at the desk do not wait in one line (`Pool.run`); WeasyPrint is not
  made for renders in threads;
- the web page's day jobs (web/jobs.py): a whole day in a worker of its own, at a lower priority,
  replaced after each job, so the desk's workers stay free and a day's layouts go back to the system.

What every worker does the same way:

- **Started** as a fork of a command's process (`fork=True`, the batch: at once, sharing what is
  loaded, its memory shared until written to), else afresh (multiprocessing's "spawn"): the page's
  process runs threads, and a fork could copy a lock one of them holds; nor from a fork server (its
  socket lives in the temporary folder, and a long TMPDIR makes its path too long to bind).
- **Gone with the process that started it** (`_die_with`), even when that is killed with kill -9,
  removing its own temporary folder as it goes, as when that process stops it on its way out.
- **Warm.** A worker keeps its builder (`builder`): a kind of handout's detail pages are laid out and
  painted once, then only page 1 per patient. A handout goes to the worker that made its kind last
  when that one is free (`Pool.run`), and a batch's rows go out kind by kind (`share`).
- **Flat memory.** A worker is replaced after `per_worker` tasks (its layouts are bounded by
  build.KEEP_LAYOUTS meanwhile), and after a task stopped over a limit (limits.py): what was half
  made goes with it.
- **A crash costs one task at most.** A worker that died while idle is replaced and costs nothing; a
  task whose worker died is made again alone in a new one, and fails (`CRASHED`) only if that one
  dies too: then it was the task that killed it, and every other task is made.

A task and its arguments are pickled to the worker (a task is a function of a module, found by
name); what every task of a batch shares (its catalog) crosses once per worker process.
"""

import contextlib
import gc
import multiprocessing
import os
import pickle
import select
import signal
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from ..base.errors import UserError
from ..base.limits import Stopped
from ..base.scratch import remove_private
from ..compose.request import Request
from ..config.catalog import Catalog
from ..engine.build import Builder, KeptBuilder
from ..engine.pdf import font_config

TASKS_PER_WORKER = 500  # then a worker is replaced, so memory stays flat on a server that runs all day
IN_FLIGHT = 2  # a batch's tasks sent to a worker ahead: it never waits for the main process to read the last one
CRASHED = "a worker process crashed while making this handout"
STOP_SECONDS = 10  # for a worker stopped to end by itself, removing its temporary folder, before it is killed

T = TypeVar("T")
Item = TypeVar("Item")


# --- in a worker (and in a process that makes handouts itself) ----------------------------------------

_kept = KeptBuilder()  # this process's builder, with the layouts of the kinds it made


def builder(catalog: Catalog) -> Builder:
    """This process's builder for `catalog`, kept with its layouts while the catalog's files stay the same."""
    return _kept(catalog)


def with_catalog(practice: Path | None, task: Callable[..., T], *args: Any) -> T:
    """`task(catalog, *args)` with the practice's files as they are now (the page's tasks: an edit shows at once)."""
    return task(Catalog.load(practice), *args)


def handout_pdf(catalog: Catalog, request: Request) -> bytes:
    """A handout's PDF from this process's kept builder (the one build path every interface uses)."""
    return builder(catalog).pdf(request)


def kind(request: Request) -> str:
    """Handouts of one kind share their detail pages: everything but the patient's name and note."""
    return repr(replace(request, patient="", note=None))


def _call(task: Callable[..., T], args: tuple) -> T:
    global _kept
    try:
        return task(*args)
    except Stopped:  # stopped half way: what it had made goes, with the builder
        _kept = KeptBuilder()
        raise


def _serve(tasks: Connection, parent: int, nice: int) -> None:
    """A worker's life: its tasks, one after another, each answered (True, result) or (False, exception).
    A task comes as (function, arguments, shared): `shared`, the arguments every task of a batch ends
    with, comes once (None after that) and is kept."""
    signal.signal(signal.SIGTERM, _end)  # stopped with the process that started it (multiprocessing at its exit)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal: the process that started it stops it
    _die_with(parent)
    os.nice(nice)
    font_config()  # one per worker's life; its font files go to the worker's private temporary folder (scratch.py)
    shared: tuple = ()
    try:
        while (call := _next(tasks)) is not None:
            task, args, new = call
            shared = shared if new is None else new
            try:
                answer: tuple[bool, Any] = (True, _call(task, (*args, *shared)))
            except Exception as exc:  # noqa: BLE001 - raised in the process that asked, as if the task ran there
                if not isinstance(exc, UserError):  # a bug: where it happened
                    exc.add_note(f"In the worker process:\n{traceback.format_exc()}")
                answer = (False, exc)
            try:
                tasks.send(answer)
            except OSError:  # the process that asked is gone
                break
            except (pickle.PicklingError, TypeError, AttributeError) as exc:  # an answer that cannot be pickled
                tasks.send((False, RuntimeError(f"a worker's answer could not be sent back: {exc!r}")))
    finally:
        remove_private()


def _next(tasks: Connection) -> tuple | None:
    """The next task; None when the pool lets this worker go (or its end of the connection is gone)."""
    try:
        return tasks.recv()
    except EOFError:
        return None


def _end(*_: object) -> NoReturn:
    """End this worker now, its temporary folder removed (it may be making something: no exit handlers)."""
    remove_private()
    os._exit(1)


def _die_with(parent: int) -> None:
    """End this process when process `parent` ends, however it ends (kill -9 too). Not when its
    connection closes: a worker making a handout is not reading it, and a forked worker holds the
    pool's end of the connections of the workers forked before it, which would never close."""
    try:
        handle = os.pidfd_open(parent)
    except ProcessLookupError:  # gone already
        _end()
    if os.getppid() != parent:  # it ended before the line above, and its number may be another's now
        _end()

    def watch() -> None:
        select.select([handle], [], [])  # readable when the process has ended
        _end()

    threading.Thread(target=watch, name="ends-with-its-parent", daemon=True).start()


# --- in the process that starts them -------------------------------------------------------------------


class Crashed(UserError):
    """A task whose worker died twice while making it: the task is what kills it."""


class _Died(Exception):
    """A worker ended while it had tasks: these (what was sent to it, in order)."""

    def __init__(self, sent: list) -> None:
        super().__init__(sent)
        self.sent = sent


@dataclass(eq=False)
class _Worker:
    """One worker process (started on first use), what was sent to it, and the kinds it has laid out."""

    context: multiprocessing.context.BaseContext
    per_worker: int
    nice: int
    process: multiprocessing.process.BaseProcess | None = None
    connection: Connection | None = None
    given: int = 0  # tasks sent to this process
    shared: tuple = ()  # the arguments its tasks end with, as this process has them
    sent: deque = field(default_factory=deque)  # what was sent and not yet answered, oldest first
    kinds: set[str] = field(default_factory=set)

    @property
    def takes_more(self) -> bool:
        """Whether another task may be sent now: always when idle (to a new process if this one is spent)."""
        return not self.sent or (len(self.sent) < IN_FLIGHT and self.given < self.per_worker)

    def start(self) -> Connection:
        if self.process is None or self.connection is None:
            mine, theirs = self.context.Pipe()
            self.process = self.context.Process(
                target=_serve, args=(theirs, os.getpid(), self.nice), name="handouts-worker", daemon=True
            )
            self.process.start()
            theirs.close()
            self.connection = mine
        return self.connection

    def send(self, task: Callable, args: tuple, what: Any, shared: tuple = ()) -> None:
        """`task(*args, *shared)` to the worker, `shared` only if the process does not have it yet (a
        batch's catalog crosses once, not with each row); `what` comes back with its answer (`receive`)."""
        try:
            self.start().send((task, args, None if shared is self.shared else shared))
        except OSError:  # it died while idle (killed, out of memory): a new one, nothing lost
            self.stop()
            self.start().send((task, args, shared))
        self.shared = shared
        self.given += 1
        self.sent.append(what)

    def receive(self) -> tuple[Any, bool, Any]:
        """(what was sent, True, its result) or (what was sent, False, its exception) for the oldest
        task sent; _Died, with what it had, when the worker ended instead."""
        assert self.connection is not None
        try:
            ok, result = self.connection.recv()
        except (EOFError, OSError):
            died = _Died(list(self.sent))
            self.stop()
            raise died from None
        what = self.sent.popleft()
        if isinstance(result, Stopped):  # what it half made may be left in the process: replaced once idle
            self.given = self.per_worker
        if not self.sent and self.given >= self.per_worker:
            self.stop()  # at once, so its memory goes back now
        return what, ok, result

    def call(self, task: Callable[..., T], args: tuple, shared: tuple = ()) -> T:
        """`task(*args, *shared)` alone in this worker; once more in a new one if the worker dies meanwhile."""
        for _ in range(2):
            self.send(task, args, None, shared)
            try:
                _, ok, result = self.receive()
            except _Died:
                continue
            if not ok:
                raise result
            return result
        raise Crashed(CRASHED)

    def stop(self) -> None:
        """Let the process go and wait for it: at once when it is idle; stopped when it is making
        something (a batch stopped half way), without waiting for that."""
        process, connection, busy = self.process, self.connection, bool(self.sent)
        self.process, self.connection, self.given, self.shared = None, None, 0, ()
        self.sent.clear()
        self.kinds.clear()
        if process is None or connection is None:
            return
        if busy:
            process.terminate()
        else:
            with contextlib.suppress(OSError):
                connection.send(None)  # it ends when it reads that
        connection.close()
        process.join(STOP_SECONDS)
        if process.is_alive():  # stuck where its signal handler cannot run
            process.kill()
            process.join()


@dataclass(eq=False)
class _Turn:
    """A task waiting for a worker: the worker is handed to it, in the order they came."""

    given: threading.Event = field(default_factory=threading.Event)
    worker: _Worker | None = None


class Pool:
    """`size` worker processes (default: one per core), started on first use; see the module's docstring.

    `fork=True` only in a command's own process (the batch's), inside `with`: its workers start at
    once and share what it has loaded. The page's processes serve requests in threads, and a fork
    copies the locks those hold at that moment, so their workers are spawned afresh. `per_worker`:
    the tasks a worker makes before it is replaced; `nice`: the workers' lower priority.
    """

    def __init__(
        self, size: int | None = None, *, fork: bool = False, per_worker: int = TASKS_PER_WORKER, nice: int = 0
    ) -> None:
        self._fork = fork
        context = multiprocessing.get_context("fork" if fork else "spawn")
        self._workers = [_Worker(context, per_worker, nice) for _ in range(size or os.cpu_count() or 1)]
        self._free = list(self._workers)
        self._waiting: deque[_Turn] = deque()
        self._lock = threading.Lock()

    def __enter__(self) -> "Pool":
        if self._fork:
            font_config()  # made here, so every worker shares it and this process's folder for its font files
            # The workers share this process's memory until they write to it, and the cycle collector
            # writes to every object it walks: set aside what is here, so each worker keeps sharing it.
            gc.freeze()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
        if self._fork:
            gc.unfreeze()

    def close(self) -> None:
        """Every worker let go and waited for (a batch's folder is free once it returns); a busy one is stopped."""
        for worker in self._workers:
            worker.stop()

    def warm(self) -> None:
        """Start every worker now, without waiting (a worker loads the whole pipeline before its first
        handout), so the desk's first handout of the day does not wait for it. Call before serving requests."""
        for worker in self._workers:
            worker.start()

    def run(self, task: Callable[..., T], *args: Any, kind: str | None = None) -> T:
        """`task(*args)` in a worker, waiting its turn for a free one (thread-safe, first come first
        served), the free one that last made a task of `kind` if there is one; its result, or its error."""
        worker = self._take(kind)
        try:
            result = worker.call(task, args)
            if kind is not None:
                worker.kinds.add(kind)
            return result
        finally:
            self._give(worker)

    def each(
        self, task: Callable[..., T], items: Sequence[Item], *args: Any, kind: Callable[[Item], str]
    ) -> Iterator[tuple[Item, T | UserError]]:
        """(item, `task(item, *args)` or its UserError) for every item, as they finish (from one thread).

        The items are shared out kind by kind (`share`); a worker with none left takes the last ones
        of the busiest. IN_FLIGHT tasks per worker at a time, so a Ctrl+C stops it at once. When a
        worker dies, the tasks it had are made again one at a time, each alone (`_Worker.call`).
        """
        team = dict(zip(self._workers, share(items, len(self._workers), kind), strict=True))
        while True:
            for worker, mine in team.items():
                while worker.takes_more and (source := mine or max(team.values(), key=len)):
                    item = source.popleft() if source is mine else source.pop()
                    worker.send(task, (item,), item, args)
            by_connection = {worker.connection: worker for worker in team if worker.sent}
            if not by_connection:
                return
            for connection in wait(list(by_connection)):
                worker = by_connection[connection]
                try:
                    item, ok, result = worker.receive()
                except _Died as died:
                    for item in died.sent:
                        yield item, _alone(worker, task, item, args)
                    continue
                if not ok and not isinstance(result, UserError):
                    raise result  # a bug
                yield item, result

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
        """The worker to the task that has waited longest, or back to the free ones."""
        with self._lock:
            if not self._waiting:
                self._free.append(worker)
                return
            turn = self._waiting.popleft()
        turn.worker = worker
        turn.given.set()


def _alone(worker: _Worker, task: Callable[..., T], item: Any, args: tuple) -> T | UserError:
    try:
        return worker.call(task, (item,), args)
    except UserError as exc:
        return exc


def here(task: Callable[..., T], items: Sequence[Item], *args: Any) -> Iterator[tuple[Item, T | UserError]]:
    """`Pool.each` in this process, one item after another (`-j 1`, and a day's job in its worker)."""
    for item in items:
        try:
            result: T | UserError = _call(task, (item, *args))
        except UserError as exc:
            result = exc
        yield item, result


def share(items: Sequence[Item], workers: int, kind: Callable[[Item], str]) -> list[deque[Item]]:
    """The items for each worker, kind by kind: a worker lays out and paints a kind's detail pages
    once (build.py, pdf.py), so each kind goes to as few workers as keeps them equally busy."""
    kinds: dict[str, list[Item]] = {}
    for item in items:
        kinds.setdefault(kind(item), []).append(item)
    shares: list[deque[Item]] = [deque() for _ in range(workers)]
    each, worker = -(-len(items) // workers), 0
    for item in (item for group in kinds.values() for item in group):
        if len(shares[worker]) == each:
            worker += 1
        shares[worker].append(item)
    return shares


_pool: Pool | None = None
_pool_lock = threading.Lock()


def render_pool() -> Pool:
    """This process's pool for the page's handouts and previews, started on first use, whatever practice
    they are for."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = Pool()
        return _pool
