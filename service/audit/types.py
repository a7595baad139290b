"""GraphQL types of the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from service.audit import queries
from service.auth import policies
from service.auth.principal import ActorType as ActorTypeValue
from service.graphql.enums import graphql_enum
from service.graphql.ids import encode_id
from service.graphql.node import RowNode

ActorType = graphql_enum(
    ActorTypeValue,
    "Who made a change.",
    {
        "EMPLOYEE": "A person, signed in with their own token.",
        "SERVICE_ACCOUNT": "An integration with a client-credentials token.",
        "SYSTEM": "careerpath itself: the CLI, the demo loader, scheduled jobs.",
    },
)

#: GraphQL type of an actor's global ID, by actor type.
ACTOR_NODE_TYPES = {
    ActorTypeValue.EMPLOYEE: "Employee",
    ActorTypeValue.SERVICE_ACCOUNT: "ServiceAccount",
}


@strawberry.type(
    description="One change made through the API: who, what, to which object, and the "
    "values before and after. Written in the same transaction as the change. Visible to "
    "HR admins only."
)
class AuditEvent(RowNode):
    rows_by_id = queries.audit_events_by_id

    occurred_at: dt.datetime = strawberry.field(description="When the change was made.")
    actor_type: ActorType = strawberry.field(  # type: ignore[valid-type]
        description="An employee, a service account, or careerpath itself (CLI, scheduled jobs)."
    )
    actor_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the `Employee` or `ServiceAccount` that made the change; "
        "null for SYSTEM."
    )
    actor_subject: str | None = strawberry.field(
        description="The token subject (`sub`) of the caller, kept even if the actor is removed later."
    )
    action: str = strawberry.field(description="What was done, e.g. `employee.update`.")
    entity_type: str = strawberry.field(
        description="GraphQL type of the changed object, e.g. `Employee`."
    )
    entity_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the changed object."
    )
    changes: JSON = strawberry.field(
        description='Changed fields as `{"field": {"from": old, "to": new}}`; `from` is null '
        "for created objects."
    )

    @classmethod
    def from_row(cls, row: Any) -> AuditEvent:
        actor_type = ActorTypeValue(row.actor_type)
        actor_node = ACTOR_NODE_TYPES.get(actor_type)
        return cls(
            row=row,
            occurred_at=row.occurred_at,
            actor_type=ActorType(actor_type.value),
            actor_id=strawberry.ID(encode_id(actor_node, row.actor_id))
            if actor_node and row.actor_id
            else None,
            actor_subject=row.actor_subject,
            action=row.action,
            entity_type=row.entity_type,
            entity_id=strawberry.ID(encode_id(row.entity_type, row.entity_id))
            if row.entity_id
            else None,
            changes=row.changes,
        )

    @classmethod
    async def readable(cls, info: Info) -> bool:
        return policies.is_admin(await info.context.principal())


@strawberry.input(description="Narrows `auditEvents`; all given conditions must hold.")
class AuditEventFilter:
    entity_type: str | None = strawberry.field(
        default=None, description="Changed objects of this type, e.g. `Employee`."
    )
    entity_id: strawberry.ID | None = strawberry.field(
        default=None, description="Changes to this object."
    )
    actor_id: strawberry.ID | None = strawberry.field(
        default=None, description="Changes made by this `Employee` or `ServiceAccount`."
    )
    action: str | None = strawberry.field(
        default=None, description="This action, e.g. `employee.update`."
    )
    since: dt.datetime | None = strawberry.field(default=None, description="At or after this time.")
    until: dt.datetime | None = strawberry.field(default=None, description="Before this time.")
