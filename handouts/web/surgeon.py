"""The surgeons' page: a surgeon's post-op instructions edited, previewed as they print, saved and approved."""

from collections.abc import Mapping

from flask import Blueprint, Response, redirect, render_template, request, url_for

from ..base.errors import UserError
from ..config.catalog import Catalog
from ..render.renderer import Renderer
from ..runs.pool import render_pool, with_catalog
from .drafts import ApproveForm, approve, approving_off, sheet_drafts
from .forms import FieldInput, sentence
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
from .security import PREVIEW_CSP
from .shared import load_catalog, settings

bp = Blueprint("surgeon", __name__)


def sheet_page(
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


@bp.get("/surgeon")
def page():
    catalog = load_catalog()
    chosen = request.args.get("id", "").strip()
    if not chosen and len(catalog.surgeons) == 1:
        chosen = next(iter(catalog.surgeons))
    errors = {}
    if chosen and chosen not in catalog.surgeons:
        errors["surgeon"] = f"There is no profile {chosen!r}: choose one from the list."
    form = PostOpForm.from_profile(catalog, chosen)
    return sheet_page(catalog, form, errors, 404 if errors else 200, _done(catalog, request.args))


@bp.route("/surgeon/preview", methods=["GET", "POST"])
def preview():
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
        pages = render_pool().run(with_catalog, catalog.search.practice, preview_pages, form, steps)
    except UserError as exc:
        return render_template("preview_message.html", problems=[str(exc)])
    response = Response(render_template("preview.html", pages=pages), mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    return response


@bp.post("/surgeon/save")
def save():
    catalog = load_catalog()
    form = PostOpForm.parse(request.form)
    steps, errors = instructions(form)
    if steps is not None:
        try:
            with settings().write_lock:  # a trial print of the sheet first, in a worker
                render_pool().run(
                    with_catalog, catalog.search.practice, save_defaults, form.surgeon, steps, form.version, form.base
                )
        except StaleProfile as exc:  # what was typed stays; saving again now replaces theirs knowingly
            form.version, form.base, errors = exc.version, exc.now, stale_errors(exc)
        except UserError as exc:
            errors = unprintable(form, exc) or {"form": f"Not saved. {sentence(str(exc))}"}
        else:
            return redirect(url_for("surgeon.page", id=form.surgeon, saved=form.surgeon), 303)
    return sheet_page(catalog, form, errors, 400)


@bp.post("/surgeon/approve")
def approve_texts():
    """The ticked drafts approved under the name typed: the record `handouts approve` writes."""
    catalog = load_catalog()
    form = ApproveForm.parse(request.form)
    with settings().write_lock:  # one writer of approvals.toml at a time
        units, errors, status = approve(catalog, form, settings().on_network)
    if errors:
        page = PostOpForm.from_profile(catalog, form.surgeon)
        return sheet_page(catalog, page, errors, status, failed="approve", approval=form)
    return redirect(url_for("surgeon.page", id=form.surgeon, approved=len(units)), 303)


@bp.post("/surgeon/new")
def new():
    catalog = load_catalog()
    form = NewProfileForm.parse(request.form)
    try:
        path, errors = create_profile(catalog, form)
    except UserError as exc:  # written by someone else meanwhile, or the folder is not writable
        path, errors = None, {"form": f"Not added. {sentence(str(exc))}"}
    if path is None:
        return sheet_page(catalog, PostOpForm.from_profile(catalog, ""), errors, 400, failed="new", new=form)
    return redirect(url_for("surgeon.page", id=form.id, added=form.id), 303)
