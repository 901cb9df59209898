"""The surgeon page's drafts: which texts of a surgeon's sheets print with the draft mark, and approving them.

The list is `handouts check`'s (`unapproved`, with its reasons), narrowed to the sheets this
surgeon's patients get; an approval is the record `handouts approve` writes (`approvals.record`),
so the page and the command keep one file the same way. Each ticked text carries the version the
page showed: a text that changed since (someone saved it) is not approved unread.

Who approves is proven, not typed: the name must be an approver's of approvers.toml, with their own
secret, and the record carries the name and role from that file (approvers.py). And only where the
page is served on this computer (loopback): on a network address the secret would cross the
network in the clear, so approving on the page is off there until the page has accounts.
"""

from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from ..compose.request import build_request
from ..config import approvals, approvers
from ..config.catalog import Catalog
from ..quality.check import unapproved
from ..render.renderer import Renderer
from ..render.versions import Unit, handout_units
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
    """The approval form as typed: who approves, their secret, the ticked texts and the confirmation."""

    surgeon: str = ""
    by: str = ""
    secret: str = field(default="", repr=False)  # never shown again on the page
    chosen: list[str] = field(default_factory=list)
    confirmed: bool = False

    @classmethod
    def from_profile(cls, catalog: Catalog, surgeon: str) -> "ApproveForm":
        """Prefilled with the surgeon's name (blank for the practice's defaults)."""
        profile = catalog.surgeons.get(surgeon)
        return cls(surgeon, profile.name) if profile else cls()

    @classmethod
    def parse(cls, form: MultiDict) -> "ApproveForm":
        return cls(
            surgeon=form.get("surgeon", "").strip(),
            by=form.get("by", ""),
            secret=form.get("secret", ""),
            chosen=list(dict.fromkeys(form.getlist("unit"))),
            confirmed=form.get("confirm") == "yes",
        )


NETWORK_OFF = (
    "Approving on this page is off while the page is served on the network: open it on the computer that runs "
    "it (http://127.0.0.1), or approve there with handouts approve"
)
NO_APPROVERS = (
    "Approving on this page needs an approver's own secret, and this practice has no approvers yet: on the "
    'computer that runs the page, add one with handouts approver --by "NAME, ROLE" --practice FOLDER'
)
NOT_AN_APPROVER = "The name and approval secret do not match an approver of this practice (approvers.toml)."


def approving_off(catalog: Catalog, on_network: bool) -> str | None:
    """Why the page cannot take approvals at all, or None."""
    if catalog.search.practice is None:
        return None  # said as for saving (NO_PRACTICE)
    if on_network:
        return NETWORK_OFF
    if not approvers.load(catalog.search.practice):
        return NO_APPROVERS
    return None


def sheet_drafts(catalog: Catalog, renderer: Renderer, surgeon: str) -> list[Draft]:
    """The drafts of the post-op sheet and of every sheet the surgeon set module choices for."""
    profile = catalog.surgeons.get(surgeon)
    visits = dict.fromkeys([POST_OP, *(profile.visits if profile else ())])
    chosen = surgeon if profile else None
    ids: set[str] = set()
    for visit in (v for v in visits if v in catalog.visits):
        ids.update(handout_units(build_request(catalog, visit, PREVIEW_PATIENT, None, surgeon=chosen)))
    return [Draft(unit, reason) for unit, reason in unapproved(catalog, renderer) if unit.id in ids]


def approve(catalog: Catalog, form: ApproveForm, on_network: bool) -> tuple[list[Unit], dict[str, str], int]:
    """Record the ticked texts as approved under the approver's name and role, or a message per field,
    the HTTP status (403: not an approver here), and nothing written."""
    practice = catalog.search.practice
    if practice is None:
        return [], {"form": f"Nothing approved. {sentence(NO_PRACTICE)}"}, 400
    off = approving_off(catalog, on_network)
    if off:
        return [], {"form": f"Nothing approved. {sentence(off)}"}, 403
    approver = approvers.verify(approvers.load(practice), form.by, form.secret)
    if approver is None:
        return [], {"secret": NOT_AN_APPROVER}, 403
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
    if errors:
        return [], errors, 400
    units = [drafts[value] for value in form.chosen]
    approvals.record(practice, units, approver.by, approver.role)
    return units, {}, 200
