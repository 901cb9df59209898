"""Every temporary file the tool makes, in one private folder per process, gone after a crash too.

WeasyPrint keeps each process's fonts in a folder from `tempfile` (about 10 MB), and the web page
runs an uploaded schedule in a temporary folder (the schedule and every patient's handout). So
`private_tempdir()` points `tempfile` at a folder of this process's own, inside one owner-only
(0700) folder per user, `$TMPDIR/handouts-<uid>/`: nothing with patient data sits where other
users can see it, and every library that asks `tempfile` for a place follows without being told.

The process holds a lock (flock) on its folder for as long as it runs; forked workers inherit it.
A normal exit removes the folder; after a crash or `kill -9`, the lock is gone with the process,
and the next start of the tool removes the folder. A lock rather than a process id: a process id
is reused, a lock is never held by a dead process (and systemd-tmpfiles leaves locked folders be).
"""

import atexit
import contextlib
import fcntl
import os
import shutil
import stat
import tempfile
import threading
from pathlib import Path

from .errors import UserError

# The system's temporary folder as this process found it ($TMPDIR, else /tmp), before it is
# pointed at the private one.
_SYSTEM_TMP = Path(tempfile.gettempdir())

_folder: Path | None = None
_making = threading.Lock()  # the web page's threads may ask at once


def _private_base() -> Path:
    """`$TMPDIR/handouts-<uid>`, created owner-only; one made by anyone else is refused."""
    base = _SYSTEM_TMP / f"handouts-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        base.mkdir(mode=0o700)
    info = base.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise UserError(
            f"the temporary folder {base} is not this user's own folder: remove it, or set TMPDIR to another folder"
        )
    if stat.S_IMODE(info.st_mode) != 0o700:
        base.chmod(0o700)
    return base


def _lock(folder: Path, flags: int = fcntl.LOCK_EX) -> int:
    """A descriptor holding `folder`'s lock; BlockingIOError with LOCK_NB when another process holds it."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        fcntl.flock(fd, flags)
    except OSError:
        os.close(fd)
        raise
    return fd


def _remove_stale(base: Path) -> None:
    """Remove the folders of processes that are gone (nobody holds their lock)."""
    for folder in base.iterdir():
        if folder.is_symlink() or not folder.is_dir():
            continue
        try:
            fd = _lock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # its process is still running (or it is being removed by its process)
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def _remove_own(pid: int, folder: Path) -> None:
    if os.getpid() == pid:  # not in a forked worker that happens to run exit handlers
        shutil.rmtree(folder, ignore_errors=True)


def remove_private() -> None:
    """Remove this process's folder now, if this process made it: for processes that end without
    running exit handlers (the web page's render workers end with os._exit)."""
    if _folder is not None and _folder.name.startswith(f"{os.getpid()}-"):
        shutil.rmtree(_folder, ignore_errors=True)


def private_tempdir() -> Path:
    """This process's private temporary folder, made (and `tempfile` pointed at it) on first use."""
    global _folder
    with _making:
        if _folder is None or not _folder.is_dir():
            base = _private_base()
            # Under the base's own lock, so no other process removes this folder before it is locked.
            guard = _lock(base)
            try:
                _remove_stale(base)
                _folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=base))
                _lock(_folder)  # held, never closed: released when this process and its workers are gone
            finally:
                os.close(guard)
            atexit.register(_remove_own, os.getpid(), _folder)
        tempfile.tempdir = str(_folder)
        return _folder
