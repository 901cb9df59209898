"""One search path for everything a practice can override: practice folder first, built-ins second.

Templates, styles, visit types, content modules and assets are all found the same way, so a
practice replaces any of them by dropping a file with the same name into its own folder.
"""

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .approvals import FILE as APPROVALS_FILE
from .errors import UserError
from .paths import BUILTIN_ROOT

# Where each kind of file lives, relative to a root. The built-in root keeps its data under
# content/; a practice folder keeps it at the top, where a practice manager will look for it.
_BUILTIN_LAYOUT = {
    "templates": "templates",
    "styles": "styles",
    "visits": "content/visits",
    "modules": "content/modules",
    "assets": "assets",
}
_PRACTICE_LAYOUT = {**_BUILTIN_LAYOUT, "visits": "visits", "modules": "modules", "surgeons": "surgeons"}

BUILTIN_PRACTICE_FILE = "content/practice.toml"  # the sample practice, relative to the built-in root
# The practice folder's own files and folders: what Catalog.load reads from it.
# Everything of a root that can change a handout, relative to it: what a practice folder is
# checked for (links, special files) and what the record keeps to make a handout again.
PRACTICE_FILES = ("practice.toml", APPROVALS_FILE, *sorted(set(_PRACTICE_LAYOUT.values())))
BUILTIN_FILES = ("assets", "content", "styles", "templates")
MAX_LISTED = 5


@dataclass(frozen=True)
class SearchPath:
    """The folders searched for each kind of file, in order of precedence.

    `builtin` is the installed built-ins, or a copy of them as they were when a recorded handout
    was made (record/snapshot.py), so a reprint finds the text it was made from."""

    practice: Path | None = None
    builtin: Path = BUILTIN_ROOT

    def dirs(self, kind: str) -> list[Path]:
        """Folders holding files of `kind`, practice first; missing practice folders are skipped."""
        found = []
        if self.practice is not None and kind in _PRACTICE_LAYOUT:
            folder = self.practice / _PRACTICE_LAYOUT[kind]
            if folder.is_dir():
                found.append(folder)
        if kind in _BUILTIN_LAYOUT:
            found.append(self.builtin / _BUILTIN_LAYOUT[kind])
        return found

    def check_own_files(self) -> None:
        """Refuse a practice folder that reaches outside itself, naming each link or special file in it.

        A practice folder is data that may come from anyone: a link in it (`templates/pw.html ->
        /etc/passwd`, an `assets` folder that points elsewhere) would print or embed whatever it
        points to, and a FIFO would hang the render. Every file and folder the tool reads from it
        must be a plain file or folder; with no link inside, nothing in it can resolve outside it.
        """
        if self.practice is None:
            return
        found = _not_plain(self.practice, PRACTICE_FILES)
        if found:
            more = f" and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else ""
            raise UserError(
                f"practice folder {self.practice}: {', '.join(found[:MAX_LISTED])}{more}: a practice folder may "
                "hold only its own plain files and folders; replace each link with a copy of what it points to"
            )

    def builtin_dir(self, kind: str) -> Path:
        """The built-in folder of `kind` (what `default:` template names refer to)."""
        return self.builtin / _BUILTIN_LAYOUT[kind]

    @property
    def practice_file(self) -> Path:
        """practice.toml: the practice folder's, else the built-in sample practice's."""
        return (self.practice / "practice.toml") if self.practice else self.builtin / BUILTIN_PRACTICE_FILE

    def practice_dir(self, kind: str) -> Path | None:
        """Where the practice keeps files of `kind` (whether or not the folder exists yet)."""
        return None if self.practice is None else self.practice / _PRACTICE_LAYOUT[kind]

    def find(self, kind: str, name: str) -> Path | None:
        """The first file called `name` on the path for `kind`, refusing names that climb out."""
        for folder in self.dirs(kind):
            try:
                candidate = (folder / name).resolve()
                if candidate.is_file() and candidate.is_relative_to(folder.resolve()):
                    return candidate
            except (OSError, ValueError):  # a NUL byte, a name too long for the file system: not a file here
                continue
        return None

    def names(self, kind: str, suffix: str) -> dict[str, Path]:
        """Every `*suffix` file of `kind` by stem; a practice file hides a built-in one."""
        found: dict[str, Path] = {}
        for folder in reversed(self.dirs(kind)):
            for path in sorted(folder.glob(f"*{suffix}")):
                found[path.name[: -len(suffix)]] = path
        return found


def _not_plain(root: Path, names: tuple[str, ...]) -> list[str]:
    """Each link or special file at or under root/NAME, as 'path (why)' relative to root.
    Links are never followed, so each is reported where it is."""
    found = []
    pending = [root / name for name in names]
    while pending:
        path = pending.pop()
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:  # a kind of file the practice does not override
            continue
        where = path.relative_to(root).as_posix()
        if stat.S_ISLNK(mode):
            found.append(f"{where} (a link to {os.readlink(path)})")
        elif stat.S_ISDIR(mode):
            pending += path.iterdir()
        elif not stat.S_ISREG(mode):
            found.append(f"{where} (not a plain file)")
    return sorted(found)
