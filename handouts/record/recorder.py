"""Between the handout pipeline and the ledger: what a request is as a record, and back.

`make`, `batch` and the web page record through `Recorder.add`, so a record always holds the same
fields whichever way the handout was made, and `reprint` turns a record back into the same request.
"""

import dataclasses
import threading
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..catalog import Catalog
from ..errors import UserError
from ..identity import NO_ONE, Identity
from ..render import Renderer
from ..request import Request, build_request
from ..versions import handout_units, handout_version
from .address import ledger_url
from .snapshot import fileset

if TYPE_CHECKING:
    from .ledger import Ledger

# web: made on the page (shown or downloaded); web-print: sent to the desk's printer from the page
HOW = ("make", "batch", "web", "reprint", "web-print")
# In a record's request, beside what makes the handout: the schedule row it was for, when that row
# gave no patient id (see identity.py). `reprint` copies it with the rest, so a reprint is for the same row.
ROW_KEY = "row_key"


def _connect(url: str) -> "Ledger":
    """The ledger at `url`. SQLAlchemy and Alembic are loaded here, when a handout is recorded,
    so a command or a practice that records nothing starts without them."""
    from .ledger import Ledger

    return Ledger.open(url)


def request_record(request: Request) -> dict[str, Any]:
    """Everything that makes this handout, as plain JSON values (dates as YYYY-MM-DD)."""
    return {
        "visit": request.visit.id,
        "patient": request.patient,
        "date": request.visit_date.isoformat(),
        "fields": {k: v.isoformat() if isinstance(v, date) else v for k, v in request.fields.items()},
        "modules": list(request.modules),
        "paper": request.paper,
        "large_print": request.large_print,
        "surgeon": request.surgeon.id if request.surgeon else None,
        "note": request.note,
        "archival": request.archival,
        "lang": request.lang,
    }


def identity(request: dict[str, Any], patient_id: str | None) -> Identity:
    """Whom a record's handout was for (its request as stored, and its patient id)."""
    return Identity(patient_id, request.get(ROW_KEY), request["patient"])


def request_from_record(catalog: Catalog, data: dict[str, Any]) -> Request:
    """The request a record was made from, validated against `catalog` as any request is."""
    request = build_request(
        catalog,
        data["visit"],
        data["patient"],
        data["date"],
        sets=data["fields"],
        paper=data["paper"],
        large_print=data["large_print"],
        surgeon=data["surgeon"],
        note=data["note"],
        archival=data["archival"],
        lang=data.get("lang", "en"),
    )
    missing = [m for m in data["modules"] if m not in catalog.modules]
    if missing:
        raise UserError(f"the record's module(s) {', '.join(missing)} no longer exist")
    return dataclasses.replace(request, modules=list(data["modules"]))


class Recorder:
    """Records the handouts made from one catalog, in the practice's ledger (or nowhere when off)."""

    def __init__(
        self, catalog: Catalog, renderer: Renderer, how: str, enabled: bool = True, ledgers: "Ledgers | None" = None
    ) -> None:
        assert how in HOW
        self.renderer = renderer
        self.how = how
        url = ledger_url(catalog.practice.ledger, catalog.search.practice) if enabled else None
        self._shared = ledgers is not None
        self.ledger = (ledgers.get(url) if ledgers is not None else _connect(url)) if url else None

    @property
    def on(self) -> bool:
        return self.ledger is not None

    def add(self, request: Request, sha256: str, who: Identity = NO_ONE) -> int | None:
        """Record one handout given to `who`; its record number, or None when the practice records nothing."""
        if self.ledger is None:
            return None
        ids = handout_units(request)
        units = self.renderer.edition(request.lang).units
        files = fileset(self.renderer.catalog.search)
        self.ledger.store_fileset(files)
        return self.ledger.add(
            how=self.how,
            request=request_record(request) | ({ROW_KEY: who.row_key} if who.row_key else {}),
            patient_id=who.patient_id,
            sha256=sha256,
            content=handout_version(units, ids),
            units={uid: units[uid].version for uid in ids},
            fileset=files.id,
        )

    def close(self) -> None:
        if self.ledger is not None and not self._shared:
            self.ledger.close()


class Ledgers:
    """Open ledgers by address, for a server that records many handouts (thread-safe)."""

    def __init__(self) -> None:
        self._open: dict[str, Ledger] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> "Ledger":
        with self._lock:
            if url not in self._open:
                self._open[url] = _connect(url)
            return self._open[url]


def open_ledger(catalog: Catalog) -> "Ledger":
    """The practice's ledger, for the commands that read it; a clear error when there is none."""
    url = ledger_url(catalog.practice.ledger, catalog.search.practice)
    if url is None:
        raise UserError(
            "no ledger: handouts are recorded in a practice folder's ledger.sqlite (give --practice DIR), "
            "in practice.toml's ledger setting, or in HANDOUTS_LEDGER"
        )
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise UserError(f"no ledger yet at {url.removeprefix('sqlite:///')}: nothing has been recorded")
    return _connect(url)
