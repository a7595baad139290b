"""Query fields of the audit log (HR admins only)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service.audit import queries
from service.audit.types import ACTOR_NODE_TYPES, AuditEvent, AuditEventFilter
from service.auth import policies
from service.errors import ErrorCode, UserInputError
from service.graphql.ids import decode_optional, parse_global_id
from service.graphql.pagination import Connection, PageArgs, paged, paginate

MAX_TEXT = 100


def _criteria(f: AuditEventFilter) -> queries.AuditEventFilter:
    for name, value in (("entityType", f.entity_type), ("action", f.action)):
        if value is not None and len(value) > MAX_TEXT:
            raise UserInputError.one(
                ("filter", name), f"is longer than {MAX_TEXT} characters", ErrorCode.TOO_LONG
            )
    entity_type, entity_id = f.entity_type, None
    if f.entity_id is not None:
        parsed = parse_global_id(f.entity_id)
        if parsed is None:
            raise UserInputError.one(("filter", "entityId"), "is not a valid ID")
        if entity_type is not None and entity_type != parsed[0]:
            raise UserInputError.one(("filter", "entityId"), f"is not the ID of a {entity_type}")
        entity_type, entity_id = parsed
    if f.since is not None and f.until is not None and f.since > f.until:
        raise UserInputError.one(("filter", "until"), "is before `since`")
    return queries.AuditEventFilter(
        entity_type=entity_type,
        entity_id=entity_id,
        actor_id=decode_optional(f.actor_id, ACTOR_NODE_TYPES.values(), ("filter", "actorId")),
        action=f.action,
        since=f.since,
        until=f.until,
    )


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="The audit log, newest first: every change made through the API. "
        "Requires `career:admin`."
    )
    @paged
    async def audit_events(
        self,
        info: Info,
        paging: PageArgs,
        filter: Annotated[
            AuditEventFilter | None,
            strawberry.argument(description="Conditions the events must meet."),
        ] = None,
    ) -> Connection[AuditEvent]:
        policies.require_admin(await info.context.principal())
        return await paginate(
            info,
            queries.audit_events_select(_criteria(filter or AuditEventFilter())),
            paging,
            AuditEvent.from_row,
        )
