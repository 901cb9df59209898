"""The front desk's list of the day in the practice's record (schema.days and day_rows), beside the
handouts given: every desk and every server of the practice sees one list, and a restart loses nothing.

One list at a time: `load` makes a list the practice's and removes the one before it, with its rows
(a schedule is patient data: it is kept while it is the day's, and `purge` removes it with the records
of its time). What the desk does is written one change at a time, each in a short transaction of its
own and a row in its own database row, so two desks fixing two rows at once lose neither. Who has their
handout is not kept here: the records say it (recorder.given_since).

Errors are the ledger's: one plain line, `LedgerDown` or `LedgerBroken` (ledger.py); the web page then
keeps the list in its own memory until the record is back (web/daylist.py).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update

from .ledger import Ledger
from .schema import day_rows, days


@dataclass
class StoredDay:
    """A day's list as the record keeps it: the schedule as loaded and what the desk chose for it."""

    id: str
    name: str
    data: bytes
    dates: str | None = None
    separator: bool = False
    notice: str = ""
    fixes: dict[int, dict[str, str]] = field(default_factory=dict)
    messages: dict[int, tuple[str, str]] = field(default_factory=dict)  # line -> (done | error, what happened)
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class DayBook:
    """The day's list in an open ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def current(self) -> StoredDay | None:
        """The practice's list: the one loaded last."""
        with self.ledger.reading() as connection:
            newest = select(days).order_by(days.c.loaded_at.desc(), days.c.id.desc()).limit(1)
            day = connection.execute(newest).mappings().first()
            if day is None:
                return None
            rows = connection.execute(select(day_rows).where(day_rows.c.day_id == day["id"])).mappings().all()
        when = day["loaded_at"]
        return StoredDay(
            id=day["id"],
            name=day["name"],
            data=bytes(day["data"]),
            dates=day["dates"],
            separator=bool(day["separator"]),
            notice=day["notice"],
            fixes={row["line"]: dict(row["fix"]) for row in rows if row["fix"]},
            messages={row["line"]: (row["outcome"], row["message"] or "") for row in rows if row["outcome"]},
            loaded_at=when.replace(tzinfo=when.tzinfo or UTC),  # SQLite gives back naive datetimes, written UTC
        )

    def load(self, day: StoredDay) -> bool:
        """`day` (with its choices, fixes and messages) becomes the practice's list and the lists loaded
        before it go; False, and nothing is written, when a list was loaded after it (`day` was loaded
        on a server while the record was down, and another desk has loaded one since)."""
        with self.ledger.writing() as connection:
            if connection.execute(select(days.c.id).where(days.c.loaded_at > day.loaded_at).limit(1)).first():
                return False
            connection.execute(delete(day_rows))
            connection.execute(delete(days))
            connection.execute(
                insert(days).values(
                    id=day.id,
                    loaded_at=day.loaded_at,
                    name=day.name,
                    data=day.data,
                    dates=day.dates,
                    separator=day.separator,
                    notice=day.notice,
                )
            )
            lines = sorted(set(day.fixes) | set(day.messages))
            if lines:
                connection.execute(insert(day_rows), [_row(day.id, line, day) for line in lines])
        return True

    def choose(self, day_id: str, **choices: str | bool | None) -> None:
        """The desk's choices for the whole list (`dates`, `separator`, `notice`); nothing when the list is
        no longer the practice's."""
        with self.ledger.writing() as connection:
            connection.execute(update(days).where(days.c.id == day_id).values(**choices))

    def change_row(
        self, day_id: str, line: int, fix: dict[str, str] | None = None, message: tuple[str, str] | None = None
    ) -> None:
        """One row's fix (added to what was fixed on it before) and what the last action on it did;
        nothing when the list is no longer the practice's."""
        with self.ledger.writing() as connection:
            # the list's own row, locked (PostgreSQL): one writer at a time changes its rows
            if connection.execute(select(days.c.id).where(days.c.id == day_id).with_for_update()).first() is None:
                return
            key = (day_rows.c.day_id == day_id) & (day_rows.c.line == line)
            found = connection.execute(select(day_rows).where(key)).mappings().first()
            values: dict = {"fix": {**(dict(found["fix"]) if found else {}), **(fix or {})}}
            if message is not None:
                values["outcome"], values["message"] = message
            if found is None:
                connection.execute(insert(day_rows).values(day_id=day_id, line=line, **values))
            else:
                connection.execute(update(day_rows).where(key).values(**values))


def _row(day_id: str, line: int, day: StoredDay) -> dict:
    outcome, message = day.messages.get(line, (None, None))
    return {"day_id": day_id, "line": line, "fix": day.fixes.get(line, {}), "outcome": outcome, "message": message}
