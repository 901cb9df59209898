"""The ledger's tables, one schema for SQLite and PostgreSQL (SQLAlchemy Core); changes go through
Alembic migrations in migrations/versions."""

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table

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
