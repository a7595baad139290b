"""Tables of the webhooks domain: endpoints, the outbox of events, deliveries, attempts.

An event is written once, in the transaction of the change it reports; each endpoint
subscribed to its type at that moment gets one delivery, retried until it succeeds or
gives up, and every try of a delivery is kept as an attempt (status code, error, time).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    Column,
    Index,
    Integer,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP, UUID

from service.db import reference, status_column, tenant_table, timestamps, versioned, written_at


class WebhookEndpointStatus(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class WebhookDisabledReason(StrEnum):
    MANUAL = "MANUAL"
    GONE = "GONE"
    FAILING = "FAILING"


class WebhookDeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


webhook_endpoints = tenant_table(
    "webhook_endpoints",
    Column("url", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("event_types", ARRAY(Text), nullable=False),
    status_column(WebhookEndpointStatus.ENABLED),
    Column("disabled_reason", Text),
    Column("disabled_at", TIMESTAMP(timezone=True)),
    Column("secret", Text, nullable=False),
    Column("previous_secret", Text),
    Column("previous_secret_expires_at", TIMESTAMP(timezone=True)),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("failing_since", TIMESTAMP(timezone=True)),
    *versioned(),
    Index("ix_webhook_endpoints_org", "org_id", "created_at"),
    organization_fk=False,
)

webhook_events = tenant_table(
    "webhook_events",
    Column("type", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    written_at("occurred_at"),
    Index("ix_webhook_events_org_time", "org_id", "occurred_at"),
    organization_fk=False,
)

webhook_deliveries = tenant_table(
    "webhook_deliveries",
    *reference("event_id", "webhook_events", ondelete="CASCADE"),
    *reference("endpoint_id", "webhook_endpoints", ondelete="CASCADE"),
    status_column(WebhookDeliveryStatus.PENDING),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", TIMESTAMP(timezone=True)),
    Column("claimed_until", TIMESTAMP(timezone=True)),
    Column("claim_token", UUID(as_uuid=True)),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    *timestamps(),
    Column("finished_at", TIMESTAMP(timezone=True)),
    organization_fk=False,
)

webhook_attempts = tenant_table(
    "webhook_attempts",
    *reference("delivery_id", "webhook_deliveries", ondelete="CASCADE"),
    Column("attempt", Integer, nullable=False),
    Column("started_at", TIMESTAMP(timezone=True), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("response_body", Text),
    Column("next_attempt_at", TIMESTAMP(timezone=True)),
    Index("ix_webhook_attempts_delivery", "org_id", "delivery_id", "attempt"),
    organization_fk=False,
)
