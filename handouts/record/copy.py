"""A whole ledger copied into another, empty one: how a practice moves its record from SQLite to PostgreSQL.

Every row of every table goes across in one transaction of the target (all or nothing), with its own
numbers (a handout's record number stays the one on the desk's notes), and is then read back: the copy
counts the same rows and the same sha256 for every handout, or it is refused and left out.
"""

from collections.abc import Iterator

from sqlalchemy import Connection, Table, delete, func, select, text

from ..base.errors import UserError
from .ledger import Ledger
from .schema import blobs, day_rows, days, filesets, record_units, records

# Parents before children, so every foreign key finds its row.
TABLES: tuple[Table, ...] = (blobs, filesets, records, record_units)
# The front desk's list of the day, when the source has one: it replaces the target's (a list loaded there
# before the copy), as loading a list does.
DAY_TABLES: tuple[Table, ...] = (days, day_rows)
NEXT_NUMBER = (
    "SELECT setval(pg_get_serial_sequence('records', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM records), false)"
)
CHUNK = 200  # rows per insert: blobs are whole files, so memory stays at a few megabytes


def copy_ledger(source: Ledger, target: Ledger) -> dict[str, int]:
    """Every row of `source` into `target`, which must hold no handout yet; rows copied per table."""
    with source.reading() as reading, target.writing() as writing:
        if writing.execute(select(func.count()).select_from(records)).scalar_one():
            raise UserError(
                "the new ledger already holds handouts: copy into an empty database (create a new one), "
                "so no record is there twice"
            )
        tables = TABLES
        if reading.execute(select(days.c.id).limit(1)).first() is not None:
            tables += DAY_TABLES
            writing.execute(delete(day_rows))
            writing.execute(delete(days))
        counts = {table.name: _copy(table, reading, writing) for table in tables}
        if writing.dialect.name == "postgresql":  # the next handout given gets the next number after the copied
            writing.execute(text(NEXT_NUMBER))
        _same(reading, writing, tables)
    return counts


def _copy(table: Table, reading: Connection, writing: Connection) -> int:
    copied = 0
    for rows in _chunks(reading, table):
        writing.execute(table.insert(), rows)
        copied += len(rows)
    return copied


def _chunks(connection: Connection, table: Table) -> Iterator[list[dict]]:
    result = connection.execution_options(stream_results=True).execute(select(table).order_by(*table.primary_key))
    while rows := result.fetchmany(CHUNK):
        yield [row._asdict() for row in rows]


def _same(reading: Connection, writing: Connection, tables: tuple[Table, ...]) -> None:
    """The copy read back before it is committed: the same handouts, each with the same sha256."""
    query = select(records.c.id, records.c.sha256).order_by(records.c.id)
    if reading.execute(query).all() != writing.execute(query).all():
        raise UserError("the copy did not read back the same as the ledger: nothing was copied; try again")
    for table in (table for table in tables if table is not records):
        count = select(func.count()).select_from(table)
        if reading.execute(count).scalar_one() != writing.execute(count).scalar_one():
            raise UserError(f"the copy's {table.name} did not read back the same: nothing was copied; try again")
