"""Tables of identity and access: the service accounts behind client-credentials tokens,
and the employees named HR admins."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKeyConstraint,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY

from service.db import metadata, org_fk, tenant_table, versioned, written_at

service_accounts = tenant_table(
    "service_accounts",
    Column("client_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("scopes", ARRAY(Text), nullable=False, server_default="{}"),
    Column("active", Boolean, nullable=False, server_default="true"),
    *versioned(),
    UniqueConstraint("org_id", "client_id"),
    organization_fk=False,
)

#: Employees careerpath names HR admins: a ``career:admin`` token acts as admin only for
#: them (or for people the configured admin claim names). Revoking deletes the row; the
#: audit log keeps the history.
hr_admins = Table(
    "hr_admins",
    metadata,
    org_fk(),
    Column("employee_id", Uuid, nullable=False),
    written_at("granted_at"),
    PrimaryKeyConstraint("org_id", "employee_id", name="pk_hr_admins"),
    ForeignKeyConstraint(
        ["org_id", "employee_id"],
        ["employees.org_id", "employees.id"],
        name="fk_hr_admins_employee",
    ),
)
