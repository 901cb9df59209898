"""The front-desk web app: one blueprint per page, the safe defaults (security.py), and what every page says
when something goes wrong.

A CSRF token on every form (Flask-WTF), request size limits and no request log are set here; every handout
goes through `build_request` and `build`, as on the command line.
"""

import secrets
from pathlib import Path

from flask import Flask, current_app, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from ..base.errors import UserError
from ..base.i18n import long_date
from . import assets, batch, handout, surgeon, today
from .desk import Day
from .drafts import ApproveForm
from .forms import HandoutForm, sentence
from .profiles import NewProfileForm, PostOpForm
from .security import check_host, protect
from .shared import Settings, load_catalog

MAX_UPLOAD = 5 * 1024 * 1024  # a day's schedule is a few kilobytes
MAX_FORM = 256 * 1024  # form fields in memory: five 4,000-character topics and change


def create_app(
    practice: Path | None = None,
    *,
    password: str | None = None,
    trusted_hosts: list[str] | None = None,
    schedule: Path | None = None,
    on_network: bool = True,
) -> Flask:
    """The app for one practice folder (None: the built-in sample practice); `schedule`: a file loaded
    as the practice's list of the day when it is first read and when it changes; `on_network`: served on an
    address other than loopback, where approving on the page is off (`serve` says which).

    `trusted_hosts` are the names the Host header may carry besides this computer's addresses (None:
    no check, for tests); `serve` always passes them (see `cli/serve.allowed_names`), so a web page
    that rebinds its own name to this computer gets nothing.
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),  # new per start: old pages' tokens stop working, see csrf_failed
        MAX_CONTENT_LENGTH=MAX_UPLOAD,
        MAX_FORM_MEMORY_SIZE=MAX_FORM,
        MAX_FORM_PARTS=200,
        SESSION_COOKIE_NAME="handouts_session",
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # the front-desk page stays open all day; the token lives as long as the server
    )
    day = Day.from_file(schedule) if schedule else None
    app.extensions["handouts"] = Settings(practice, password or None, on_network, day=day)
    app.jinja_env.filters["sentence"] = sentence
    app.jinja_env.filters["long_date"] = long_date
    check_host(app, trusted_hosts)
    CSRFProtect(app)
    protect(app)
    for page in (handout, surgeon, batch, today, assets):
        app.register_blueprint(page.bp)
    _errors(app)
    return app


def _errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError):
        """A stale or missing token: the form again with its values, ready to send once more."""
        message = (
            "This page was opened before the handouts tool was restarted, or the form came from elsewhere. "
            "Check the form and press the button again."
        )
        catalog = load_catalog()
        if request.endpoint == "handout.pdf":
            return handout.form_page(catalog, HandoutForm.parse(request.form, catalog), {"form": message}, 400)
        if request.endpoint == "surgeon.save":
            return surgeon.sheet_page(catalog, PostOpForm.parse(request.form), {"form": message}, 400)
        if request.endpoint == "surgeon.approve_texts":
            form = ApproveForm.parse(request.form)
            page = PostOpForm.from_profile(catalog, form.surgeon)
            return surgeon.sheet_page(catalog, page, {"form": message}, 400, failed="approve", approval=form)
        if request.endpoint == "surgeon.new":
            page, form = PostOpForm.from_profile(catalog, ""), NewProfileForm.parse(request.form)
            return surgeon.sheet_page(catalog, page, {"form": message}, 400, failed="new", new=form)
        if request.endpoint == "surgeon.preview":
            return render_template("preview_message.html", problems=[message]), 400
        if request.endpoint == "batch.upload":
            return batch.upload_page(catalog, {"schedule": message}, 400)
        if request.blueprint == "today":
            return redirect(url_for("today.show", changed=1), 303)  # the list as it is now, and a fresh token
        return _message("The form could not be sent", message, 400)

    @app.errorhandler(UserError)
    def practice_problem(exc: UserError):
        """Which file and key is for whoever keeps the practice folder (the server's log, `handouts check`), not
        for the desk (a UserError names files and settings, never a patient)."""
        current_app.logger.error("the practice's settings have a problem: %s", exc)
        return _message(
            "The practice settings have a problem",
            "This page cannot be made until they are put right. Tell whoever looks after the handouts computer: "
            "the server's log says what and where.",
            500,
        )

    @app.errorhandler(HTTPException)
    def http_problem(exc: HTTPException):
        titles = {404: "Not found", 405: "Not here", 413: "Too large"}
        texts = {
            413: f"What was sent is larger than {MAX_UPLOAD // (1024 * 1024)} MB (or the form is too long).",
            405: "This address does not take that kind of request: use the page's buttons.",
        }
        default = exc.description if exc.code == 404 and exc.description and "URL" not in exc.description else None
        text = texts.get(exc.code or 0) or default or "There is no page here."
        return _message(titles.get(exc.code or 0, exc.name), text, exc.code or 500)


def _message(title: str, text: str, status: int):
    return render_template("message.html", title=title, text=text), status
