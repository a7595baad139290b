"""Tables of the mobility domain: career aspirations, postings with their competency
requirements, applications, and the organization's mobility settings.

A posting moves DRAFT → OPEN → CLOSED / FILLED (a draft may also be closed). An
application moves SUBMITTED → IN_REVIEW → INTERVIEWING → OFFERED → ACCEPTED, forward only
(steps may be skipped), or ends REJECTED (with feedback) or WITHDRAWN (by the applicant).
SUBMITTED to OFFERED are *active*; a partial unique index allows one active application
per employee and posting. ``reached`` is the furthest pipeline stage an application has
reached (its rank in ``PIPELINE``): confidentiality toward the applicant's manager chain
ends once it reaches the organization's ``confidential_until`` stage.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP, UUID

from service.db import (
    keyed_table,
    reference,
    settings_table,
    status_column,
    tenant_table,
    versioned,
)


class PostingKind(StrEnum):
    ROLE = "ROLE"
    PROJECT = "PROJECT"
    GIG = "GIG"
    ROTATION = "ROTATION"
    MENTORSHIP = "MENTORSHIP"


class PostingStatus(StrEnum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    CLOSED = "CLOSED"
    FILLED = "FILLED"


class ApplicationStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    IN_REVIEW = "IN_REVIEW"
    INTERVIEWING = "INTERVIEWING"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


class RequirementStatus(StrEnum):
    MET = "MET"
    PARTLY_MET = "PARTLY_MET"
    MISSING = "MISSING"


class Opportunity(StrEnum):
    """What an employee is open to; each kind of posting answers one of them."""

    ROLES = "ROLES"
    PROJECTS = "PROJECTS"
    GIGS = "GIGS"
    ROTATIONS = "ROTATIONS"
    MENTORING = "MENTORING"


class TimeHorizon(StrEnum):
    NOW = "NOW"
    WITHIN_A_YEAR = "WITHIN_A_YEAR"
    ONE_TO_TWO_YEARS = "ONE_TO_TWO_YEARS"
    LATER = "LATER"


#: The pipeline in order; an application only moves to a later stage.
PIPELINE = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.IN_REVIEW,
    ApplicationStatus.INTERVIEWING,
    ApplicationStatus.OFFERED,
    ApplicationStatus.ACCEPTED,
)
RANK = {s.value: i for i, s in enumerate(PIPELINE)}
ACTIVE = tuple(s.value for s in PIPELINE[:-1])
ACTIVE_SQL = "status in ('SUBMITTED', 'IN_REVIEW', 'INTERVIEWING', 'OFFERED')"
OPPORTUNITY_OF = {
    PostingKind.ROLE.value: Opportunity.ROLES.value,
    PostingKind.PROJECT.value: Opportunity.PROJECTS.value,
    PostingKind.GIG.value: Opportunity.GIGS.value,
    PostingKind.ROTATION.value: Opportunity.ROTATIONS.value,
    PostingKind.MENTORSHIP.value: Opportunity.MENTORING.value,
}

mobility_settings = settings_table(
    "mobility_settings",
    Column("confidential_until", Text, nullable=False, server_default="OFFERED"),
)

career_aspirations = tenant_table(
    "career_aspirations",
    *reference("employee_id", "employees"),
    Column("target_role_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    Column("family_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    Column("open_to", ARRAY(Text), nullable=False, server_default="{}"),
    Column("open_to_relocation", Boolean, nullable=False, server_default="false"),
    Column("time_horizon", Text),
    Column("discoverable", Boolean, nullable=False, server_default="false"),
    Column("note", Text),
    *versioned(),
    Index("uq_career_aspirations_employee", "org_id", "employee_id", unique=True),
    Index(
        "ix_career_aspirations_discoverable",
        "org_id",
        "employee_id",
        postgresql_where=text("discoverable"),
    ),
)

postings = tenant_table(
    "postings",
    Column("kind", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text),
    *reference("role_id", "roles", nullable=True),
    *reference("org_unit_id", "org_units"),
    *reference("hiring_manager_id", "employees"),
    Column("created_by_id", UUID(as_uuid=True)),
    Column("location", Text),
    Column("remote", Boolean, nullable=False, server_default="false"),
    Column("commitment", Float, nullable=False, server_default="1"),
    Column("start_date", Date),
    Column("end_date", Date),
    Column("application_deadline", Date),
    status_column(PostingStatus.DRAFT),
    Column("opened_at", TIMESTAMP(timezone=True)),
    Column("closed_at", TIMESTAMP(timezone=True)),
    Column("filled_at", TIMESTAMP(timezone=True)),
    Column("filled_by_application_id", UUID(as_uuid=True)),
    *versioned(),
    Index("ix_postings_status", "org_id", "status", "created_at"),
    Index("ix_postings_hiring_manager", "org_id", "hiring_manager_id"),
)

posting_requirements = keyed_table(
    "posting_requirements",
    ("posting_id", "competency_id"),
    *reference("posting_id", "postings", ondelete="CASCADE"),
    *reference("competency_id", "competencies"),
    Column("required_level", Integer, nullable=False),
    Column("must_have", Boolean, nullable=False, server_default="false"),
    Column("weight", Float, nullable=False, server_default="1"),
)

applications = tenant_table(
    "applications",
    *reference("posting_id", "postings"),
    *reference("employee_id", "employees"),
    status_column(ApplicationStatus.SUBMITTED),
    Column("reached", Integer, nullable=False, server_default="0"),
    Column("note", Text),
    Column("confidential", Boolean, nullable=False, server_default="false"),
    Column("feedback", Text),
    Column(
        "status_changed_at", TIMESTAMP(timezone=True), nullable=False, server_default=text("now()")
    ),
    Column("participation_start", Date),
    Column("participation_end", Date),
    Column("participation_commitment", Float),
    *versioned(),
    Index(
        "uq_applications_active",
        "org_id",
        "posting_id",
        "employee_id",
        unique=True,
        postgresql_where=text(ACTIVE_SQL),
    ),
    Index("ix_applications_employee", "org_id", "employee_id", "created_at"),
    Index("ix_applications_posting", "org_id", "posting_id", "created_at"),
)
