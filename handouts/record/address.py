"""Where the record goes, decided without SQLAlchemy: `make` with a practice that records nothing
(the built-in sample, or `ledger = "off"`) never loads the database code."""

import os
from pathlib import Path

SQLITE_FILE = "ledger.sqlite"
OFF = "off"


def ledger_url(setting: str, practice: Path | None, env: dict[str, str] = os.environ) -> str | None:
    """Where the record goes: HANDOUTS_LEDGER, else the practice's `ledger` setting, else
    ledger.sqlite in the practice folder; None when off (and for the built-in sample practice)."""
    chosen = env.get("HANDOUTS_LEDGER", "").strip() or setting.strip()
    if chosen.lower() == OFF:
        return None
    if not chosen:
        return f"sqlite:///{_absolute(practice / SQLITE_FILE)}" if practice is not None else None
    if "://" not in chosen:  # a plain path to an SQLite file
        return f"sqlite:///{_absolute(Path(chosen).expanduser())}"
    return chosen


def _absolute(path: Path) -> Path:
    """`path` with its folder resolved but not the file itself: a ledger.sqlite that is a link
    must be seen as one (and refused), not followed to wherever it points."""
    return path.parent.resolve() / path.name
