"""Tables of the assessments domain: cycles, assessments, ratings and the derived table of
current proficiencies.

An assessment is written by one assessor about one subject; it is a DRAFT until submitted
and immutable afterwards (a later assessment supersedes it). ``current_proficiencies`` is
derived from submitted ratings, rewritten for an employee in the same transaction as each
submission, calibration or import: one row per employee, competency and *kind* of rating,
holding the latest rating of that kind (for PEER, the mean of each peer's latest rating).
Which kind counts as the employee's current level is decided when reading (see
``queries.resolved_*``), so the configured order and the staleness age apply at once,
without rebuilding anything. ``current_levels`` holds the same rows pivoted, one per
employee and competency with a (level, as-of) pair per kind, written by the same statement:
organization aggregates resolve each cell with a per-row expression instead of sorting.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Date, Index, Integer, Numeric, PrimaryKeyConstraint, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP, UUID

from service.db import (
    keyed_table,
    metadata,
    reference,
    status_column,
    tenant_table,
    timestamps,
    versioned,
)


class AssessmentKind(StrEnum):
    SELF = "SELF"
    MANAGER = "MANAGER"
    PEER = "PEER"
    CALIBRATION = "CALIBRATION"


class AssessmentStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"


class AssessmentSource(StrEnum):
    DIRECT = "DIRECT"  # written through the API
    IMPORT = "IMPORT"  # imported from a past review with importRatings


class AssessmentCycleStatus(StrEnum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class AssessmentCycleCoverage(StrEnum):
    ALL = "ALL"
    ORG_UNIT = "ORG_UNIT"
    EMPLOYEES = "EMPLOYEES"


assessment_cycles = tenant_table(
    "assessment_cycles",
    Column("name", Text, nullable=False),
    Column("description", Text),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    status_column(AssessmentCycleStatus.DRAFT),
    Column("kinds", ARRAY(Text), nullable=False),
    Column("coverage", Text, nullable=False, server_default=AssessmentCycleCoverage.ALL.value),
    *reference("org_unit_id", "org_units", nullable=True),
    Column("opened_at", TIMESTAMP(timezone=True)),
    Column("closed_at", TIMESTAMP(timezone=True)),
    *versioned(),
)

# The employees a cycle with coverage EMPLOYEES covers.
assessment_cycle_employees = keyed_table(
    "assessment_cycle_employees",
    ("cycle_id", "employee_id"),
    *reference("cycle_id", "assessment_cycles", ondelete="CASCADE"),
    *reference("employee_id", "employees"),
)

assessments = tenant_table(
    "assessments",
    *reference("cycle_id", "assessment_cycles", nullable=True),
    *reference("subject_id", "employees"),
    # Null for calibrations by service accounts and imported ratings without an assessor.
    *reference("assessor_id", "employees", nullable=True),
    Column("kind", Text, nullable=False),
    status_column(AssessmentStatus.DRAFT),
    Column("source", Text, nullable=False, server_default=AssessmentSource.DIRECT.value),
    *reference("invited_by_id", "employees", nullable=True),
    Column("submitted_at", TIMESTAMP(timezone=True)),
    *versioned(),
    Index("ix_assessments_subject", "org_id", "subject_id", "status"),
    Index("ix_assessments_assessor", "org_id", "assessor_id", "status"),
    Index("ix_assessments_cycle", "org_id", "cycle_id"),
)

ratings = keyed_table(
    "ratings",
    ("assessment_id", "competency_id"),
    *reference("assessment_id", "assessments", ondelete="CASCADE"),
    *reference("competency_id", "competencies"),
    Column("level", Integer, nullable=False),
    Column("evidence", Text),
    *timestamps(),
    Index("ix_ratings_competency", "org_id", "competency_id"),
)

current_proficiencies = keyed_table(
    "current_proficiencies",
    ("employee_id", "competency_id", "source_kind"),
    *reference("employee_id", "employees"),
    *reference("competency_id", "competencies"),
    Column("source_kind", Text, nullable=False),
    Column("level", Numeric(3, 1), nullable=False),
    Column("as_of", TIMESTAMP(timezone=True), nullable=False),
    Column("rating_count", Integer, nullable=False),
    Column("assessment_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
)


def _level_columns() -> list[Column[Any]]:
    """A (level, as-of) pair per kind of rating, and the number of peers behind PEER."""
    return [
        *(
            column
            for kind in AssessmentKind
            for column in (
                Column(f"{kind.value.lower()}_level", Numeric(3, 1)),
                Column(f"{kind.value.lower()}_as_of", TIMESTAMP(timezone=True)),
            )
        ),
        Column("peer_count", Integer),
    ]


# ``current_proficiencies`` pivoted: one row per employee and competency, a (level, as_of)
# pair per kind of rating (null without one) and the number of peers behind the PEER level.
current_levels = keyed_table(
    "current_levels",
    ("employee_id", "competency_id"),
    *reference("employee_id", "employees"),
    *reference("competency_id", "competencies"),
    *_level_columns(),
)

# One row per active employee and expectation of their current role: the required level,
# the person's org unit and role, and a copy of their ``current_levels`` row (nulls
# without one). Written only by database triggers, in the same transaction as every write
# to employees, role expectations and current levels (migration 0016); the organization
# summary reads it alone.
expectation_levels = Table(
    "expectation_levels",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    *reference("employee_id", "employees", ondelete="CASCADE"),
    Column("competency_id", UUID(as_uuid=True), nullable=False),
    Column("org_unit_id", UUID(as_uuid=True)),
    Column("role_id", UUID(as_uuid=True), nullable=False),
    Column("required_level", Integer, nullable=False),
    *_level_columns(),
    PrimaryKeyConstraint("org_id", "employee_id", "competency_id"),
    Index("ix_expectation_levels_role", "org_id", "role_id"),
)
