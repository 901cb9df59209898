"""Make a recorded handout again, from the files it was made from, and prove it by its sha256.

When nothing has changed since, the current files are used. When the practice's text, settings or
the built-ins changed, the handout is made from the files stored with the record, read from the
ledger (a snapshot of its own, nothing laid out on disk): the old text, as it was given. Only a
change of the software itself cannot be undone; the reprint then says so, and the sha256 check says
whether the bytes still match.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..config.catalog import Catalog
from ..engine.build import Builder
from ..render.renderer import Renderer
from .ledger import Ledger, Record
from .recorder import request_from_record
from .stored_files import stored_snapshot


@dataclass(frozen=True)
class Reprint:
    record: Record
    pdf: bytes
    identical: bool
    differences: list[str]  # what changed since the record was made, in plain words

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


def _changes(record: Record, renderer: Renderer) -> list[str]:
    found = []
    current = renderer.edition(record.request.get("lang", "en")).units
    for unit, version in sorted(record.units.items()):
        now = current.get(unit)
        if now is None:
            found.append(f"{unit}: version {version} then, no longer there now")
        elif version not in now.versions:  # a version of before the drawings were hashed, while it prints the same
            found.append(f"{unit}: version {version} then, {now.version} now")
    return found or ["other files changed since (practice settings, styles, approvals or images)"]


def reprint(catalog: Catalog, ledger: Ledger, number: int) -> Reprint:
    record = ledger.get(number)
    differences = [] if record.software == __version__ else [f"software {record.software} then, {__version__} now"]
    if record.fileset == catalog.snapshot.id:
        return _make(record, catalog, differences)
    differences += _changes(record, Renderer(catalog))
    files, blobs = ledger.files(record.fileset)
    stored = stored_snapshot(files, blobs, Path(f"/files-stored-with-record-{record.id}"))
    return _make(record, Catalog.of(stored), differences)


def _make(record: Record, catalog: Catalog, differences: list[str]) -> Reprint:
    renderer = Renderer(catalog)
    pdf = Builder(renderer).pdf(request_from_record(catalog, record.request))
    return Reprint(record, pdf, hashlib.sha256(pdf).hexdigest() == record.sha256, differences)
