"""The front-desk web app: routes, safe defaults, and the glue to the handout pipeline.

Safe by default: HTTP Basic auth whenever a password is set (the `serve` command refuses any
address but loopback without one), a CSRF token on every form (Flask-WTF), a Host allow-list on
every address (against DNS rebinding, see `host_allowed`), request size limits, a
Content-Security-Policy that lets a page load only this server's own files, `no-store` on every
answer that may carry patient data, and no request log. Every handout goes through
`build_request` and `build`, as on the command line.
"""

import hmac
import io
import ipaddress
import json
import re
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from flask import (
    Flask,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from ..base.errors import UserError
from ..base.i18n import long_date
from ..compose.request import typed_language_warnings
from ..config.catalog import Catalog
from ..engine.build import file_name
from ..engine.fetcher import mime_type
from ..render.renderer import Renderer
from ..runs.pool import render_pool
from ..runs.rows import NEEDS_ORDER, folded
from ..runs.schedule import parse_schedule
from .desk import DATES, Day
from .desk import safe_suffix as schedule_suffix
from .drafts import ApproveForm, approve, approving_off, sheet_drafts
from .forms import PAPERS, TRUE, HandoutForm, languages, sentence, set_input_name, validate
from .profiles import (
    NO_PRACTICE,
    POST_OP,
    POST_OP_TOPICS,
    PREVIEW_FIELDS,
    WEEKS,
    NewProfileForm,
    PostOpForm,
    StaleProfile,
    create_profile,
    instructions,
    preview_pages,
    save_defaults,
    stale_errors,
    unprintable,
)
from .shared import (
    Settings,
    browser_session,
    give_batch,
    load_catalog,
    make,
    own_job,
    pdf_response,
    settings,
    start_job,
)
from .today import add_today_routes

MAX_UPLOAD = 5 * 1024 * 1024  # a day's schedule is a few kilobytes
MAX_FORM = 256 * 1024  # form fields in memory: five 4,000-character topics and change

# Pages load only this server's files; the handout PDF is shown from a blob: URL the page makes.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; frame-src 'self' blob:; object-src 'self' blob:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
# The live preview is the sheet's pages as pictures (data: URIs) with their text, and never a script.
PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox allow-same-origin"
)
ASSET_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"  # an SVG logo opened alone runs nothing
# A Host header: a name or IPv4 address, or an IPv6 address in brackets; then an optional port.
_HOST = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[^:\[\]/\s]+))(?::[0-9]{1,5})?")


@dataclass(frozen=True)
class FieldInput:
    """A visit type's own field (`--set`) on the page, shown for the visit types that declare it."""

    key: str
    name: str
    label: str
    kind: str
    visits: list[str]
    titles: list[str]


def field_inputs(catalog: Catalog) -> list[FieldInput]:
    found: dict[str, FieldInput] = {}
    for visit in catalog.visits.values():
        for key, spec in visit.fields.items():
            if key not in found:
                found[key] = FieldInput(key, set_input_name(key), spec.label, spec.kind, [], [])
            found[key].visits.append(visit.id)
            found[key].titles.append(visit.title)
    return list(found.values())


def host_allowed(header: str | None, names: frozenset[str]) -> bool:
    """Whether a request's Host header names this server: one of `names`, or an address of this computer.

    DNS rebinding needs a name the attacker controls (`attacker.example`) that their page first
    loads from, then points at this computer: the browser then sends `Host: attacker.example` with
    the attacker's page as the origin. So names are allowed only when listed. An address in Host is
    the browser's own origin for that address, no one else's: it is allowed when it is one of this
    computer's addresses (one a socket can be bound to), so the front desk may type the server's
    address on any of its networks without a list of them to keep up to date.
    """
    found = _HOST.fullmatch(header or "")
    if found is None:
        return False
    host = plain_host(found["v6"] or found["name"])
    return host in names or _is_this_computer(host)


def plain_host(host: str) -> str:
    """A host name or address as compared: no brackets, lower case, no trailing dot."""
    return host.strip("[]").lower().rstrip(".")


def _is_this_computer(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if address.is_unspecified or address.is_multicast:  # 0.0.0.0 and :: are every address, not one
        return False
    with socket.socket(socket.AF_INET6 if address.version == 6 else socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((str(address), 0))
        except OSError:  # EADDRNOTAVAIL: not an address of this computer
            return False
    return True


def create_app(
    practice: Path | None = None,
    *,
    password: str | None = None,
    trusted_hosts: list[str] | None = None,
    schedule: Path | None = None,
    on_network: bool = True,
) -> Flask:
    """The app for one practice folder (None: the built-in sample practice); `schedule`: the day's
    list every browser sees on the Today page until one uploads its own; `on_network`: served on an
    address other than loopback, where approving on the page is off (`serve` says which).

    `trusted_hosts` are the names the Host header may carry besides this computer's addresses (None:
    no check, for tests); `serve` always passes them (see `command.allowed_names`), so a web page
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
    _check_host(app, trusted_hosts)
    CSRFProtect(app)
    _security(app)
    _routes(app)
    add_today_routes(app)
    _errors(app)
    return app


def _check_host(app: Flask, trusted_hosts: list[str] | None) -> None:
    """First of all, before the password and the CSRF check: a Host that is not this server's gets nothing."""
    if trusted_hosts is None:
        return
    names = frozenset(map(plain_host, trusted_hosts))

    @app.before_request
    def this_server_only() -> Response | None:
        if host_allowed(request.headers.get("Host"), names):
            return None
        return Response(
            "This page answers only at the address the handouts tool printed "
            "(to reach it by another name, start it with --allow-host NAME).",
            400,
            mimetype="text/plain",
        )


def _security(app: Flask) -> None:
    @app.before_request
    def require_password() -> Response | None:
        password = settings().password
        if password is None:
            return None
        auth = request.authorization
        given = (auth.password or "") if auth is not None and auth.type == "basic" else ""
        if hmac.compare_digest(given.encode("utf-8"), password.encode("utf-8")):
            return None
        return Response(
            "This page needs the password it was started with.",
            401,
            {"WWW-Authenticate": 'Basic realm="Patient handouts", charset="UTF-8"'},
            mimetype="text/plain",
        )

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.endpoint not in ("static", "asset", "theme"):
            response.headers["Cache-Control"] = "no-store"  # pages and PDFs may carry a patient's name
        return response


def _handout_page(catalog: Catalog, form: HandoutForm, errors: dict[str, str], status: int = 200):
    return (
        render_template(
            "index.html",
            practice=catalog.practice,
            visits=list(catalog.visits.values()),
            surgeons=sorted(catalog.surgeons.values(), key=lambda s: s.name),
            inputs=field_inputs(catalog),
            papers=PAPERS,
            languages=languages(catalog),
            form=form,
            errors=errors,
        ),
        status,
    )


def _surgeon_page(
    catalog: Catalog,
    form: PostOpForm,
    errors: dict[str, str],
    status: int = 200,
    done: str = "",
    failed: str = "postop",
    approval: ApproveForm | None = None,
    new: NewProfileForm | None = None,
):
    """The surgeon page; `errors` belong to the one form that was sent and failed (`failed`), whose
    typed values come back in `form`, `approval` or `new`. Beside each topic, what prints when it is left
    empty: the practice's own text over the built-in starter text."""
    steps = catalog.post_op
    return (
        render_template(
            "surgeon.html",
            practice=catalog.practice,
            surgeons=sorted(catalog.surgeons.values(), key=lambda s: s.name),
            profile=catalog.surgeons.get(form.surgeon),
            topics=POST_OP_TOPICS,
            practice_text={key: getattr(steps, key) for key in POST_OP_TOPICS},
            practice_weeks=steps.follow_up_weeks,
            weeks_name=WEEKS,
            preview_fields=preview_fields(catalog),
            can_save=catalog.search.practice is not None,
            no_practice=NO_PRACTICE,
            drafts=sheet_drafts(catalog, Renderer(catalog), form.surgeon),
            approve_off=approving_off(catalog, settings().on_network),
            approval=approval or ApproveForm.from_profile(catalog, form.surgeon),
            new=new or NewProfileForm(),
            form=form,
            errors=errors,
            failed=failed,
            done=done,
        ),
        status,
    )


def _done(catalog: Catalog, args: Mapping[str, str]) -> str:
    """The line that says what the last form did (after its redirect), from the page's address."""
    profile = catalog.surgeons.get(args.get("id", ""))
    if profile and args.get("saved") == profile.id:
        return f"Saved. These are now {profile.display_name}'s instructions on every post-op sheet."
    if profile and args.get("added") == profile.id:
        return f"Added {profile.display_name} (surgeons/{profile.id}.toml). Write the instructions below and save."
    count = args.get("approved", "")
    if count.isdigit() and int(count):
        texts = "1 text" if count == "1" else f"{count} texts"
        return f"Approved {texts}: recorded in the practice's approvals.toml. They print without the draft mark."
    return ""


def preview_fields(catalog: Catalog) -> dict[str, FieldInput]:
    """The post-op fields a surgeon may fill in to try the preview (procedure, surgery date)."""
    fields = catalog.visits[POST_OP].fields if POST_OP in catalog.visits else {}
    return {k: FieldInput(k, k, fields[k].label, fields[k].kind, [POST_OP], []) for k in PREVIEW_FIELDS if k in fields}


def _batch_page(catalog: Catalog, errors: dict[str, str], status: int = 200):
    return (
        render_template("batch.html", practice=catalog.practice, errors=errors, dates=DATES),
        status,
    )


def dates_choice() -> str | None:
    """The dates' order a form chose: us, eu, or none (only 2026-03-14)."""
    chosen = request.form.get("dates", "")
    return chosen if chosen in DATES else None


def _routes(app: Flask) -> None:
    @app.get("/")
    def index():
        catalog = load_catalog()
        return _handout_page(catalog, HandoutForm.blank(catalog), {})

    @app.post("/handout")
    def handout():
        """The form's target and the contract for scripts: form fields in, application/pdf out."""
        catalog = load_catalog()
        form = HandoutForm.parse(request.form, catalog)
        handout_request, errors = validate(catalog, form)
        if handout_request is None:
            return _handout_page(catalog, form, errors, 400)
        try:
            data = make(catalog, handout_request)
        except UserError as exc:
            return _handout_page(catalog, form, {"form": f"The handout could not be made: {exc}"}, 500)
        download = request.form.get("download", "").lower() in TRUE
        response = pdf_response(data, file_name(handout_request, "pdf"), download)
        warnings = [sentence(w) for w in typed_language_warnings(catalog, handout_request)]
        if warnings:  # shown above the handout on the page (page.js); one ASCII header line
            response.headers["X-Handout-Warnings"] = json.dumps(warnings)
        return response

    @app.get("/surgeon")
    def surgeon():
        catalog = load_catalog()
        chosen = request.args.get("id", "").strip()
        if not chosen and len(catalog.surgeons) == 1:
            chosen = next(iter(catalog.surgeons))
        errors = {}
        if chosen and chosen not in catalog.surgeons:
            errors["surgeon"] = f"There is no profile {chosen!r}: choose one from the list."
        form = PostOpForm.from_profile(catalog, chosen)
        return _surgeon_page(catalog, form, errors, 404 if errors else 200, _done(catalog, request.args))

    @app.route("/surgeon/preview", methods=["GET", "POST"])
    def surgeon_preview():
        """The post-op sheet as it prints (its PDF's pages as pictures), for an <iframe>."""
        catalog = load_catalog()
        if request.method == "POST":
            form = PostOpForm.parse(request.form)
        else:
            form = PostOpForm.from_profile(catalog, request.args.get("id", "").strip())
        steps, errors = instructions(form)
        if steps is None:
            labels = {**POST_OP_TOPICS, WEEKS: "Follow-up visit after (weeks)"}
            problems = [f"{labels.get(key, 'Form')}: {message}" for key, message in errors.items()]
            return render_template("preview_message.html", problems=problems)
        try:
            pages = render_pool().run(catalog.search.practice, preview_pages, form, steps)
        except UserError as exc:
            return render_template("preview_message.html", problems=[str(exc)])
        response = Response(render_template("preview.html", pages=pages), mimetype="text/html")
        response.headers["Content-Security-Policy"] = PREVIEW_CSP
        return response

    @app.post("/surgeon/save")
    def surgeon_save():
        catalog = load_catalog()
        form = PostOpForm.parse(request.form)
        steps, errors = instructions(form)
        if steps is not None:
            try:
                with settings().write_lock:  # a trial print of the sheet first, in a worker
                    render_pool().run(catalog.search.practice, save_defaults, form.surgeon, steps, form.version,
                                      form.base)
            except StaleProfile as exc:  # what was typed stays; saving again now replaces theirs knowingly
                form.version, form.base, errors = exc.version, exc.now, stale_errors(exc)
            except UserError as exc:
                errors = unprintable(form, exc) or {"form": f"Not saved. {sentence(str(exc))}"}
            else:
                return redirect(url_for("surgeon", id=form.surgeon, saved=form.surgeon), 303)
        return _surgeon_page(catalog, form, errors, 400)

    @app.post("/surgeon/approve")
    def surgeon_approve():
        """The ticked drafts approved under the name typed: the record `handouts approve` writes."""
        catalog = load_catalog()
        form = ApproveForm.parse(request.form)
        with settings().write_lock:  # one writer of approvals.toml at a time
            units, errors, status = approve(catalog, form, settings().on_network)
        if errors:
            page = PostOpForm.from_profile(catalog, form.surgeon)
            return _surgeon_page(catalog, page, errors, status, failed="approve", approval=form)
        return redirect(url_for("surgeon", id=form.surgeon, approved=len(units)), 303)

    @app.post("/surgeon/new")
    def surgeon_new():
        catalog = load_catalog()
        form = NewProfileForm.parse(request.form)
        try:
            path, errors = create_profile(catalog, form)
        except UserError as exc:  # written by someone else meanwhile, or the folder is not writable
            path, errors = None, {"form": f"Not added. {sentence(str(exc))}"}
        if path is None:
            return _surgeon_page(catalog, PostOpForm.from_profile(catalog, ""), errors, 400, failed="new", new=form)
        return redirect(url_for("surgeon", id=form.id, added=form.id), 303)

    @app.get("/batch")
    def batch():
        return _batch_page(load_catalog(), {})

    @app.post("/batch")
    def batch_upload():
        """The day's schedule, checked here (a file that cannot be read is said at once), made in a job."""
        catalog = load_catalog()
        upload = request.files.get("schedule")
        if upload is None or not upload.filename:
            return _batch_page(catalog, {"schedule": "Choose the schedule file first."}, 400)
        data, name = upload.read(), f"schedule{schedule_suffix(upload.filename)}"
        try:
            parse_schedule(data, Path(name))
        except UserError as exc:
            return _batch_page(catalog, {"schedule": sentence(str(exc))}, 400)
        day = Day(name, data, request.form.get("dates") or None, request.form.get("separator") in TRUE)
        return redirect(url_for("batch_result", key=start_job(day).key), 303)

    @app.post("/batch/<key>/dates")
    def batch_dates(key: str):
        """The same schedule again with the dates' order chosen: the fix for a schedule-wide mistake."""
        job = own_job(key)
        spec = json.loads((job.folder / "job.json").read_text(encoding="utf-8"))
        day = Day(spec["name"], (job.folder / "schedule").read_bytes(), dates_choice(), spec["separator"])
        return redirect(url_for("batch_result", key=start_job(day).key), 303)

    @app.get("/batch/<key>")
    def batch_result(key: str):
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

    @app.get("/batch/<key>/status.json")
    def batch_status(key: str):
        return jsonify(own_job(key).as_json())

    @app.get("/batch/<key>/handouts.pdf")
    def batch_pdf(key: str):
        job = settings().jobs.get(key, browser_session())
        if job is None or job.pdf is None:
            abort(404, "This print file is gone: upload the schedule again.")
        if request.args.get("download") == "1":
            give_batch(job)  # shown on the page it is not given yet: downloaded (or printed, below) it is
        response = send_file(job.pdf, mimetype="application/pdf", max_age=0)
        kind = "attachment" if request.args.get("download") == "1" else "inline"
        response.headers["Content-Disposition"] = f'{kind}; filename="handouts.pdf"'
        return response

    @app.post("/batch/<key>/given")
    def batch_given(key: str):
        """The day's print file printed from the page (its Print button): its handouts given. Without
        JavaScript, the print file opens next, to print from the browser's viewer."""
        job = own_job(key, "This print file is gone: upload the schedule again.")
        if job.pdf is None:
            abort(404, "This print file is gone: upload the schedule again.")
        give_batch(job)
        if request.accept_mimetypes.best == "application/json":
            return jsonify({"given": True})
        return redirect(url_for("batch_pdf", key=key), 303)

    @app.get("/batch/<key>/errors.csv")
    def batch_errors(key: str):
        job = own_job(key, "This report is gone: upload the schedule again.")
        response = Response(job.errors_csv, mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="errors.csv"'
        return response

    @app.get("/assets/<path:name>")
    def asset(name: str):
        """A handout's own asset (logo, fonts), for the preview and the page: only what the fetcher would serve."""
        search = load_catalog().search
        path = search.find("assets", name)
        if path is None:
            abort(404, "No such file.")
        mime = mime_type(path)
        response = send_file(io.BytesIO(search.read(path)), mimetype=mime, max_age=3600)  # as its snapshot took it
        response.headers["Content-Security-Policy"] = ASSET_CSP
        return response

    @app.get("/theme.css")
    def theme():
        """The practice's colours for the page (validated hex values, so safe in CSS)."""
        colors = load_catalog().practice.colors
        css = f":root {{ --brand: {colors.primary}; --accent: {colors.accent}; }}\n"
        return Response(css, mimetype="text/css", headers={"Cache-Control": "no-cache"})


def _errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError):
        """A stale or missing token: the form again with its values, ready to send once more."""
        message = (
            "This page was opened before the handouts tool was restarted, or the form came from elsewhere. "
            "Check the form and press the button again."
        )
        catalog = load_catalog()
        if request.endpoint == "handout":
            return _handout_page(catalog, HandoutForm.parse(request.form, catalog), {"form": message}, 400)
        if request.endpoint == "surgeon_save":
            return _surgeon_page(catalog, PostOpForm.parse(request.form), {"form": message}, 400)
        if request.endpoint == "surgeon_approve":
            form = ApproveForm.parse(request.form)
            page = PostOpForm.from_profile(catalog, form.surgeon)
            return _surgeon_page(catalog, page, {"form": message}, 400, failed="approve", approval=form)
        if request.endpoint == "surgeon_new":
            page, form = PostOpForm.from_profile(catalog, ""), NewProfileForm.parse(request.form)
            return _surgeon_page(catalog, page, {"form": message}, 400, failed="new", new=form)
        if request.endpoint == "surgeon_preview":
            return render_template("preview_message.html", problems=[message]), 400
        if request.endpoint == "batch_upload":
            return _batch_page(catalog, {"schedule": message}, 400)
        if (request.endpoint or "").startswith("today"):
            return redirect(url_for("today", changed=1), 303)  # the list as it is now, and a fresh token
        return _message("The form could not be sent", message, 400)

    @app.errorhandler(UserError)
    def practice_problem(exc: UserError):
        return _message("The practice settings have a problem", f"{exc}. Tell whoever looks after them.", 500)

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
