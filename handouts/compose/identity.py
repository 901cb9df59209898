"""Who a handout is for: one rule for the Today list, the record, the batch and search.

A patient is never taken for another by name. When a schedule row gives a patient id, the id is the
patient: two rows "Maria Garcia" with ids MRN-1 and MRN-2 are two patients. A row with no id is
that row and no other: its line and every value on it (`row_key`), so two rows with the same name,
visit and date are two patients. Every handout given is recorded with its identity (the id, else
the row's key), and a row counts as given only for a record of the same identity. A record with
neither (`make` without --id, the single-handout form) counts for no row of a list, and one with
the row's id under another name (a mistyped id, a wrong row) does not either. When in doubt a row
shows "Not given": a second copy is better than a patient skipped.
"""

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from .request import clean_id


def fold_name(name: str) -> str:
    """A name as compared and searched: any case, any spacing, one Unicode form."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


# Marks that are part of how a name is written but not of what is typed to find it: O'Brien, O’Brien, OBrien.
_APOSTROPHES = dict.fromkeys(map(ord, "'’‘`´ʼʹ"), None)


def search_key(text: str) -> str:
    """A name or id as the search box finds it: any case, no accents, no apostrophes, a hyphen or other mark as
    a space ("zoe o brien nunez" finds "Zoë O'Brien-Núñez"; "obrien" and "O’Brien" too). For finding only:
    who a handout is for is decided by `fold_name` and the patient id, never by this looser match."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    plain = plain.translate(_APOSTROPHES).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def found_by(query: str, *texts: str) -> bool:
    """Whether `query` (as typed in a search box) is in any of `texts`, by `search_key`; an empty query finds
    everything. Written with and without spaces between words is the same: "obrien" finds "O Brien"."""
    key = search_key(query)
    return not key or any(key in search_key(t) or key.replace(" ", "") in search_key(t).replace(" ", "") for t in texts)


@dataclass(frozen=True)
class Identity:
    """A patient id (and the name it was given with), or with no id the key of the schedule row the
    handout was made for; or neither, which is no one in particular."""

    patient_id: str | None = None
    row_key: str | None = None
    name: str = ""

    def same(self, other: "Identity") -> bool:
        """Whether two handouts are for one patient: the same id under the same name; with no id on
        either side, the same row."""
        if self.patient_id or other.patient_id:
            return self.patient_id == other.patient_id and fold_name(self.name) == fold_name(other.name)
        return self.row_key is not None and self.row_key == other.row_key


NO_ONE = Identity()  # a handout made for no row of a list and with no id


def of_id(text: str | None, name: str) -> Identity:
    """A patient id as typed (`make --id`), checked like a schedule's; no id is no identity."""
    patient_id = clean_id(text)
    return Identity(patient_id, name=name if patient_id else "")


def of_row(line: int, values: Mapping[str, str], name: str) -> Identity:
    """A schedule row's patient: its id with `name` (the name as its handout prints it), else the row
    itself (its line and all its values).

    A row's key changes when the row moves or any of its cells changes: the row then shows as not
    given, never as someone else's. A UserError for an id that cannot be recorded (see `clean_id`).
    """
    patient_id = clean_id(values.get("id"))
    if patient_id:
        return Identity(patient_id, name=name)
    cells = sorted((key, value) for key, value in values.items() if not key.startswith("_"))
    blob = json.dumps([line, cells], ensure_ascii=False).encode("utf-8")
    return Identity(row_key=hashlib.sha256(blob).hexdigest()[:32])
