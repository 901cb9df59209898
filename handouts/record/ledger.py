"""The ledger: every handout given, with what is needed to make it again and prove it byte for byte.

One schema for SQLite (the default: ledger.sqlite in the practice folder, owner-only, WAL, nothing
to set up) and PostgreSQL (`ledger = "postgresql://..."` in practice.toml, or HANDOUTS_LEDGER, for
several front desks sharing one record). The schema is brought up to date through Alembic when the
ledger opens. Each record is one short transaction, so many writers at once (batch, web threads,
two machines) lose nothing. A record is added once: each carries a key made when its handout was
given, so one that waited in the spool (spool.py) is never added twice.

The ledger holds patient data: it never logs, its engines never put a statement's values into an
error (`hide_parameters`), and every database error becomes one plain line (`_fault`) that says
whether the ledger is down for now (`LedgerDown`: the record waits in the spool) or needs someone
(`LedgerBroken`: a damaged, read-only or linked ledger.sqlite, or a folder in its place).
"""

import errno
import fcntl
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, insert, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from .. import __version__
from ..base.errors import UserError
from ..compose.identity import found_by
from ..inputs.snapshot import Snapshot
from .faults import LedgerBroken, LedgerDown
from .schema import blobs, days, filesets, record_units, records

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_SECONDS = 5  # a write held up longer (a lock kept by another program): the record goes to the spool
CONNECT_SECONDS = 5  # a PostgreSQL that does not answer: the record waits in the spool, the desk does not
MAX_RECORD = 2**63 - 1  # the largest record number a database can hold
# SQLite's reasons that pass by themselves (a full disk, a lock held too long, an I/O error)
_SQLITE_DOWN = {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED,
                sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOMEM}


@dataclass(frozen=True)
class Record:
    """One handout given, as the ledger holds it."""

    id: int
    created_at: datetime
    how: str
    visit: str
    lang: str
    surgeon: str | None
    patient: str
    patient_id: str | None
    request: dict[str, Any]
    sha256: str
    software: str
    content: str
    fileset: str
    key: str | None  # made when the handout was given; None for records from before keys
    units: dict[str, str]

    def summary(self, show_names: bool) -> dict[str, Any]:
        """What `history` shows: no name or patient id unless asked for."""
        data = {
            "record": self.id,
            "when": self.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "how": self.how,
            "visit": self.visit,
            "lang": self.lang,
            "surgeon": self.surgeon,
            "content": self.content,
            "software": self.software,
            "sha256": self.sha256,
        }
        if show_names:
            data |= {"patient": self.patient, "patient_id": self.patient_id}
        return data


def describe_url(url: str) -> str:
    """The URL without its password (an SQLite ledger by its path), for messages."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            return parsed.database or url
        # without its query too: `?password=...` is a password as much as USER:PASSWORD@ is
        return parsed.set(query={}).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "the ledger address"


class Ledger:
    """An open ledger; use `Ledger.open(url)`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> "Ledger":
        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError):  # ValueError: a port that is not a number
            raise LedgerBroken(
                f"the ledger address {url.split('://')[0]}://... is not valid: use a path to an SQLite file or "
                "postgresql://USER:PASSWORD@HOST/DATABASE"
            ) from None
        if parsed.get_backend_name() == "sqlite":
            engine = _sqlite_engine(parsed.database or "")
        elif parsed.get_backend_name() == "postgresql":
            engine = create_engine(
                parsed.set(drivername="postgresql+psycopg"),
                pool_pre_ping=True,
                hide_parameters=True,
                connect_args={"connect_timeout": CONNECT_SECONDS},
            )
        else:
            raise LedgerBroken(f"the ledger must be SQLite or PostgreSQL, not {parsed.get_backend_name()[:40]!r}")
        ledger = cls(engine)
        ledger._upgrade(parsed.database or "")
        return ledger

    def _upgrade(self, database: str) -> None:
        """Bring the schema to the newest migration, one process at a time."""
        from alembic import command
        from alembic.config import Config
        from alembic.util import CommandError

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self._migration_lock(database), self.engine.begin() as connection:
                if self.engine.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(4815162342)"))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise self._fault(exc, f"cannot open the ledger {describe_url(str(self.engine.url))}") from None
        except CommandError:
            raise LedgerBroken(
                f"the ledger {describe_url(str(self.engine.url))} was made by a newer version of handouts "
                "(its schema is unknown here): run that version, or install it here"
            ) from None

    def _fault(self, exc: SQLAlchemyError, doing: str) -> UserError:
        """A database error as one plain line: down for now, or broken (and then how to put it right)."""
        reason = _reason(exc)
        if self.engine.dialect.name == "postgresql":
            down = isinstance(exc, OperationalError)
            return (LedgerDown if down else LedgerBroken)(f"{doing}: {reason}")
        code = getattr(getattr(exc, "orig", None), "sqlite_errorcode", None)
        if code is not None and code & 0xFF in _SQLITE_DOWN:
            return LedgerDown(f"{doing}: {reason}")
        path = self.engine.url.database
        if code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            fix = f"it is damaged: put back a copy from a backup, or move {path} aside and a new, empty one is made"
        else:
            fix = f"let the user who runs handouts write {path} and its folder"
        return LedgerBroken(f"{doing}: {reason}: {fix}")

    @contextmanager
    def _migration_lock(self, database: str) -> Iterator[None]:
        if self.engine.dialect.name != "sqlite":
            yield
            return
        fd = _open_plain(Path(f"{database}.lock"), "the ledger's lock file")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it fails; an error as one plain line."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise self._fault(exc, "the ledger could not be written") from None

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection to read with; a database error as one plain line."""
        try:
            with self.engine.connect() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise self._fault(exc, "cannot read the ledger") from None

    def has_fileset(self, fileset: str) -> bool:
        with self.reading() as connection:
            return connection.execute(select(filesets.c.id).where(filesets.c.id == fileset)).first() is not None

    def store_fileset(self, files: Snapshot) -> None:
        """Keep the files a handout was made from (each distinct file and set once)."""
        self.store_files(files.id, files.files, files.blob)

    def store_files(self, fileset: str, files: list[tuple[str, str, str]], read: Callable[[str], bytes]) -> None:
        """Keep a fileset (`files`) and its files' contents (`read(sha256)`), each once."""
        if self.has_fileset(fileset):
            return
        for digest in sorted({f[2] for f in files}):
            with self.writing() as connection:
                if connection.execute(select(blobs.c.id).where(blobs.c.id == digest)).first() is None:
                    _insert_once(connection, blobs, {"id": digest, "data": read(digest)})
        with self.writing() as connection:
            _insert_once(connection, filesets, {"id": fileset, "files": [list(f) for f in files]})

    def add(
        self,
        *,
        how: str,
        request: dict[str, Any],
        patient_id: str | None,
        sha256: str,
        content: str,
        units: dict[str, str],
        fileset: str,
        key: str | None = None,
        created_at: str | None = None,
        software: str = __version__,
    ) -> int:
        """Record one handout given (its fileset stored already); returns its record number. A
        record whose `key` the ledger has already is not added again: its number is returned.
        `created_at` (ISO 8601) is when the handout was given, for a record that waited in the spool."""
        if key is not None:
            found = self._numbers([key])
            if key in found:
                return found[key]
        row = {
            "created_at": datetime.fromisoformat(created_at) if created_at else datetime.now(UTC),
            "how": how,
            "visit": request["visit"],
            "lang": request.get("lang", "en"),
            "surgeon": request.get("surgeon"),
            "patient": request["patient"],
            "patient_id": patient_id or None,
            "request": request,
            "sha256": sha256,
            "software": software,
            "content": content,
            "fileset": fileset,
            "key": key,
        }
        try:
            with self.writing() as connection:
                number = connection.execute(insert(records).values(row).returning(records.c.id)).scalar_one()
                connection.execute(
                    insert(record_units), [{"record_id": number, "unit": u, "version": v} for u, v in units.items()]
                )
        except LedgerBroken:
            if key is None or key not in (found := self._numbers([key])):
                raise
            return found[key]  # another writer added this very record a moment ago
        return number

    def _numbers(self, keys: list[str]) -> dict[str, int]:
        """key -> record number, for the `keys` the ledger has."""
        found = {}
        with self.reading() as connection:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                query = select(records.c.key, records.c.id).where(records.c.key.in_(chunk))
                found |= {key: number for key, number in connection.execute(query)}
        return found

    def has_keys(self, keys: list[str]) -> set[str]:
        """Which of `keys` the ledger has."""
        return set(self._numbers(keys))

    def batch_sha256s(self, digests: list[str]) -> set[str]:
        """Which of these PDFs (by sha256) a batch has recorded: a record from before keys counts too."""
        found = set()
        with self.reading() as connection:
            for start in range(0, len(digests), 500):
                chunk = digests[start : start + 500]
                query = select(records.c.sha256).where(records.c.how == "batch", records.c.sha256.in_(chunk))
                found |= set(connection.execute(query).scalars())
        return found

    def _records(self, query, keep: Callable[[Mapping[str, Any]], bool] | None = None) -> list[Record]:
        """The records `query` selects (and `keep` keeps), oldest first, each with the versions it carried."""
        with self.reading() as connection:
            rows = connection.execute(query.order_by(records.c.id)).mappings().all()
            rows = [row for row in rows if keep is None or keep(row)]
            ids = [row["id"] for row in rows]
            units: dict[int, dict[str, str]] = {i: {} for i in ids}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for unit in connection.execute(select(record_units).where(record_units.c.record_id.in_(chunk))):
                    units[unit.record_id][unit.unit] = unit.version
        found = []
        for row in rows:
            values = {c.name: row[c.name] for c in records.c}
            # SQLite gives back naive datetimes; every time the ledger writes is UTC
            values["created_at"] = values["created_at"].replace(tzinfo=values["created_at"].tzinfo or UTC)
            found.append(Record(**values, units=units[row["id"]]))
        return found

    def history(
        self, patient: str | None = None, patient_id: str | None = None, since: date | None = None
    ) -> list[Record]:
        query = select(records)
        if patient_id:
            query = query.where(records.c.patient_id == patient_id)
        if since:
            query = query.where(records.c.created_at >= datetime.combine(since, time(), UTC))
        # found as the desk's search box finds a name (no accents, no apostrophes), which SQL cannot say alike
        # in SQLite and PostgreSQL: the other conditions narrow it there first
        return self._records(query, (lambda row: found_by(patient, row["patient"])) if patient else None)

    def given_since(self, since: datetime) -> list[tuple[datetime, str, dict[str, Any], str | None]]:
        """(when, how, request, patient id) of every handout given since `since`, oldest first: the
        front desk's list says from these who has theirs (a light query: no texts, no files)."""
        query = select(records.c.created_at, records.c.how, records.c.request, records.c.patient_id)
        with self.reading() as connection:
            rows = connection.execute(query.where(records.c.created_at >= since).order_by(records.c.id)).all()
        return [(when.replace(tzinfo=when.tzinfo or UTC), how, request, pid) for when, how, request, pid in rows]

    def get(self, number: int) -> Record:
        if not 0 < number <= MAX_RECORD:
            raise UserError(f"there is no record {number} in the ledger: see 'handouts history'")
        found = self._records(select(records).where(records.c.id == number))
        if not found:
            raise UserError(f"there is no record {number} in the ledger: see 'handouts history'")
        return found[0]

    def recall(self, unit: str, version: str) -> list[Record]:
        """The records that carried this version of this text (a version prefix is enough)."""
        carried = select(record_units.c.record_id).where(
            record_units.c.unit == unit, record_units.c.version.startswith(version, autoescape=True)
        )
        return self._records(select(records).where(records.c.id.in_(carried)))

    def files(self, fileset: str) -> tuple[list[tuple[str, str, str]], dict[str, bytes]]:
        """A stored fileset and its files' contents, to make an old handout again."""
        with self.reading() as connection:
            row = connection.execute(select(filesets.c.files).where(filesets.c.id == fileset)).first()
            if row is None:
                raise UserError(f"the files of fileset {fileset[:12]} are no longer in the ledger")
            files = row.files  # checked where it is read (stored_files.py): the database is not trusted
            listed = files if isinstance(files, list) else []
            wanted = sorted({f[2] for f in listed if isinstance(f, list) and len(f) == 3 and isinstance(f[2], str)})
            data = {}
            for start in range(0, len(wanted), 200):
                chunk = wanted[start : start + 200]
                data |= {b.id: b.data for b in connection.execute(select(blobs).where(blobs.c.id.in_(chunk)))}
        missing = set(wanted) - set(data)
        if missing:
            raise UserError(f"{len(missing)} file(s) of fileset {fileset[:12]} are no longer in the ledger")
        return files, data

    def purge(self, before: date) -> int:
        """Delete the records made before `before` (and the front desk's list if it was loaded before then:
        it holds patient data too); returns how many records."""
        cutoff = datetime.combine(before, time(), UTC)
        with self.writing() as connection:
            connection.execute(delete(days).where(days.c.loaded_at < cutoff))  # its rows go with it (cascade)
            old = select(records.c.id).where(records.c.created_at < cutoff)
            connection.execute(delete(record_units).where(record_units.c.record_id.in_(old)))
            return connection.execute(delete(records).where(records.c.created_at < cutoff)).rowcount

    def close(self) -> None:
        self.engine.dispose()


def _insert_once(connection: Connection, table, values: dict[str, Any]) -> None:
    """Insert a row another writer may be inserting at the same moment (same key, same content)."""
    try:
        with connection.begin_nested():
            connection.execute(insert(table).values(values))
    except IntegrityError:
        pass


def _open_plain(path: Path, what: str) -> int:
    """A descriptor of the plain file at `path` (made owner-only if missing); never through a link."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LedgerBroken(f"{what} {path} is a symbolic link: a ledger must be a plain file; "
                               "replace the link with the file itself") from None
        if exc.errno == errno.EISDIR:
            raise LedgerBroken(f"{what} {path} is a folder: move it aside, and a new ledger is made") from None
        if exc.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT):
            raise LedgerDown(f"{what} {path} cannot be opened: {exc.strerror}") from None
        raise LedgerBroken(
            f"{what} {path} cannot be opened: {exc.strerror}: let the user who runs handouts write it and its folder"
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise LedgerBroken(f"{what} {path} is not a plain file: move it aside, and a new ledger is made")
    return fd


def _sqlite_engine(database: str) -> Engine:
    """An SQLite file readable by its owner only, in WAL mode, waiting for other writers; never
    through a link (nor its journal files)."""
    path = Path(database)
    if not path.parent.is_dir():
        raise UserError(f"the ledger's folder {path.parent} does not exist")
    os.close(_open_plain(path, "the ledger"))
    for suffix in ("-wal", "-shm", "-journal"):
        if Path(f"{path}{suffix}").is_symlink():
            raise LedgerBroken(f"the ledger's file {path}{suffix} is a symbolic link: remove it")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_SECONDS}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        # pysqlite's own transaction handling defers BEGIN; take the write lock at the start instead
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _reason(exc: SQLAlchemyError) -> str:
    """The database's own reason, never the statement or its values: the first line only
    (PostgreSQL's DETAIL line quotes the row), and a PostgreSQL data error (SQLSTATE class 22,
    whose message may quote the value) or a non-database error by its kind only."""
    original = exc.orig if isinstance(exc, DBAPIError) else None
    if original is None or not str(original).strip() or str(getattr(original, "sqlstate", "") or "").startswith("22"):
        return type(original or exc).__name__
    return str(original).strip().splitlines()[0][:200]
