"""Templates get data, not objects: what a template may reach is turned into plain values here.

A practice's templates are data, and the sandbox alone did not make them so: a pydantic model in
the context carries methods (`parse_raw(..., proto="pickle")` unpickles, `parse_file` reads a
file), and a template could call them. So every model becomes a `Record` (its fields and the
properties templates print, and no methods), a sequence a tuple, a mapping a dict of plain values;
anything else is a bug of ours, refused here rather than handed to a template.
"""

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel

SCALARS = (str, int, float, bool, date, type(None))  # Markup is a str; date includes no datetime here


class Record:
    """A read-only record of plain values with attribute and item access and no methods of its own:
    `practice.name`, `fields["procedure"]`. A name it does not hold is missing, which the template's
    strict undefined reports."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a record is read-only")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and self._values == other._values

    __hash__ = None  # type: ignore[assignment]  # equal by value, and its values may be unhashable

    def __repr__(self) -> str:
        return f"Record({self._values!r})"


def _properties(model: BaseModel) -> dict[str, Any]:
    """The read-only properties a model class of ours defines (a surgeon's display name, a module's
    template name): values templates print, worked out once here."""
    found: dict[str, Any] = {}
    for cls in type(model).__mro__:
        if cls is BaseModel:
            break
        for name, member in vars(cls).items():
            if isinstance(member, property) and not name.startswith("_"):
                found.setdefault(name, getattr(model, name))
    return found


def plain(value: Any) -> Any:
    """`value` as plain data for a template: scalars and Markup as they are, models as Records,
    sequences as tuples, mappings as dicts; anything else is refused (a bug: a live object)."""
    if isinstance(value, SCALARS):  # Markup is a str
        return value
    if isinstance(value, BaseModel):
        fields = {name: plain(getattr(value, name)) for name in type(value).model_fields}
        return Record(fields | {name: plain(v) for name, v in _properties(value).items()})
    if isinstance(value, Record):
        return value
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return tuple(plain(item) for item in value)
    raise TypeError(f"{type(value).__name__} is not plain data for a template")
