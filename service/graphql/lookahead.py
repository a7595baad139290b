"""Look-ahead at a query's selection, so a list can load what its items need in one go.

A list resolver (a page of roles, of employees) reads which fields are selected on its
items and loads them for all items at once; the item fields then answer synchronously from
what was loaded. A field whose value was not loaded in advance returns an awaitable
instead (``later``), which graphql-core awaits: items read on their own still work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import Any, TypeVar, cast

from strawberry.types import Info
from strawberry.types.nodes import SelectedField

T = TypeVar("T")


def later(result: Awaitable[T]) -> T:
    """Return an awaitable from a synchronous resolver: graphql-core awaits it. A field
    whose value a list has loaded in advance then costs no coroutine, and still loads on
    its own when it was not."""
    return cast(T, result)


def children(fields: Iterable[Any]) -> list[SelectedField]:
    """The fields selected directly below ``fields``, through fragments."""
    out: list[SelectedField] = []

    def walk(selections: Iterable[Any]) -> None:
        for s in selections:
            if isinstance(s, SelectedField):
                out.append(s)
            else:  # inline fragment or fragment spread
                walk(s.selections)

    for f in fields:
        walk(f.selections)
    return out


def named(fields: Iterable[SelectedField], *names: str) -> list[SelectedField]:
    """The fields of ``fields`` with one of ``names``."""
    return [f for f in fields if f.name in names]


def current(info: Info) -> list[SelectedField]:
    """The field being resolved, as selected (with what is selected below it)."""
    return [f for f in info.selected_fields if isinstance(f, SelectedField)]


def selected_below(info: Info) -> list[SelectedField]:
    """The fields selected on the value of the field being resolved."""
    return children(info.selected_fields)


def connection_nodes(info: Info) -> list[SelectedField]:
    """The fields selected on the nodes of the connection being resolved (``nodes`` and
    ``edges { node }``)."""
    top = children(info.selected_fields)
    nodes = named(top, "nodes") + named(children(named(top, "edges")), "node")
    return children(nodes)
