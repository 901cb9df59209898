"""What the test processes of one run share: a handout one of them built, and what was read from it.

`scripts/test` runs one pytest worker per core, and each used to build (and read back) the same
shared handouts: every visit type in both languages and sizes, a second time over. Now the first
worker to ask builds it and writes it to a folder of this run; a worker asking meanwhile waits
for it, and later ones read the file. The folder is pytest's temporary folder of this run (the
workers' own are inside it), so nothing is ever carried over from another run or another version
of the code; within the run a value is keyed by everything it is made from.
"""

import fcntl
import hashlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def key(*parts: object) -> str:
    """A file name for a value made from `parts` (their repr: plain data only)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class RunShare:
    """Values made once in a run, whichever of its processes asks first (a lock file per value)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(exist_ok=True)

    def get(self, name: str, make: Callable[[], T]) -> T:
        """The value kept under `name`, made with `make()` by the first process that asks; one that
        raises keeps nothing, so the next asker makes it again (and meets the same failure)."""
        path = self.folder / f"{name}.pickle"
        with open(self.folder / f"{name}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if path.exists():
                return pickle.loads(path.read_bytes())
            value = make()
            part = path.with_name(f"{path.name}.{os.getpid()}.part")
            part.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(part, path)
            return value


def for_this_run(basetemp: Path) -> RunShare:
    """The run's share: beside the workers' own temporary folders under pytest-xdist (each worker's
    basetemp is a folder of the run's), in the run's own folder otherwise."""
    return RunShare((basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp) / "shared")
