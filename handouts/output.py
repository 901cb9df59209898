"""Writing files so that a reader never sees half of one: temporary file, then rename."""

import os
import tempfile
from pathlib import Path

from .errors import UserError


def check_writable(target: Path) -> None:
    """Fail before rendering when the file could not be written, with the reason."""
    folder = target.parent
    if target.is_dir():
        raise UserError(f"output {target} is a folder: give a file name, e.g. {target / 'handout.pdf'}")
    if not folder.is_dir():
        raise UserError(f"output folder {folder} does not exist: create it or choose another -o path")
    if not os.access(folder, os.W_OK):
        raise UserError(f"output folder {folder} is not writable: choose another -o path")


def write_atomic(target: Path, data: bytes, mode: int = 0o600) -> None:
    """Write `data` to `target` whole or not at all; owner-only by default (patient data)."""
    check_writable(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UserError(f"could not write {target}: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
