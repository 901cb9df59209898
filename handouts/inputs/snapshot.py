"""One look at every file a handout can be made from: (root, relative path) -> sha256, and the one reader of them.

The roots are the built-ins and the practice folder, each with everything of it that can change a
handout (layout.BUILTIN_FILES and PRACTICE_FILES: the language folders beside practice.toml
included). A snapshot is taken once per command, batch, web request and worker call (Catalog.load,
before anything of the practice is read), and its id, a hash of the whole map, is the one answer to
"the same inputs?": the web builder's cache and the files a record keeps to make its handout again
use it, and the batch's resume key the id of the part one language is made from (`view`), so none
can miss a file the others see.

It is also the only reader of those files: the TOML and template loaders, the asset fetcher and the
versions of the texts ask it for a file by its path, and get the bytes the snapshot hashed. A file
changed since it was taken is refused, never mixed into a handout made under the snapshot's id; a
file's bytes, and what is parsed from them, are kept by sha256, so a warm process reads a font or a
settings file once however many snapshots name it. A record's stored files are a snapshot too
(`stored`), read from the ledger's bytes, not from disk.

Taking it is also the check that the practice folder holds only its own plain files and folders:
a link in it (`templates/pw.html -> /etc/passwd`, an `es` folder that points elsewhere) would print
or embed whatever it points to, and a FIFO would hang the render. With no link inside, nothing in
it can resolve outside it. The built-ins are installed by the tool (a distribution may link their
fonts elsewhere): their links are followed.
"""

import errno
import hashlib
import json
import os
import stat
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from ..base.errors import UserError
from ..base.filememo import derived
from ..base.i18n import DEFAULT
from ..base.paths import BUILTIN_ROOT
from .layout import BUILTIN_FILES, PRACTICE_FILES, language_of

T = TypeVar("T")

BUILTIN, PRACTICE = "builtin", "practice"
ROOTS = {BUILTIN: BUILTIN_FILES, PRACTICE: PRACTICE_FILES}  # each root's names of what a handout is made from
MAX_LISTED = 5  # links named in the error; more are counted
KEEP_BYTES = 64_000_000  # files' bytes kept by sha256 (the bundled fonts are 10 MB); past it, kept afresh
KEEP_MADE = 4096  # things parsed from files (TOML, a font's characters) kept by sha256; past it, kept afresh


@dataclass(frozen=True, eq=False)
class Snapshot(Mapping[tuple[str, str], str]):
    """(root, relative path) -> sha256 of every file a handout can be made from, the map's `id`, and the
    reader of those files by their paths under `roots` (root -> folder)."""

    files: tuple[tuple[str, str, str], ...]  # (root, relative path, sha256), roots and paths in order
    roots: Mapping[str, Path]  # the folder of each root it holds (a record's: a name, no folder on disk)
    # bytes by sha256 read from here, not from the roots: a record's (`stored`), an edited file's (`with_file`)
    blobs: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    _index: dict[tuple[str, str], str] = field(init=False, repr=False)
    _folders: dict[tuple[str, str], list[str]] = field(init=False, repr=False)  # (root, folder) -> file names
    _digests: dict[str, tuple[str, str]] = field(init=False, repr=False)  # sha256 -> a file with those bytes
    # (root, its folder, that folder as the start of a path in it), the deepest folder first
    _order: tuple[tuple[str, str, str], ...] = field(init=False, repr=False)
    _found: dict[str, tuple[str, str] | None] = field(init=False, repr=False, default_factory=dict)  # by path
    _views: dict[str, "Snapshot"] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {(root, relative): digest for root, relative, digest in self.files})
        folders: dict[tuple[str, str], list[str]] = {}
        for root, relative, _digest in self.files:
            parent, _, name = relative.rpartition("/")
            folders.setdefault((root, parent), []).append(name)
            while parent:  # every folder above it, so a folder with only folders in it is there too
                parent = parent.rpartition("/")[0]
                folders.setdefault((root, parent), [])
        object.__setattr__(self, "_folders", {key: sorted(names) for key, names in folders.items()})
        object.__setattr__(self, "_digests", {digest: (root, relative) for root, relative, digest in self.files})
        deepest_first = sorted(self.roots.items(), key=lambda item: len(item[1].parts), reverse=True)
        starts = [(root, str(folder), _start(str(folder))) for root, folder in deepest_first]
        object.__setattr__(self, "_order", tuple(starts))

    @classmethod
    def take(cls, practice: Path | None, builtin: Path = BUILTIN_ROOT) -> "Snapshot":
        """The files as they are now; a practice folder with a link or special file is refused (`UserError`)."""
        found = [(BUILTIN, relative, path) for relative, path in _walk(builtin, BUILTIN_FILES, follow=True)]
        if practice is not None:
            found += [(PRACTICE, relative, path) for relative, path in practice_files(practice)]
        files = []
        for root, relative, path in found:
            try:
                digest = derived(path, "sha256", lambda data: hashlib.sha256(data).hexdigest())
            except OSError as exc:
                raise UserError(f"{path}: cannot be read ({exc.strerror})") from None
            files.append((root, relative, digest))
        roots = {BUILTIN: builtin} | ({PRACTICE: practice} if practice is not None else {})
        return cls(tuple(files), roots)

    @classmethod
    def stored(cls, files: list[tuple[str, str, str]], blobs: Mapping[str, bytes], where: Path) -> "Snapshot":
        """The files a record was made from, read from their stored bytes (`blobs`, checked against their
        sha256 by the caller), each root named as a folder of `where`, which is never written or read."""
        files = [tuple(entry) for entry in files]
        roots = {root: where / root for root in (BUILTIN, PRACTICE) if any(entry[0] == root for entry in files)}
        return cls(tuple(files), roots, blobs)  # type: ignore[arg-type]

    @cached_property
    def id(self) -> str:
        """The hash of the whole map: the same files, the same id."""
        return hashlib.sha256(json.dumps(self.files).encode()).hexdigest()

    def with_file(self, path: Path | str, data: bytes) -> "Snapshot":
        """This snapshot with the file at `path` holding `data`: the inputs of a copy of a catalog with one
        file edited and not saved (the surgeon page's preview), with an id of its own."""
        root, relative, _digest = self._entry(path)
        digest = hashlib.sha256(data).hexdigest()
        files = tuple((r, p, digest if (r, p) == (root, relative) else d) for r, p, d in self.files)
        return Snapshot(files, self.roots, {**self.blobs, digest: data})

    def __getitem__(self, key: tuple[str, str]) -> str:
        return self._index[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def view(self, lang: str) -> "Snapshot":
        """The part of it a handout in `lang` is made from: all but the other languages' folders
        (layout.language_of). Its id is the batch's resume key for that language, so a change to the
        Spanish text leaves the English handouts as made; what reads through it cannot see the rest."""
        if lang not in self._views:
            files = tuple(entry for entry in self.files if language_of(entry[1]) in (DEFAULT, lang))
            self._views[lang] = self if files == self.files else Snapshot(files, self.roots, self.blobs)
        return self._views[lang]

    def locate(self, path: Path | str) -> tuple[str, str] | None:
        """(root, relative path) of the file at `path`, None when it holds no file there."""
        found = self._where(path)
        return found if found is not None and found in self._index else None

    def _where(self, path: Path | str) -> tuple[str, str] | None:
        """(root, relative path) of `path` under the deepest root folder that holds a file or folder there
        (a practice folder may sit inside the built-ins); None when under none. Paths are compared as
        written, as they are made from the roots (one that climbs out with `..` is under none), and
        each is looked up once: no file system call."""
        text = os.fspath(path)
        if text not in self._found:
            self._found[text] = None
            for root, folder, start in self._order:
                if text != folder and not text.startswith(start):
                    continue
                relative = "" if text == folder else text[len(start) :]
                if (root, relative) in self._index or (root, relative) in self._folders:
                    self._found[text] = (root, relative)
                    break
        return self._found[text]

    def is_file(self, path: Path | str) -> bool:
        return self.locate(path) is not None

    def is_dir(self, path: Path | str) -> bool:
        """Whether it holds a file anywhere under `path`."""
        found = self._where(path)
        return found is not None and found in self._folders

    def listed(self, folder: Path, suffix: str = "") -> list[Path]:
        """The files directly in `folder` whose names end in `suffix`, by name."""
        found = self._where(folder)
        if found is None:
            return []
        root, top = found
        names = self._folders.get(found, [])
        return [folder / name for name in names if name.endswith(suffix) and (root, _join(top, name)) in self._index]

    def walk(self, folder: Path) -> list[Path]:
        """Every file under `folder`, at any depth, in the order of their paths' parts."""
        found = self._where(folder)
        if found is None or found not in self._folders:
            return []
        root, top = found
        start = len(top) + 1 if top else 0
        inside = [relative[start:] for key, relative, _ in self.files if key == root and _inside(relative, top)]
        return [folder / relative for relative in sorted(inside, key=lambda relative: relative.split("/"))]

    def read(self, path: Path | str) -> bytes:
        """The bytes of the file at `path` as the snapshot saw them; one changed since is refused (`UserError`),
        one it does not hold is FileNotFoundError."""
        root, relative, digest = self._entry(path)
        return self._bytes(root, relative, digest)

    def derived(self, path: Path | str, what: str, make: Callable[[bytes], T]) -> T:
        """`make(the file's bytes)`, made once per process for these bytes: `what` names the kind of result
        (several are made from one file)."""
        root, relative, digest = self._entry(path)
        key = (digest, what)
        if key not in _made:
            value = make(self._bytes(root, relative, digest))
            if len(_made) >= KEEP_MADE:
                _made.clear()
            _made[key] = value
        return _made[key]  # type: ignore[return-value]

    def blob(self, digest: str) -> bytes:
        """The bytes of a file of the snapshot by their sha256 (to store them with a record)."""
        return self._bytes(*self._digests[digest], digest)

    def _entry(self, path: Path | str) -> tuple[str, str, str]:
        found = self.locate(path)
        if found is None:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
        return *found, self._index[found]

    def _bytes(self, root: str, relative: str, digest: str) -> bytes:
        data = _kept.get(digest)
        if data is not None:
            return data
        if digest in self.blobs:
            data = self.blobs[digest]  # a record's bytes are checked against their sha256 when read from the ledger
        else:
            path = self.roots[root] / relative
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise UserError(f"{path}: cannot be read ({exc.strerror}): make the handout again") from None
            if hashlib.sha256(data).hexdigest() != digest:
                raise UserError(f"{path} changed while a handout was made from it: make the handout again")
        _kept.add(digest, data)
        return data


class _Kept:
    """Files' bytes by sha256, KEEP_BYTES of them at most (none larger than a quarter of it)."""

    def __init__(self) -> None:
        self._bytes: dict[str, bytes] = {}
        self._size = 0
        self._lock = threading.Lock()

    def get(self, digest: str) -> bytes | None:
        return self._bytes.get(digest)

    def add(self, digest: str, data: bytes) -> None:
        with self._lock:
            if len(data) > KEEP_BYTES // 4 or digest in self._bytes:
                return
            if self._size + len(data) > KEEP_BYTES:
                self._bytes, self._size = {}, 0
            self._bytes[digest] = data
            self._size += len(data)


_kept = _Kept()
_made: dict[tuple[str, str], object] = {}  # (sha256, what) -> made from those bytes, KEEP_MADE at most


def _start(folder: str) -> str:
    """How the path of a file in `folder` starts, as `str(Path)` writes it (nothing for ".")."""
    return "" if folder == "." else f"{folder.rstrip('/')}/"


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _inside(relative: str, top: str) -> bool:
    return not top or relative.startswith(f"{top}/")


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
