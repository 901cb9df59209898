"""The Today page: the day's patients on one screen, each with Print, Download and Preview.

Every action is a form (POST with the page's CSRF token) that answers with the page again
(303 to /today, at the row), so it works without script; page.js sends the same forms in the
background and puts the new list in place. Each form carries the list's id: after a new upload, or
the schedule file changed under `serve --schedule`, an old page's line numbers name other rows, so
such a form does nothing but show the new list.

The list is the practice's (daylist.py): every desk sees the one loaded last, and what each desk does on it.
"""

from pathlib import Path

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from ..base.errors import UserError
from ..compose.identity import of_row
from ..compose.request import Request, parse_date
from ..config.catalog import Catalog
from ..delivery.printing import PrintError, queue_for, send
from ..engine.build import file_name
from ..record.address import ledger_url
from ..record.recorder import given_since
from ..runs.mapped import schedule_rows
from ..runs.rows import NEEDS_ORDER
from .desk import (
    DATES,
    DOWNLOADED,
    PRINTED,
    Day,
    DeskRow,
    Given,
    earliest,
    from_ledger,
    match,
    needs_order,
    safe_suffix,
    search,
)
from .forms import TRUE, sentence
from .jobs import Job
from .shared import browser_session, load_catalog, make, pdf_response, record, settings, start_job

STATUSES = {"all": "Everyone", "not-given": "Not given yet", "given": "Given", "fix": "Needs fixing"}


bp = Blueprint("today", __name__)


def current() -> Day | None:
    """The practice's list (daylist.py), once per request; the schedule file the server was started with is
    offered to it first (read again when it changed)."""
    if "day" not in g:
        url = record_url(load_catalog())
        served = settings().day
        if served is not None:
            settings().day = served = served.fresh()
            settings().days.offer(url, served)
        g.day, g.day_kept = settings().days.current(url)
    return g.day


def record_url(catalog: Catalog) -> str | None:
    """Where the practice's record is (None: it keeps none)."""
    return ledger_url(catalog.practice.ledger, catalog.search.practice)


def change_row(day: Day, line: int, fix: dict[str, str] | None = None, message: tuple[str, str] | None = None):
    settings().days.change_row(record_url(load_catalog()), day, line, fix, message)


def choose(day: Day, **choices: str | bool | None) -> None:
    settings().days.choose(record_url(load_catalog()), day, **choices)


def given(catalog: Catalog, rows: list[DeskRow]) -> list[Given]:
    since = earliest(rows)
    if record_url(catalog) is None:
        return settings().given.since(since)
    return from_ledger(given_since(catalog, settings().ledgers, since))


def listed(catalog: Catalog, day: Day) -> list[DeskRow]:
    rows = day.rows(catalog, [])
    found = given(catalog, rows)
    for row in rows:
        row.given, row.made = match(row, found), match(row, found, made=True)
    return rows


def page(errors: dict[str, str] | None = None, status: int = 200):
    catalog = load_catalog()
    day = current()
    rows = listed(catalog, day) if day else []
    query, chosen = request.args.get("q", ""), request.args.get("status", "all")
    job = settings().jobs.latest(browser_session(), printing=True)
    return (
        render_template(
            "today.html",
            practice=catalog.practice,
            day=day,
            kept=g.get("day_kept", ""),
            rows=rows,
            shown=search(rows, query, chosen),
            query=query,
            chosen=chosen if chosen in STATUSES else "all",
            statuses=STATUSES,
            visits=list(catalog.visits.values()),
            waiting=[row for row in rows if row.request and not row.given],
            counts=counts(rows),
            needs_order=needs_order(rows),
            warnings=day.warnings(catalog) if day else [],
            dates=DATES,
            job=job,
            job_done=job.as_json() if job else None,
            job_message=job_message(job) if job else "",
            order_error=sentence(NEEDS_ORDER),
            printer=catalog.practice.printer,
            errors=errors or {},
            changed=request.args.get("changed") == "1",
        ),
        status,
    )


def back(line: int | None = None):
    anchor = f"row-{line}" if line else None
    return redirect(url_for("today.show", _anchor=anchor), 303)


def this_day() -> Day:
    """The list the form was sent from; a form from an older list goes back to the new one."""
    day = current()
    if day is None or request.form.get("day") != day.id:
        abort(redirect(url_for("today.show", changed=1), 303))
    return day


def this_row(catalog: Catalog, day: Day) -> DeskRow:
    line = request.form.get("line", "")
    line = int(line) if line.isdigit() else 0
    row = next((row for row in listed(catalog, day) if row.line == line), None)
    if row is None:
        abort(redirect(url_for("today.show", changed=1), 303))
    return row


@bp.get("/today")
def show():
    return page()


@bp.post("/today/load")
def load():
    upload = request.files.get("schedule")
    if upload is None or not upload.filename:
        return page({"schedule": "Choose the schedule file first."}, 400)
    data, name = upload.read(), f"schedule{safe_suffix(upload.filename)}"
    try:
        schedule_rows(load_catalog(), data, Path(name))
    except UserError as exc:
        return page({"schedule": sentence(str(exc))}, 400)
    settings().days.load(record_url(load_catalog()), Day(name, data))
    return back()


@bp.post("/today/options")
def options():
    """The dates' order for the whole list: the fix for a schedule-wide mistake."""
    day = this_day()
    chosen = request.form.get("dates")
    if chosen is not None:
        choose(day, dates=chosen if chosen in DATES else None)
    return back()


@bp.post("/today/fix")
def fix():
    """The visit type and date of one row, as the desk corrects them (the schedule file is not changed)."""
    catalog = load_catalog()
    day = this_day()
    row = this_row(catalog, day)
    visit, when = request.form.get("visit", "").strip(), request.form.get("date", "").strip()
    fix: dict[str, str] = {}
    if visit in catalog.visits:
        fix["visit"] = visit
    if when:
        try:
            fix["date"] = parse_date(when, "the date").isoformat()
        except UserError as exc:
            change_row(day, row.line, message=("error", sentence(str(exc))))
            return back(row.line)
    change_row(day, row.line, fix, ("done", "Corrected on this page; the schedule file is unchanged."))
    return back(row.line)


def chosen(row: DeskRow) -> Request | None:
    """The handout a row's button asks for: its own, or its English one where it has no other (`in=en`)."""
    return row.request or (row.english if request.form.get("in") == "en" else None)


@bp.post("/today/print")
def print_row():
    catalog = load_catalog()
    day = this_day()
    row = this_row(catalog, day)
    handout = chosen(row)
    if handout is None:
        change_row(day, row.line, message=("error", f"Not printed: {row.error}"))
        return back(row.line)
    data = make(catalog, handout, how=None)
    try:
        printed = send(
            data, file_name(handout, "pdf"), queue_for(catalog.practice), catalog.practice, handout.paper
        )
    except PrintError as exc:
        current_app.logger.warning("not printed: %s", exc)  # the whole story, for whoever looks after it
        message = f"Not printed: {sentence(exc.desk)} The handout is ready: print it again, or download it."
        change_row(day, row.line, message=("error", message))
        return back(row.line)
    notice = record(catalog, handout, data, PRINTED, row.identity)
    change_row(day, row.line, message=("done", f"{printed} {notice}" if notice else str(printed)))
    return back(row.line)


@bp.post("/today/download")
def download():
    catalog = load_catalog()
    day = this_day()
    row = this_row(catalog, day)
    handout = chosen(row)
    if handout is None:
        change_row(day, row.line, message=("error", row.error))
        return back(row.line)
    data = make(catalog, handout, DOWNLOADED, row.identity)
    if g.get("record_notice"):
        change_row(day, row.line, message=("done", g.record_notice))
    return pdf_response(data, file_name(handout, "pdf"), download=True)


@bp.get("/today/<day_id>/<int:line>/preview.pdf")
def preview(day_id: str, line: int):
    """The handout as it will print, shown and not recorded (nothing is given yet)."""
    catalog = load_catalog()
    day = current()
    if day is None or day.id != day_id:
        abort(404, "This list has changed: open the Today page again.")
    row = next((row for row in listed(catalog, day) if row.line == line), None)
    if row is None or row.request is None:
        abort(404, "There is no handout for this line: fix the row on the Today page first.")
    return pdf_response(make(catalog, row.request, how=None), file_name(row.request, "pdf"))


@bp.post("/today/print-all")
def print_all():
    """Every row not given yet, made and printed in a background job, as one print file in list order."""
    catalog = load_catalog()
    day = this_day()
    separator = request.form.get("separator", "").lower() in TRUE
    lines = [row.line for row in listed(catalog, day) if row.request and not row.given]
    if not lines:
        choose(day, separator=separator, notice="Everyone on the list has their handout.")
        return back()
    try:
        queue = queue_for(catalog.practice)
    except PrintError as exc:
        current_app.logger.warning("not printed: %s", exc)
        choose(day, separator=separator, notice=f"Not printed: {sentence(exc.desk)}")
        return back()
    choose(day, separator=separator, notice="")
    start_job(day, lines, queue, None if record_url(catalog) is not None else _log_printed(catalog, day))
    return back()


@bp.get("/today/job.json")
def job():
    job = settings().jobs.latest(browser_session(), printing=True)
    if job is None:
        abort(404, "No job.")
    return job.as_json() | {"message": job_message(job)}


def _log_printed(catalog: Catalog, day: Day):
    """For a practice without a ledger: the rows a print-all job printed, into this server's log
    (from the job's thread, outside any request: the log is taken here)."""
    log = settings().given

    def done(job: Job) -> None:
        wanted = set(job.result.get("printed", []))
        for row in day.schedule_rows(catalog):
            if row.line in wanted:
                try:
                    request = day.request(catalog, row)
                    log.add(request, PRINTED, of_row(row.line, row.values, request.patient))
                except UserError:
                    continue

    return done


def counts(rows: list[DeskRow]) -> str:
    """The list in one line that says what needs doing: "3 need a fix, 12 ready to print, 0 given"."""
    fix = sum(row.status == "fix" for row in rows)
    given = sum(row.status == "given" for row in rows)
    ready = len(rows) - fix - given
    return f"{fix} {'needs' if fix == 1 else 'need'} a fix, {ready} ready to print, {given} given"


def job_message(job: Job) -> str:
    """What a print-all job did, in a sentence for the page."""
    result = job.result
    if not job.over:
        return ""
    if "error" in result:
        return f"Not printed: {sentence(result['error'])}"
    failed = len(result.get("failed", []))
    rest = f" {failed} could not be made: see their rows." if failed else ""
    if result.get("print_error"):
        return f"Not printed: {sentence(result['print_error'])} Print again when the printer is ready.{rest}"
    count = len(result.get("printed", []))
    return f"Printed {count} handout{'s' if count != 1 else ''} as job {result.get('job')}.{rest}"
