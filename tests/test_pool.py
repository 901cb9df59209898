"""One worker pool (handouts/runs/pool.py) for the batch, the web page and the web page's day jobs.

Real worker processes are started, replaced, killed (kill -9) and looked for in /proc. The batch, the
page and its jobs are tested through the pool in test_batch_folder.py, test_robust.py and test_serve.py;
here, the pool itself, and that nothing else in the package starts a worker its own way.
"""

import ast
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from test_batch_folder import children, running, wait_until
from test_layers import FILES, GRAPH

from handouts.base.limits import Stopped
from handouts.runs.pool import CRASHED, Crashed, Pool

POOL = "handouts.runs.pool"
# What starts a process of this tool's own, or ties one to its parent: only the pool may.
PROCESS_MODULES = ("multiprocessing", "concurrent.futures")
PROCESS_CALLS = {"fork", "forkpty", "posix_spawn", "posix_spawnp", "spawnv", "spawnl", "pidfd_open", "prctl"}
CALLERS = {
    "handouts.runs.batch": "the batch",
    "handouts.web.shared": "the page's handouts",
    "handouts.web.surgeon": "the surgeon page's previews and trial prints",
    "handouts.web.jobs": "the page's day jobs",
}


# --- tasks, found by name in a worker ----------------------------------------------------------------


def pid_of(_item: object = None) -> int:
    return os.getpid()


class Counted:
    """An argument that counts how often it is sent to a worker (pickled in this process)."""

    sent = 0

    def __reduce__(self) -> tuple:
        Counted.sent += 1
        return Counted, ()


def pid_with(_item: int, _shared: Counted) -> int:
    return os.getpid()


def stop_over_a_limit() -> None:
    raise Stopped("over a limit")


def pid_once_there(flag: str) -> int:
    """This worker's process id, once `flag` is a file."""
    while not os.path.exists(flag):
        time.sleep(0.05)
    return os.getpid()


def dies_on_three(item: int) -> int:
    if item == 3:
        os._exit(3)  # as a segfault would
    return item * 2


# --- one pool -------------------------------------------------------------------------------------------


def _starts_processes(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [name for name in names if name.startswith(PROCESS_MODULES)]
        elif isinstance(node, ast.Attribute) and node.attr in PROCESS_CALLS:
            found.append(node.attr)
        elif isinstance(node, ast.Attribute) and node.attr == "executable" and ast.unparse(node.value) == "sys":
            found.append("sys.executable")  # `python -m handouts...` as a process of its own
    return found


def test_only_the_pool_starts_worker_processes_and_every_caller_goes_through_it():
    others = {
        module: found
        for module, path in FILES.items()
        if module != POOL and (found := _starts_processes(ast.parse(path.read_text(), str(path))))
    }
    assert others == {}, "start worker processes with handouts.runs.pool, not on your own"
    assert _starts_processes(ast.parse(FILES[POOL].read_text()))  # the check sees what the pool does
    assert {module for module in CALLERS if POOL not in GRAPH[module]} == set(), CALLERS


# --- what every worker does -------------------------------------------------------------------------------


def test_a_worker_is_replaced_after_its_tasks_and_the_one_it_replaces_is_gone():
    pool = Pool(1, per_worker=2)
    try:
        pids = [pool.run(os.getpid) for _ in range(5)]
    finally:
        pool.close()
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4] != pids[0], pids
    assert not [pid for pid in pids if running(pid)]


def test_a_batch_s_workers_are_replaced_after_their_tasks_too():
    pool = Pool(2, fork=True, per_worker=3)
    try:
        made = dict(pool.each(pid_of, list(range(14)), kind=lambda item: str(item % 3)))
    finally:
        pool.close()
    assert sorted(made) == list(range(14))
    per_process = Counter(made.values())
    assert max(per_process.values()) <= 3 and len(per_process) >= 5, per_process


def test_what_a_batch_s_tasks_share_crosses_once_to_each_worker_process():
    """The batch's catalog (80 kB pickled) goes to a worker process once, not with every row."""
    Counted.sent = 0
    pool = Pool(2, fork=True, per_worker=4)
    try:
        made = dict(pool.each(pid_with, list(range(12)), Counted(), kind=str))
    finally:
        pool.close()
    assert sorted(made) == list(range(12))
    processes = len(set(made.values()))
    assert processes >= 3 and Counted.sent == processes


def test_a_task_stopped_over_a_limit_leaves_a_new_worker_for_the_next():
    pool = Pool(1, fork=True)
    try:
        first = pool.run(pid_of)
        with pytest.raises(Stopped):
            pool.run(stop_over_a_limit)
        assert not running(first)
        assert pool.run(pid_of) != first
    finally:
        pool.close()


def test_a_killed_worker_costs_no_task_and_a_task_that_kills_its_worker_fails_alone(tmp_path):
    pool = Pool(1, fork=True)
    try:
        idle = pool.run(pid_of)
        os.kill(idle, signal.SIGKILL)
        wait_until(lambda: not running(idle), 10)
        busy = pool.run(pid_of)
        assert busy != idle  # made by a new worker, no error
        # Killed with a task of its own: the task is made again, by a new worker.
        flag, answer = tmp_path / "flag", []
        asking = threading.Thread(target=lambda: answer.append(pool.run(pid_once_there, str(flag))))
        asking.start()
        os.kill(busy, signal.SIGKILL)
        flag.touch()
        asking.join(60)
        assert answer and answer[0] not in (busy, idle)
        made = dict(pool.each(dies_on_three, [1, 2, 3, 4, 5, 6], kind=lambda item: "one kind"))
        with pytest.raises(Crashed, match=CRASHED):
            pool.run(dies_on_three, 3)
    finally:
        pool.close()
    assert [str(made.pop(3))] == [CRASHED]
    assert made == {1: 2, 2: 4, 4: 8, 5: 10, 6: 12}


def test_a_kind_goes_back_to_the_worker_that_made_it_last():
    kinds = ["injection", "post-op", "post-op", "injection", "injection", "post-op"]
    pool = Pool(2, fork=True)
    try:
        pids = {(kind, pool.run(pid_of, kind=kind)) for kind in kinds}
    finally:
        pool.close()
    assert len(pids) == 2 and len({pid for _, pid in pids}) == 2, pids  # one worker each


def test_workers_end_with_the_process_that_started_them_even_after_kill_9(tmp_path):
    """An idle spawned worker (the page's) and a busy forked one (a batch's), kill -9 of their parent:
    both end, and the spawned one removes its private temporary folder."""
    script = (
        "import os, threading, time; from handouts.base.scratch import private_tempdir; "
        "from handouts.runs.pool import Pool; private_tempdir(); "
        "idle = Pool(1); idle.run(os.getpid); "
        "threading.Thread(target=Pool(1, fork=True).run, args=(time.sleep, 300), daemon=True).start(); "
        "time.sleep(300)"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    parent = subprocess.Popen([sys.executable, "-c", script], env=env)
    workers: list[int] = []
    try:
        # the spawned worker, multiprocessing's resource tracker, the forked worker
        wait_until(lambda: len(children(parent.pid)) >= 3, 120)
        workers = children(parent.pid)
        private = tmp_path / f"handouts-{os.getuid()}"
        assert len(list(private.iterdir())) == 2  # the parent's own, and the spawned worker's
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        wait_until(lambda: not any(running(pid) for pid in workers), 10)
        assert len(list(private.iterdir())) == 1  # the parent's, left by kill -9: the next start removes it
    finally:
        parent.kill()
        for pid in workers:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
