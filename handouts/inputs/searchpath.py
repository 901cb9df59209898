"""One search path for everything a practice can override: practice folder first, built-ins second.

Templates, styles, visit types, content modules and assets are all found the same way, so a
practice replaces any of them by dropping a file with the same name into its own folder.
"""

import posixpath
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..base.paths import BUILTIN_ROOT
from .layout import BUILTIN_LAYOUT, BUILTIN_PRACTICE_FILE, PRACTICE_LAYOUT
from .snapshot import BUILTIN, PRACTICE, Snapshot


@dataclass(frozen=True)
class SearchPath:
    """The folders searched for each kind of file, in order of precedence, and the files in them as its
    snapshot holds them: what is found, listed and read is what the snapshot took, never the disk now.

    `builtin` is the installed built-ins, or the name of a recorded handout's stored built-ins
    (record/stored_files.py), so a reprint finds the text it was made from. Made with no snapshot, it
    takes one when first asked for a file."""

    practice: Path | None = None
    builtin: Path = BUILTIN_ROOT
    given: Snapshot | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, files: Snapshot) -> "SearchPath":
        """The search path over a snapshot's files."""
        return cls(files.roots.get(PRACTICE), files.roots[BUILTIN], files)

    @cached_property
    def files(self) -> Snapshot:
        return self.given if self.given is not None else Snapshot.take(self.practice, self.builtin)

    def dirs(self, kind: str) -> list[Path]:
        """Folders holding files of `kind`, practice first; practice folders without a file are skipped."""
        found = []
        if self.practice is not None and kind in PRACTICE_LAYOUT:
            folder = self.practice / PRACTICE_LAYOUT[kind]
            if self.files.is_dir(folder):
                found.append(folder)
        if kind in BUILTIN_LAYOUT:
            found.append(self.builtin / BUILTIN_LAYOUT[kind])
        return found

    def builtin_dir(self, kind: str) -> Path:
        """The built-in folder of `kind` (what `default:` template names refer to)."""
        return self.builtin / BUILTIN_LAYOUT[kind]

    @property
    def practice_file(self) -> Path:
        """practice.toml: the practice folder's, else the built-in sample practice's."""
        return (self.practice / "practice.toml") if self.practice else self.builtin / BUILTIN_PRACTICE_FILE

    def practice_dir(self, kind: str) -> Path | None:
        """Where the practice keeps files of `kind` (whether or not the folder exists yet)."""
        return None if self.practice is None else self.practice / PRACTICE_LAYOUT[kind]

    def find(self, kind: str, name: str) -> Path | None:
        """The first file called `name` on the path for `kind`, refusing names that climb out."""
        plain = posixpath.normpath(name) if name and "\0" not in name else ".."
        if plain.startswith(("/", "../")) or plain in (".", ".."):
            return None
        for folder in self.dirs(kind):
            if self.files.is_file(folder / plain):
                return folder / plain
        return None

    def names(self, kind: str, suffix: str) -> dict[str, Path]:
        """Every `*suffix` file of `kind` by stem; a practice file hides a built-in one."""
        found: dict[str, Path] = {}
        for folder in reversed(self.dirs(kind)):
            for path in self.files.listed(folder, suffix):
                found[path.name[: -len(suffix)]] = path
        return found

    def read(self, path: Path) -> bytes:
        """A file's bytes as the snapshot took them (snapshot.Snapshot.read)."""
        return self.files.read(path)

    def text(self, path: Path, errors: str = "strict") -> str:
        """A text file as `open(path, encoding="utf-8")` reads it, its line ends as "\\n", from the snapshot;
        UnicodeDecodeError for one that is not UTF-8 (with errors="strict")."""
        return self.read(path).decode("utf-8", errors).replace("\r\n", "\n").replace("\r", "\n")

    def is_file(self, path: Path) -> bool:
        return self.files.is_file(path)
