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

from sqlalchemy import (
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
)
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP, UUID

from service.db import metadata, org_fk, timestamps, uuid_pk, version_column


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


assessment_cycles = Table(
    "assessment_cycles",
    metadata,
    uuid_pk(),
    org_fk(),
    Column("name", Text, nullable=False),
    Column("description", Text),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("status", Text, nullable=False, server_default=AssessmentCycleStatus.DRAFT.value),
    Column("kinds", ARRAY(Text), nullable=False),
    Column("coverage", Text, nullable=False, server_default=AssessmentCycleCoverage.ALL.value),
    Column("org_unit_id", UUID(as_uuid=True)),
    Column("opened_at", TIMESTAMP(timezone=True)),
    Column("closed_at", TIMESTAMP(timezone=True)),
    version_column(),
    *timestamps(),
    UniqueConstraint("org_id", "id"),
    ForeignKeyConstraint(["org_id"], ["organizations.id"]),
    ForeignKeyConstraint(["org_id", "org_unit_id"], ["org_units.org_id", "org_units.id"]),
)

# The employees a cycle with coverage EMPLOYEES covers.
assessment_cycle_employees = Table(
    "assessment_cycle_employees",
    metadata,
    org_fk(),
    Column("cycle_id", UUID(as_uuid=True), nullable=False),
    Column("employee_id", UUID(as_uuid=True), nullable=False),
    PrimaryKeyConstraint("org_id", "cycle_id", "employee_id"),
    ForeignKeyConstraint(
        ["org_id", "cycle_id"],
        ["assessment_cycles.org_id", "assessment_cycles.id"],
        ondelete="CASCADE",
    ),
    ForeignKeyConstraint(["org_id", "employee_id"], ["employees.org_id", "employees.id"]),
)

assessments = Table(
    "assessments",
    metadata,
    uuid_pk(),
    org_fk(),
    Column("cycle_id", UUID(as_uuid=True)),
    Column("subject_id", UUID(as_uuid=True), nullable=False),
    # Null for calibrations by service accounts and imported ratings without an assessor.
    Column("assessor_id", UUID(as_uuid=True)),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=AssessmentStatus.DRAFT.value),
    Column("source", Text, nullable=False, server_default=AssessmentSource.DIRECT.value),
    Column("invited_by_id", UUID(as_uuid=True)),
    Column("submitted_at", TIMESTAMP(timezone=True)),
    version_column(),
    *timestamps(),
    UniqueConstraint("org_id", "id"),
    ForeignKeyConstraint(["org_id"], ["organizations.id"]),
    ForeignKeyConstraint(
        ["org_id", "cycle_id"], ["assessment_cycles.org_id", "assessment_cycles.id"]
    ),
    ForeignKeyConstraint(["org_id", "subject_id"], ["employees.org_id", "employees.id"]),
    ForeignKeyConstraint(["org_id", "assessor_id"], ["employees.org_id", "employees.id"]),
    ForeignKeyConstraint(["org_id", "invited_by_id"], ["employees.org_id", "employees.id"]),
    Index("ix_assessments_subject", "org_id", "subject_id", "status"),
    Index("ix_assessments_assessor", "org_id", "assessor_id", "status"),
    Index("ix_assessments_cycle", "org_id", "cycle_id"),
)

ratings = Table(
    "ratings",
    metadata,
    org_fk(),
    Column("assessment_id", UUID(as_uuid=True), nullable=False),
    Column("competency_id", UUID(as_uuid=True), nullable=False),
    Column("level", Integer, nullable=False),
    Column("evidence", Text),
    *timestamps(),
    PrimaryKeyConstraint("org_id", "assessment_id", "competency_id"),
    ForeignKeyConstraint(
        ["org_id", "assessment_id"], ["assessments.org_id", "assessments.id"], ondelete="CASCADE"
    ),
    ForeignKeyConstraint(["org_id", "competency_id"], ["competencies.org_id", "competencies.id"]),
    Index("ix_ratings_competency", "org_id", "competency_id"),
)

current_proficiencies = Table(
    "current_proficiencies",
    metadata,
    org_fk(),
    Column("employee_id", UUID(as_uuid=True), nullable=False),
    Column("competency_id", UUID(as_uuid=True), nullable=False),
    Column("source_kind", Text, nullable=False),
    Column("level", Numeric(3, 1), nullable=False),
    Column("as_of", TIMESTAMP(timezone=True), nullable=False),
    Column("rating_count", Integer, nullable=False),
    Column("assessment_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    PrimaryKeyConstraint("org_id", "employee_id", "competency_id", "source_kind"),
    ForeignKeyConstraint(["org_id", "employee_id"], ["employees.org_id", "employees.id"]),
    ForeignKeyConstraint(["org_id", "competency_id"], ["competencies.org_id", "competencies.id"]),
)

# ``current_proficiencies`` pivoted: one row per employee and competency, a (level, as_of)
# pair per kind of rating (null without one) and the number of peers behind the PEER level.
current_levels = Table(
    "current_levels",
    metadata,
    org_fk(),
    Column("employee_id", UUID(as_uuid=True), nullable=False),
    Column("competency_id", UUID(as_uuid=True), nullable=False),
    *(
        column
        for kind in AssessmentKind
        for column in (
            Column(f"{kind.value.lower()}_level", Numeric(3, 1)),
            Column(f"{kind.value.lower()}_as_of", TIMESTAMP(timezone=True)),
        )
    ),
    Column("peer_count", Integer),
    PrimaryKeyConstraint("org_id", "employee_id", "competency_id"),
    ForeignKeyConstraint(["org_id", "employee_id"], ["employees.org_id", "employees.id"]),
    ForeignKeyConstraint(["org_id", "competency_id"], ["competencies.org_id", "competencies.id"]),
)
