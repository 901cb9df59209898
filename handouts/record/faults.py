"""Why a record could not go into the ledger, in two kinds the callers treat apart (no SQLAlchemy
here, so `make` can tell them apart without loading it).

Both are user errors (one plain line, exit code 2, never a patient's name): the message is the
database's own reason, never the statement or its values.
"""

from ..base.errors import UserError


class LedgerDown(UserError):
    """The ledger cannot be reached or written just now (the database stopped, the disk full, a lock
    held too long): the record waits in the spool and is added when the ledger is back."""


class LedgerBroken(UserError):
    """The ledger needs someone to look at it (a damaged, read-only or linked ledger.sqlite, or a
    folder in its place): records wait in the spool until it is put right."""


class SpoolError(UserError):
    """The spool itself cannot be written (the disk full as well): the record could not be kept."""
