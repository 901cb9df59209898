"""Writing files so that a reader never sees half of one, and one writer per batch folder.

A file is written to a part file beside it, then renamed into place. The writer holds a lock on
its part file, so a part file nobody holds was left by a process that died: `remove_leftovers`
takes those away (a batch for its whole folder, `make` for its file), as they hold a whole
handout and, in a batch, the patient's name in their file name.
"""

import contextlib
import errno
import fcntl
import glob
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import UserError


class WriteError(UserError):
    """A file that cannot be written. `reason` says why without the file's path: a batch names its
    files after patients, and its error report must not carry their names."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple:  # whole across a process boundary (the page's render workers)
        return type(self), (str(self), self.reason)


def check_writable(target: Path) -> None:
    """Fail before rendering when the file could not be written, with the reason.

    An existing target must be a regular file: replacing a device (`-o /dev/full`), a pipe or a
    symbolic link with a file is never what was meant. Any other error of the path itself (a file
    where a folder should be, a name too long, a loop of links) is said as one line, never a traceback.
    """
    try:
        _check_writable(target)
    except OSError as exc:
        reason = _path_problem(target, exc)
        raise WriteError(f"output {target} cannot be written: {reason}: choose another -o path", reason) from None


def outside_practice(target: Path, practice: Path | None) -> None:
    """A handout, print file or batch folder is never written into the practice folder: a name there
    could replace the practice's own files (its ledger, approvals, settings, templates)."""
    if practice is None:
        return
    try:
        inside = target.resolve().is_relative_to(practice.resolve())
    except (OSError, RuntimeError):  # a loop of links: check_writable says what is wrong with the path
        return
    if inside:
        raise WriteError(
            f"output {target} is inside the practice folder {practice}: write handouts to a folder of their own "
            "(-o), never among the practice's files",
            "it is inside the practice folder",
        )


def is_folder(path: Path) -> bool:
    """`path.is_dir()`, and False for a path that cannot even be looked up (a name too long, say):
    `check_writable` then says what is wrong with it."""
    try:
        return path.is_dir()
    except OSError:
        return False


def _path_problem(target: Path, exc: OSError) -> str:
    """Why `target`'s path cannot be used, in plain words (no patient's file name in them)."""
    if exc.errno == errno.ENOTDIR:
        blocking = next((p for p in reversed(target.parents) if os.path.exists(p) and not os.path.isdir(p)), None)
        where = f" ({blocking})" if blocking is not None else ""
        return f"a part of its path{where} is a file, not a folder"
    if exc.errno == errno.ENAMETOOLONG:
        return "its name, or the name of a folder in it, is too long"
    if exc.errno == errno.ELOOP:
        return "its path goes round a loop of symbolic links"
    return exc.strerror or type(exc).__name__


def _check_writable(target: Path) -> None:
    folder = target.parent
    if target.is_dir():
        raise WriteError(
            f"output {target} is a folder: give a file name, e.g. {target / 'handout.pdf'}",
            "a folder has its file name",
        )
    with contextlib.suppress(FileNotFoundError):
        mode = target.lstat().st_mode
        if stat.S_ISLNK(mode):
            raise WriteError(
                f"output {target} is a symbolic link: remove it, or give the path of a regular file",
                "a symbolic link has its file name",
            )
        if not stat.S_ISREG(mode):
            raise WriteError(
                f"output {target} exists and is not a regular file: choose another -o path",
                "something that is not a regular file has its file name",
            )
    try:
        folder_mode = folder.stat().st_mode
    except FileNotFoundError:
        raise WriteError(
            f"output folder {folder} does not exist: create it or choose another -o path", "its folder does not exist"
        ) from None
    if not stat.S_ISDIR(folder_mode):
        raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
    if not os.access(folder, os.W_OK):
        raise WriteError(
            f"output folder {folder} is not writable: choose another -o path", "its folder is not writable"
        )


def _part_file(target: Path) -> tuple[int, str]:
    """A new part file beside `target`, locked before anyone could take it for a leftover."""
    while True:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        fcntl.flock(fd, fcntl.LOCK_EX)
        with contextlib.suppress(FileNotFoundError):
            if os.path.samestat(os.fstat(fd), os.stat(tmp)):
                return fd, tmp
        os.close(fd)  # a sweep removed it between its creation and the lock: take another


def remove_leftovers(folder: Path, name: str | None = None) -> None:
    """Remove the part files that no living writer holds: of the file `name`, or of every file."""
    for path in folder.glob(f".{glob.escape(name) if name else '*'}.*.part"):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if stat.S_ISREG(os.fstat(fd).st_mode):
                path.unlink(missing_ok=True)
        except BlockingIOError:
            pass  # being written right now
        finally:
            os.close(fd)


def write_atomic(target: Path, data: bytes, mode: int = 0o600, replace: bool = True) -> None:
    """Write `data` to `target` whole or not at all; owner-only by default (patient data).

    With replace=False an existing `target` is kept and the write fails (FileExistsError, a
    WriteError): the part file is linked into place, which no other writer can race.
    """
    check_writable(target)
    tmp = None
    try:
        fd, tmp = _part_file(target)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            if replace:
                os.replace(tmp, target)
            else:
                os.link(tmp, target)
                Path(tmp).unlink()
    except OSError as exc:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise WriteError(f"could not write {target}: {exc.strerror}", exc.strerror or str(exc)) from None
    except BaseException:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise


def write_stdout(data: bytes) -> None:
    """`-o -`: the file to standard output, for a pipe (to a printer, a mail, a viewer)."""
    try:
        stream = sys.stdout.buffer
        stream.write(data)
        stream.flush()
    except OSError as exc:
        raise UserError(f"could not write to standard output: {exc.strerror}") from None


@contextlib.contextmanager
def one_writer(folder: Path) -> Iterator[None]:
    """Hold the folder's lock file while a batch writes into it: a second batch into the same
    folder would interleave two manifests into one, so it is refused while the first runs."""
    lock = folder / ".handouts.lock"
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise UserError(f"cannot lock the output folder {folder} ({lock}: {exc.strerror})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise UserError(
            f"another batch is writing into {folder} right now: wait for it to finish, or choose another -o folder"
        ) from None
    try:
        yield
    finally:
        os.close(fd)
