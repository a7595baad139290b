"""Read side of the audit log: the filtered, newest-first list of events."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from service.audit.models import audit_events
from service.db import Executor


@dataclass(frozen=True)
class AuditEventFilter:
    """Conditions on audit events; all given ones must hold."""

    entity_type: str | None = None
    entity_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    action: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def audit_events_select(f: AuditEventFilter) -> Select[Any]:
    """Audit events matching ``f``, newest first (in the order they were written)."""
    c = audit_events.c
    stmt = select(audit_events)
    if f.entity_type is not None:
        stmt = stmt.where(c.entity_type == f.entity_type)
    if f.entity_id is not None:
        stmt = stmt.where(c.entity_id == f.entity_id)
    if f.actor_id is not None:
        stmt = stmt.where(c.actor_id == f.actor_id)
    if f.action is not None:
        stmt = stmt.where(c.action == f.action)
    if f.since is not None:
        stmt = stmt.where(c.occurred_at >= f.since)
    if f.until is not None:
        stmt = stmt.where(c.occurred_at < f.until)
    return stmt.order_by(c.seq.desc())


async def audit_events_by_id(db: Executor, ids: Sequence[uuid.UUID]) -> list[Any | None]:
    rows = (await db.execute(select(audit_events).where(audit_events.c.id.in_(set(ids))))).all()
    found = {r.id: r for r in rows}
    return [found.get(i) for i in ids]
