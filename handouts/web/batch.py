"""The page for a whole day: a schedule uploaded, its handouts made in a background job, one print file."""

import json
from pathlib import Path

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, send_file, url_for

from ..base.errors import UserError
from ..config.catalog import Catalog
from ..runs.mapped import schedule_rows
from ..runs.rows import NEEDS_ORDER, folded
from .desk import DATES, Day
from .desk import safe_suffix as schedule_suffix
from .forms import TRUE, sentence
from .shared import browser_session, give_batch, load_catalog, own_job, settings, start_job

bp = Blueprint("batch", __name__)


def upload_page(catalog: Catalog, errors: dict[str, str], status: int = 200):
    return (
        render_template("batch.html", practice=catalog.practice, errors=errors, dates=DATES),
        status,
    )


def dates_choice() -> str | None:
    """The dates' order a form chose: us, eu, or none (only 2026-03-14)."""
    chosen = request.form.get("dates", "")
    return chosen if chosen in DATES else None


@bp.get("/batch")
def page():
    return upload_page(load_catalog(), {})


@bp.post("/batch")
def upload():
    """The day's schedule, checked here (a file that cannot be read is said at once), made in a job."""
    catalog = load_catalog()
    upload = request.files.get("schedule")
    if upload is None or not upload.filename:
        return upload_page(catalog, {"schedule": "Choose the schedule file first."}, 400)
    data, name = upload.read(), f"schedule{schedule_suffix(upload.filename)}"
    try:
        schedule_rows(catalog, data, Path(name))
    except UserError as exc:
        return upload_page(catalog, {"schedule": sentence(str(exc))}, 400)
    day = Day(name, data, request.form.get("dates") or None, request.form.get("separator") in TRUE)
    return redirect(url_for("batch.result", key=start_job(day).key), 303)


@bp.post("/batch/<key>/dates")
def dates(key: str):
    """The same schedule again with the dates' order chosen: the fix for a schedule-wide mistake."""
    job = own_job(key)
    spec = json.loads((job.folder / "job.json").read_text(encoding="utf-8"))
    day = Day(spec["name"], (job.folder / "schedule").read_bytes(), dates_choice(), spec["separator"])
    return redirect(url_for("batch.result", key=start_job(day).key), 303)


@bp.get("/batch/<key>")
def result(key: str):
    job = own_job(key)
    practice = load_catalog().practice
    if not job.over:
        return render_template("batch_running.html", practice=practice, job=job, key=key)
    failed = [(line, reason) for line, reason in job.result.get("failed", [])]
    return render_template(
        "batch_result.html",
        practice=practice,
        job=job,
        key=key,
        failed=folded(failed),
        count=len(failed),
        needs_order=any(reason == NEEDS_ORDER for _, reason in failed),
        dates=DATES,
    )


@bp.get("/batch/<key>/status.json")
def status(key: str):
    return jsonify(own_job(key).as_json())


@bp.get("/batch/<key>/handouts.pdf")
def pdf(key: str):
    job = settings().jobs.get(key, browser_session())
    if job is None or job.pdf is None:
        abort(404, "This print file is gone: upload the schedule again.")
    if request.args.get("download") == "1":
        give_batch(job)  # shown on the page it is not given yet: downloaded (or printed, below) it is
    response = send_file(job.pdf, mimetype="application/pdf", max_age=0)
    kind = "attachment" if request.args.get("download") == "1" else "inline"
    response.headers["Content-Disposition"] = f'{kind}; filename="handouts.pdf"'
    return response


@bp.post("/batch/<key>/given")
def given(key: str):
    """The day's print file printed from the page (its Print button): its handouts given. Without
    JavaScript, the print file opens next, to print from the browser's viewer."""
    job = own_job(key, "This print file is gone: upload the schedule again.")
    if job.pdf is None:
        abort(404, "This print file is gone: upload the schedule again.")
    give_batch(job)
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"given": True})
    return redirect(url_for("batch.pdf", key=key), 303)


@bp.get("/batch/<key>/errors.csv")
def errors(key: str):
    job = own_job(key, "This report is gone: upload the schedule again.")
    response = Response(job.errors_csv, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="errors.csv"'
    return response
