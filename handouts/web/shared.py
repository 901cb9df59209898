"""What the front-desk pages share: the server's settings, the catalog as it is now, a handout made and
recorded as given, and the page's background jobs.

app.py (the handout and surgeon pages) and today.py (the day's list) both stand on this module.
"""

import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Response, abort, current_app, g, session

from ..base.errors import UserError
from ..compose.identity import NO_ONE, Identity, of_row
from ..compose.request import Request
from ..config.catalog import Catalog
from ..engine.build import KeptBuilder
from ..record.faults import SpoolError
from ..record.recorder import Ledgers, Recorder
from ..runs.pool import handout_pdf, kind, render_pool, with_catalog
from .daylist import DayList
from .desk import DOWNLOADED, Day, GivenLog
from .forms import sentence
from .jobs import KEEP_SECONDS, Job, Jobs
from .worker import job_day


@dataclass
class Settings:
    """What the routes share: where the practice is, the password, the day's list, the record."""

    practice: Path | None
    password: str | None
    on_network: bool = True  # served on an address other than loopback: approving on the page is off (drafts.py)
    write_lock: threading.Lock = field(default_factory=threading.Lock)  # one writer of the practice's files
    ledgers: Ledgers = field(default_factory=Ledgers)
    jobs: Jobs = field(default_factory=Jobs)
    day: Day | None = None  # `serve --schedule FILE`: offered to the practice's list when it is read or changes
    days: DayList = field(init=False)  # the practice's list of the day (daylist.py)
    given: GivenLog = field(default_factory=GivenLog)  # what this server gave, for a practice without a ledger
    # The texts' versions for the record come from a renderer of the catalog as it is; no PDF is made here.
    renderers: KeptBuilder = field(default_factory=KeptBuilder)

    def __post_init__(self) -> None:
        self.days = DayList(self.ledgers)  # the list's ledger is the one the handouts are recorded in


def settings() -> Settings:
    return current_app.extensions["handouts"]


def browser_session() -> str:
    """A random id kept in this browser's (signed) session cookie: a batch's results answer only to it."""
    return session.setdefault("owner", secrets.token_urlsafe(18))


def load_catalog() -> Catalog:
    """The catalog, read again for each request (filememo.py keeps what did not change): edits and saved defaults
    show at once."""
    return Catalog.load(settings().practice)


def make(catalog: Catalog, handout: Request, how: str | None = DOWNLOADED, who: Identity = NO_ONE) -> bytes:
    """The PDF through the one pipeline, in a warm worker process; recorded as given `how` to `who` (None: a
    preview)."""
    recorder = _recorder(catalog, how) if how is not None else None  # a bad ledger address stops here
    data = render_pool().run(with_catalog, catalog.search.practice, handout_pdf, handout, kind=kind(handout))
    if how is not None:
        record(catalog, handout, data, how, who, recorder)
    return data


def _recorder(catalog: Catalog, how: str) -> Recorder:
    return Recorder(catalog, settings().renderers(catalog).renderer, how, ledgers=settings().ledgers)


def record(
    catalog: Catalog, handout: Request, data: bytes, how: str, who: Identity, recorder: Recorder | None = None
) -> str | None:
    """A handout given: into the practice's ledger (else the spool, and then the line that says so,
    also in `g.record_notice` for `pdf_response`), or this server's own log when it keeps none."""
    return record_digest(catalog, handout, hashlib.sha256(data).hexdigest(), how, who, recorder)


def record_digest(
    catalog: Catalog, handout: Request, digest: str, how: str, who: Identity, recorder: Recorder | None = None
) -> str | None:
    """`record` for a handout known by its sha256 (one of a day's print file)."""
    recorder = recorder or _recorder(catalog, how)
    if not recorder.on:
        settings().given.add(handout, how, who)
        return None
    try:
        recorder.add(handout, digest, who)
    except SpoolError as exc:  # neither the ledger nor the spool takes it: the patient still gets the handout
        current_app.logger.error("a handout was given but could not be recorded: %s", exc)
        g.record_notice = (
            "Not recorded: the database and this computer's spool could not be written. The handout is "
            "made; tell whoever looks after this computer, and write down who was given it."
        )
        return g.record_notice
    if not recorder.spooled:
        return None
    settings().ledgers.keep_flushing(recorder.url or "", recorder.spool)
    try:
        g.record_notice = recorder.notice("the handout is made")
    except UserError as exc:  # the ledger needs someone: said to the desk, the handout still given
        g.record_notice = sentence(str(exc))
    return g.record_notice


def give_batch(job: Job) -> None:
    """The handouts in an uploaded day's print file, recorded as given once it is downloaded or printed
    from the page (once, however often): made is not given. A print job records what the printer took."""
    if job.printing or job.pdf is None or not settings().jobs.claim_given(job):
        return
    catalog = load_catalog()
    _, day = job_day(job.folder)
    rows = {row.line: row for row in day.schedule_rows(catalog)}
    recorder = _recorder(catalog, DOWNLOADED)
    for line, digest in job.result.get("handouts", []):
        row = rows[line]
        handout = day.request(catalog, row)
        who = of_row(row.line, row.values, handout.patient)
        record_digest(catalog, handout, digest, DOWNLOADED, who, recorder)


def pdf_response(data: bytes, filename: str, download: bool = False) -> Response:
    """The PDF shown in the browser (inline), or saved (attachment); the file name has no patient name."""
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'{"attachment" if download else "inline"}; filename="{filename}"'
    if g.get("record_notice"):  # the page shows it beside the handout (plain ASCII, no patient data)
        response.headers["X-Record-Notice"] = g.record_notice.encode("ascii", "replace").decode()
    return response


def job_spec(day: Day, lines: list[int] | None = None, queue: str | None = None) -> dict:
    """What the worker needs for `day` (see worker.py); `queue` (not None) prints the print file there."""
    practice = settings().practice
    return {
        "practice": str(practice.resolve()) if practice else None,
        "name": day.name,
        "dates": day.dates,
        "separator": day.separator,
        "fixes": {str(line): fix for line, fix in day.fixes.items()},
        "lines": lines,
        "print": queue,
    }


def start_job(day: Day, lines: list[int] | None = None, queue: str | None = None, on_done=None) -> Job:
    spec = job_spec(day, lines, queue)
    return settings().jobs.start(browser_session(), spec, day.data, printing=queue is not None, on_done=on_done)


def own_job(key: str, gone: str = "") -> Job:
    """This browser's job under `key`, or the page that says it is gone."""
    job = settings().jobs.get(key, browser_session())
    if job is None:
        abort(
            404,
            gone
            or f"These results are gone (they are kept {KEEP_SECONDS // 60} minutes, for the browser that uploaded "
            "the file): upload the file again.",
        )
    return job
