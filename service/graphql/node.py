"""``node(id:)`` and ``nodes(ids:)``: any object by its global ID, if the caller may see it."""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from service.errors import UserInputError
from service.graphql.ids import parse_global_id

MAX_NODES = 100


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
