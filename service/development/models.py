"""Tables of the development domain: individual development plans, their goals, actions
and check-ins, the learning catalogue (resources with the competencies and level ranges
they develop) and mentors' opt-ins.

A plan moves DRAFT → ACTIVE (approved by the employee's manager chain or an HR admin, who
and when recorded) → COMPLETED (when every goal that is not dropped is achieved), and DRAFT
or ACTIVE → ARCHIVED. A goal optionally names a competency and the level to reach; an
assessment that brings the employee's current level there marks it ACHIEVED, recording
the assessment and the level that did it. Actions belong to a goal; check-ins to a plan.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Column, Date, Index, Integer, Numeric, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import TIMESTAMP, UUID

from service.db import (
    actor,
    keyed_table,
    reference,
    status_column,
    tenant_table,
    versioned,
    written_at,
)


class PlanStatus(StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    ARCHIVED = "ARCHIVED"


#: Plans whose goals and actions may still change.
OPEN_PLAN_STATUSES = (PlanStatus.DRAFT.value, PlanStatus.ACTIVE.value)


class GoalStatus(StrEnum):
    OPEN = "OPEN"
    ACHIEVED = "ACHIEVED"
    DROPPED = "DROPPED"


class ActionKind(StrEnum):
    COURSE = "COURSE"
    STRETCH_ASSIGNMENT = "STRETCH_ASSIGNMENT"
    MENTORING = "MENTORING"
    PROJECT = "PROJECT"
    ROTATION = "ROTATION"
    READING = "READING"
    OTHER = "OTHER"


class ActionStatus(StrEnum):
    PLANNED = "PLANNED"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    SKIPPED = "SKIPPED"


class ResourceKind(StrEnum):
    COURSE = "COURSE"
    READING = "READING"
    VIDEO = "VIDEO"
    PROGRAM = "PROGRAM"
    OTHER = "OTHER"


class ImportStatus(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"


development_plans = tenant_table(
    "development_plans",
    *reference("employee_id", "employees"),
    Column("title", Text, nullable=False),
    *reference("target_role_id", "roles", nullable=True),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date),
    status_column(PlanStatus.DRAFT),
    *actor("created_by"),
    *actor("approved_by"),
    Column("approved_at", TIMESTAMP(timezone=True)),
    Column("completed_at", TIMESTAMP(timezone=True)),
    Column("archived_at", TIMESTAMP(timezone=True)),
    *versioned(),
    Index("ix_development_plans_employee", "org_id", "employee_id", "created_at"),
)

development_goals = tenant_table(
    "development_goals",
    *reference("plan_id", "development_plans"),
    Column("position", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text),
    *reference("competency_id", "competencies", nullable=True),
    Column("target_level", Integer),
    Column("due_on", Date),
    status_column(GoalStatus.OPEN),
    Column("progress", Integer, nullable=False, server_default="0"),
    Column("achieved_at", TIMESTAMP(timezone=True)),
    Column("achieved_level", Numeric(3, 1)),
    Column("achieved_assessment_id", UUID(as_uuid=True)),
    *versioned(),
    Index("ix_development_goals_plan", "org_id", "plan_id", "position"),
    Index("ix_development_goals_due", "org_id", "due_on"),
)

development_actions = tenant_table(
    "development_actions",
    *reference("goal_id", "development_goals"),
    Column("plan_id", UUID(as_uuid=True), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("url", Text),
    *reference("resource_id", "learning_resources", nullable=True),
    *reference("mentor_id", "employees", nullable=True),
    Column("due_on", Date),
    status_column(ActionStatus.PLANNED),
    Column("completed_at", TIMESTAMP(timezone=True)),
    *versioned(),
    Index("ix_development_actions_goal", "org_id", "goal_id", "position"),
    Index("ix_development_actions_resource", "org_id", "resource_id"),
)

development_check_ins = tenant_table(
    "development_check_ins",
    *reference("plan_id", "development_plans"),
    *actor("author"),
    Column("held_on", Date, nullable=False),
    Column("note", Text, nullable=False),
    written_at("created_at"),
    Index("ix_development_check_ins_plan", "org_id", "plan_id", "held_on"),
)

learning_resources = tenant_table(
    "learning_resources",
    Column("external_id", Text),
    Column("title", Text, nullable=False),
    Column("url", Text),
    Column("provider", Text),
    Column("kind", Text, nullable=False),
    Column("duration_minutes", Integer),
    Column("description", Text),
    Column("archived_at", TIMESTAMP(timezone=True)),
    *versioned(),
    Index(
        "uq_learning_resources_external",
        "org_id",
        "external_id",
        unique=True,
        postgresql_where=text("external_id is not null"),
    ),
)

learning_resource_competencies = keyed_table(
    "learning_resource_competencies",
    ("resource_id", "competency_id"),
    *reference("resource_id", "learning_resources", ondelete="CASCADE"),
    *reference("competency_id", "competencies"),
    Column("min_level", Integer, nullable=False),
    Column("max_level", Integer, nullable=False),
    Index("ix_learning_resource_competencies_competency", "org_id", "competency_id"),
)

mentor_competencies = keyed_table(
    "mentor_competencies",
    ("employee_id", "competency_id"),
    *reference("employee_id", "employees"),
    *reference("competency_id", "competencies"),
    written_at("created_at"),
    UniqueConstraint("org_id", "competency_id", "employee_id"),
)
