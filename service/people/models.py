"""Tables of the people domain: organizations, org units, employees, position history."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from service.db import (
    metadata,
    org_fk,
    reference,
    settings_table,
    status_column,
    tenant_table,
    timestamps,
    uuid_pk,
    versioned,
    written_at,
)


class EmployeeStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ON_LEAVE = "ON_LEAVE"
    TERMINATED = "TERMINATED"


class PositionChangeKind(StrEnum):
    HIRE = "HIRE"
    PROMOTION = "PROMOTION"
    LATERAL_MOVE = "LATERAL_MOVE"
    DEMOTION = "DEMOTION"
    TRANSFER = "TRANSFER"
    MANAGER_CHANGE = "MANAGER_CHANGE"
    TERMINATION = "TERMINATION"


# The tenant registry: not itself a tenant table (a token's org claim is resolved here
# before the tenant is known), and holding nothing but names.
organizations = Table(
    "organizations",
    metadata,
    uuid_pk(),
    Column("slug", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    written_at("created_at"),
    # Raised in the same transaction as any change to the organization's framework
    # (``framework_changed()``, migration 0015): the key of cached framework reads.
    Column("framework_revision", BigInteger, nullable=False, server_default="0"),
)

org_units = tenant_table(
    "org_units",
    Column("external_id", Text),
    Column("name", Text, nullable=False),
    *reference("parent_id", "org_units", nullable=True),
    *timestamps(),
    UniqueConstraint("org_id", "external_id"),
)

employees = tenant_table(
    "employees",
    Column("external_id", Text),
    Column("auth_subject", Text),
    Column("email", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("title", Text),
    Column("role_id", UUID(as_uuid=True)),
    *reference("org_unit_id", "org_units", nullable=True),
    *reference("manager_id", "employees", nullable=True),
    Column("location", Text),
    Column("hire_date", Date),
    status_column(EmployeeStatus.ACTIVE),
    Column("termination_date", Date),
    Column("termination_reason", Text),
    # The HRIS's ID of a manager not synced yet; resolved when they arrive (``sync``).
    Column("pending_manager_external_id", Text),
    *versioned(),
    UniqueConstraint("org_id", "external_id"),
    UniqueConstraint("org_id", "auth_subject"),
    Index("uq_employees_org_id_email", "org_id", func.lower(text("email")), unique=True),
    Index("ix_employees_manager_id", "org_id", "manager_id"),
    Index("ix_employees_org_unit_id", "org_id", "org_unit_id"),
)

position_history = Table(
    "position_history",
    metadata,
    uuid_pk(),
    org_fk(),
    *reference("employee_id", "employees"),
    Column("kind", Text, nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("role_id", UUID(as_uuid=True)),
    Column("previous_role_id", UUID(as_uuid=True)),
    Column("org_unit_id", UUID(as_uuid=True)),
    Column("previous_org_unit_id", UUID(as_uuid=True)),
    Column("manager_id", UUID(as_uuid=True)),
    Column("previous_manager_id", UUID(as_uuid=True)),
    Column("title", Text),
    Column("source_type", Text),
    Column("source_id", UUID(as_uuid=True)),
    Column("note", Text),
    written_at("created_at"),
    Index("ix_position_history_employee", "org_id", "employee_id", "effective_date"),
)

# An organization's people settings; no row means the defaults.
people_settings = settings_table(
    "people_settings",
    # Every employee sees everyone's name, title, org unit, role and manager.
    Column("directory_visible", Boolean, nullable=False, server_default="true"),
)
