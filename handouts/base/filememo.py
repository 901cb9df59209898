"""What is made from a file, made again only when the file changes.

The page reads the practice's files for every handout, so an edit shows at once; parsing its 180
TOML files and hashing its 10 MB of fonts and templates again for every handout, twice (the page,
then its render worker), is work done for nothing. A result is kept under the file's path, and reused
while the file's inode, size and modification time stay the same. As git does with its index, a
file changed in the last seconds is read afresh every time: two writes within one tick of the
file system's clock, same size, would otherwise look unchanged.
"""

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

SETTLED_NS = 2_000_000_000  # a file unchanged this long cannot change again within the same tick
KEEP = 4096  # files remembered; more (a long test run over many practice folders) starts the memo afresh

_memo: dict[tuple[str, str], tuple[tuple[int, int, int], object]] = {}


def derived(path: Path, what: str, make: Callable[[bytes], T]) -> T:
    """`make(the file's bytes)`, or what it gave last time for these very bytes. `what` names the kind
    of result (several may be made from one file). Raises OSError as reading the file does."""
    info = path.stat()
    stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
    key = (str(path), what)
    kept = _memo.get(key)
    if kept is not None and kept[0] == stamp:
        return kept[1]  # type: ignore[return-value]
    value = make(path.read_bytes())
    if time.time_ns() - info.st_mtime_ns > SETTLED_NS:
        if len(_memo) >= KEEP:
            _memo.clear()
        _memo[key] = (stamp, value)
    return value
