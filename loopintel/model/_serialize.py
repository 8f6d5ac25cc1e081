"""The one way a frozen value becomes a JSON-ready dict.

Every value's ``to_dict()`` comes here, so a datetime, an enum or a nested value is
written the same way wherever it appears. What a class writes differently from its
fields in order is declared on the class as a :class:`Shape`, never hand-written.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

import attrs

__all__ = ["Serializable", "Shape", "to_dict"]


@attrs.frozen
class Shape:
    """How a class's dict differs from its fields, written in order.

    Example:
        >>> Shape(flatten=("ref",), computed=("ratio",))  # doctest: +SKIP

    """

    flatten: tuple[str, ...] = ()
    """Fields whose value's own keys take the field's place (``Function.ref`` is
    written as ``path`` and ``qualname``)."""
    text: tuple[str, ...] = ()
    """Fields written as ``str(value)`` (``FunctionCoverage.ref`` as ``path::qualname``)."""
    computed: tuple[str, ...] = ()
    """Properties written as keys too, in this order, after the fields (or after
    ``after``)."""
    after: str | None = None
    """The field the computed keys follow; ``None``: they come last."""
    omit: tuple[str, ...] = ()
    """Fields left out of the dict."""


PLAIN = Shape()
"""The shape of a class that declares none: its fields, in order, as they are."""


_AS_IS = frozenset({str, int, float, bool, type(None)})
"""Types JSON holds as they are: checked first, they are most of what is written."""


def json_ready(value: Any) -> Any:
    """``value`` as JSON can hold it.

    Datetimes become ISO 8601 text with their offset, enums their value, tuples and
    lists lists, frozen values their dict (:func:`to_dict`); anything else is kept.
    """
    if type(value) in _AS_IS:
        return value
    # Enums before the rest: a StrEnum is also a str, and is written as its plain value.
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [json_ready(item) for item in value]
    if attrs.has(type(value)):
        return to_dict(value)
    return value


_VALUE, _FLAT, _TEXT = range(3)
"""How a key is written: its value made JSON-ready, spliced in, or as text."""

Plan = tuple[tuple[str, int], ...]
"""The attributes a class writes, in order, each with how it is written."""

_PLANS: dict[type, Plan] = {}
"""The plan of each class met so far: exports write thousands of values of one class."""


def _plan(cls: type) -> Plan:
    """The plan that writes a value of ``cls``, worked out once per class."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _make_plan(cls)
    return plan


def _make_plan(cls: type) -> Plan:
    shape: Shape = getattr(cls, "_shape", PLAIN)
    names = [f.name for f in attrs.fields(cls)]
    declared = {*shape.flatten, *shape.text, *shape.omit}
    if shape.after is not None:
        declared.add(shape.after)
    if not declared <= set(names):
        raise TypeError(f"{cls.__name__}'s shape names no field {sorted(declared - set(names))}")
    computed = [(name, _VALUE) for name in shape.computed]
    plan: list[tuple[str, int]] = []
    for name in names:
        if name in shape.omit:
            continue
        how = _FLAT if name in shape.flatten else _TEXT if name in shape.text else _VALUE
        plan.append((name, how))
        if name == shape.after:
            plan.extend(computed)
    if shape.after is None:
        plan.extend(computed)
    return tuple(plan)


def to_dict(value: Any) -> dict[str, Any]:
    """A frozen value as a JSON-ready dict, shaped as its class declares.

    Args:
        value: an attrs instance (a loopintel value).

    Returns:
        Its fields in order (then any computed keys), each made :func:`json_ready`.

    Raises:
        attrs.exceptions.NotAnAttrsClassError: ``value`` is not an attrs instance.
        TypeError: its class's shape names a field it does not have.

    """
    record: dict[str, Any] = {}
    for name, how in _plan(type(value)):
        item = getattr(value, name)
        if how == _VALUE:
            record[name] = item if type(item) in _AS_IS else json_ready(item)
        elif how == _FLAT:
            record.update(to_dict(item))
        else:
            record[name] = str(item)
    return record


class Serializable:
    """Base of loopintel's values: ``to_dict()`` through :func:`to_dict`.

    A subclass declares what it writes differently in a ``_shape`` class variable.
    """

    __slots__ = ()

    _shape: ClassVar[Shape] = PLAIN
    """What the class writes differently from its fields in order."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: fields in order, datetimes ISO 8601, enums their value."""
        return to_dict(self)
