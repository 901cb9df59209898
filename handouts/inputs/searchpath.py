"""One search path for everything a practice can override: practice folder first, built-ins second.

Templates, styles, visit types, content modules and assets are all found the same way, so a
practice replaces any of them by dropping a file with the same name into its own folder.
"""

from dataclasses import dataclass
from pathlib import Path

from ..base.i18n import DEFAULT, LANGUAGES
from ..base.paths import BUILTIN_ROOT

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

APPROVALS_FILE = "approvals.toml"  # who approved which text (config/approvals.py)
SCHEDULE_FILE = "schedule.toml"  # how the practice's schedule export reads (config/schedule_map.py)
BUILTIN_PRACTICE_FILE = "content/practice.toml"  # the sample practice, relative to the built-in root
# A practice's text in another language is a folder of that language's code beside the file
# (editions.translation_file): `es/practice.toml` beside practice.toml, `visits/es/` in visits.
LANGUAGE_FOLDERS = tuple(code for code in LANGUAGES if code != DEFAULT)
# Everything of a root that can change a handout, relative to it: what snapshot.py hashes, what a
# practice folder is checked for (links, special files) and what the record keeps to make it again.
PRACTICE_FILES = (
    "practice.toml", APPROVALS_FILE, *sorted(set(_PRACTICE_LAYOUT.values())), *LANGUAGE_FOLDERS, SCHEDULE_FILE
)
BUILTIN_FILES = ("assets", "content", "styles", "templates")


@dataclass(frozen=True)
class SearchPath:
    """The folders searched for each kind of file, in order of precedence.

    `builtin` is the installed built-ins, or a copy of them as they were when a recorded handout
    was made (record/stored_files.py), so a reprint finds the text it was made from."""

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

