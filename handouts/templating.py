"""The Jinja2 environment handouts are rendered in, which keeps what parsing each template found.

A template's version (versions.py) covers its source and every template it includes, and notes the
variables it reads (a module that draws figures or prints the surgeon's instructions). Those come
from the same parse that compiles the template for rendering, so a cold `make` parses each of its
templates once, not once for its version and again to render it.
"""

from dataclasses import dataclass

from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment


@dataclass(frozen=True)
class Parsed:
    """One template as it was compiled: its source and file, the names it reads, the templates it includes."""

    source: str
    filename: str | None
    names: frozenset[str]
    includes: tuple[str, ...]


class HandoutEnvironment(ImmutableSandboxedEnvironment):
    """A sandboxed environment (templates come from practices) that remembers each template file's parse."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self._parsed: dict[str, Parsed] = {}  # by file: a practice's handout.html and default:handout.html apart

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        if filename is not None:  # recorded before code generation, which may fold parts of the tree
            self._parsed[filename] = _facts(source, filename, tree)
        return tree

    def parse_of(self, name: str) -> Parsed:
        """What the template `name` was compiled from: compiled now if it was not (or its file changed)."""
        filename = self.get_template(name).filename
        found = self._parsed.get(filename) if filename else None
        if found is None:  # a loader that names no file: parsed again here
            source, filename, _ = self.loader.get_source(self, name)
            found = _facts(source, filename, self.parse(source))
        return found


def _facts(source: str, filename: str | None, tree: nodes.Template) -> Parsed:
    names = frozenset(node.name for node in tree.find_all(nodes.Name) if node.ctx == "load")
    return Parsed(source, filename, names, tuple(t for t in meta.find_referenced_templates(tree) if t))
