"""The package's folders are its layers: each imports only from the layers below it, and nothing imports in a circle.

The imports are read from the source (every `import`, at the top of a module, inside a function or under
TYPE_CHECKING), so a lazy import cannot hide a dependency the wrong way.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "handouts"
# Lowest first. A module may import from its own layer and any layer before it in this list.
LAYERS = [
    "base",  # errors, files written whole, scratch space, limits, languages: no handouts imports but these
    "inputs",  # the files a handout is made from: search path, snapshot, practice folder
    "config",  # those files read and validated: models, catalog, editions, approvals
    "compose",  # one patient's request
    "render",  # request -> HTML: templates, figures, text versions
    "engine",  # HTML -> PDF: the only layer that imports WeasyPrint
    "record",  # the ledger of handouts given
    "runs",  # many handouts: schedules, batches, worker processes
    "quality",  # check and lint: a practice's files and the finished PDF measured
    "delivery",  # printing
    "web",  # the front-desk page
    "cli",  # the command line, on top of everything
]
ROOT_MODULES = {"handouts", "handouts.__main__"}  # the package itself (its version) and `python -m handouts`


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> set[str]:
    """Every handouts module `module` imports, resolved to a module (not a name inside one)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            found |= {f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name in MODULES and name != module}


FILES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}
MODULES = set(FILES)
GRAPH = {module: _imports(path, module) for module, path in FILES.items()}


def _layer(module: str) -> int:
    parts = module.split(".")
    if module in ROOT_MODULES:
        return len(LAYERS) if module == "handouts.__main__" else -1
    assert parts[1] in LAYERS, f"{module} is in no layer: put it in one of handouts/{{{','.join(LAYERS)}}}/"
    return LAYERS.index(parts[1])


def test_every_module_is_in_a_layer() -> None:
    loose = sorted(m for m in MODULES - ROOT_MODULES if m.split(".")[1] not in LAYERS)
    assert not loose, f"modules outside the layer folders: {loose}"
    assert sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()) == sorted(LAYERS)


def test_no_layer_imports_a_layer_above_it() -> None:
    upward = [
        f"{module} ({LAYERS[_layer(module)]}) imports {target} ({LAYERS[_layer(target)]})"
        for module, targets in GRAPH.items()
        if module not in ROOT_MODULES
        for target in sorted(targets)
        if _layer(target) > _layer(module)
    ]
    assert not upward, "\n".join(upward)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    """The check above can fail: a circle of three is found, a chain is not."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": {"c"}}) == []


@pytest.mark.parametrize("library", ["weasyprint", "pydyf"])
def test_only_the_engine_imports_weasyprint(library: str) -> None:
    importers = set()
    for module, path in FILES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            if any(name == library or name.startswith(library + ".") for name in names):
                importers.add(module)
    assert importers and {m.split(".")[1] for m in importers} == {"engine"}, sorted(importers)
