"""Tables of the promotions domain: promotion cases, the organization's promotion
settings, readiness history, succession plans and their successors.

A promotion case moves PROPOSED → APPROVED / REJECTED / CANCELLED and APPROVED →
EFFECTIVE (or CANCELLED before its date). PROPOSED and APPROVED cases are *open*; a partial
unique index allows one open case per employee. ``evidence`` is the gap analysis against
the target role frozen when the case was proposed. ``readiness_snapshots`` keeps an
employee's readiness for their next role over time: a row whenever the value changes (after
ratings are submitted, calibrated or imported, and after a role change).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP, UUID

from service.db import metadata, org_fk, timestamps, uuid_pk


class PromotionStatus(StrEnum):
    PROPOSED = "PROPOSED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    EFFECTIVE = "EFFECTIVE"


OPEN_STATUSES = (PromotionStatus.PROPOSED.value, PromotionStatus.APPROVED.value)
DECIDED_STATUSES = (
    PromotionStatus.APPROVED.value,
    PromotionStatus.REJECTED.value,
    PromotionStatus.EFFECTIVE.value,
)


class SuccessorReadiness(StrEnum):
    READY_NOW = "READY_NOW"
    ONE_TO_TWO_YEARS = "ONE_TO_TWO_YEARS"
    THREE_PLUS_YEARS = "THREE_PLUS_YEARS"


class Criticality(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


def _actor(prefix: str) -> list[Column]:
    """Who did something: the actor's type (EMPLOYEE, SERVICE_ACCOUNT, SYSTEM) and ID."""
    return [
        Column(f"{prefix}_type", Text),
        Column(f"{prefix}_id", UUID(as_uuid=True)),
    ]


promotion_settings = Table(
    "promotion_settings",
    metadata,
    org_fk(),
    Column("require_second_approver", Boolean, nullable=False, server_default="false"),
    Column("show_open_cases_to_employee", Boolean, nullable=False, server_default="false"),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
    PrimaryKeyConstraint("org_id"),
    ForeignKeyConstraint(["org_id"], ["organizations.id"]),
)

promotions = Table(
    "promotions",
    metadata,
    uuid_pk(),
    org_fk(),
    Column("employee_id", UUID(as_uuid=True), nullable=False),
    Column("from_role_id", UUID(as_uuid=True)),
    Column("to_role_id", UUID(as_uuid=True), nullable=False),
    Column("status", Text, nullable=False, server_default=PromotionStatus.PROPOSED.value),
    Column("justification", Text, nullable=False),
    Column("evidence", JSONB, nullable=False),
    Column("assessment_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    Column("override_reason", Text),
    Column("effective_date", Date, nullable=False),
    *_actor("proposer"),
    *_actor("decider"),
    Column("decided_at", TIMESTAMP(timezone=True)),
    Column("decision_note", Text),
    Column("effective_at", TIMESTAMP(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
    UniqueConstraint("org_id", "id"),
    ForeignKeyConstraint(["org_id"], ["organizations.id"]),
    ForeignKeyConstraint(["org_id", "employee_id"], ["employees.org_id", "employees.id"]),
    ForeignKeyConstraint(["org_id", "from_role_id"], ["roles.org_id", "roles.id"]),
    ForeignKeyConstraint(["org_id", "to_role_id"], ["roles.org_id", "roles.id"]),
    Index(
        "uq_promotions_open",
        "org_id",
        "employee_id",
        unique=True,
        postgresql_where=text("status in ('PROPOSED', 'APPROVED')"),
    ),
    Index("ix_promotions_employee", "org_id", "employee_id", "created_at"),
    Index("ix_promotions_status", "org_id", "status", "created_at"),
    Index("ix_promotions_created", "org_id", "created_at"),
    Index(
        "ix_promotions_due",
        "org_id",
        "effective_date",
        postgresql_where=text("status = 'APPROVED'"),
    ),
)

readiness_snapshots = Table(
    "readiness_snapshots",
    metadata,
    uuid_pk(),
    org_fk(),
    Column("employee_id", UUID(as_uuid=True), nullable=False),
    Column("role_id", UUID(as_uuid=True), nullable=False),
    Column("target_role_id", UUID(as_uuid=True), nullable=False),
    Column("readiness", Numeric(5, 4)),
    Column("taken_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("org_id", "id"),
    ForeignKeyConstraint(["org_id", "employee_id"], ["employees.org_id", "employees.id"]),
    ForeignKeyConstraint(["org_id", "role_id"], ["roles.org_id", "roles.id"]),
    ForeignKeyConstraint(["org_id", "target_role_id"], ["roles.org_id", "roles.id"]),
    Index("ix_readiness_snapshots_employee", "org_id", "employee_id", "role_id", "taken_at"),
)

succession_plans = Table(
    "succession_plans",
    metadata,
    uuid_pk(),
    org_fk(),
    Column("role_id", UUID(as_uuid=True)),
    Column("incumbent_id", UUID(as_uuid=True)),
    Column("criticality", Text, nullable=False, server_default=Criticality.MEDIUM.value),
    Column("note", Text),
    Column("archived_at", TIMESTAMP(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    *timestamps(),
    UniqueConstraint("org_id", "id"),
    ForeignKeyConstraint(["org_id"], ["organizations.id"]),
    ForeignKeyConstraint(["org_id", "role_id"], ["roles.org_id", "roles.id"]),
    ForeignKeyConstraint(["org_id", "incumbent_id"], ["employees.org_id", "employees.id"]),
)

successors = Table(
    "successors",
    metadata,
    org_fk(),
    Column("plan_id", UUID(as_uuid=True), nullable=False),
    Column("employee_id", UUID(as_uuid=True), nullable=False),
    Column("readiness", Text, nullable=False),
    Column("note", Text),
    *timestamps(),
    PrimaryKeyConstraint("org_id", "plan_id", "employee_id"),
    ForeignKeyConstraint(["org_id", "plan_id"], ["succession_plans.org_id", "succession_plans.id"]),
    ForeignKeyConstraint(["org_id", "employee_id"], ["employees.org_id", "employees.id"]),
)
