"""Read side of the webhooks domain: endpoint and delivery lists, batch loaders."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from service.db import Executor
from service.kit import batch_grouped, in_ids, loader_by_id, where_given
from service.webhooks.models import (
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
    webhook_events,
)


def endpoints_select(status: str | None = None) -> Select[Any]:
    """The organization's endpoints, oldest first."""
    stmt = where_given(select(webhook_endpoints), (webhook_endpoints.c.status, status))
    return stmt.order_by(webhook_endpoints.c.created_at, webhook_endpoints.c.id)


@dataclass(frozen=True)
class DeliveryFilter:
    endpoint_id: uuid.UUID | None = None
    event_id: uuid.UUID | None = None
    event_type: str | None = None
    status: str | None = None


def deliveries_select(f: DeliveryFilter) -> Select[Any]:
    """Deliveries matching ``f``, newest first."""
    d = webhook_deliveries.c
    stmt = where_given(
        select(webhook_deliveries),
        (d.endpoint_id, f.endpoint_id),
        (d.event_id, f.event_id),
        (d.status, f.status),
    )
    if f.event_type is not None:
        stmt = stmt.where(
            webhook_deliveries.c.event_id.in_(
                select(webhook_events.c.id).where(webhook_events.c.type == f.event_type)
            )
        )
    return stmt.order_by(webhook_deliveries.c.created_at.desc(), webhook_deliveries.c.id.desc())


endpoints_by_id = loader_by_id(webhook_endpoints)
events_by_id = loader_by_id(webhook_events)
deliveries_by_id = loader_by_id(webhook_deliveries)
ATTEMPTS_BY_DELIVERY = (
    select(webhook_attempts)
    .where(in_ids(webhook_attempts.c.delivery_id))
    .order_by(webhook_attempts.c.delivery_id, webhook_attempts.c.attempt)
)


async def attempts_by_delivery(db: Executor, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    """Every attempt of each delivery, in order (a delivery has at most the retry
    schedule's length plus one)."""
    return await batch_grouped(db, ATTEMPTS_BY_DELIVERY, "delivery_id", ids)
