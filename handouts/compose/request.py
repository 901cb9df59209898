"""One patient's handout request, checked before anything is rendered.

Every interface (command line, schedule row, web form) builds a `Request` through `build_request`,
so a name or date is judged the same way everywhere, bounded before it reaches the renderer, and
the handout's modules are composed (visit type, then surgeon's preferences, then --skip) once.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from ..base.chars import problem
from ..base.errors import UserError
from ..base.i18n import DEFAULT, LANGUAGES
from ..config.catalog import Catalog
from ..config.models import RED_FLAGS, Section, Surgeon, VisitType
from .typed_language import english_words

# The PDF a request asks for, in WeasyPrint's names (engine/pdf.py makes it)
ACCESSIBLE = "pdf/ua-1"  # tagged, with title and language: read aloud, reflowed, zoomed
ARCHIVAL = "pdf/a-3a"  # for the patient's record: tagged too (level A), fonts embedded, no outside links
MAX_NAME = 150
MAX_NOTE = 1500
MAX_ID = 64
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATELIKE = re.compile(r"^[\d\s./-]{1,20}$")


@dataclass(frozen=True)
class Request:
    visit: VisitType
    patient: str
    visit_date: date
    modules: list[str]
    fields: dict[str, str | date] = field(default_factory=dict)
    paper: str | None = None
    large_print: bool = False
    surgeon: Surgeon | None = None
    sections: list[Section] = field(default_factory=list)
    note: str | None = None
    archival: bool = False  # PDF/A-3a for filing in the patient's record instead of PDF/UA-1
    lang: str = DEFAULT  # the language it prints in; `visit` and `surgeon` are that language's edition

    @property
    def pdf_variant(self) -> str:
        return ARCHIVAL if self.archival else ACCESSIBLE


def parse_date(text: str, what: str) -> date:
    """A calendar date written YYYY-MM-DD, or a UserError saying which of the two is wrong."""
    text = text.strip()
    if not _DATE.match(text):
        if not _DATELIKE.match(text):  # a piece of a name, say, from a row whose name has an unquoted comma
            raise UserError(
                f"{what} is not a date: it has more than digits in it (not shown here); write it like 2026-03-14, "
                "and in a schedule put a name with a comma in double quotes"
            )
        raise UserError(f"{what} {text!r} is not written as YYYY-MM-DD: write it like 2026-03-14")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{what} {text!r} is not a real date (check the month and day)") from None


def clean_text(text: str, what: str, limit: int, keep_lines: bool = False) -> str:
    """Trimmed text with no control, direction-turning or invisible characters (chars.py), at most
    `limit` characters, never empty."""
    lines = [" ".join(line.split()) for line in text.strip().splitlines()] if keep_lines else [" ".join(text.split())]
    text = "\n".join(lines).strip()
    if not text:
        raise UserError(f"{what} is empty: fill it in")
    if len(text) > limit:
        raise UserError(f"{what} is {len(text)} characters long; the most allowed is {limit}")
    wrong = problem(text)
    if wrong:
        raise UserError(f"{what} {wrong}")
    return text


# Dashes that read as the hyphen of a record number ("MRN‑1" with a non-breaking hyphen, "MRN−1").
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"))


def clean_id(text: str | None) -> str | None:
    """A patient's record number (trimmed, bounded), or None when there is none. One id is written one
    way: full-width or other compatibility forms as their plain letters and digits ("ＭＲＮ-１" is MRN-1),
    every dash as a hyphen, so a record is found by its id however the schedule typed it."""
    if not text or not text.strip():
        return None
    return clean_text(unicodedata.normalize("NFKC", text).translate(_DASHES), "the patient id", MAX_ID)


def compose_modules(catalog: Catalog, visit: VisitType, surgeon: Surgeon | None, skip: list[str]) -> list[str]:
    """The handout's modules: the surgeon's order for this visit type if any, less what is skipped."""
    prefs = surgeon.visits.get(visit.id) if surgeon else None
    modules = list(prefs.modules) if prefs and prefs.modules is not None else list(visit.modules)
    for mid in skip:
        if mid == RED_FLAGS:
            raise UserError(f"'{RED_FLAGS}' cannot be left out: the warning signs are on every handout")
        if mid not in modules:
            raise UserError(f"module {mid!r} is not in this handout; its modules are: {', '.join(modules)}")
        modules.remove(mid)
    return modules


def build_request(
    catalog: Catalog,
    visit_id: str,
    patient: str,
    visit_date: str | date | None,
    sets: dict[str, str] | None = None,
    paper: str | None = None,
    large_print: bool = False,
    surgeon: str | None = None,
    skip: list[str] | None = None,
    note: str | None = None,
    archival: bool = False,
    lang: str | None = None,
) -> Request:
    """Validate raw values into a Request; the first problem found is raised as a UserError.

    Values are judged against the English catalog (staff read the messages); the request then
    carries the visit type and surgeon of its language's edition, `lang` or the practice's default."""
    lang = lang or catalog.practice.language
    visit = catalog.visit(visit_id)
    name = clean_text(patient, "the patient name", MAX_NAME)
    if visit_date is None or visit_date == "":
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
        what = f"the {spec.label.lower()}"
        fields[key] = parse_date(raw, what) if spec.kind == "date" else clean_text(raw, what, spec.max_length)
    for key, value in fields.items():
        earliest = fields.get(visit.fields[key].not_before or "")
        if isinstance(value, date) and isinstance(earliest, date) and value < earliest:
            later, sooner = visit.fields[key].label.lower(), visit.fields[visit.fields[key].not_before].label.lower()
            raise UserError(f"the {later} ({value.isoformat()}) is before the {sooner} ({earliest.isoformat()})")
    profile = None
    if surgeon:
        if surgeon in catalog.broken_surgeons:
            raise UserError(catalog.broken_surgeons[surgeon])
        profile = catalog.surgeons.get(surgeon)
        if profile is None and catalog.search.practice is None:
            raise UserError(f"unknown surgeon {surgeon!r}: no practice folder was given (--practice DIR)")
        if profile is None:
            known = ", ".join(sorted(catalog.surgeons)) or "none (add surgeons/ID.toml to the practice folder)"
            raise UserError(f"unknown surgeon {surgeon!r}; known surgeons: {known}")
    edition = catalog.edition(lang)
    if profile is not None:
        if surgeon in edition.broken_surgeons:
            raise UserError(edition.broken_surgeons[surgeon])
        profile = edition.surgeons[surgeon]
    prefs = profile.visits.get(visit.id) if profile else None
    if profile is not None and lang != DEFAULT and isinstance(fields.get("procedure"), str):
        fields["procedure"] = procedure_name(fields["procedure"], catalog.surgeons[profile.id], profile)
    return Request(
        visit=edition.visit(visit_id),
        patient=name,
        visit_date=when,
        modules=compose_modules(catalog, visit, profile, list(skip or [])),
        fields=fields,
        paper=paper,
        large_print=large_print,
        surgeon=profile,
        sections=list(prefs.sections) if prefs else [],
        note=clean_text(note, "the note", MAX_NOTE, keep_lines=True) if note else None,
        archival=archival,
        lang=lang,
    )


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def procedure_name(typed: str, english: Surgeon, translated: Surgeon) -> str:
    """The procedure as it prints on a handout in another language: the surgeon's own name for it in
    that language when the desk typed one of the English names in the profile (`procedures`, any
    case), else exactly as typed."""
    for known, name in zip(english.procedures, translated.procedures, strict=True):
        if _same(typed, known):
            return name
    return typed


def typed_language_warnings(catalog: Catalog, request: Request) -> list[str]:
    """A line for the desk for each text typed for this handout (a field, the note) that has English
    in it while the handout is in another language: it prints as typed. Quotes only a word of our own
    list, never the typed text (it may carry a name)."""
    if request.lang == DEFAULT:
        return []
    language = LANGUAGES[request.lang][0]
    specs = catalog.visit(request.visit.id).fields  # the English labels: the desk reads these messages
    typed = [(f"the {specs[key].label.lower()}", value) for key, value in request.fields.items()
             if isinstance(value, str)]
    typed += [("the note", request.note)] if request.note else []
    warnings = []
    for what, value in typed:
        found = english_words(value)
        if not found:
            continue
        word = next((w for w in found if w), "")
        quoted = f" ('{word}')" if word else ""
        fix = (
            f"or add it to the surgeon's profile in both languages (procedures in surgeons/ID.toml and "
            f"surgeons/{request.lang}/ID.toml)"
            if what == "the procedure" else "or leave it out"
        )
        warnings.append(
            f"{what} looks like English{quoted}, but this handout is in {language}: it prints as typed. "
            f"Type it in {language}, {fix}"
        )
    return warnings
