"""Where the Today page keeps the day's list: in the practice's record, so it is the practice's, not a
browser's or a server's.

Every desk and every server of a practice (two `handouts serve` on one PostgreSQL) sees the list loaded
last, with what any desk chose and fixed on it, and a restart loses nothing (record/days.py). Who has
their handout comes from the records of handouts given, as before.

A practice that keeps no record (`ledger = "off"`, the built-in sample) has its list in this server's
memory: every browser of this server sees it, and it is lost when the server stops. The page says so
(`ONLY_HERE`) rather than keep a schedule on disk for a practice that chose to record nothing.

A record that is down (PostgreSQL stopped mid-morning) does not stop the desk: the page works from this
server's copy of the list, says so in one line (`DOWN`), and keeps what the desk does meanwhile (a list
loaded, a row fixed) until the record is back, then writes it there (`_save`), as the spool does for
the handouts given.
"""

import os
import threading
from datetime import UTC, datetime

from ..record.days import DayBook, StoredDay
from ..record.faults import LedgerBroken, LedgerDown
from ..record.recorder import Ledgers
from .desk import Day

ONLY_HERE = (
    "This practice keeps no record of handouts given: the day's list and who has been given their handout are "
    "kept by this server only, and are lost when it restarts."
)
DOWN = (
    "The practice's record cannot be reached: this is this server's copy of the list, and what is done here "
    "now is written to the record when it is back."
)
LOADED, CHOICES = "loaded", "choices"  # unsaved: the list itself, its choices (and the lines of its rows)


class DayList:
    """The practice's list of the day, for one server (thread-safe)."""

    def __init__(self, ledgers: Ledgers) -> None:
        self._ledgers = ledgers
        self._lock = threading.Lock()
        self._day: Day | None = None  # the list as last read or changed here (without a record: the only one)
        self._loaded_at = datetime.now(UTC)
        self._unsaved: set[str | int] = set()  # changed here and not yet in the record (it was down)
        self._offered: tuple[str, float] | None = None  # the schedule file (and its mtime) last offered

    def current(self, url: str | None) -> tuple[Day | None, str]:
        """The list, and the line the page says about where it is kept ("" when in the record)."""
        if url is None:
            return self._day, ONLY_HERE
        with self._lock:
            try:
                book = self._book(url)
                if book is None:  # no ledger.sqlite yet: nothing was ever loaded (looking makes no file)
                    return None, ""
                self._save(book)
                stored = book.current()
            except (LedgerDown, LedgerBroken) as exc:
                self._ledgers.failed(url, exc)
                return self._day, DOWN
            self._day = _day(stored) if stored is not None else None
            if stored is not None:
                self._loaded_at = stored.loaded_at
            return self._day, ""

    def load(self, url: str | None, day: Day) -> None:
        """`day` becomes every desk's list."""
        with self._lock:
            self._day, self._loaded_at, self._unsaved = day, datetime.now(UTC), {LOADED}
            self._write(url)

    def offer(self, url: str | None, day: Day) -> None:
        """The schedule file `serve --schedule` names, read when the server starts and again when it
        changes: the practice's list, unless the list is that very file already (a restart keeps its fixes)."""
        seen = (str(day.source), day.mtime)
        if seen == self._offered:
            return
        current, _ = self.current(url)
        if current is None or (current.name, current.data) != (day.name, day.data):
            self.load(url, day)
        self._offered = seen

    def choose(self, url: str | None, day: Day, **choices: str | bool | None) -> None:
        """The desk's choices for the whole list: `dates`, `separator`, `notice` (the Day's fields)."""
        with self._lock:
            for name, value in choices.items():
                setattr(day, name, value)
            self._changed(day, CHOICES)
            self._write(url)

    def change_row(
        self, url: str | None, day: Day, line: int, fix: dict[str, str] | None = None,
        message: tuple[str, str] | None = None,
    ) -> None:
        """A row's fix (added to its fixes before) and what the last action on it did."""
        with self._lock:
            if fix is not None:
                day.fixes[line] = {**day.fixes.get(line, {}), **fix}
            if message is not None:
                day.messages[line] = message
            self._changed(day, line)
            self._write(url)

    def _changed(self, day: Day, what: str | int) -> None:
        """`day` changed (the request's copy of the list): this server's copy is it from now on."""
        if self._day is None or self._day.id != day.id:
            self._unsaved.clear()  # what was unsaved belonged to a list that is no longer shown
        self._day = day
        self._unsaved.add(what)

    def _write(self, url: str | None) -> None:
        if url is None:
            self._unsaved.clear()  # this server's memory is where the list is kept
            return
        try:
            book = self._book(url, create=True)
            assert book is not None
            self._save(book)
        except (LedgerDown, LedgerBroken) as exc:  # kept here until the record is back (the page says so)
            self._ledgers.failed(url, exc)

    def _book(self, url: str, create: bool = False) -> DayBook | None:
        """The list's place in the ledger at `url`; None for an SQLite ledger not made yet (unless `create`)."""
        path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else None
        if not create and not self._unsaved and path is not None and not os.path.lexists(path):
            return None
        return DayBook(self._ledgers.get(url))

    def _save(self, book: DayBook) -> None:
        """What changed here and is not in the record yet, written there (LedgerDown, LedgerBroken: it waits)."""
        day = self._day
        if day is None or not self._unsaved:
            self._unsaved.clear()
            return
        if LOADED in self._unsaved:
            book.load(_stored(day, self._loaded_at))
        else:
            if CHOICES in self._unsaved:
                book.choose(day.id, dates=day.dates, separator=day.separator, notice=day.notice)
            for line in sorted(what for what in self._unsaved if isinstance(what, int)):
                book.change_row(day.id, line, day.fixes.get(line), day.messages.get(line))
        self._unsaved.clear()


def _day(stored: StoredDay) -> Day:
    return Day(
        stored.name,
        stored.data,
        stored.dates,
        stored.separator,
        stored.fixes,
        id=stored.id,
        messages=stored.messages,
        notice=stored.notice,
    )


def _stored(day: Day, loaded_at: datetime) -> StoredDay:
    return StoredDay(
        day.id, day.name, day.data, day.dates, day.separator, day.notice, day.fixes, day.messages, loaded_at
    )
