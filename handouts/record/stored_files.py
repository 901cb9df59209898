"""The files a recorded handout was made from, a snapshot again to make it months later.

A record names its files by the id of the snapshot it was made from (handouts/inputs/snapshot.py): the
built-in templates, styles, content and fonts, and the practice's own files, its language folders
included, each stored once by sha256 (blobs) and listed by (root, relative path, sha256). That list
and those bytes are a snapshot of their own (`Snapshot.stored`), read from the ledger's bytes, nothing
laid out on disk: the catalog made from it makes the same handout.
"""

import hashlib
import re
from pathlib import Path

from ..base.errors import UserError
from ..inputs.snapshot import ROOTS, Snapshot

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
MAX_STORED_FILES = 20_000


def _checked(files: object, blobs: dict[str, bytes]) -> list[tuple[str, str, str]]:
    """A stored fileset as it may be read: each entry one of the two roots, a plain relative path
    inside what that root holds, listed once, its bytes present and matching their sha256. The list
    comes from the ledger, which anyone with its database login can edit: nothing in it may choose
    where a file is found, or what a file holds."""
    if not isinstance(files, list | tuple) or len(files) > MAX_STORED_FILES:
        raise ValueError("the list of files is not a list")
    seen: set[tuple[str, str]] = set()
    checked = []
    for entry in files:
        if not isinstance(entry, list | tuple) or len(entry) != 3 or not all(isinstance(v, str) for v in entry):
            raise ValueError("an entry is not (root, path, sha256)")
        root, relative, digest = entry
        parts = relative.split("/")
        if root not in ROOTS or parts[0] not in ROOTS[root] or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"the path {relative[:80]!r} in {root[:20]!r} is not one a handout is made from")
        if "\\" in relative or "\0" in relative or (root, relative) in seen:
            raise ValueError(f"the path {relative[:80]!r} is written oddly or listed twice")
        if not _DIGEST.match(digest) or digest not in blobs or hashlib.sha256(blobs[digest]).hexdigest() != digest:
            raise ValueError(f"the bytes of {relative[:80]!r} do not match their sha256")
        seen.add((root, relative))
        checked.append((root, relative, digest))
    return checked


def stored_snapshot(files: object, blobs: dict[str, bytes], where: Path) -> Snapshot:
    """A stored fileset as the snapshot it was, read from `blobs`, its roots named as folders of `where`
    (for messages: nothing is read from or written to it); a damaged or edited one (`_checked`) is
    refused in one line."""
    try:
        entries = _checked(files, blobs)
    except ValueError as exc:
        raise UserError(
            f"the files stored with this record are damaged ({exc}): it cannot be made again from them"
        ) from None
    return Snapshot.stored(entries, blobs, where)
