"""The surgeon page's drafts: which texts of a surgeon's sheets print with the draft mark, and approving them.

The list is `handouts check`'s (`unapproved`, with its reasons), narrowed to the sheets this
surgeon's patients get; an approval is the record `handouts approve` writes (`approvals.record`),
so the page and the command keep one file the same way. Each ticked text carries the version the
page showed: a text that changed since (someone saved it) is not approved unread.
"""

from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from .. import approvals
from ..catalog import Catalog
from ..check import unapproved
from ..errors import UserError
from ..render import Renderer
from ..request import MAX_NAME, build_request, clean_text
from ..versions import Unit, handout_units
from .forms import sentence
from .profiles import NO_PRACTICE, POST_OP, PREVIEW_PATIENT


@dataclass(frozen=True)
class Draft:
    """A text of the surgeon's sheets that prints with the draft mark, why, and what the form sends for it."""

    unit: Unit
    reason: str

    @property
    def value(self) -> str:
        return f"{self.unit.id}={self.unit.version}"


@dataclass
class ApproveForm:
    """The approval form as typed: who approves, in what role, the ticked texts and the confirmation."""

    surgeon: str = ""
    by: str = ""
    role: str = ""
    chosen: list[str] = field(default_factory=list)
    confirmed: bool = False

    @classmethod
    def from_profile(cls, catalog: Catalog, surgeon: str) -> "ApproveForm":
        """Prefilled with the surgeon's name and credentials (blank for the practice's defaults)."""
        profile = catalog.surgeons.get(surgeon)
        return cls(surgeon, profile.name, profile.credentials or "") if profile else cls()

    @classmethod
    def parse(cls, form: MultiDict) -> "ApproveForm":
        return cls(
            surgeon=form.get("surgeon", "").strip(),
            by=form.get("by", ""),
            role=form.get("role", ""),
            chosen=list(dict.fromkeys(form.getlist("unit"))),
            confirmed=form.get("confirm") == "yes",
        )


def sheet_drafts(catalog: Catalog, renderer: Renderer, surgeon: str) -> list[Draft]:
    """The drafts of the post-op sheet and of every sheet the surgeon set module choices for."""
    profile = catalog.surgeons.get(surgeon)
    visits = dict.fromkeys([POST_OP, *(profile.visits if profile else ())])
    chosen = surgeon if profile else None
    ids: set[str] = set()
    for visit in (v for v in visits if v in catalog.visits):
        ids.update(handout_units(build_request(catalog, visit, PREVIEW_PATIENT, None, surgeon=chosen)))
    return [Draft(unit, reason) for unit, reason in unapproved(catalog, renderer) if unit.id in ids]


def approve(catalog: Catalog, form: ApproveForm) -> tuple[list[Unit], dict[str, str]]:
    """Record the ticked texts as approved, or a message per field and nothing written."""
    practice = catalog.search.practice
    if practice is None:
        return [], {"form": f"Nothing approved. {sentence(NO_PRACTICE)}"}
    drafts = {draft.value: draft.unit for draft in sheet_drafts(catalog, Renderer(catalog), form.surgeon)}
    errors: dict[str, str] = {}
    stale = [value.partition("=")[0] for value in form.chosen if value not in drafts]
    if not form.chosen:
        errors["units"] = "Tick each text you have read and approve."
    elif stale:
        errors["units"] = (
            f"{', '.join(stale)}: changed or approved since this page was opened. Read the list again, then approve."
        )
    if not form.confirmed:
        errors["confirm"] = "Confirm that you have read the text: tick the box."
    cleaned: dict[str, str] = {}
    for key, what in (("by", "your name"), ("role", "your role")):
        try:
            cleaned[key] = clean_text(getattr(form, key), what, MAX_NAME)
        except UserError as exc:
            errors[key] = sentence(str(exc))
    if errors:
        return [], errors
    units = [drafts[value] for value in form.chosen]
    approvals.record(practice, units, cleaned["by"], cleaned["role"])
    return units, {}
