"""One look at every file a handout can be made from: (root, relative path) -> sha256.

The roots are the built-ins and the practice folder, each with everything of it that can change a
handout (searchpath.BUILTIN_FILES and PRACTICE_FILES: the language folders beside practice.toml
included). A snapshot is taken once per command, batch, web request and worker call (Catalog.load,
before anything of the practice is read), and its id, a hash of the whole map, is the one answer to
"the same inputs?": the batch's resume key, the web builder's cache, and the files a record keeps
to make its handout again (record/stored_files.py lays them out) all use it, so none can miss a file
the others see.

Taking it is also the check that the practice folder holds only its own plain files and folders:
a link in it (`templates/pw.html -> /etc/passwd`, an `es` folder that points elsewhere) would print
or embed whatever it points to, and a FIFO would hang the render. With no link inside, nothing in
it can resolve outside it. The built-ins are installed by the tool (a distribution may link their
fonts elsewhere): their links are followed.
"""

import hashlib
import json
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..base.errors import UserError
from ..base.filememo import derived
from ..base.paths import BUILTIN_ROOT
from .searchpath import BUILTIN_FILES, PRACTICE_FILES

BUILTIN, PRACTICE = "builtin", "practice"
ROOTS = {BUILTIN: BUILTIN_FILES, PRACTICE: PRACTICE_FILES}  # each root's names of what a handout is made from
MAX_LISTED = 5  # links named in the error; more are counted


@dataclass(frozen=True, eq=False)
class Snapshot(Mapping[tuple[str, str], str]):
    """(root, relative path) -> sha256 of every file a handout can be made from, and the map's `id`."""

    files: tuple[tuple[str, str, str], ...]  # (root, relative path, sha256), roots and paths in order
    paths: Mapping[str, Path] = field(repr=False)  # sha256 -> the file it was read from, to store it
    id: str = field(init=False)
    _index: dict[tuple[str, str], str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", hashlib.sha256(json.dumps(self.files).encode()).hexdigest())
        object.__setattr__(self, "_index", {(root, relative): digest for root, relative, digest in self.files})

    @classmethod
    def take(cls, practice: Path | None, builtin: Path = BUILTIN_ROOT) -> "Snapshot":
        """The files as they are now; a practice folder with a link or special file is refused (`UserError`)."""
        found = [(BUILTIN, relative, path) for relative, path in _walk(builtin, BUILTIN_FILES, follow=True)]
        if practice is not None:
            found += [(PRACTICE, relative, path) for relative, path in practice_files(practice)]
        files, paths = [], {}
        for root, relative, path in found:
            try:
                digest = derived(path, "sha256", lambda data: hashlib.sha256(data).hexdigest())
            except OSError as exc:
                raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
            files.append((root, relative, digest))
            paths[digest] = path
        return cls(tuple(files), paths)

    def __getitem__(self, key: tuple[str, str]) -> str:
        return self._index[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def read(self, digest: str) -> bytes:
        """The bytes of a file of the snapshot, by their sha256 (to store them with a record); a file
        changed since the snapshot was taken is refused, never stored under the old sha256."""
        path = self.paths[digest]
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise UserError(f"{path} changed while a handout was made from it: make the handout again")
        return data


def practice_files(folder: Path) -> list[tuple[str, Path]]:
    """(relative path, path) of each file of a practice folder that can change a handout; refuses the
    folder, naming each link or special file in it, in one line."""
    files, refused = [], []
    for relative, path, mode in _entries(folder, PRACTICE_FILES, follow=False):
        if stat.S_ISLNK(mode):
            refused.append(f"{relative} (a link to {os.readlink(path)})")
        elif stat.S_ISREG(mode):
            files.append((relative, path))
        else:
            refused.append(f"{relative} (not a plain file)")
    if refused:
        refused.sort()
        more = f" and {len(refused) - MAX_LISTED} more" if len(refused) > MAX_LISTED else ""
        raise UserError(
            f"practice folder {folder}: {', '.join(refused[:MAX_LISTED])}{more}: a practice folder may hold "
            "only its own plain files and folders; replace each link with a copy of what it points to"
        )
    return files


def _walk(root: Path, names: tuple[str, ...], follow: bool) -> list[tuple[str, Path]]:
    return [(relative, path) for relative, path, mode in _entries(root, names, follow) if stat.S_ISREG(mode)]


def _entries(root: Path, names: tuple[str, ...], follow: bool) -> list[tuple[str, Path, int]]:
    """(relative path, path, mode) of everything but folders at or under root/NAME. With
    `follow=False` a link is never followed: it is listed where it is, with a link's mode."""
    found = []
    pending = [root / name for name in names]
    while pending:
        path = pending.pop()
        try:
            mode = path.stat().st_mode if follow else path.lstat().st_mode
        except FileNotFoundError:  # a kind of file this root does not have
            continue
        if stat.S_ISDIR(mode):
            pending += path.iterdir()
        else:
            found.append((path.relative_to(root).as_posix(), path, mode))
    # in the order of `names`, then of each path's parts: the order records made before snapshot.py
    # listed their files in, so their ids are unchanged
    return sorted(found, key=lambda entry: (names.index(entry[0].split("/")[0]), entry[0].split("/")))
