"""Handouts given, as a FHIR R4 Bundle an EHR can take: one DocumentReference per handout.

Plain JSON built here (the tests validate it with the fhir.resources package): a transaction
Bundle of DocumentReference resources, each in the handout's language with the PDF as an
attachment (content type, size, SHA-1 hash in base64 as FHIR defines it, title in the handout's
language, creation date), a LOINC document type for patient education, the visit date, and the
patient as given (name and, if recorded, identifier).
"""

import base64
import hashlib
import uuid
from datetime import UTC
from typing import Any

from .ledger import Record

# LOINC 34895-3 "Education note": the document type for patient education material.
EDUCATION = {"system": "http://loinc.org", "code": "34895-3", "display": "Education note"}
# The identifier system for the practice's own patient ids (an EHR maps it to its MRN system).
PATIENT_ID_SYSTEM = "urn:handouts:patient-id"


def document_reference(record: Record, pdf: bytes, title: str) -> dict[str, Any]:
    subject: dict[str, Any] = {"display": record.patient}
    if record.patient_id:
        subject["identifier"] = {"system": PATIENT_ID_SYSTEM, "value": record.patient_id}
    return {
        "resourceType": "DocumentReference",
        "language": record.lang,  # the handout's language, as its title and attachment are
        "status": "current",
        "docStatus": "final",
        "type": {"coding": [EDUCATION], "text": "Patient education handout"},
        "category": [{"text": "Patient education"}],
        "subject": subject,
        "date": _instant(record),
        "description": f"{title} (handout record {record.id}, content version {record.content})",
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "language": record.lang,
                    "data": base64.b64encode(pdf).decode("ascii"),
                    "size": len(pdf),
                    "hash": base64.b64encode(hashlib.sha1(pdf).digest()).decode("ascii"),
                    "title": title,
                    "creation": _instant(record),
                }
            }
        ],
        "context": {"period": {"start": record.request["date"], "end": record.request["date"]}},
    }


def _instant(record: Record) -> str:
    return record.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bundle(documents: list[tuple[Record, bytes, str]]) -> dict[str, Any]:
    """A transaction Bundle that creates one DocumentReference per (record, pdf, title)."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'handouts:{record.sha256}:{record.id}')}",
                "resource": document_reference(record, pdf, title),
                "request": {"method": "POST", "url": "DocumentReference"},
            }
            for record, pdf, title in documents
        ],
    }
