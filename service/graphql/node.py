"""Row-backed Node types, and ``node(id:)`` / ``nodes(ids:)``: any object by its global ID,
if the caller may see it.

A type stored as one table row subclasses ``RowNode`` (or ``VersionedNode`` when the row
has ``version``/``created_at``/``updated_at``), names its batch function and, when not every
reader may see every row, overrides ``visible``::

    @strawberry.type(description="...")
    class Widget(VersionedNode):
        rows_by_id = queries.widgets_by_id          # (executor, ids) -> rows in order

        @classmethod
        async def visible(cls, info, rows): ...     # optional: default is every row

Then ``Widget.from_row(row)``, ``Widget.resolve_nodes(...)`` (one batched statement per
request through the request's DataLoader) and the global ID come for free.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import cache
from typing import Annotated, Any, ClassVar, Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from service.errors import UserInputError
from service.graphql.ids import parse_global_id

MAX_NODES = 100

RowsById = Callable[[Any, Sequence[uuid.UUID]], Awaitable[Sequence[Any | None]]]


def uuids(node_ids: Iterable[str]) -> list[uuid.UUID | None]:
    """The UUIDs inside node IDs, None where one is malformed."""
    out: list[uuid.UUID | None] = []
    for node_id in node_ids:
        try:
            out.append(uuid.UUID(node_id))
        except ValueError:
            out.append(None)
    return out


async def load_rows(info: Info, batch: RowsById, node_ids: Iterable[str]) -> list[Any | None]:
    """Rows for ``node_ids`` in order through the request's loader; None for malformed IDs."""
    ids = uuids(node_ids)
    found = iter(await info.context.loader(batch).load_many([i for i in ids if i is not None]))
    return [next(found) if i is not None else None for i in ids]


@strawberry.type(description="An object stored as one row (not itself in the schema).")
class RowNode(relay.Node):
    """Base of row-backed Node types: ``row`` is the row, its ``id`` the global ID's UUID."""

    row: strawberry.Private[Any]
    rows_by_id: ClassVar[RowsById]

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(row=row)

    @classmethod
    def resolve_id(cls, root: Self, *, info: Info) -> str:
        return str(root.row.id)

    @classmethod
    async def visible(cls, info: Info, rows: Sequence[Any]) -> list[bool]:
        """Which of ``rows`` (all found) the caller may see; everyone sees all by default."""
        return [True for _ in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_rows(info, cls.rows_by_id, node_ids)
        found = [r for r in rows if r is not None]
        allowed = iter(await cls.visible(info, found) if found else [])
        out: list[Self | None] = []
        for row in rows:
            out.append(cls.from_row(row) if row is not None and next(allowed) else None)
        return out


@strawberry.type(description="A row-backed object with optimistic concurrency.")
class VersionedNode(RowNode):
    """A ``RowNode`` whose row has ``version``, ``created_at`` and ``updated_at``."""

    @strawberry.field(
        description="Incremented by every change; pass it to update mutations to refuse a "
        "change based on stale data."
    )
    def version(self) -> int:
        return int(self.row.version)

    @strawberry.field(description="When it was created.")
    def created_at(self) -> dt.datetime:
        return self.row.created_at

    @strawberry.field(description="When it last changed.")
    def updated_at(self) -> dt.datetime:
        return self.row.updated_at


def node_types(info: Info) -> dict[str, Any]:
    return _node_types(info.schema)


@cache
def _node_types(schema: Any) -> dict[str, Any]:
    """Object types implementing Node, by GraphQL name, read from the schema itself
    (interfaces extending Node, like the Node interface itself, have no objects of their own)."""
    found: dict[str, Any] = {}
    for name, gql_type in schema._schema.type_map.items():
        definition = getattr(gql_type, "extensions", {}).get("strawberry-definition")
        origin = getattr(definition, "origin", None)
        if getattr(definition, "is_interface", False):
            continue
        if origin is not None and isinstance(origin, type) and issubclass(origin, relay.Node):
            found[name] = origin
    return found


async def resolve_node(info: Info, global_id: str) -> relay.Node | None:
    parsed = parse_global_id(global_id)
    if parsed is None:
        return None
    type_name, value = parsed
    cls = node_types(info).get(type_name)
    if cls is None:
        return None
    nodes = await cls.resolve_nodes(info=info, node_ids=[str(value)], required=False)
    return next(iter(nodes), None)


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object by its global ID; null when it does not exist or "
        "the caller may not see it."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global ID.")],
    ) -> relay.Node | None:
        await info.context.principal()
        return await resolve_node(info, id)

    @strawberry.field(description=f"Objects by their global IDs, in order (at most {MAX_NODES}).")
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global IDs.")],
    ) -> list[relay.Node | None]:
        await info.context.principal()
        if len(ids) > MAX_NODES:
            raise UserInputError.one("ids", f"at most {MAX_NODES} IDs at once")
        # Gathered, so the loaders behind each type batch the lookups into one statement.
        return list(await asyncio.gather(*(resolve_node(info, i) for i in ids)))
