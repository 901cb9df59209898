"""The handout form: raw fields in, a validated `Request` or messages keyed by field out.

`build_request` stops at the first problem with one line of text. The page shows every problem
beside its own field, so each field is checked by calling `build_request` with that field alone
(the others set to known-good values): the rules stay in one place, the request module.
"""

from dataclasses import dataclass, field
from datetime import date

from werkzeug.datastructures import MultiDict

from ..base.errors import UserError
from ..base.i18n import LANGUAGES
from ..compose.request import Request, build_request
from ..config.catalog import Catalog
from ..runs.rows import TRUE  # the same yes-words as a schedule's large_print column

PAPERS = {"letter": "US Letter", "a4": "A4"}
# Form fields of the page itself; a visit type's own field with one of these names is posted as `set.NAME`.
RESERVED = frozenset({"visit", "patient", "date", "surgeon", "paper", "large_print", "lang", "note", "csrf_token"})
PROBE_NAME = "A Patient"  # a valid name, so other fields can be checked on their own


def set_input_name(key: str) -> str:
    """The form field name for a visit type's field `key` (`--set key=...` on the command line)."""
    return f"set.{key}" if key in RESERVED else key


@dataclass
class HandoutForm:
    """What the front desk typed, kept as text so the page can show it again unchanged."""

    visit: str = ""
    patient: str = ""
    date: str = ""
    surgeon: str = ""
    paper: str = ""
    large_print: bool = False
    lang: str = ""
    note: str = ""
    values: dict[str, str] = field(default_factory=dict)  # visit-type fields, by field name

    @classmethod
    def blank(cls, catalog: Catalog) -> "HandoutForm":
        return cls(date=date.today().isoformat(), paper=catalog.practice.paper, lang=catalog.practice.language)

    @classmethod
    def parse(cls, form: MultiDict, catalog: Catalog) -> "HandoutForm":
        keys = {key for visit in catalog.visits.values() for key in visit.fields}
        return cls(
            visit=form.get("visit", "").strip(),
            patient=form.get("patient", ""),
            date=form.get("date", "").strip(),
            surgeon=form.get("surgeon", "").strip(),
            paper=form.get("paper", "").strip().lower(),
            large_print=form.get("large_print", "").strip().lower() in TRUE,
            lang=form.get("lang", "").strip(),
            note=form.get("note", ""),
            values={key: form.get(set_input_name(key), "") for key in keys},
        )

    def sets(self, catalog: Catalog) -> dict[str, str]:
        """The chosen visit type's fields that were filled in; blank ones are left out, as on the CLI."""
        visit = catalog.visits.get(self.visit)
        if visit is None:
            return {}
        return {key: self.values[key].strip() for key in visit.fields if self.values.get(key, "").strip()}


def validate(catalog: Catalog, form: HandoutForm) -> tuple[Request | None, dict[str, str]]:
    """The request, or a message per field name ('form' for one that belongs to no field)."""
    errors: dict[str, str] = {}
    if not form.visit:
        errors["visit"] = "Choose one of these visit types."
    elif form.visit not in catalog.visits:
        errors["visit"] = _problem(lambda: catalog.visit(form.visit)) or "Choose the visit type."
    if not form.patient.strip():
        errors["patient"] = "Type the patient's name as it should be printed."
    if form.paper and form.paper not in PAPERS:
        errors["paper"] = "Choose US Letter or A4."
    if form.lang and form.lang not in catalog.practice.languages:
        errors["lang"] = f"Choose one of: {', '.join(languages(catalog).values())}."
    visit_id = form.visit if "visit" not in errors else next(iter(catalog.visits))

    def probe(**only: object) -> str | None:
        args: dict = {"patient": PROBE_NAME, "visit_date": None, **only}
        return _problem(lambda: build_request(catalog, visit_id, **args))

    checks: dict[str, dict[str, object]] = {
        "patient": {"patient": form.patient} if form.patient.strip() else {},
        "date": {"visit_date": form.date},
        "surgeon": {"surgeon": form.surgeon or None},
        "note": {"note": form.note or None},
    }
    if "visit" not in errors:
        checks |= {key: {"sets": {key: value}} for key, value in form.sets(catalog).items()}
    for name, only in checks.items():
        if only and name not in errors and (message := probe(**only)):
            errors[name] = message
    if errors:
        return None, errors
    try:
        request = build_request(
            catalog,
            form.visit,
            form.patient,
            form.date,
            sets=form.sets(catalog),
            paper=form.paper or None,
            large_print=form.large_print,
            surgeon=form.surgeon or None,
            note=form.note or None,
            lang=form.lang or None,
        )
    except UserError as exc:
        return None, {"form": sentence(str(exc))}
    return request, {}


def languages(catalog: Catalog) -> dict[str, str]:
    """The languages the practice hands out, code -> the name a reader of it knows it by."""
    return {code: LANGUAGES[code][1] for code in catalog.practice.languages}


def _problem(check) -> str | None:
    """The UserError message `check()` raises, as a sentence for the page, or None when it passes."""
    try:
        check()
    except UserError as exc:
        return sentence(str(exc))
    return None


def sentence(message: str) -> str:
    """A one-line message from the pipeline ('the date ... is not a real date') as a sentence."""
    message = message.strip()
    return message[:1].upper() + message[1:] + ("" if message.endswith((".", "?", "!")) else ".")


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
