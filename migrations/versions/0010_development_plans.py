"""Development plans: plans, goals, actions, check-ins, the learning catalogue and mentors.

Revision ID: 0010_development_plans
Revises: 0009_hris_sync
"""

from alembic import op

from service.db import tenant_table_sql

revision = "0010_development_plans"
down_revision = "0009_hris_sync"
branch_labels = None
depends_on = None

TENANT_TABLES = [
    "learning_resources",
    "learning_resource_competencies",
    "development_plans",
    "development_goals",
    "development_actions",
    "development_check_ins",
    "mentor_competencies",
]
ACTORS = "('EMPLOYEE', 'SERVICE_ACCOUNT', 'SYSTEM')"


def _tenant_columns(table: str) -> str:
    return f"""
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            constraint uq_{table}_org_id_id unique (org_id, id)"""


def upgrade() -> None:
    op.execute(
        f"""
        create table learning_resources (
            {_tenant_columns("learning_resources")},
            external_id text constraint ck_learning_resources_external_id
                check (length(external_id) between 1 and 200),
            title text not null constraint ck_learning_resources_title
                check (length(title) between 1 and 200),
            url text constraint ck_learning_resources_url check (length(url) <= 2000),
            provider text constraint ck_learning_resources_provider check (length(provider) <= 200),
            kind text not null constraint ck_learning_resources_kind
                check (kind in ('COURSE', 'READING', 'VIDEO', 'PROGRAM', 'OTHER')),
            duration_minutes integer constraint ck_learning_resources_duration
                check (duration_minutes between 1 and 100000),
            description text constraint ck_learning_resources_description
                check (length(description) <= 4000),
            archived_at timestamptz,
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now()
        )
        """
    )
    op.execute(
        "create unique index uq_learning_resources_external on learning_resources "
        "(org_id, external_id) where external_id is not null"
    )
    op.execute(
        """
        create table learning_resource_competencies (
            org_id uuid not null,
            resource_id uuid not null,
            competency_id uuid not null,
            min_level integer not null,
            max_level integer not null,
            constraint pk_learning_resource_competencies
                primary key (org_id, resource_id, competency_id),
            constraint ck_learning_resource_competencies_range
                check (1 <= min_level and min_level <= max_level),
            constraint fk_learning_resource_competencies_resource
                foreign key (org_id, resource_id)
                references learning_resources (org_id, id) on delete cascade,
            constraint fk_learning_resource_competencies_competency
                foreign key (org_id, competency_id) references competencies (org_id, id)
        )
        """
    )
    op.execute(
        "create index ix_learning_resource_competencies_competency "
        "on learning_resource_competencies (org_id, competency_id)"
    )
    op.execute(
        f"""
        create table development_plans (
            {_tenant_columns("development_plans")},
            employee_id uuid not null,
            title text not null constraint ck_development_plans_title
                check (length(title) between 1 and 200),
            target_role_id uuid,
            starts_on date not null,
            ends_on date,
            status text not null default 'DRAFT' constraint ck_development_plans_status
                check (status in ('DRAFT', 'ACTIVE', 'COMPLETED', 'ARCHIVED')),
            created_by_type text constraint ck_development_plans_created_by
                check (created_by_type in {ACTORS}),
            created_by_id uuid,
            approved_by_type text constraint ck_development_plans_approved_by
                check (approved_by_type in {ACTORS}),
            approved_by_id uuid,
            approved_at timestamptz,
            completed_at timestamptz,
            archived_at timestamptz,
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint ck_development_plans_period check (ends_on is null or ends_on >= starts_on),
            constraint ck_development_plans_approved
                check (status in ('DRAFT', 'ARCHIVED') or approved_at is not null),
            constraint ck_development_plans_completed
                check ((status = 'COMPLETED') = (completed_at is not null)),
            constraint fk_development_plans_employee foreign key (org_id, employee_id)
                references employees (org_id, id),
            constraint fk_development_plans_target_role foreign key (org_id, target_role_id)
                references roles (org_id, id)
        )
        """
    )
    op.execute(
        "create index ix_development_plans_employee "
        "on development_plans (org_id, employee_id, created_at)"
    )
    op.execute(
        f"""
        create table development_goals (
            {_tenant_columns("development_goals")},
            plan_id uuid not null,
            position integer not null,
            title text not null constraint ck_development_goals_title
                check (length(title) between 1 and 200),
            description text constraint ck_development_goals_description
                check (length(description) <= 4000),
            competency_id uuid,
            target_level integer,
            due_on date,
            status text not null default 'OPEN' constraint ck_development_goals_status
                check (status in ('OPEN', 'ACHIEVED', 'DROPPED')),
            progress integer not null default 0 constraint ck_development_goals_progress
                check (progress between 0 and 100),
            achieved_at timestamptz,
            achieved_level numeric(3, 1),
            achieved_assessment_id uuid,
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint ck_development_goals_target
                check ((competency_id is null) = (target_level is null)),
            constraint ck_development_goals_achieved
                check ((status = 'ACHIEVED') = (achieved_at is not null)),
            constraint fk_development_goals_plan foreign key (org_id, plan_id)
                references development_plans (org_id, id),
            constraint fk_development_goals_competency foreign key (org_id, competency_id)
                references competencies (org_id, id)
        )
        """
    )
    op.execute(
        "create index ix_development_goals_plan on development_goals (org_id, plan_id, position)"
    )
    op.execute("create index ix_development_goals_due on development_goals (org_id, due_on)")
    op.execute(
        f"""
        create table development_actions (
            {_tenant_columns("development_actions")},
            goal_id uuid not null,
            plan_id uuid not null,
            position integer not null,
            kind text not null constraint ck_development_actions_kind check (kind in
                ('COURSE', 'STRETCH_ASSIGNMENT', 'MENTORING', 'PROJECT', 'ROTATION', 'READING',
                 'OTHER')),
            title text not null constraint ck_development_actions_title
                check (length(title) between 1 and 200),
            url text constraint ck_development_actions_url check (length(url) <= 2000),
            resource_id uuid,
            mentor_id uuid,
            due_on date,
            status text not null default 'PLANNED' constraint ck_development_actions_status
                check (status in ('PLANNED', 'IN_PROGRESS', 'DONE', 'SKIPPED')),
            completed_at timestamptz,
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint fk_development_actions_goal foreign key (org_id, goal_id)
                references development_goals (org_id, id),
            constraint fk_development_actions_plan foreign key (org_id, plan_id)
                references development_plans (org_id, id),
            constraint fk_development_actions_resource foreign key (org_id, resource_id)
                references learning_resources (org_id, id),
            constraint fk_development_actions_mentor foreign key (org_id, mentor_id)
                references employees (org_id, id)
        )
        """
    )
    op.execute(
        "create index ix_development_actions_goal "
        "on development_actions (org_id, goal_id, position)"
    )
    op.execute(
        "create index ix_development_actions_resource on development_actions (org_id, resource_id)"
    )
    op.execute(
        f"""
        create table development_check_ins (
            {_tenant_columns("development_check_ins")},
            plan_id uuid not null,
            author_type text constraint ck_development_check_ins_author
                check (author_type in {ACTORS}),
            author_id uuid,
            held_on date not null,
            note text not null constraint ck_development_check_ins_note
                check (length(note) between 1 and 4000),
            created_at timestamptz not null default now(),
            constraint fk_development_check_ins_plan foreign key (org_id, plan_id)
                references development_plans (org_id, id)
        )
        """
    )
    op.execute(
        "create index ix_development_check_ins_plan "
        "on development_check_ins (org_id, plan_id, held_on)"
    )
    op.execute(
        """
        create table mentor_competencies (
            org_id uuid not null,
            employee_id uuid not null,
            competency_id uuid not null,
            created_at timestamptz not null default now(),
            constraint pk_mentor_competencies primary key (org_id, employee_id, competency_id),
            constraint uq_mentor_competencies_org_id_competency_id_employee_id
                unique (org_id, competency_id, employee_id),
            constraint fk_mentor_competencies_employee foreign key (org_id, employee_id)
                references employees (org_id, id),
            constraint fk_mentor_competencies_competency foreign key (org_id, competency_id)
                references competencies (org_id, id)
        )
        """
    )
    for table in TENANT_TABLES:
        for statement in tenant_table_sql(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.execute(f"drop table {table}")
