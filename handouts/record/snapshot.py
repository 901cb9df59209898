"""The files a handout is made from, as a set that can be stored and laid out again.

A reprint months later must use the text as it was, not as it is: the built-in templates, styles,
content and fonts, and the practice's own files, each stored once by sha256 (blobs) and named
by a list (a fileset). Laying that list out in a private folder gives back a catalog that makes
the same handout. Hashes are kept per file size and modification time, so a batch hashes its
files once, not once per row.
"""

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..searchpath import BUILTIN_FILES, PRACTICE_FILES, SearchPath

_hashes: dict[tuple[str, int, int], str] = {}


@dataclass(frozen=True)
class FileSet:
    id: str
    files: list[tuple[str, str, str]]  # (root: "builtin" or "practice", relative path, sha256)
    paths: dict[str, Path]  # sha256 -> a file with that content, to store it


def file_hash(path: Path) -> str:
    info = path.stat()
    key = (str(path), info.st_size, info.st_mtime_ns)
    if key not in _hashes:
        _hashes[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return _hashes[key]


def _walk(root: Path, parts: tuple[str, ...]) -> list[tuple[str, Path]]:
    found = []
    for part in parts:
        top = root / part
        if top.is_file():
            found.append((part, top))
        elif top.is_dir():
            found += [(p.relative_to(root).as_posix(), p) for p in sorted(top.rglob("*")) if p.is_file()]
    return found


def fileset(search: SearchPath) -> FileSet:
    """The current files of a search path (the built-ins and the practice folder, if any)."""
    roots = [("builtin", search.builtin, BUILTIN_FILES)]
    if search.practice is not None:
        roots.append(("practice", search.practice, PRACTICE_FILES))
    files, paths = [], {}
    for name, root, parts in roots:
        for relative, path in _walk(root, parts):
            digest = file_hash(path)
            files.append((name, relative, digest))
            paths[digest] = path
    ident = hashlib.sha256(json.dumps(files).encode()).hexdigest()
    return FileSet(ident, files, paths)


def lay_out(files: list[tuple[str, str, str]], blobs: dict[str, bytes], folder: Path) -> SearchPath:
    """Write a stored fileset into `folder` (private) and return the search path over it."""
    for root, relative, digest in files:
        target = folder / root / relative
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            raise ValueError(f"stored path {relative!r} leaves its folder")
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(blobs[digest])
    practice = folder / "practice"
    return SearchPath(practice if practice.is_dir() else None, builtin=folder / "builtin")
