"""Tables of the webhooks domain: endpoints, the outbox of events, deliveries, attempts.

An event is written once, in the transaction of the change it reports; each endpoint
subscribed to its type at that moment gets one delivery, retried until it succeeds or
gives up, and every try of a delivery is kept as an attempt (status code, error, time).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP, UUID

from service.db import metadata, org_fk, timestamps, uuid_pk


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


webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    uuid_pk(),
    org_fk(),
    Column("url", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("event_types", ARRAY(Text), nullable=False),
    Column("status", Text, nullable=False, server_default=WebhookEndpointStatus.ENABLED.value),
    Column("disabled_reason", Text),
    Column("disabled_at", TIMESTAMP(timezone=True)),
    Column("secret", Text, nullable=False),
    Column("previous_secret", Text),
    Column("previous_secret_expires_at", TIMESTAMP(timezone=True)),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("failing_since", TIMESTAMP(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
    UniqueConstraint("org_id", "id"),
    Index("ix_webhook_endpoints_org", "org_id", "created_at"),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    uuid_pk(),
    org_fk(),
    Column("type", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("occurred_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("org_id", "id"),
    Index("ix_webhook_events_org_time", "org_id", "occurred_at"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    uuid_pk(),
    org_fk(),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("endpoint_id", UUID(as_uuid=True), nullable=False),
    Column("status", Text, nullable=False, server_default=WebhookDeliveryStatus.PENDING.value),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", TIMESTAMP(timezone=True)),
    Column("claimed_until", TIMESTAMP(timezone=True)),
    Column("claim_token", UUID(as_uuid=True)),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    *timestamps(),
    Column("finished_at", TIMESTAMP(timezone=True)),
    UniqueConstraint("org_id", "id"),
    ForeignKeyConstraint(
        ["org_id", "event_id"], ["webhook_events.org_id", "webhook_events.id"], ondelete="CASCADE"
    ),
    ForeignKeyConstraint(
        ["org_id", "endpoint_id"],
        ["webhook_endpoints.org_id", "webhook_endpoints.id"],
        ondelete="CASCADE",
    ),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    uuid_pk(),
    org_fk(),
    Column("delivery_id", UUID(as_uuid=True), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("started_at", TIMESTAMP(timezone=True), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("response_body", Text),
    Column("next_attempt_at", TIMESTAMP(timezone=True)),
    UniqueConstraint("org_id", "id"),
    ForeignKeyConstraint(
        ["org_id", "delivery_id"],
        ["webhook_deliveries.org_id", "webhook_deliveries.id"],
        ondelete="CASCADE",
    ),
    Index("ix_webhook_attempts_delivery", "org_id", "delivery_id", "attempt"),
)
