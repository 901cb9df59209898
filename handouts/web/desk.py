"""The front desk's list: a day's schedule, each row's handout request or its error, and who has theirs.

A `Day` is a schedule as loaded (uploaded, or the file `serve --schedule` names) plus what the
desk chose on the page: the order of slashed dates (`--dates us|eu`), separator sheets, and
corrections of a row's visit type or date. Rows are read and checked with the same functions as
`handouts batch` (`schedule_rows` with the practice's schedule.toml, `request_kwargs`,
`build_request`), so a row prints on the page exactly as in a batch, and a worker process running
"Print all" reads the same rows again.

Who has their handout comes from the record of handouts given (the ledger); without a ledger,
from this server's own log of what it printed or gave for download (`GivenLog`), kept in memory.
A row is matched to what was given by its patient's identity (identity.py: the row's id, else the
row itself), never by name; and only a handout printed or downloaded counts (`GIVEN`): one a batch
made ahead of the day is made, not given, and "Print all not yet given" prints it.
"""

import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from ..base.errors import UserError
from ..base.i18n import DEFAULT, LANGUAGES, parse_lang
from ..compose.identity import NO_ONE, Identity, fold_name, found_by, of_row, search_key
from ..compose.request import Request, build_request
from ..config.catalog import Catalog
from ..record.recorder import GIVEN, identity
from ..runs.mapped import patient_name, schedule_rows
from ..runs.rows import NEEDS_ORDER, request_kwargs, schedule_warnings
from ..runs.schedule import Row
from .forms import sentence

DATES = {"us": "month first (3/14/2026)", "eu": "day first (14/03/2026)"}
LOOK_BACK = timedelta(days=14)  # a handout given this long before its visit still counts as given
PRINTED, DOWNLOADED = "web-print", "web"
VERBS = {PRINTED: "Printed", DOWNLOADED: "Downloaded", "reprint": "Reprinted", "batch": "Made in a batch"}


@dataclass
class Given:
    """One handout given, as the list needs it."""

    when: datetime
    how: str
    visit: str
    date: str
    who: Identity

    @property
    def label(self) -> str:
        local = self.when.astimezone()
        at = f"at {local:%H:%M}" if local.date() == date.today() else f"on {local:%b} {local.day}"
        return f"{VERBS.get(self.how, 'Given')} {at}"


class GivenLog:
    """What this server gave, in memory: the status when the practice keeps no ledger (thread-safe)."""

    def __init__(self) -> None:
        self._items: list[Given] = []
        self._lock = threading.Lock()

    def add(self, request: Request, how: str, who: Identity) -> None:
        given = Given(datetime.now(UTC), how, request.visit.id, request.visit_date.isoformat(), who)
        with self._lock:
            self._items.append(given)

    def since(self, when: datetime) -> list[Given]:
        with self._lock:
            return [item for item in self._items if item.when >= when]


def from_ledger(rows: list[tuple[datetime, str, dict[str, Any], str | None]]) -> list[Given]:
    return [Given(when, how, req["visit"], req["date"], identity(req, pid)) for when, how, req, pid in rows]


@dataclass
class DeskRow:
    """One patient of the day as the list shows them."""

    line: int
    values: dict[str, str]
    request: Request | None
    error: str = ""
    given: Given | None = None
    made: Given | None = None  # a handout made for this row but not given (a batch's): said beside "Not given"
    namesakes: list[int] = field(default_factory=list)  # the lines of other patients with this name
    english: Request | None = None  # a row that cannot be made in its language, made in English: one click away
    written: str = ""  # the name as it would print, for a row that cannot be made

    @property
    def handout(self) -> Request | None:
        """The handout this row gives: its own, else its English one."""
        return self.request or self.english

    @property
    def patient(self) -> str:
        return self.handout.patient if self.handout else self.written

    @property
    def find(self) -> str:
        """What the page's search box looks in: the name and the id, keyed as `found_by` keys them."""
        return "\n".join(search_key(text) for text in (self.patient, self.values.get("id", "")))

    @property
    def language(self) -> str:
        """The row's language by its English name (staff read the list), from its request or its `lang` cell."""
        code = getattr(self.request, "lang", None)
        if code is None:
            try:
                code = parse_lang(self.values.get("lang", "")) if self.values.get("lang", "").strip() else "en"
            except UserError:
                return self.values.get("lang", "")
        return LANGUAGES[code][0]

    @property
    def status(self) -> str:
        """all | not-given | given | fix: what the status filter matches."""
        if self.given:
            return "given"
        return "fix" if self.error else "not-given"

    @property
    def date(self) -> str:
        """The visit date as YYYY-MM-DD for the row's correction form: the handout's, else the schedule's
        if written so."""
        if self.request:
            return self.request.visit_date.isoformat()
        written = self.values.get("date", "").strip()
        return written if re.fullmatch(r"\d{4}-\d{2}-\d{2}", written) else ""

    @cached_property
    def identity(self) -> Identity:
        """Who this row's patient is (identity.py); no one for a row that cannot be made."""
        return of_row(self.line, self.values, self.handout.patient) if self.handout else NO_ONE

    @property
    def label(self) -> str:
        """The row for a screen reader's list of buttons: its name, and its id or its line, so two
        patients with one name are told apart."""
        who = f"ID {self.identity.patient_id}" if self.identity.patient_id else f"line {self.line}"
        return f"{self.patient}, {who}"


@dataclass
class Day:
    """A day's schedule on the page, and what the desk chose for it."""

    name: str
    data: bytes
    dates: str | None = None
    separator: bool = False
    fixes: dict[int, dict[str, str]] = field(default_factory=dict)
    id: str = field(default_factory=lambda: secrets.token_urlsafe(9))
    source: Path | None = None  # the file `serve --schedule` named, read again when it changes
    mtime: float = 0.0
    messages: dict[int, tuple[str, str]] = field(default_factory=dict)  # line -> (done | error, what happened)
    notice: str = ""  # what the last action on the whole list did

    @classmethod
    def from_file(cls, path: Path) -> "Day":
        try:
            data, mtime = path.read_bytes(), path.stat().st_mtime
        except OSError as exc:
            raise UserError(f"cannot read the schedule {path}: {exc.strerror}") from None
        return cls(path.name, data, source=path, mtime=mtime)

    def fresh(self) -> "Day":
        """This day, or the schedule file read again if it changed since (the corrections are dropped:
        they belong to the old lines)."""
        if self.source is None:
            return self
        try:
            changed = self.source.stat().st_mtime != self.mtime
        except OSError:
            return self
        return Day.from_file(self.source) if changed else self

    def schedule_rows(self, catalog: Catalog) -> list[Row]:
        """The rows as the practice's schedule.toml reads them, each with the desk's corrections in place."""
        rows = schedule_rows(catalog, self.data, Path(self.name)).rows
        return [Row(row.line, {**row.values, **self.fixes.get(row.line, {})}) for row in rows]

    def request(self, catalog: Catalog, row: Row, lang: str | None = None) -> Request:
        kwargs = request_kwargs(catalog, row.values, dates=self.dates)
        return build_request(catalog, **(kwargs | {"lang": lang} if lang else kwargs))

    def rows(self, catalog: Catalog, given: list[Given]) -> list[DeskRow]:
        found = []
        for row in self.schedule_rows(catalog):
            try:
                desk = DeskRow(row.line, row.values, self.request(catalog, row))
            except UserError as exc:
                written = patient_name(catalog.schedule, row.values)
                desk = _in_english(catalog, row, self) or DeskRow(
                    row.line, row.values, None, sentence(str(exc)), written=written
                )
            desk.given, desk.made = match(desk, given), match(desk, given, made=True)
            found.append(desk)
        for desk in found:  # another patient with this name: told apart on the page
            name = fold_name(desk.patient)
            desk.namesakes = [
                row.line
                for row in found
                if name and row is not desk and fold_name(row.patient) == name and not row.identity.same(desk.identity)
            ]
        return found

    def warnings(self, catalog: Catalog) -> list[str]:
        return [sentence(text) for text in schedule_warnings(catalog, self.schedule_rows(catalog))]


def needs_order(rows: list[DeskRow]) -> bool:
    """Whether the schedule writes dates with slashes and the page has not been told their order."""
    return any(row.error == sentence(NEEDS_ORDER) for row in rows)


def match(row: DeskRow, given: list[Given], made: bool = False) -> Given | None:
    """The latest handout given for this row's patient (by identity, see identity.py), visit type and date;
    with `made`, the latest made for them and not given (a batch's)."""
    if row.handout is None:
        return None
    visit, day = row.handout.visit.id, row.handout.visit_date.isoformat()
    found = [
        g
        for g in given
        if (g.how not in GIVEN) == made and g.visit == visit and g.date == day and row.identity.same(g.who)
    ]
    return found[-1] if found else None


def earliest(rows: list[DeskRow]) -> datetime:
    """Since when to look for handouts given: LOOK_BACK before the list's first visit date."""
    days = [row.request.visit_date for row in rows if row.request] or [date.today()]
    return datetime.combine(min(days), datetime.min.time(), UTC) - LOOK_BACK


def search(rows: list[DeskRow], text: str, status: str) -> list[DeskRow]:
    """The rows whose name or patient id holds `text` (any case, accents or apostrophes: `found_by`) and whose
    status is `status` (or all)."""
    return [
        row
        for row in rows
        if found_by(text, row.patient, row.values.get("id", "")) and (status in ("", "all") or row.status == status)
    ]


def safe_suffix(name: str) -> str:
    """The upload's ending, if it is a plain one (it tells JSON Lines from CSV); else .csv."""
    suffix = Path(name or "").suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ".csv"


def _in_english(catalog: Catalog, row: Row, day: Day) -> DeskRow | None:
    """A row asked in another language that cannot be made in it but can in English: why, in one line, and the
    English handout ready for its button (recorded as English). None when English cannot be made either."""
    try:
        lang = request_kwargs(catalog, row.values, dates=day.dates)["lang"]  # as schedule.toml reads it
        english = day.request(catalog, row, DEFAULT) if lang and lang != DEFAULT else None
    except UserError:
        return None
    if english is None:
        return None
    name = LANGUAGES[lang][0]
    surgeon = english.surgeon
    if lang not in catalog.practice.languages:
        why = f"the practice does not offer {name} handouts"
    elif surgeon is not None and surgeon.id in _broken_in(catalog, lang):
        why = f"{surgeon.display_name}'s instructions have no {name} version yet"
    else:
        why = f"some of the practice's text has no {name} version yet"
    return DeskRow(row.line, row.values, None, f"Not in {name}: {why}. It can be printed in English.", english=english)


def _broken_in(catalog: Catalog, lang: str) -> dict[str, str]:
    """The surgeons whose profile cannot print in `lang`; none known when the language cannot print at all."""
    try:
        return catalog.edition(lang).broken_surgeons
    except UserError:
        return {}
