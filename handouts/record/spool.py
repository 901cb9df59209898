"""The spool: the records of handouts given while the ledger could not take them, kept on this
computer until it can.

A handout is given first and recorded second. When the ledger cannot be reached or written (the
shared PostgreSQL stopped, the disk of ledger.sqlite full, ledger.sqlite damaged), the record goes
here instead: `ledger-spool.sqlite` in the practice folder, owner-only (0600), each record synced
to disk before the desk is told, with the files its handout was made from (so a reprint months
later still has them). It is moved into the ledger when the ledger is back: at the next command,
and by the web page in the background (`Spool.flush_into`).

Each record carries a key made when its handout was given; the ledger takes a key once, so a move
that is cut short (a crash, the database gone again) and run again never records a handout twice.
Plain sqlite3, not SQLAlchemy: the spool has to work when the ledger does not. Records wait per
ledger (`target`, a hash of its address: no password is written here).
"""

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .faults import SpoolError

if TYPE_CHECKING:
    import sqlite3

    from .ledger import Ledger

SPOOL_FILE = "ledger-spool.sqlite"
BUSY_SECONDS = 30
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, target TEXT NOT NULL, fileset TEXT NOT NULL,"
    " record TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS filesets (id TEXT PRIMARY KEY, files TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS blobs (id TEXT PRIMARY KEY, data BLOB NOT NULL)",
)


def spool_path(practice: Path | None) -> Path:
    """Beside the practice: in its folder; without one (a ledger set by HANDOUTS_LEDGER for the
    built-in sample), in this user's state folder."""
    if practice is not None:
        return practice / SPOOL_FILE
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "handouts" / SPOOL_FILE


def target(url: str) -> str:
    """Which ledger a record waits for, without writing its address (it may hold a password)."""
    return hashlib.sha256(url.encode()).hexdigest()[:32]


class Spool:
    """The spool file at `path`, opened for each use (the web page's threads share one)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _connect(self, create: bool = False) -> Iterator["sqlite3.Connection | None"]:
        """A connection, or None when there is no spool yet and `create` is false: looking makes no file.
        (sqlite3 is loaded here: `make` for a practice that records nothing never needs it.)"""
        import sqlite3

        if not create and not os.path.lexists(self.path):
            yield None
            return
        try:
            if create and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, mode=0o700)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            regular = stat.S_ISREG(os.fstat(fd).st_mode)
            os.close(fd)
        except OSError as exc:
            reason = "it is a symbolic link" if exc.errno == 40 else exc.strerror  # ELOOP: O_NOFOLLOW met a link
            raise SpoolError(f"the spool {self.path} cannot be used: {reason}") from None
        if not regular:
            raise SpoolError(f"the spool {self.path} cannot be used: it is not a plain file")
        connection = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            connection.execute("PRAGMA synchronous=FULL")  # every commit on disk before it returns
            for statement in _SCHEMA:
                connection.execute(statement)
            yield connection
        except sqlite3.Error as exc:
            raise SpoolError(f"the spool {self.path} cannot be used: {_reason(exc)}") from None
        finally:
            connection.close()

    def put(
        self, where: str, key: str, record: dict[str, Any], files: list | None, read: Callable[[str], bytes]
    ) -> None:
        """Keep one record for the ledger `where`, with its fileset (`files`, each file's content
        from `read(sha256)`, stored once however many records use it; None when the ledger has
        it already); on disk when this returns."""
        fileset = record["fileset"]
        try:
            with self._connect(create=True) as connection:
                assert connection is not None
                connection.execute("BEGIN IMMEDIATE")
                try:
                    known = connection.execute("SELECT 1 FROM filesets WHERE id = ?", (fileset,)).fetchone()
                    if files is not None and not known:
                        for digest in sorted({f[2] for f in files}):
                            if not connection.execute("SELECT 1 FROM blobs WHERE id = ?", (digest,)).fetchone():
                                connection.execute("INSERT INTO blobs VALUES (?, ?)", (digest, read(digest)))
                        connection.execute("INSERT INTO filesets VALUES (?, ?)", (fileset, json.dumps(files)))
                    connection.execute(
                        "INSERT OR IGNORE INTO entries VALUES (?, ?, ?, ?)",
                        (key, where, fileset, json.dumps(record, ensure_ascii=False)),
                    )
                    connection.execute("COMMIT")
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
        except OSError as exc:
            raise SpoolError(f"the spool {self.path} cannot be used: {exc.strerror}") from None

    def waiting(self, where: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """(key, record) of the records waiting, for ledger `where` (None: for any), oldest first."""
        with self._connect() as connection:
            if connection is None:
                return []
            query = "SELECT key, record FROM entries" + (" WHERE target = ?" if where else "") + " ORDER BY rowid"
            rows = connection.execute(query, (where,) if where else ()).fetchall()
        return [(key, json.loads(record)) for key, record in rows]

    def count(self, where: str | None = None) -> int:
        return len(self.waiting(where))

    def has(self, where: str, keys: list[str]) -> set[str]:
        """Which of `keys` wait here for the ledger `where`."""
        return {key for key, _ in self.waiting(where)} & set(keys)

    def given_since(self, where: str, since: datetime) -> list[tuple[datetime, str, dict[str, Any], str | None]]:
        """As `Ledger.given_since`, for the records still waiting: the desk's list counts them as given."""
        found = []
        for _, record in self.waiting(where):
            when = datetime.fromisoformat(record["created_at"])
            if when >= since:
                found.append((when, record["how"], record["request"], record["patient_id"]))
        return found

    def flush_into(self, ledger: "Ledger", where: str) -> int:
        """Move the records waiting for `where` into `ledger`, oldest first; how many were moved.
        Each leaves the spool only once the ledger has it; the ledger's own error when it fails."""
        moved = 0
        for key, record in self.waiting(where):
            fileset = record["fileset"]
            if not ledger.has_fileset(fileset):
                files, read = self._fileset(fileset)
                ledger.store_files(fileset, files, read)
            ledger.add(key=key, **record)
            self._remove(key)
            moved += 1
        return moved

    def _fileset(self, fileset: str) -> tuple[list, Callable[[str], bytes]]:
        with self._connect() as connection:
            assert connection is not None
            row = connection.execute("SELECT files FROM filesets WHERE id = ?", (fileset,)).fetchone()
        if row is None:
            raise SpoolError(f"the spool {self.path} has lost the files of a record waiting in it")

        def read(digest: str) -> bytes:
            with self._connect() as connection:
                assert connection is not None
                found = connection.execute("SELECT data FROM blobs WHERE id = ?", (digest,)).fetchone()
            if found is None:
                raise SpoolError(f"the spool {self.path} has lost a file of a record waiting in it")
            return found[0]

        return [tuple(f) for f in json.loads(row[0])], read

    def _remove(self, key: str) -> None:
        """One record moved; the files no record waiting needs any more go with it."""
        with self._connect() as connection:
            assert connection is not None
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("DELETE FROM entries WHERE key = ?", (key,))
            connection.execute("DELETE FROM filesets WHERE id NOT IN (SELECT fileset FROM entries)")
            if connection.execute("SELECT 1 FROM entries LIMIT 1").fetchone() is None:
                connection.execute("DELETE FROM blobs")
            connection.execute("COMMIT")


def _reason(exc: Exception) -> str:
    """SQLite's own reason (it names no value of a record)."""
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
