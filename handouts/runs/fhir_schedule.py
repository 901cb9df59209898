"""A FHIR R4 schedule: a Bundle (JSON) or NDJSON of Appointment resources, read into schedule rows.

As an EHR's API (a search Bundle) or bulk export (NDJSON) gives them. Each Appointment is a row:

- patient and id: its participant that is a Patient, found contained in the Appointment ("#p1"),
  or among the Bundle's entries or the NDJSON's lines ("Patient/p1", or the entry's fullUrl): the
  official (else usual, else first) name printed "Given Family"; the identifier typed MR (else the
  official one, else the first). A Patient not sent: the reference's display and identifier.
- date: the local date of `start` as written (`2026-12-10T08:00:00-06:00` is December 10).
- visit: the first code, display or text of appointmentType and serviceType that schedule.toml's
  [visits] (or [skip]) names, else the first of them, so a row says which code is not mapped.
- surgeon: with a [surgeons] table, the first Practitioner (reference, display, identifier or
  name) it names; without one, practitioners are not read.
- lang: the Patient's preferred communication language (else the first), as its code's language
  ("es-MX" is "es") or its text.

A cancelled, no-show or entered-in-error appointment is left out (`_skip`, said by `schedule
check`). A Bundle that links to a next page is one page of a search, refused: the rest of the day
would be missing without a word. Plain JSON read here: the tool needs no FHIR library to run.

Rows are (line, values): the entry's number in a Bundle, the line's in NDJSON.
"""

import json
import re
from pathlib import Path
from typing import Any

from ..base.errors import UserError
from ..config.models import ScheduleMap

SKIPPED = ("cancelled", "noshow", "entered-in-error")
PRACTITIONERS = ("Practitioner", "PractitionerRole")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")
_LANGUAGE_CODE = re.compile(r"^([A-Za-z]{2,3})(-[A-Za-z0-9]{1,8})*$")

NOT_SENT = (
    "this appointment's Patient is not in the file: export the appointments with their patients "
    "(_include=Appointment:patient), or put the Patient lines in the same NDJSON file"
)

Values = dict[str, str]
Resource = dict[str, Any]


def fhir_kind(lines: list[str]) -> str | None:
    """'FHIR Bundle', 'FHIR NDJSON', or None when the text is not FHIR."""
    whole = _json("".join(lines))
    if isinstance(whole, dict) and "resourceType" in whole:
        return f"FHIR {str(whole['resourceType'])[:40]}"
    first = _json(next((line for line in lines if line.strip()), ""))
    return "FHIR NDJSON" if isinstance(first, dict) and "resourceType" in first else None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def fhir_rows(
    lines: list[str], bad: dict[int, str], path: Path, mapping: ScheduleMap
) -> list[tuple[int, Values]] | None:
    """The rows of a FHIR schedule, or None when the text is not one (JSON Lines of the tool's own rows)."""
    whole = _json("".join(lines))
    if isinstance(whole, dict) and "resourceType" in whole:
        if bad:
            line = min(bad)
            raise UserError(f"the schedule {path}, line {line}: {bad[line]}")
        if whole["resourceType"] == "Bundle":
            return _bundle(whole, path, mapping)
        if whole["resourceType"] == "Appointment":
            return _rows([(1, whole, None)], [], path, mapping)
        raise UserError(
            f"the schedule {path} is a FHIR {str(whole['resourceType'])[:40]!r}, not Appointment resources: "
            "export the day's appointments as a Bundle or NDJSON"
        )
    first = _json(next((line for line in lines if line.strip()), ""))
    if not isinstance(first, dict) or "resourceType" not in first:
        return None
    return _ndjson(lines, bad, path, mapping)


def _bundle(bundle: Resource, path: Path, mapping: ScheduleMap) -> list[tuple[int, Values]]:
    if any(isinstance(link, dict) and link.get("relation") == "next" for link in _list(bundle.get("link"))):
        raise UserError(
            f"the schedule {path} is one page of a FHIR search, not the whole of it (its Bundle links to a next "
            "page): ask the EHR for all of the day's appointments in one Bundle (_count), or export them as NDJSON"
        )
    entries = [entry for entry in _list(bundle.get("entry")) if isinstance(entry, dict)]
    resources = [(n, entry.get("resource"), entry.get("fullUrl")) for n, entry in enumerate(entries, 1)]
    return _rows([(n, r, url) for n, r, url in resources if isinstance(r, dict)], [], path, mapping)


def _ndjson(lines: list[str], bad: dict[int, str], path: Path, mapping: ScheduleMap) -> list[tuple[int, Values]]:
    resources, refused = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if number in bad:
            refused.append((number, {"_error": bad[number]}))
            continue
        try:
            resource = json.loads(line)
        except (ValueError, RecursionError):
            refused.append((number, {"_error": "this line is not a FHIR resource: each line must be one JSON object"}))
            continue
        if isinstance(resource, dict):
            resources.append((number, resource, None))
        else:
            refused.append((number, {"_error": "this line is not a FHIR resource: each line must be one JSON object"}))
    return _rows(resources, refused, path, mapping)


def _rows(
    resources: list[tuple[int, Resource, Any]], refused: list[tuple[int, Values]], path: Path, mapping: ScheduleMap
) -> list[tuple[int, Values]]:
    """One row per Appointment, in the order given, with the lines that could not be read."""
    index: dict[str, Resource] = {}
    for _, resource, url in resources:
        kind, rid = resource.get("resourceType"), resource.get("id")
        if isinstance(kind, str) and isinstance(rid, str):
            index[f"{kind}/{rid}"] = resource
        if isinstance(url, str):
            index[url] = resource
    rows = [(n, _appointment(r, index, mapping)) for n, r, _ in resources if r.get("resourceType") == "Appointment"]
    if not rows and not refused:
        raise UserError(
            f"the schedule {path} holds no FHIR Appointment resources: export the day's appointments "
            "(a Bundle or NDJSON of Appointment, with their Patient resources)"
        )
    return sorted(rows + refused, key=lambda row: row[0])


def _appointment(appointment: Resource, index: dict[str, Resource], mapping: ScheduleMap) -> Values:
    status = _text(appointment.get("status"))
    if status in SKIPPED:
        return {"_skip": status}
    inside = [r for r in _list(appointment.get("contained")) if isinstance(r, dict) and _text(r.get("id"))]
    contained = {f"#{r['id']}": r for r in inside}
    patient: tuple[Resource, Resource | None] | None = None
    practitioners: list[tuple[Resource, Resource | None]] = []
    for participant in _list(appointment.get("participant")):
        actor = participant.get("actor") if isinstance(participant, dict) else None
        if not isinstance(actor, dict):
            continue
        reference = _text(actor.get("reference"))
        resource = contained.get(reference) or index.get(reference) or index.get(_relative(reference))
        kind = resource.get("resourceType") if resource else _text(actor.get("type")) or reference.split("/")[0]
        if kind == "Patient" and patient is None:
            patient = (actor, resource)
        elif kind in PRACTITIONERS:
            practitioners.append((actor, resource))
    if patient is None:
        return {"_error": "this appointment has no patient (a participant that is a Patient)"}
    actor, record = patient
    if record is None and not _text(actor.get("display")):
        return {"_error": NOT_SENT}
    start = _text(appointment.get("start"))
    return {
        "visit": _visit(appointment, mapping),
        "patient": _name(record, actor),
        "id": _identifier(record, actor),
        "date": start[:10] if _DAY.match(start) else start,
        "surgeon": _surgeon(practitioners, mapping),
        "lang": _language(record),
    }


def _relative(reference: str) -> str:
    """'https://ehr.example/fhir/Patient/p1' -> 'Patient/p1' (an absolute reference to a resource sent)."""
    parts = reference.rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else reference


def _visit(appointment: Resource, mapping: ScheduleMap) -> str:
    concepts = [appointment.get("appointmentType")]
    for service in _list(appointment.get("serviceType")):
        concepts.append(service.get("concept", service) if isinstance(service, dict) else None)  # R5: a reference
    names = [name for concept in concepts for name in _concept_names(concept)]
    known = (name for name in names if any(mapping.named(table, name) is not None for table in ("visits", "skip")))
    return next(known, names[0] if names else "")


def _concept_names(concept: Any) -> list[str]:
    """A CodeableConcept's codes and displays, then its text."""
    if not isinstance(concept, dict):
        return []
    names = [_text(c.get(key)) for c in _codings(concept) for key in ("code", "display")]
    return [name for name in [*names, _text(concept.get("text"))] if name]


def _surgeon(practitioners: list[tuple[Resource, Resource | None]], mapping: ScheduleMap) -> str:
    if not mapping.surgeons:
        return ""
    names = []
    for actor, resource in practitioners:
        names += [_text(actor.get("reference")), _text(actor.get("display"))]
        if resource:
            names += [_text(i.get("value")) for i in _list(resource.get("identifier")) if isinstance(i, dict)]
            names += [_human(n) for n in _list(resource.get("name")) if isinstance(n, dict)]
    names = [name for name in names if name]
    return next((name for name in names if mapping.named("surgeons", name) is not None), names[0] if names else "")


def _name(patient: Resource | None, actor: Resource) -> str:
    names = [n for n in _list(patient.get("name")) if isinstance(n, dict)] if patient else []
    chosen = next((n for use in ("official", "usual") for n in names if n.get("use") == use), None)
    chosen = chosen or next((n for n in names if n.get("use") not in ("old", "maiden")), None)
    return _human(chosen) if chosen else _text(actor.get("display"))


def _human(name: Resource) -> str:
    """A HumanName as printed: its given names and family name, else its text."""
    parts = [*(_text(g) for g in _list(name.get("given"))), _text(name.get("family"))]
    return " ".join(part for part in parts if part) or _text(name.get("text"))


def _identifier(patient: Resource | None, actor: Resource) -> str:
    given = _list(patient.get("identifier")) if patient else [actor.get("identifier")]
    found = [i for i in given if isinstance(i, dict) and _text(i.get("value"))]
    typed = (i for i in found if any(c.get("code") == "MR" for c in _codings(i.get("type"))))
    official = (i for i in found if i.get("use") == "official")
    chosen = next(typed, None) or next(official, None) or (found[0] if found else None)
    return _text(chosen.get("value")) if chosen else ""


def _language(patient: Resource | None) -> str:
    spoken = [c for c in _list(patient.get("communication")) if isinstance(c, dict)] if patient else []
    chosen = next((c for c in spoken if c.get("preferred") is True), spoken[0] if spoken else None)
    if chosen is None or not isinstance(chosen.get("language"), dict):
        return ""
    codes = [_text(c.get("code")) for c in _codings(chosen["language"])]
    code = next((c for c in codes if c), "")
    if _LANGUAGE_CODE.match(code):
        return code.split("-")[0].lower()
    return code or _text(chosen["language"].get("text"))


def _codings(concept: Any) -> list[Resource]:
    return [c for c in _list(concept.get("coding")) if isinstance(c, dict)] if isinstance(concept, dict) else []


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
