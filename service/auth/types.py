"""GraphQL types of identity and access: scopes and service accounts."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from service.auth import policies, queries
from service.auth.scopes import Scope as ScopeValue
from service.graphql.enums import graphql_enum
from service.graphql.node import load_rows

Scope = graphql_enum(
    ScopeValue,
    "An OAuth scope careerpath understands; tokens carry its value, e.g. `career:hris`.",
    {s.name: f"`{s.value}`: {s.description}" for s in ScopeValue},
)


async def _service_accounts_by_id(ctx: Any, ids: Sequence[uuid.UUID]) -> list[Any | None]:
    return await queries.service_accounts_by_id(ctx, ids)


@strawberry.type(
    description="An integration (HRIS sync, automation) calling careerpath with OAuth "
    "client-credentials tokens. Its tokens act with the scopes they carry that the account "
    "allows. Visible to HR admins only."
)
class ServiceAccount(relay.Node):
    pk: strawberry.Private[uuid.UUID]
    client_id: str = strawberry.field(
        description="The OAuth client ID, as the identity provider puts it in `client_id`, "
        "`azp`, `cid` or `appid`."
    )
    name: str = strawberry.field(
        description="What the integration is, for people reading the audit log."
    )
    scopes: list[Scope] = strawberry.field(  # type: ignore[valid-type]
        description="Scopes its tokens may use; any others they carry are ignored."
    )
    active: bool = strawberry.field(description="Whether its tokens are accepted.")
    version: int = strawberry.field(description="Incremented by every change.")
    created_at: dt.datetime = strawberry.field(description="When it was registered.")
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_row(cls, row: Any) -> ServiceAccount:
        return cls(
            pk=row.id,
            client_id=row.client_id,
            name=row.name,
            scopes=[Scope(s) for s in row.scopes],
            active=row.active,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    def resolve_id(cls, root: Self, *, info: Info) -> str:
        return str(root.pk)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ServiceAccount | None]:
        ids = list(node_ids)
        if not policies.is_admin(await info.context.principal()):
            return [None for _ in ids]
        rows = await load_rows(info, _service_accounts_by_id, ids)
        return [cls.from_row(row) if row is not None else None for row in rows]
