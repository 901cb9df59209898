"""Making and filling a practice folder: the starter files, and copies of built-ins to edit."""

import shutil
from pathlib import Path

from ..base.errors import UserError
from ..base.paths import BUILTIN_ROOT
from .searchpath import SearchPath
from .snapshot import practice_files

STARTER = BUILTIN_ROOT / "content" / "starter"
KINDS = ("templates", "styles", "visits", "modules", "assets")


def init_practice(folder: Path) -> list[Path]:
    """Write a commented starter folder; refuses to touch an existing practice."""
    if (folder / "practice.toml").exists():
        raise UserError(f"{folder / 'practice.toml'} already exists: edit it, or choose a new folder")
    practice_files(folder)  # a link in the folder would have the starter written wherever it points
    written = []
    for source in sorted(STARTER.rglob("*")):
        if source.is_file():
            target = folder / source.relative_to(STARTER)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(target)
    for kind in KINDS:
        (folder / SearchPath(folder).practice_dir(kind).relative_to(folder)).mkdir(parents=True, exist_ok=True)
    logo = folder / "assets" / "logo.png"
    shutil.copyfile(BUILTIN_ROOT / "assets" / "logo.png", logo)
    return [*written, logo]


def builtin_names() -> list[str]:
    """Every built-in file a practice can copy and edit, as KIND/NAME."""
    search = SearchPath()
    names = []
    for kind in KINDS:
        root = search.builtin_dir(kind)
        names += [f"{kind}/{p.relative_to(root)}" for p in sorted(root.rglob("*")) if p.is_file()]
    return names


def customize(folder: Path, name: str, force: bool = False) -> Path:
    """Copy the built-in KIND/NAME into the practice folder, where it takes the built-in's place."""
    kind, _, rest = name.partition("/")
    if kind not in KINDS or name not in builtin_names():
        examples = ", ".join(n for n in builtin_names() if n.endswith((".html", ".css")))[:400]
        raise UserError(f"no built-in file {name!r}; for example: {examples} (see 'handouts customize --list')")
    search = SearchPath(folder)
    practice_files(folder)  # a link in the folder would have the copy written wherever it points
    target = search.practice_dir(kind) / rest
    if target.exists() and not force:
        raise UserError(f"{target} exists already: edit it, or add --force to overwrite it with the built-in")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(search.builtin_dir(kind) / rest, target)
    return target
