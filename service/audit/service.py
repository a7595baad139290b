"""Writing the audit log, in the same transaction as the change it records."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert

from service.audit.models import audit_events
from service.auth.principal import Principal
from service.db import Executor


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, Any]:
    """``{field: {"from": old, "to": new}}`` for the fields whose value changed."""
    before = before or {}
    return {
        key: {"from": _jsonable(before.get(key)), "to": _jsonable(value)}
        for key, value in after.items()
        if before.get(key) != value
    }


def event(
    principal: Principal,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | None,
    changes: Mapping[str, Any],
) -> dict[str, Any]:
    """The row of one audit event, for ``record_many``."""
    return {
        "org_id": principal.org_id,
        "actor_type": principal.actor_type.value,
        "actor_id": principal.actor_id,
        "actor_subject": principal.subject,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "changes": _jsonable(changes),
    }


async def record(
    db: Executor,
    principal: Principal,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | None,
    changes: Mapping[str, Any],
) -> None:
    await db.execute(
        insert(audit_events).values(**event(principal, action, entity_type, entity_id, changes))
    )


async def record_many(db: Executor, events: Sequence[dict[str, Any]]) -> None:
    """Write events made by ``event`` in one statement."""
    if events:
        await db.execute(insert(audit_events), list(events))
