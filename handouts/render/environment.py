"""The Jinja2 environment handouts are rendered in: a sandbox that hands templates data, not code,
and that keeps what parsing each template found.

Templates come from practice folders, which anyone careless or hostile may have written. The
context is plain data (plain.py); on top of Jinja's sandbox this environment refuses every callable
a template could reach through an attribute or an item (a model's `parse_raw`, a string's `format`),
lets a template call only Jinja's own globals and runtime objects (`range`, `_`, macros, `super()`,
`loop.cycle`), and bounds the operators whose results could grow without limit (`10 ** 10 ** 10`
would hang inside one C call, which no time limit can stop).

A template's version (versions.py) covers its source and every template it includes, and notes the
variables and filters it uses (a module that prints the surgeon's instructions) and the drawings its
figure() calls can make.
Those come from the same parse that compiles the template for rendering, so a cold `make` parses
each of its templates once, not once for its version and again to render it.
"""

import operator
from dataclasses import dataclass
from typing import Any, NoReturn

from jinja2 import TemplateSyntaxError, Undefined, UndefinedError, meta, nodes
from jinja2.environment import TemplateModule
from jinja2.filters import do_default
from jinja2.runtime import BlockReference, LoopContext, Macro, TemplateReference
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Cycler, Joiner, Namespace

# Jinja's own runtime objects: the only things whose callable attributes a template may use
# (`loop.cycle`, `cycler.next`, `self.modules`, `super()`, a macro of an imported template).
JINJA_OWN = (LoopContext, Macro, BlockReference, TemplateReference, TemplateModule, Cycler, Joiner, Namespace)
MAX_INT_BITS = 4096  # an integer a template computes: far beyond any count or measure on a page
MAX_REPEAT = 100_000  # characters or items a template may make with `*`
NESTED = "brackets, filters or blocks are nested too deeply to read: write it in steps"


FIGURE = "figure"  # the global that draws a figure (renderer.py)
# A figure() call as written: (name, options) where both are constants; None for what is worked out
# when the page is made (a name: any figure; options: any options of that figure).
FigureCall = tuple[str | None, tuple[tuple[str, Any], ...] | None]


@dataclass(frozen=True)
class Parsed:
    """One template as compiled: its source and file, the names and filters it uses, the templates it includes."""

    source: str
    filename: str | None
    names: frozenset[str]
    includes: tuple[str, ...]
    computed: bool = False  # it includes, imports or extends a template by a name worked out when rendered
    figures: frozenset[FigureCall] = frozenset()  # the drawings it can make (`figure_calls`)


class Withheld:
    """A value this part of the page may not use (the patient's name on the shared detail pages):
    any use of it fails with `hint`, also through `|default` and `is defined`, which would let a
    template print a stand-in where the value would have been."""

    __slots__ = ("hint",)

    def __init__(self, hint: str) -> None:
        object.__setattr__(self, "hint", hint)

    def fail(self, *_: Any, **__: Any) -> NoReturn:
        raise UndefinedError(self.hint)

    __str__ = __html__ = __bool__ = __len__ = __iter__ = __reversed__ = __contains__ = fail
    __getattr__ = __getitem__ = __call__ = __format__ = __int__ = __float__ = __index__ = fail
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = fail  # type: ignore[assignment]
    __add__ = __radd__ = __mul__ = __rmul__ = __mod__ = __rmod__ = __setattr__ = fail


def _default(value: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(value, Withheld):
        value.fail()
    return do_default(value, *args, **kwargs)


def _defined(value: Any) -> bool:
    if isinstance(value, Withheld):
        value.fail()
    return not isinstance(value, Undefined)


def _not_json(value: Any) -> NoReturn:
    """`|tojson` of what JSON cannot hold: a withheld value says why it is withheld."""
    if isinstance(value, Withheld):
        value.fail()
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


def _bounded(op: str, left: Any, right: Any) -> Any:
    """`left op right` for `*` and `**`, refused when the result would be too large to make."""
    huge_power = op == "**" and isinstance(left, int) and isinstance(right, int) and right > 0
    if huge_power and max(left.bit_length(), 1) * right > MAX_INT_BITS:
        raise SecurityError(f"the number {left} ** {right} is too large for a handout")
    if op == "*":
        if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise SecurityError("a number in the template is too large for a handout")
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * times > MAX_REPEAT:
                raise SecurityError(f"the template repeats text more than {MAX_REPEAT} times")
    return (operator.pow if op == "**" else operator.mul)(left, right)


class HandoutEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox templates are rendered in (see the module docstring); it remembers each template file's parse."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any) -> None:
        # No folding of constant expressions when a template is compiled: `'x'|center(3000000000)` would be
        # worked out then, before any limit on a handout's time and memory holds (limits.py).
        super().__init__(**options, optimized=False)
        self._parsed: dict[str, Parsed] = {}  # by file: a practice's handout.html and default:handout.html apart
        self.filters["default"] = self.filters["d"] = _default
        self.tests["defined"] = _defined
        self.tests["undefined"] = lambda value: not _defined(value)
        self.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": _not_json}
        del self.globals["lipsum"]  # placeholder text has no place in a handout, and a large count fills memory

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """No method or class through an attribute or item, but those of Jinja's own runtime objects."""
        if not super().is_safe_attribute(obj, attr, value):
            return False
        return not callable(value) or isinstance(obj, JINJA_OWN)

    def is_safe_callable(self, obj: Any) -> bool:
        """A template calls Jinja's globals (range, gettext, ...) and runtime objects, and nothing else."""
        if not super().is_safe_callable(obj):
            return False
        if isinstance(obj, JINJA_OWN) or any(obj is value for value in self.globals.values()):
            return True
        return isinstance(getattr(obj, "__self__", None), JINJA_OWN)  # loop.cycle, cycler.next

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        return _bounded(operator, left, right)

    def compile(self, source: Any, name: str | None = None, filename: str | None = None, *args: Any, **kw: Any) -> Any:
        try:
            return super().compile(source, name, filename, *args, **kw)
        except RecursionError:  # brackets or blocks nested thousands deep: one line, not a traceback
            raise TemplateSyntaxError(NESTED, 1, name, filename) from None

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        try:
            tree = super()._parse(source, name, filename)
        except RecursionError:
            raise TemplateSyntaxError(NESTED, 1, name, filename) from None
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
    names = {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"}
    names |= {node.name for node in tree.find_all(nodes.Filter)}
    referenced = list(meta.find_referenced_templates(tree))
    includes = tuple(t for t in referenced if t)
    return Parsed(source, filename, frozenset(names), includes, None in referenced, _figure_calls(tree))


def _figure_calls(tree: nodes.Template) -> frozenset[FigureCall]:
    """The figure() calls of a template: `figure("surgery", only="fusion")` is that one drawing;
    `figure("pathway", step=visit.pathway_step)` any drawing of the pathway; `figure` used any other
    way (a name worked out when rendered, passed to a macro, `**options`) any drawing at all."""
    calls: set[FigureCall] = set()
    called = set()
    for call in tree.find_all(nodes.Call):
        if not (isinstance(call.node, nodes.Name) and call.node.name == FIGURE):
            continue
        called.add(id(call.node))
        first = call.args[0] if call.args else None
        name = first.value if isinstance(first, nodes.Const) and isinstance(first.value, str) else None
        constant = len(call.args) == 1 and call.dyn_args is None and call.dyn_kwargs is None
        constant = constant and all(isinstance(k.value, nodes.Const) for k in call.kwargs)
        options = tuple(sorted((k.key, k.value.value) for k in call.kwargs)) if constant else None
        calls.add((name, options if name is not None else None))
    if any(n.name == FIGURE and id(n) not in called for n in tree.find_all(nodes.Name)):
        calls.add((None, None))
    return frozenset(calls)
