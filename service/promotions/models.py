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
    Index,
    Numeric,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP, UUID

from service.db import (
    actor,
    keyed_table,
    reference,
    settings_table,
    status_column,
    tenant_table,
    timestamps,
    versioned,
    written_at,
)


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


promotion_settings = settings_table(
    "promotion_settings",
    Column("require_second_approver", Boolean, nullable=False, server_default="false"),
    Column("show_open_cases_to_employee", Boolean, nullable=False, server_default="false"),
)

promotions = tenant_table(
    "promotions",
    *reference("employee_id", "employees"),
    *reference("from_role_id", "roles", nullable=True),
    *reference("to_role_id", "roles"),
    status_column(PromotionStatus.PROPOSED),
    Column("justification", Text, nullable=False),
    Column("evidence", JSONB, nullable=False),
    Column("assessment_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    Column("override_reason", Text),
    Column("effective_date", Date, nullable=False),
    *actor("proposer"),
    *actor("decider"),
    Column("decided_at", TIMESTAMP(timezone=True)),
    Column("decision_note", Text),
    Column("effective_at", TIMESTAMP(timezone=True)),
    *versioned(),
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

readiness_snapshots = tenant_table(
    "readiness_snapshots",
    *reference("employee_id", "employees"),
    *reference("role_id", "roles"),
    *reference("target_role_id", "roles"),
    Column("readiness", Numeric(5, 4)),
    written_at("taken_at"),
    Index("ix_readiness_snapshots_employee", "org_id", "employee_id", "role_id", "taken_at"),
    organization_fk=False,
)

succession_plans = tenant_table(
    "succession_plans",
    *reference("role_id", "roles", nullable=True),
    *reference("incumbent_id", "employees", nullable=True),
    Column("criticality", Text, nullable=False, server_default=Criticality.MEDIUM.value),
    Column("note", Text),
    Column("archived_at", TIMESTAMP(timezone=True)),
    *versioned(),
)

successors = keyed_table(
    "successors",
    ("plan_id", "employee_id"),
    *reference("plan_id", "succession_plans"),
    *reference("employee_id", "employees"),
    Column("readiness", Text, nullable=False),
    Column("note", Text),
    *timestamps(),
)
