"""Promotions: cases, settings, readiness history, succession plans and successors.

Revision ID: 0008_promotions
Revises: 0007_hr_admins
"""

from alembic import op

from service.db import tenant_table_sql

revision = "0008_promotions"
down_revision = "0007_hr_admins"
branch_labels = None
depends_on = None

TENANT_TABLES = [
    "promotion_settings",
    "promotions",
    "readiness_snapshots",
    "succession_plans",
    "successors",
]
ACTORS = "('EMPLOYEE', 'SERVICE_ACCOUNT', 'SYSTEM')"


def upgrade() -> None:
    op.execute(
        """
        create table promotion_settings (
            org_id uuid primary key references organizations (id),
            require_second_approver boolean not null default false,
            show_open_cases_to_employee boolean not null default false,
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now()
        )
        """
    )
    op.execute(
        f"""
        create table promotions (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            employee_id uuid not null,
            from_role_id uuid,
            to_role_id uuid not null,
            status text not null default 'PROPOSED'
                constraint ck_promotions_status check (status in
                    ('PROPOSED', 'APPROVED', 'REJECTED', 'CANCELLED', 'EFFECTIVE')),
            justification text not null
                constraint ck_promotions_justification check (length(justification) <= 4000),
            evidence jsonb not null,
            assessment_ids uuid[] not null default '{{}}',
            override_reason text
                constraint ck_promotions_override check (length(override_reason) <= 2000),
            effective_date date not null,
            proposer_type text constraint ck_promotions_proposer_type check (proposer_type in {ACTORS}),
            proposer_id uuid,
            decider_type text constraint ck_promotions_decider_type check (decider_type in {ACTORS}),
            decider_id uuid,
            decided_at timestamptz,
            decision_note text
                constraint ck_promotions_note check (length(decision_note) <= 4000),
            effective_at timestamptz,
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint uq_promotions_org_id_id unique (org_id, id),
            constraint ck_promotions_effective
                check ((status = 'EFFECTIVE') = (effective_at is not null)),
            constraint ck_promotions_decided
                check (status = 'PROPOSED' or decided_at is not null),
            constraint ck_promotions_rejection_note
                check (status <> 'REJECTED' or decision_note is not null),
            constraint fk_promotions_employee foreign key (org_id, employee_id)
                references employees (org_id, id),
            constraint fk_promotions_from_role foreign key (org_id, from_role_id)
                references roles (org_id, id),
            constraint fk_promotions_to_role foreign key (org_id, to_role_id)
                references roles (org_id, id)
        )
        """
    )
    # One open case (proposed, or approved and waiting for its date) per employee.
    op.execute(
        "create unique index uq_promotions_open on promotions (org_id, employee_id) "
        "where status in ('PROPOSED', 'APPROVED')"
    )
    op.execute(
        "create index ix_promotions_employee on promotions (org_id, employee_id, created_at)"
    )
    op.execute("create index ix_promotions_status on promotions (org_id, status, created_at)")
    op.execute("create index ix_promotions_created on promotions (org_id, created_at)")
    op.execute(
        "create index ix_promotions_due on promotions (org_id, effective_date) "
        "where status = 'APPROVED'"
    )
    op.execute(
        """
        create table readiness_snapshots (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            employee_id uuid not null,
            role_id uuid not null,
            target_role_id uuid not null,
            readiness numeric(5, 4)
                constraint ck_readiness_snapshots_readiness check (readiness between 0 and 1),
            taken_at timestamptz not null default now(),
            constraint uq_readiness_snapshots_org_id_id unique (org_id, id),
            constraint fk_readiness_snapshots_employee foreign key (org_id, employee_id)
                references employees (org_id, id),
            constraint fk_readiness_snapshots_role foreign key (org_id, role_id)
                references roles (org_id, id),
            constraint fk_readiness_snapshots_target foreign key (org_id, target_role_id)
                references roles (org_id, id)
        )
        """
    )
    op.execute(
        "create index ix_readiness_snapshots_employee "
        "on readiness_snapshots (org_id, employee_id, role_id, taken_at)"
    )
    op.execute(
        """
        create table succession_plans (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            role_id uuid,
            incumbent_id uuid,
            criticality text not null default 'MEDIUM'
                constraint ck_succession_plans_criticality
                check (criticality in ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
            note text constraint ck_succession_plans_note check (length(note) <= 4000),
            archived_at timestamptz,
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint uq_succession_plans_org_id_id unique (org_id, id),
            constraint ck_succession_plans_subject
                check (role_id is not null or incumbent_id is not null),
            constraint fk_succession_plans_role foreign key (org_id, role_id)
                references roles (org_id, id),
            constraint fk_succession_plans_incumbent foreign key (org_id, incumbent_id)
                references employees (org_id, id)
        )
        """
    )
    op.execute(
        """
        create table successors (
            org_id uuid not null,
            plan_id uuid not null,
            employee_id uuid not null,
            readiness text not null
                constraint ck_successors_readiness
                check (readiness in ('READY_NOW', 'ONE_TO_TWO_YEARS', 'THREE_PLUS_YEARS')),
            note text constraint ck_successors_note check (length(note) <= 2000),
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint pk_successors primary key (org_id, plan_id, employee_id),
            constraint fk_successors_plan foreign key (org_id, plan_id)
                references succession_plans (org_id, id),
            constraint fk_successors_employee foreign key (org_id, employee_id)
                references employees (org_id, id)
        )
        """
    )
    op.execute("create index ix_successors_employee on successors (org_id, employee_id)")
    for table in TENANT_TABLES:
        for statement in tenant_table_sql(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.execute(f"drop table {table}")
