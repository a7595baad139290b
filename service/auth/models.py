"""Tables of identity and access: the service accounts behind client-credentials tokens."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, Table, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY

from service.db import metadata
from service.people.models import org_fk, timestamps, uuid_pk

service_accounts = Table(
    "service_accounts",
    metadata,
    uuid_pk(),
    org_fk(),
    Column("client_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("scopes", ARRAY(Text), nullable=False, server_default="{}"),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
    UniqueConstraint("org_id", "id"),
    UniqueConstraint("org_id", "client_id"),
)
