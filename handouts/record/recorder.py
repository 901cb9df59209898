"""Between the handout pipeline and the ledger: what a request is as a record, and back.

`make`, `batch` and the web page record through `Recorder.add`, so a record always holds the same
fields whichever way the handout was made, and `reprint` turns a record back into the same request.

A handout is given first and recorded second: when the ledger cannot take a record (down, or
damaged), `Recorder.add` keeps it in the spool (spool.py) and the handout is still given; the
records waiting are moved into the ledger when it is back, by the next Recorder or `open_ledger`
that reaches it (every command), and by the web page in the background (`Ledgers.keep_flushing`).
"""

import dataclasses
import os
import threading
import time
import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..base.errors import UserError
from ..compose.identity import NO_ONE, Identity
from ..compose.request import Request, build_request
from ..config.catalog import Catalog
from ..inputs.snapshot import Snapshot
from ..render.renderer import Renderer
from ..render.versions import handout_units, handout_version
from .address import ledger_url
from .faults import LedgerBroken, LedgerDown, SpoolError
from .spool import Spool, spool_path, target

if TYPE_CHECKING:
    from .ledger import Ledger

# web: made on the page (shown or downloaded); web-print: sent to the desk's printer from the page
HOW = ("make", "batch", "web", "reprint", "web-print")
# The kinds that put a handout in a patient's hand: printed or downloaded for them one by one (on the page,
# `make`, `reprint`). A batch's handouts are made for a day ahead, not given: the page records its print
# file as given (`web`) once it is downloaded or printed there. A kind not listed here is not given.
GIVEN = ("make", "web", "reprint", "web-print")
# In a record's request, beside what makes the handout: the schedule row it was for, when that row
# gave no patient id (see identity.py). `reprint` copies it with the rest, so a reprint is for the same row.
ROW_KEY = "row_key"
SAVED = "Saved for the record; it will be added when the database is back."
RETRY_SECONDS = 30.0  # after the ledger failed, records go straight to the spool this long


def _connect(url: str) -> "Ledger":
    """The ledger at `url`. SQLAlchemy and Alembic are loaded here, when a handout is recorded,
    so a command or a practice that records nothing starts without them."""
    from .ledger import Ledger

    return Ledger.open(url)


def request_record(request: Request) -> dict[str, Any]:
    """Everything that makes this handout, as plain JSON values (dates as YYYY-MM-DD)."""
    return {
        "visit": request.visit.id,
        "patient": request.patient,
        "date": request.visit_date.isoformat(),
        "fields": {k: v.isoformat() if isinstance(v, date) else v for k, v in request.fields.items()},
        "modules": list(request.modules),
        "paper": request.paper,
        "large_print": request.large_print,
        "surgeon": request.surgeon.id if request.surgeon else None,
        "note": request.note,
        "archival": request.archival,
        "lang": request.lang,
    }


def identity(request: dict[str, Any], patient_id: str | None) -> Identity:
    """Whom a record's handout was for (its request as stored, and its patient id)."""
    return Identity(patient_id, request.get(ROW_KEY), request["patient"])


def request_from_record(catalog: Catalog, data: dict[str, Any]) -> Request:
    """The request a record was made from, validated against `catalog` as any request is."""
    request = build_request(
        catalog,
        data["visit"],
        data["patient"],
        data["date"],
        sets=data["fields"],
        paper=data["paper"],
        large_print=data["large_print"],
        surgeon=data["surgeon"],
        note=data["note"],
        archival=data["archival"],
        lang=data.get("lang", "en"),
    )
    missing = [m for m in data["modules"] if m not in catalog.modules]
    if missing:
        raise UserError(f"the record's module(s) {', '.join(missing)} no longer exist")
    return dataclasses.replace(request, modules=list(data["modules"]))


class Recorder:
    """Records the handouts made from one catalog, in the practice's ledger, else in the spool
    (or nowhere when the practice records nothing)."""

    def __init__(
        self, catalog: Catalog, renderer: Renderer, how: str, enabled: bool = True, ledgers: "Ledgers | None" = None
    ) -> None:
        """A ledger address that is not valid stops here, before any handout is made; a ledger that
        cannot be reached or used does not: its records wait in the spool."""
        assert how in HOW
        self.renderer = renderer
        self.how = how
        self.url = ledger_url(catalog.practice.ledger, catalog.search.practice) if enabled else None
        self._ledgers = ledgers if ledgers is not None else Ledgers()
        self._shared = ledgers is not None
        self.spool = Spool(spool_path(catalog.search.practice))
        self.problem: UserError | None = None  # why the ledger took no record, the last time it was tried
        self.spooled = 0  # records this recorder kept in the spool
        if self.url is not None:
            self._ledger()

    @property
    def on(self) -> bool:
        return self.url is not None

    def _ledger(self, now: bool = False) -> "Ledger | None":
        """The ledger with the spool moved into it; None (and `problem` says why) when it cannot be used."""
        assert self.url is not None
        try:
            ledger = self._ledgers.get(self.url, now)
        except (LedgerDown, LedgerBroken) as exc:
            self.problem = exc
            return None
        try:
            self.spool.flush_into(ledger, target(self.url))
        except (LedgerDown, LedgerBroken) as exc:
            self._ledgers.failed(self.url, exc)
            self.problem = exc
            return None
        except SpoolError as exc:  # the records waiting cannot be read: the ledger still takes new ones
            self.problem = exc
            return ledger
        self.problem = None
        return ledger

    def add(self, request: Request, sha256: str, who: Identity = NO_ONE, key: str | None = None) -> int | None:
        """Record one handout given to `who`: its record number, or None when it waits in the spool
        or the practice records nothing. `key` names the handout given (by default a new one): the
        ledger takes each key once. SpoolError when neither the ledger nor the spool could keep it."""
        if self.url is None:
            return None
        ids = handout_units(request)
        units = self.renderer.edition(request.lang).units
        files = self.renderer.catalog.snapshot  # the files it was made from
        versions, content = {uid: units[uid].version for uid in ids}, handout_version(units, ids)
        given = request_record(request) | ({ROW_KEY: who.row_key} if who.row_key else {})
        record = self.record(given, who.patient_id, sha256, content, versions, files.id)
        return self.keep(record, key, files)

    def record(
        self, request: dict[str, Any], patient_id: str | None, sha256: str, content: str, units: dict[str, str],
        fileset: str,
    ) -> dict[str, Any]:
        """A record of a handout given now, as `Ledger.add` takes it and the spool keeps it."""
        return {
            "how": self.how,
            "request": request,
            "patient_id": patient_id or None,
            "sha256": sha256,
            "content": content,
            "units": units,
            "fileset": fileset,
            "created_at": datetime.now(UTC).isoformat(),
            "software": __version__,
        }

    def keep(self, record: dict[str, Any], key: str | None = None, files: Snapshot | None = None) -> int | None:
        """`record` into the ledger, else the spool; `files`: what it was made from, None when the
        ledger has them already (a reprint's)."""
        if self.url is None:
            return None
        key = key or uuid.uuid4().hex
        ledger = self._ledger()
        if ledger is not None:
            try:
                if files is not None:
                    ledger.store_fileset(files)
                return ledger.add(key=key, **record)
            except (LedgerDown, LedgerBroken) as exc:
                self._ledgers.failed(self.url, exc)
                self.problem = exc
        listed = [list(f) for f in files.files] if files is not None else None
        try:
            self.spool.put(target(self.url), key, record, listed, lambda digest: files.blob(digest))
        except SpoolError as exc:
            raise SpoolError(f"the handout was made but could not be recorded ({self.problem}; {exc})") from None
        self.spooled += 1
        return None

    def lacks(self, digests: dict[str, str]) -> set[str] | None:
        """Of these records (key -> the PDF's sha256) of batch handouts, the keys neither the ledger
        (by key, or by sha256 for a record from before keys) nor the spool has; None when the
        ledger cannot say now (`problem` says why)."""
        assert self.url is not None
        ledger = self._ledger()
        if ledger is None:
            return None
        try:
            have = ledger.has_keys(list(digests)) | self.spool.has(target(self.url), list(digests))
            recorded = ledger.batch_sha256s(sorted(set(digests.values())))
        except (LedgerDown, LedgerBroken, SpoolError) as exc:
            self.problem = exc
            return None
        return {key for key, digest in digests.items() if key not in have and digest not in recorded}

    def waiting(self) -> int:
        """How many records wait in the spool for this practice's ledger."""
        return self.spool.count(target(self.url)) if self.url is not None else 0

    def notice(self, made: str) -> str | None:
        """The line for whoever gave the handout(s) (`made` says what was made) when records wait in the
        spool: that they are saved for the record. LedgerBroken when the ledger needs someone."""
        if not self.spooled or not self.waiting():
            return None
        if isinstance(self.problem, LedgerBroken):
            raise LedgerBroken(f"{made} and saved for the record, but {self.problem}")
        return SAVED

    def finish(self) -> None:
        """After many handouts (a batch): a last try to move what waits in the spool into the
        ledger (it may be back by now), then close."""
        if self.url is not None and self.spooled:
            self._ledger(now=True)
        self.close()

    def close(self) -> None:
        if not self._shared:
            self._ledgers.close()


class Ledgers:
    """Open ledgers by address (thread-safe: the web page's threads share one). A ledger that could
    not be reached or used is tried again `retry` seconds later, not for every handout, so the
    desk does not wait for a database that is down."""

    def __init__(self, retry: float = RETRY_SECONDS) -> None:
        self.retry = retry
        self._open: dict[str, Ledger] = {}
        self._failed: dict[str, tuple[float, UserError]] = {}
        self._lock = threading.Lock()
        self._flushing: set[str] = set()
        self._given: dict[str, list[tuple]] = {}  # each ledger's last answer to given_since

    def get(self, url: str, now: bool = False) -> "Ledger":
        """The ledger at `url`; the last failure again while it is recent (unless `now`)."""
        with self._lock:
            failed = self._failed.get(url)
            if failed is not None and not now and time.monotonic() - failed[0] < self.retry:
                raise failed[1]
            if url not in self._open:
                try:
                    self._open[url] = _connect(url)
                except (LedgerDown, LedgerBroken) as exc:
                    self._failed[url] = (time.monotonic(), exc)
                    raise
            self._failed.pop(url, None)
            return self._open[url]

    def given_since(self, url: str, since: datetime) -> list[tuple]:
        """`Ledger.given_since`; while the ledger is down, its last answer (the desk's list does
        not turn to "Not given" for everyone given before)."""
        try:
            ledger = self.get(url)  # while the ledger is down, this raises at once
            try:
                rows = ledger.given_since(since)
            except (LedgerDown, LedgerBroken) as exc:
                self.failed(url, exc)
                raise
        except (LedgerDown, LedgerBroken):
            with self._lock:
                return [row for row in self._given.get(url, []) if row[0] >= since]
        with self._lock:
            self._given[url] = rows
        return rows

    def failed(self, url: str, problem: UserError) -> None:
        """The ledger at `url` failed: records go to the spool until `retry` seconds have passed."""
        with self._lock:
            self._failed[url] = (time.monotonic(), problem)

    def keep_flushing(self, url: str, spool: Spool) -> None:
        """In the background, every `retry` seconds, move what waits in `spool` into the ledger at
        `url`, until nothing waits (the web page: records are added without anyone asking)."""
        with self._lock:
            if url in self._flushing:
                return
            self._flushing.add(url)

        def run() -> None:
            try:
                while spool.count(target(url)):
                    time.sleep(self.retry)
                    try:
                        spool.flush_into(self.get(url, now=True), target(url))
                    except (LedgerDown, LedgerBroken) as exc:
                        self.failed(url, exc)
            except SpoolError:
                pass  # the spool cannot be read: the next handout recorded says so
            finally:
                with self._lock:
                    self._flushing.discard(url)

        threading.Thread(target=run, name="handouts-spool", daemon=True).start()

    def close(self) -> None:
        with self._lock:
            for ledger in self._open.values():
                ledger.close()
            self._open.clear()


def given_since(catalog: Catalog, ledgers: Ledgers, since: datetime) -> list[tuple]:
    """(when, how, request, patient id) of the handouts given since `since`, for the desk's list:
    the ledger's (while it is down, its last answer) and those waiting in the spool."""
    url = ledger_url(catalog.practice.ledger, catalog.search.practice)
    assert url is not None
    try:
        waiting = Spool(spool_path(catalog.search.practice)).given_since(target(url), since)
    except SpoolError:
        waiting = []
    if url.startswith("sqlite:///") and not os.path.lexists(url.removeprefix("sqlite:///")):
        return waiting  # nothing recorded yet; looking does not make the file
    return ledgers.given_since(url, since) + waiting


def open_ledger(catalog: Catalog) -> tuple["Ledger", str | None]:
    """The practice's ledger, for the commands that read it, with the spool moved into it first
    (and a line that says how many records were, or why they could not be); a clear error when
    there is none, or it cannot be used (with how many records wait)."""
    url = ledger_url(catalog.practice.ledger, catalog.search.practice)
    if url is None:
        raise UserError(
            "no ledger: handouts are recorded in a practice folder's ledger.sqlite (give --practice DIR), "
            "in practice.toml's ledger setting, or in HANDOUTS_LEDGER"
        )
    spool, where, note = Spool(spool_path(catalog.search.practice)), target(url), None
    try:
        waiting = spool.count(where)
    except SpoolError as exc:
        waiting, note = 0, f"Warning: {exc}: the records in it cannot be added to the ledger"
    if url.startswith("sqlite:///") and not os.path.lexists(url.removeprefix("sqlite:///")) and not waiting:
        raise UserError(f"no ledger yet at {url.removeprefix('sqlite:///')}: nothing has been recorded")
    try:
        ledger = _connect(url)
        if waiting:
            moved = spool.flush_into(ledger, where)
            note = f"Added {moved} record(s) of handouts given that waited in the spool ({spool.path})."
    except (LedgerDown, LedgerBroken) as exc:
        count = spool.count(where)
        raise type(exc)(f"{exc}" + (f" ({_waiting(count)} in {spool.path})" if count else "")) from None
    except SpoolError as exc:
        note = f"Warning: {exc}: the records in it cannot be added to the ledger"
    return ledger, note


def _waiting(count: int) -> str:
    return f"{count} record{'s' if count != 1 else ''} of handouts given wait{'s' if count == 1 else ''}"
