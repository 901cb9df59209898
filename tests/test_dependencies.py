"""What the package imports is what pyproject.toml declares, and the libraries whose internals it
reaches into are pinned to the range it was tested with (handouts/engine/internals.py)."""

import ast
import importlib.metadata
import re
import sys
import tomllib
from functools import cache

import pytest
from click.testing import CliRunner

from handouts.cli.main import main
from handouts.engine import internals

from conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _declared() -> dict[str, str]:
    return {_name(r): r for r in PYPROJECT["project"]["dependencies"]}


def _imported() -> set[str]:
    """The top-level names of every module `handouts/` imports, at any depth (lazy imports too)."""
    names = set()
    for path in (ROOT / "handouts").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"handouts", "__future__"}


@cache
def _providers() -> dict[str, list[str]]:
    """Which installed distributions provide each top-level module (a walk over every installed package's files)."""
    return importlib.metadata.packages_distributions()


def _distribution(module: str) -> str:
    """The installed distribution that provides a top-level module ("PIL" -> "pillow")."""
    found = _providers().get(module)
    assert found, f"{module} is imported by handouts/ but no installed distribution provides it"
    return _name(found[0])


def test_every_package_handouts_imports_is_declared():
    undeclared = sorted(
        f"{module} (from {_distribution(module)})"
        for module in _imported()
        if _distribution(module) not in _declared()
    )
    assert not undeclared, f"imported by handouts/ but not in pyproject.toml's dependencies: {undeclared}"


# Declared, and used by name rather than imported: loaded by another package on handouts' behalf.
USED_THROUGH = {
    "psycopg": "SQLAlchemy's postgresql+psycopg driver (record/ledger.py)",
    "pillow": "pypdfium2's page.to_pil(), for the draft mark's ink (draftmark.py)",
}


def test_every_declared_package_is_imported():
    """A dependency nothing uses is dead weight in every install (reportlab left when fontTools gave the
    figures the same widths)."""
    used = {_distribution(module) for module in _imported()}
    unused = sorted(set(_declared()) - used - set(USED_THROUGH))
    assert not unused, f"declared in pyproject.toml but imported nowhere in handouts/: {unused}"


@pytest.mark.parametrize("package", sorted(internals.TESTED))
def test_the_tested_range_is_the_range_pyproject_pins(package):
    low, high = internals.TESTED[package]
    requirement = _declared()[package].replace(" ", "")
    assert requirement == f"{package}>={low},<{high}", requirement


@pytest.mark.parametrize("package", sorted(internals.TESTED))
def test_an_untested_version_stops_every_command_with_one_line(monkeypatch, package):
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "999.0" if name == package else real(name))
    result = CliRunner().invoke(main, ["list"])
    assert result.exit_code == 2, result.output
    low, high = internals.TESTED[package]
    assert result.output.strip().splitlines() == [
        f"Error: {package} 999.0 is installed, but handouts is tested with {package} >={low},<{high} only "
        f"(it relies on its internals): install a tested version, e.g. pip install '{package}>={low},<{high}'"
    ]


def test_the_installed_versions_are_the_tested_ones():
    internals.check_versions()  # the suite runs on what it tests: any other version fails here first
