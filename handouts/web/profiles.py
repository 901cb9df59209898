"""A surgeon's post-op instructions on the page: edit, preview the sheet as it prints, save.

The preview renders through a copy of the catalog whose surgeon profile (or, with no profile
chosen, the practice's defaults) carries the edited text, so it is the real sheet and nothing is
written; it shows the sheet's PDF, page by page, as pictures. Each topic is held to the rules
`make` holds typed text to (`clean_text`: no control characters). Saving changes only
`[post_op]` of the surgeon's own file, after the whole profile validates and the sheet prints as
`make` will print it (a character the fonts lack, such as an emoji, stops that print), through
the atomic writer, keeping the file's comments and layout. A new profile is the starter's example
with the surgeon's name, credentials and phone, never written over an existing file.
"""

import base64
import dataclasses
import hashlib
import io
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2
import tomlkit
from pydantic import TypeAdapter, ValidationError
from tomlkit.items import Table
from werkzeug.datastructures import MultiDict

from ..base.errors import UserError
from ..base.output import write_atomic
from ..compose.request import MAX_NAME, Request, build_request, clean_text
from ..config import glyphs
from ..config.catalog import Catalog
from ..config.loading import read_toml, validate
from ..config.models import POST_OP_TOPICS, Ident, LongText, PostOpInstructions, Surgeon
from ..engine.build import Builder
from ..engine.pdf import UnprintableText, html_to_pdf
from ..inputs.practice_folder import STARTER
from ..inputs.searchpath import SearchPath
from ..render.renderer import Renderer
from .forms import sentence

POST_OP = "post-op"
WEEKS = "follow_up_weeks"
PREVIEW_PATIENT = "Sample Patient"
PREVIEW_FIELDS = ("procedure", "surgery_date")  # per-patient fields a surgeon may try in the preview
TOPIC_LIMIT = LongText.__metadata__[0].max_length
NO_PRACTICE = (
    "saving, approving and adding a profile need a practice folder: start the page with --practice DIR "
    "(or set HANDOUTS_PRACTICE) and keep your profile in DIR/surgeons/ID.toml"
)


@dataclass
class PostOpForm:
    """The post-op form as typed: one text per topic, the follow-up interval, preview-only fields,
    and, for a save, the profile file as the page was opened: its version (a hash of its bytes)
    and its instructions then (`base`), so a save over someone else's newer one is refused and
    what they changed is shown (see `save_defaults`)."""

    surgeon: str = ""
    topics: dict[str, str] = field(default_factory=dict)
    weeks: str = ""
    preview: dict[str, str] = field(default_factory=dict)
    version: str = ""
    base: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_profile(cls, catalog: Catalog, surgeon: str) -> "PostOpForm":
        """The surgeon's own text (blank where the practice's default or the generic line applies)."""
        profile = catalog.surgeons.get(surgeon)
        steps = profile.post_op if profile else catalog.practice.post_op
        folder = catalog.search.practice_dir("surgeons")
        as_typed = form_values(steps)
        return cls(
            surgeon=surgeon if profile else "",
            topics={key: as_typed[key] for key in POST_OP_TOPICS},
            weeks=as_typed[WEEKS],
            version=profile_version(folder / f"{surgeon}.toml") if profile and folder else "",
            base=as_typed if profile else {},
        )

    @classmethod
    def parse(cls, form: MultiDict) -> "PostOpForm":
        return cls(
            surgeon=form.get("surgeon", "").strip(),
            # a browser sends a textarea's lines as CRLF: kept as typed lines, saved as plain newlines
            topics={key: form.get(key, "").replace("\r\n", "\n") for key in POST_OP_TOPICS},
            weeks=form.get(WEEKS, "").strip(),
            preview={key: form.get(key, "").strip() for key in PREVIEW_FIELDS},
            version=form.get("version", "").strip(),
            base=_base(form.get("base", "")),
        )

    @property
    def base_field(self) -> str:
        """`base` for the page's hidden field: JSON in base64, so the text is kept whole (line breaks
        too) and is found on the page once, in its textarea."""
        return base64.b64encode(json.dumps(self.base).encode()).decode("ascii")


def form_values(steps: PostOpInstructions) -> dict[str, str]:
    """Instructions as the form shows them: each topic's text, and the weeks, "" where not set."""
    return {**{key: getattr(steps, key) or "" for key in POST_OP_TOPICS}, WEEKS: str(steps.follow_up_weeks or "")}


def _base(sent: str) -> dict[str, str]:
    """The page's copy of the instructions as it opened; anything else (a page from before versions) is none."""
    try:
        data = json.loads(base64.b64decode(sent, validate=True)) if sent else {}
    except ValueError:  # binascii.Error and a JSON or UTF-8 error are all ValueErrors
        return {}
    keys = [*POST_OP_TOPICS, WEEKS]
    return {key: data[key] for key in keys if isinstance(data, dict) and isinstance(data.get(key), str)}


def profile_version(path: Path) -> str:
    """The profile file's version, as the page holds it: a hash of its bytes ("" when it is not there)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:32]
    except OSError:
        return ""


class StaleProfile(UserError):
    """A save from a page opened before someone else saved the same profile: `now` is the
    instructions as saved meanwhile, `changed` the keys they changed, `version` the file's version."""

    def __init__(self, message: str, now: dict[str, str], changed: list[str], version: str) -> None:
        super().__init__(message)
        self.now, self.changed, self.version = now, changed, version

    def __reduce__(self) -> tuple:  # whole across a process boundary (the page's render workers)
        return type(self), (str(self), self.now, self.changed, self.version)


def stale_errors(exc: StaleProfile) -> dict[str, str]:
    """What the page says of a refused stale save: above the form, and beside each topic changed meanwhile."""
    labels = {**POST_OP_TOPICS, WEEKS: "Follow-up visit"}
    errors = {"form": f"Not saved. {sentence(str(exc))}"}
    for key in exc.changed:
        saved = exc.now.get(key, "")
        errors[key] = (
            f"Changed since you opened this page. Saved now: “{saved}” Yours is below: keep what you want, then save."
            if saved
            else "Changed since you opened this page: saved now as left empty. Yours is below."
        )
    errors["form"] += " Changed: " + ", ".join(labels[key] for key in exc.changed) + "."
    return errors


def instructions(form: PostOpForm) -> tuple[PostOpInstructions | None, dict[str, str]]:
    """The validated instructions, or a message per field; an empty topic means 'not set'."""
    errors: dict[str, str] = {}
    data: dict[str, object] = {key: text.strip() for key, text in form.topics.items() if text.strip()}
    if form.weeks:
        if re.fullmatch(r"\d{1,3}", form.weeks):
            data[WEEKS] = int(form.weeks)
        else:
            errors[WEEKS] = "Write a whole number of weeks, e.g. 2, or leave it empty."
    try:
        steps = PostOpInstructions.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            errors.setdefault(str(err["loc"][0]) if err["loc"] else "form", _message(err))
        return None, errors
    for key, text in data.items():
        if isinstance(text, str):
            try:
                clean_text(text, "this text", TOPIC_LIMIT, keep_lines=True)  # as `make` checks typed text
            except UserError as exc:
                errors[key] = sentence(str(exc))
    return (None, errors) if errors else (steps, {})


def unprintable(form: PostOpForm, exc: UserError) -> dict[str, str]:
    """A message beside each topic that holds a character the sheet could not print (none: not that)."""
    chars = exc.chars if isinstance(exc, UnprintableText) else ""
    errors = {}
    for key, text in form.topics.items():
        found = "".join(dict.fromkeys(c for c in text if c in chars))
        if found:
            codes = ", ".join(f"{c} (U+{ord(c):04X})" for c in found)
            errors[key] = f"The printed sheet cannot show {codes}: remove it, or say it in words."
    return errors


def _message(err: dict) -> str:
    """pydantic's message for one field, in the words of the page."""
    limit = (err.get("ctx") or {}).get("max_length")
    if err["type"] == "string_too_long" and limit:
        return f"This is {len(err['input'])} characters long; the most allowed is {limit}. Shorten it."
    if err["type"] in ("greater_than_equal", "less_than_equal"):
        return "Use a number of weeks from 1 to 52, or leave it empty."
    if err["type"] == "value_error":  # the text's own check (chars.py), said as `make` says it
        return sentence("this text " + str(err["msg"]).removeprefix("Value error, "))
    return str(err["msg"]).removeprefix("Value error, ")


def with_instructions(catalog: Catalog, surgeon: str, steps: PostOpInstructions) -> Catalog:
    """A copy of the catalog in which `surgeon` (or the practice, when none) has these instructions, made
    from a copy of its snapshot whose profile (or practice.toml) holds them as saving would write them:
    a copy with an id of its own, which no kept builder or record takes for the practice as saved."""
    if surgeon:
        if surgeon not in catalog.surgeons:
            known = ", ".join(sorted(catalog.surgeons)) or "none"
            raise UserError(f"unknown surgeon {surgeon!r}; known surgeons: {known}")
        path = catalog.search.names("surgeons", ".toml")[surgeon]
        edited = catalog.surgeons[surgeon].model_copy(update={"post_op": steps})
        copy = dataclasses.replace(catalog, surgeons={**catalog.surgeons, surgeon: edited})
    else:
        path = catalog.search.practice_file
        copy = dataclasses.replace(catalog, practice=catalog.practice.model_copy(update={"post_op": steps}))
    files = catalog.snapshot.with_file(path, with_post_op(catalog.search.text(path), steps).encode("utf-8"))
    return dataclasses.replace(copy, snapshot=files, search=SearchPath.of(files.view(catalog.lang)))


def with_post_op(text: str, steps: PostOpInstructions) -> str:
    """A profile's (or practice.toml's) TOML `text` with `[post_op]` holding exactly these instructions,
    its comments and layout kept."""
    profile = tomlkit.parse(text)
    if not isinstance(profile.get("post_op"), Table):
        profile["post_op"] = tomlkit.table()
    set_keys(profile["post_op"], steps.model_dump(exclude_none=True))
    return tomlkit.dumps(profile)


def post_op_sheet(
    catalog: Catalog, surgeon: str, steps: PostOpInstructions, sets: dict[str, str] | None = None
) -> tuple[Catalog, Request]:
    """The post-op sheet with these instructions, for a sample patient: what the preview shows and
    what a save prints first."""
    if POST_OP not in catalog.visits:
        raise UserError(f"this practice has no '{POST_OP}' visit type to preview")
    edited = with_instructions(catalog, surgeon, steps)
    return edited, build_request(edited, POST_OP, PREVIEW_PATIENT, None, sets=sets, surgeon=surgeon or None)


@dataclass(frozen=True)
class PreviewPage:
    """One page of the sheet as it prints: its picture (a PNG data: URI) and its text, for screen readers."""

    image: str
    text: str


PREVIEW_SCALE = 1.5  # pixels a point: 918 pixels across a letter page, sharp at the preview's width


def preview_pages(catalog: Catalog, form: PostOpForm, steps: PostOpInstructions) -> list[PreviewPage]:
    """The post-op sheet as it prints: its PDF, from the one build path, page by page as pictures.
    Not HTML in the browser: only the PDF has the page numbers ("read the box on page 3"), the
    running header and footer and the page breaks as printed. Runs in a render worker (pool.py):
    WeasyPrint, and PDFium, which draws the pages, are not made for concurrent use in threads."""
    fields = catalog.visits[POST_OP].fields if POST_OP in catalog.visits else {}
    sets = {key: value for key, value in form.preview.items() if value and key in fields}
    edited, request = post_op_sheet(catalog, form.surgeon, steps, sets)
    data = Builder(Renderer(edited)).pdf(request, gate=False)
    document = pypdfium2.PdfDocument(data)
    pages = []
    try:
        for page in document:
            buffer = io.BytesIO()
            page.render(scale=PREVIEW_SCALE).to_pil().save(buffer, "PNG")
            text = " ".join(page.get_textpage().get_text_range().split())
            pages.append(PreviewPage(f"data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}", text))
    finally:
        document.close()
    return pages


def save_defaults(
    catalog: Catalog, surgeon: str, steps: PostOpInstructions, version: str = "", base: dict[str, str] | None = None
) -> Path:
    """Write the instructions into the surgeon's profile; refused without a practice folder, when
    the sheet cannot be printed with them, or when the file changed since the page was opened
    (`version`) and someone else's instructions (changed from `base`) would be written over
    (StaleProfile). Runs in a render worker (a PDF is built), one save at a time."""
    folder = catalog.search.practice_dir("surgeons")
    if folder is None:
        raise UserError(NO_PRACTICE)
    if surgeon not in catalog.surgeons:
        raise UserError("choose your profile first, or add one below")
    path = folder / f"{surgeon}.toml"
    read_toml(path)  # a file that no longer reads is reported as `make` reports it
    _check_fresh(path, surgeon, version, base or {})
    text = with_post_op(path.read_text(encoding="utf-8"), steps)
    validate(Surgeon, {**tomllib.loads(text), "id": surgeon}, path)  # the whole profile, as Catalog.load reads it
    # A trial print of the whole sheet, with the fonts and styles `make` uses: what would fail at the
    # front desk fails here. Not through `make`: it is no handout given (nothing recorded), and new
    # text awaits approval anyway, so the approval gate is not asked.
    edited, sample = post_op_sheet(catalog, surgeon, steps)
    html_to_pdf(Renderer(edited).preview_html(sample), edited.search, sample.pdf_variant)
    write_atomic(path, text.encode("utf-8"), mode=0o644)
    return path


def _check_fresh(path: Path, surgeon: str, version: str, base: dict[str, str]) -> None:
    """Refuse a save from a page opened before the file last changed, if the instructions changed
    meanwhile: both people would be told "Saved" and one's edit lost. A change elsewhere in the
    file (a phone number, say) is kept anyway, since only [post_op] is written."""
    now_version = profile_version(path)
    if not version or version == now_version:  # no version: a form from a page older than versions
        return
    now = form_values(validate(Surgeon, {**read_toml(path), "id": surgeon}, path).post_op)
    changed = [key for key in now if now[key] != base.get(key, "")]
    if changed:
        raise StaleProfile(
            "someone saved this profile after you opened this page (in another window or on another computer); "
            "what they saved is shown beside each topic they changed",
            now,
            changed,
            now_version,
        )


def set_keys(table: Table, values: dict[str, Any]) -> None:
    """Make `table` hold exactly `values`, in place: a kept key stays where it is with its comment,
    a new one goes after the last key (at the top of a table of comments only), and the comments stay."""
    for key in [key for key in table if key not in values]:
        del table[key]
    for key, value in values.items():
        item = tomlkit.item(value)
        if isinstance(value, str) and "\n" in value and "\r" not in value:
            item = tomlkit.string(value, multiline=True)  # the lines as typed, readable in the file
        if key in table:
            table[key] = item
        else:
            body = table.value.body
            last = max((i for i, (name, _) in enumerate(body) if name is not None), default=-1)
            if last + 1 < len(body):
                table.value._insert_at(last + 1, key, item)  # tomlkit's own insert; `add` would go after the comments
            else:  # nothing after the last key, or an empty table (tomlkit inserts only before an item)
                table.append(key, item)


# A new profile's fields besides its ID, each with the words its messages use; only the name is required.
PROFILE_FIELDS = {"name": "the name", "credentials": "the credentials", "phone": "the phone number"}


@dataclass
class NewProfileForm:
    """A new surgeon profile as typed: the ID (its file name and `--surgeon`) and PROFILE_FIELDS by key."""

    id: str = ""
    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: MultiDict) -> "NewProfileForm":
        return cls(form.get("new_id", "").strip(), {key: form.get(f"new_{key}", "").strip() for key in PROFILE_FIELDS})


NEW_ID = "Use lower-case letters, digits and hyphens (at most 41), starting with a letter or digit, e.g. lee or a-lee."


def create_profile(catalog: Catalog, form: NewProfileForm) -> tuple[Path | None, dict[str, str]]:
    """PRACTICE/surgeons/ID.toml from the starter's example, or a message per field (`new_id`, ...)."""
    folder = catalog.search.practice_dir("surgeons")
    if folder is None:
        return None, {"form": f"Not added. {sentence(NO_PRACTICE)}"}
    errors: dict[str, str] = {}
    try:
        TypeAdapter(Ident).validate_python(form.id)
    except ValidationError:
        errors["new_id"] = NEW_ID
    else:
        if (folder / f"{form.id}.toml").exists() or form.id in catalog.surgeons:
            errors["new_id"] = f"There is already a profile {form.id!r}: open it above, or choose another ID."
    values: dict[str, str] = {}
    fonts = glyphs.handout_fonts(catalog.search, catalog.practice)
    for key, what in PROFILE_FIELDS.items():
        text = form.values.get(key, "")
        if not text and key != "name":
            continue
        try:
            values[key] = clean_text(text, what, MAX_NAME)
        except UserError as exc:
            errors[f"new_{key}"] = sentence(str(exc))
            continue
        missing = glyphs.unprintable(values[key], fonts, catalog.search)
        if missing:  # it would print on every one of the surgeon's handouts: none could be made
            cannot = glyphs.describe(missing)
            errors[f"new_{key}"] = f"The handouts cannot print {cannot}: remove it, or say it in words."
    if errors:
        return None, errors
    profile = tomlkit.parse((STARTER / "surgeons" / "example.toml").read_text(encoding="utf-8"))
    for key in PROFILE_FIELDS:
        if key in values:
            profile[key] = values[key]
        else:
            del profile[key]  # the example's placeholder would print on every handout
    text = tomlkit.dumps(profile)
    path = folder / f"{form.id}.toml"
    validate(Surgeon, {**tomllib.loads(text), "id": form.id}, path)
    folder.mkdir(exist_ok=True)
    write_atomic(path, text.encode("utf-8"), mode=0o644, replace=False)
    return path, {}
