"""One patient's handout request, checked before anything is rendered.

Every interface (command line, schedule row, web form) builds a `Request` through `build_request`,
so a name or date is judged the same way everywhere, and bounded before it reaches the renderer.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from .catalog import Catalog
from .errors import UserError
from .models import VisitType

MAX_NAME = 150
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Request:
    visit: VisitType
    patient: str
    visit_date: date
    fields: dict[str, str | date] = field(default_factory=dict)
    paper: str | None = None
    large_print: bool = False


def parse_date(text: str, what: str) -> date:
    """A calendar date written YYYY-MM-DD, or a UserError saying so."""
    text = text.strip()
    if _DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise UserError(f"{what} {text!r} is not a real date: write it as YYYY-MM-DD, e.g. 2026-03-14")


def clean_text(text: str, what: str, limit: int) -> str:
    """Trimmed text with no control characters, at most `limit` characters, never empty."""
    text = " ".join(text.split())
    if not text:
        raise UserError(f'{what} is empty: give it, e.g. --patient "Maria Lopez"')
    if len(text) > limit:
        raise UserError(f"{what} is {len(text)} characters long; the most allowed is {limit}")
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") for ch in text):
        raise UserError(f"{what} contains a control or unassigned character: retype it")
    return text


def build_request(
    catalog: Catalog,
    visit_id: str,
    patient: str,
    visit_date: str | date | None,
    sets: dict[str, str] | None = None,
    paper: str | None = None,
    large_print: bool = False,
) -> Request:
    """Validate raw values into a Request; the first problem found is raised as a UserError."""
    visit = catalog.visit(visit_id)
    name = clean_text(patient, "the patient name", MAX_NAME)
    if visit_date is None:
        when = date.today()
    elif isinstance(visit_date, date):
        when = visit_date
    else:
        when = parse_date(visit_date, "the date")
    fields: dict[str, str | date] = {}
    for key, raw in (sets or {}).items():
        spec = visit.fields.get(key)
        if spec is None:
            valid = ", ".join(sorted(visit.fields)) or "none"
            raise UserError(f"the {visit.id} handout has no field {key!r}; its fields are: {valid}")
        if spec.kind == "date":
            fields[key] = parse_date(raw, f"{key}")
        else:
            fields[key] = clean_text(raw, key, spec.max_length)
    return Request(visit, name, when, fields, paper, large_print)
