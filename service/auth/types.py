"""GraphQL types of identity and access: scopes and service accounts."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from service.auth import policies, queries
from service.auth.scopes import Scope as ScopeValue
from service.graphql.enums import graphql_enum
from service.graphql.node import VersionedNode, list_of

Scope = graphql_enum(
    ScopeValue,
    "An OAuth scope careerpath understands; tokens carry its value, e.g. `career:hris`.",
    {s.name: f"`{s.value}`: {s.description}" for s in ScopeValue},
)


@strawberry.type(
    description="An integration (HRIS sync, automation) calling careerpath with OAuth "
    "client-credentials tokens. Its tokens act with the scopes they carry that the account "
    "allows. Visible to HR admins only."
)
class ServiceAccount(VersionedNode):
    rows_by_id = queries.service_accounts_by_id
    converters = {"scopes": list_of(Scope)}

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

    @classmethod
    async def readable(cls, info: Info) -> bool:
        return policies.is_admin(await info.context.principal())
