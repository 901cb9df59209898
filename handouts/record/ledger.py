"""The ledger: every handout given, with what is needed to make it again and prove it byte for byte.

One schema for SQLite (the default: ledger.sqlite in the practice folder, owner-only, WAL, nothing
to set up) and PostgreSQL (`ledger = "postgresql://..."` in practice.toml, or HANDOUTS_LEDGER, for
several front desks sharing one record). The schema is brought up to date through Alembic when the
ledger opens. Each record is one short transaction, so many writers at once (batch, web threads,
two machines) lose nothing. The ledger holds patient data: it never logs, and its errors name no
patient.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, func, insert, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, SQLAlchemyError

from .. import __version__
from ..errors import UserError
from .schema import blobs, filesets, record_units, records
from .snapshot import FileSet

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_SECONDS = 30


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


def _describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the ledger address"


class Ledger:
    """An open ledger; use `Ledger.open(url)`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> "Ledger":
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise UserError(
                f"the ledger address {url.split('://')[0]}://... is not valid: use a path to an SQLite file or "
                "postgresql://USER:PASSWORD@HOST/DATABASE"
            ) from None
        if parsed.get_backend_name() == "sqlite":
            engine = _sqlite_engine(parsed.database or "")
        elif parsed.get_backend_name() == "postgresql":
            engine = create_engine(parsed.set(drivername="postgresql+psycopg"), pool_pre_ping=True)
        else:
            raise UserError(f"the ledger must be SQLite or PostgreSQL, not {parsed.get_backend_name()!r}")
        ledger = cls(engine)
        ledger._upgrade(parsed.database or "")
        return ledger

    def _upgrade(self, database: str) -> None:
        """Bring the schema to the newest migration, one process at a time."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self._migration_lock(database), self.engine.begin() as connection:
                if self.engine.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(4815162342)"))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except OperationalError as exc:
            raise UserError(f"cannot open the ledger {_describe(str(self.engine.url))}: {_reason(exc)}") from None

    @contextmanager
    def _migration_lock(self, database: str) -> Iterator[None]:
        if self.engine.dialect.name != "sqlite":
            yield
            return
        fd = os.open(f"{database}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except OperationalError as exc:
            raise UserError(f"the handout was made but could not be recorded: {_reason(exc)}") from None

    def store_fileset(self, files: FileSet) -> None:
        """Keep the files a handout was made from (each distinct file and set once)."""
        with self._write() as connection:
            if connection.execute(select(filesets.c.id).where(filesets.c.id == files.id)).first():
                return
        for digest, path in files.paths.items():
            with self._write() as connection:
                if connection.execute(select(blobs.c.id).where(blobs.c.id == digest)).first() is None:
                    _insert_once(connection, blobs, {"id": digest, "data": path.read_bytes()})
        with self._write() as connection:
            _insert_once(connection, filesets, {"id": files.id, "files": [list(f) for f in files.files]})

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
    ) -> int:
        """Record one handout given (its fileset stored already); returns its record number."""
        row = {
            "created_at": datetime.now(UTC),
            "how": how,
            "visit": request["visit"],
            "lang": request.get("lang", "en"),
            "surgeon": request.get("surgeon"),
            "patient": request["patient"],
            "patient_id": patient_id or None,
            "request": request,
            "sha256": sha256,
            "software": __version__,
            "content": content,
            "fileset": fileset,
        }
        with self._write() as connection:
            number = connection.execute(insert(records).values(row).returning(records.c.id)).scalar_one()
            connection.execute(
                insert(record_units), [{"record_id": number, "unit": u, "version": v} for u, v in units.items()]
            )
        return number

    def _records(self, query) -> list[Record]:
        try:
            with self.engine.connect() as connection:
                rows = connection.execute(query.order_by(records.c.id)).mappings().all()
                ids = [row["id"] for row in rows]
                units: dict[int, dict[str, str]] = {i: {} for i in ids}
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    for unit in connection.execute(select(record_units).where(record_units.c.record_id.in_(chunk))):
                        units[unit.record_id][unit.unit] = unit.version
        except SQLAlchemyError as exc:
            raise UserError(f"cannot read the ledger: {_reason(exc)}") from None
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
        if patient:
            query = query.where(func.lower(records.c.patient).contains(patient.lower(), autoescape=True))
        if patient_id:
            query = query.where(records.c.patient_id == patient_id)
        if since:
            query = query.where(records.c.created_at >= datetime.combine(since, time(), UTC))
        return self._records(query)

    def given_since(self, since: datetime) -> list[tuple[datetime, str, dict[str, Any], str | None]]:
        """(when, how, request, patient id) of every handout given since `since`, oldest first: the
        front desk's list says from these who has theirs (a light query: no texts, no files)."""
        query = select(records.c.created_at, records.c.how, records.c.request, records.c.patient_id)
        try:
            with self.engine.connect() as connection:
                rows = connection.execute(query.where(records.c.created_at >= since).order_by(records.c.id)).all()
        except SQLAlchemyError as exc:
            raise UserError(f"cannot read the ledger: {_reason(exc)}") from None
        return [(when.replace(tzinfo=when.tzinfo or UTC), how, request, pid) for when, how, request, pid in rows]

    def get(self, number: int) -> Record:
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
        with self.engine.connect() as connection:
            row = connection.execute(select(filesets.c.files).where(filesets.c.id == fileset)).first()
            if row is None:
                raise UserError(f"the files of fileset {fileset[:12]} are no longer in the ledger")
            files = [tuple(f) for f in row.files]
            wanted = sorted({f[2] for f in files})
            data = {}
            for start in range(0, len(wanted), 200):
                chunk = wanted[start : start + 200]
                data |= {b.id: b.data for b in connection.execute(select(blobs).where(blobs.c.id.in_(chunk)))}
        missing = set(wanted) - set(data)
        if missing:
            raise UserError(f"{len(missing)} file(s) of fileset {fileset[:12]} are no longer in the ledger")
        return files, data

    def purge(self, before: date) -> int:
        """Delete the records made before `before`; returns how many."""
        cutoff = datetime.combine(before, time(), UTC)
        with self._write() as connection:
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


def _sqlite_engine(database: str) -> Engine:
    """An SQLite file readable by its owner only, in WAL mode, waiting for other writers."""
    path = Path(database)
    if not path.parent.is_dir():
        raise UserError(f"the ledger's folder {path.parent} does not exist")
    if path.is_symlink():
        raise UserError(f"the ledger {path} is a link: a ledger must be a plain file")
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_SECONDS})

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
    """The database's own reason, first line only (never the statement or its values)."""
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0][:200] if str(original).strip() else type(original).__name__
