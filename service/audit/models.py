"""The audit log: one row for every change made through the API."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Identity, Index, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from service.db import metadata, org_fk, uuid_pk, written_at

audit_events = Table(
    "audit_events",
    metadata,
    uuid_pk(),
    org_fk(),
    written_at("occurred_at"),
    Column("actor_type", Text, nullable=False),
    Column("actor_id", UUID(as_uuid=True)),
    Column("actor_subject", Text),
    Column("action", Text, nullable=False),
    Column("entity_type", Text, nullable=False),
    Column("entity_id", UUID(as_uuid=True)),
    Column("changes", JSONB, nullable=False, server_default="{}"),
    Column("seq", BigInteger, Identity(always=True), nullable=False),
    Index("ix_audit_events_org_time", "org_id", "occurred_at"),
    Index("ix_audit_events_entity", "org_id", "entity_type", "entity_id"),
    Index("ix_audit_events_org_seq", "org_id", "seq"),
)
