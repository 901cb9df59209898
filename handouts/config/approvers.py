"""approvers.toml: who may approve texts on the surgeon page, each with an approval secret of their own.

Until the page has accounts, a name typed on it proves nothing: anyone who could open the page
could approve the red flags under a surgeon's name. So approving on the page needs the approver's
own secret, set with `handouts approver` by someone at the computer that holds the practice folder
(who could write approvals.toml anyway), and the approval is recorded under the name and role this
file gives, not what was typed. The file keeps a salted scrypt hash of each secret, never the
secret, and is written owner-only. `handouts approve` on that computer needs no secret: whoever
runs it can write the practice folder.
"""

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path
from typing import Annotated

import tomlkit
from pydantic import Field, StringConstraints

from ..base.errors import UserError
from ..base.output import write_atomic
from .loading import read_toml, validate
from .models import Strict, Text

FILE = "approvers.toml"
MIN_SECRET = 10
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # 16 MB of memory a try (128 * n * r): costly to guess in bulk
_HEADER = (
    "Who may approve texts on the surgeon page, each with a secret of their own (kept as a hash only).\n"
    "Written by `handouts approver --by \"NAME, ROLE\"`; run it again to change a secret."
)
Hashed = Annotated[str, StringConstraints(pattern=r"^scrypt\$[0-9a-f]{32}\$[0-9a-f]{64}$")]


class Approver(Strict):
    by: Text
    role: Text
    secret: Hashed


class ApproversFile(Strict):
    approver: list[Approver] = Field(default=[])


def load(practice: Path) -> list[Approver]:
    """The practice's approvers (none without the file)."""
    path = practice / FILE
    if not os.path.lexists(path):
        return []
    if not stat.S_ISREG(path.lstat().st_mode):
        raise UserError(f"{path}: not a plain file: remove it, then add the approvers again with `handouts approver`")
    return validate(ApproversFile, read_toml(path), path).approver


def _hash(secret: str, salt: bytes) -> str:
    digest = hashlib.scrypt(secret.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def add(practice: Path, by: str, role: str, secret: str) -> Path:
    """Add an approver, or give one of the same name a new secret and role (whole file or nothing)."""
    if len(secret) < MIN_SECRET:
        raise UserError(f"the secret is {len(secret)} characters long: use at least {MIN_SECRET}")
    approver = Approver(by=by, role=role, secret=_hash(secret, secrets.token_bytes(16)))
    approvers = [a for a in load(practice) if not _same_name(a.by, by)] + [approver]
    document = tomlkit.document()
    for line in _HEADER.splitlines():
        document.add(tomlkit.comment(line))
    table = tomlkit.aot()
    for each in approvers:
        table.append(tomlkit.item(each.model_dump()))
    document["approver"] = table
    path = practice / FILE
    write_atomic(path, tomlkit.dumps(document).encode("utf-8"), 0o600)
    return path


def verify(approvers: list[Approver], by: str, secret: str) -> Approver | None:
    """The approver of that name whose secret this is, else None (the same work either way)."""
    found = next((a for a in approvers if _same_name(a.by, by)), None)
    stored = found.secret if found else _hash("", b"\0" * 16)
    salt = bytes.fromhex(stored.split("$")[1])
    ok = hmac.compare_digest(_hash(secret, salt), stored)
    return found if ok and found else None
