"""The ledger's tables, one schema for SQLite and PostgreSQL (SQLAlchemy Core); changes go through
Alembic migrations in migrations/versions."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# One row per handout given. `request` holds what rebuilds it; `fileset` names the files it was
# made from (kept in `filesets` and `blobs`), so it can be made again after the content changed.
records = Table(
    "records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("how", String(16), nullable=False),  # make, batch, web, reprint, web-print
    Column("visit", String(64), nullable=False),
    Column("lang", String(16), nullable=False),
    Column("surgeon", String(64)),
    Column("patient", String(200), nullable=False),
    Column("patient_id", String(100), index=True),
    Column("request", JSON, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("software", String(32), nullable=False),
    Column("content", String(16), nullable=False),  # the handout's content version, as in its footer
    Column("fileset", String(64), ForeignKey("filesets.id"), nullable=False),
    # made when the handout was given: the ledger takes each record once (spool.py)
    Column("key", String(64)),
    Index("ix_records_key", "key", unique=True),
    Index("ix_records_sha256", "sha256"),
)

# Which version of each text a handout carried: what `recall` searches.
record_units = Table(
    "record_units",
    metadata,
    Column("record_id", Integer, ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("unit", String(80), primary_key=True),
    Column("version", String(64), nullable=False),
    Index("ix_record_units_unit_version", "unit", "version"),
)

# The files a handout was made from: [[root, path, blob id], ...], stored once per distinct set.
filesets = Table(
    "filesets",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("files", JSON, nullable=False),
)

# File contents by sha256, stored once however many handouts and filesets use them.
blobs = Table(
    "blobs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

# The front desk's list of the day, as loaded (uploaded on the Today page, or the file `serve --schedule`
# names): the practice's, so every desk and every server sees one list and a restart loses nothing. One
# list at a time: loading another replaces it (days.py). It holds patient data, as records do.
days = Table(
    "days",
    metadata,
    Column("id", String(32), primary_key=True),  # random: every form of the page names the list it came from
    Column("loaded_at", DateTime(timezone=True), nullable=False, index=True),
    Column("name", String(64), nullable=False),  # schedule.csv or schedule.jsonl: how the bytes are read
    Column("data", LargeBinary, nullable=False),  # the schedule's bytes, as uploaded
    Column("dates", String(8)),  # the order of slashed dates the desk chose (us, eu), or none
    Column("separator", Boolean, nullable=False),  # "Print all" with a separator sheet before each patient
    Column("notice", Text, nullable=False),  # what the last action on the whole list did
)

# A row of the day's list as the desk changed it: its fix (visit type, date) and what the last action on
# it did (printed as job 12, not printed: the printer is stopped). Who has their handout is the records'.
day_rows = Table(
    "day_rows",
    metadata,
    Column("day_id", String(32), ForeignKey("days.id", ondelete="CASCADE"), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("fix", JSON, nullable=False),
    Column("outcome", String(8)),  # done | error
    Column("message", Text),
)
