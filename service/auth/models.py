"""Tables of identity and access: the service accounts behind client-credentials tokens,
and the employees named HR admins."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKeyConstraint,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY

from service.db import metadata, org_fk, timestamps, uuid_pk, version_column

service_accounts = Table(
    "service_accounts",
    metadata,
    uuid_pk(),
    org_fk(),
    Column("client_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("scopes", ARRAY(Text), nullable=False, server_default="{}"),
    Column("active", Boolean, nullable=False, server_default="true"),
    version_column(),
    *timestamps(),
    UniqueConstraint("org_id", "id"),
    UniqueConstraint("org_id", "client_id"),
)

#: Employees careerpath names HR admins: a ``career:admin`` token acts as admin only for
#: them (or for people the configured admin claim names). Revoking deletes the row; the
#: audit log keeps the history.
hr_admins = Table(
    "hr_admins",
    metadata,
    org_fk(),
    Column("employee_id", Uuid, nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("org_id", "employee_id", name="pk_hr_admins"),
    ForeignKeyConstraint(
        ["org_id", "employee_id"],
        ["employees.org_id", "employees.id"],
        name="fk_hr_admins_employee",
    ),
)
