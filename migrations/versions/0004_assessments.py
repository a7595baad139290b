"""Assessments: cycles, assessments, ratings, and the derived current proficiencies.

Revision ID: 0004_assessments
Revises: 0003_framework
"""

from alembic import op

from service.db import tenant_table_sql

revision = "0004_assessments"
down_revision = "0003_framework"
branch_labels = None
depends_on = None

TENANT_TABLES = [
    "assessment_cycles",
    "assessment_cycle_employees",
    "assessments",
    "ratings",
    "current_proficiencies",
]

KINDS = "('SELF', 'MANAGER', 'PEER', 'CALIBRATION')"
KIND_ARRAY = "['SELF', 'MANAGER', 'PEER', 'CALIBRATION']"


def upgrade() -> None:
    op.execute(
        f"""
        create table assessment_cycles (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            name text not null,
            description text,
            starts_on date not null,
            ends_on date not null,
            status text not null default 'DRAFT'
                constraint ck_assessment_cycles_status check (status in ('DRAFT', 'OPEN', 'CLOSED')),
            kinds text[] not null
                constraint ck_assessment_cycles_kinds
                check (cardinality(kinds) > 0 and kinds <@ array{KIND_ARRAY}),
            coverage text not null default 'ALL'
                constraint ck_assessment_cycles_coverage
                check (coverage in ('ALL', 'ORG_UNIT', 'EMPLOYEES')),
            org_unit_id uuid,
            opened_at timestamptz,
            closed_at timestamptz,
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint uq_assessment_cycles_org_id_id unique (org_id, id),
            constraint ck_assessment_cycles_window check (starts_on <= ends_on),
            constraint ck_assessment_cycles_unit
                check ((coverage = 'ORG_UNIT') = (org_unit_id is not null)),
            constraint fk_assessment_cycles_org_unit foreign key (org_id, org_unit_id)
                references org_units (org_id, id)
        )
        """
    )
    op.execute(
        "create index ix_assessment_cycles_status on assessment_cycles (org_id, status, starts_on)"
    )
    op.execute(
        """
        create table assessment_cycle_employees (
            org_id uuid not null,
            cycle_id uuid not null,
            employee_id uuid not null,
            constraint pk_assessment_cycle_employees primary key (org_id, cycle_id, employee_id),
            constraint fk_assessment_cycle_employees_cycle foreign key (org_id, cycle_id)
                references assessment_cycles (org_id, id) on delete cascade,
            constraint fk_assessment_cycle_employees_employee foreign key (org_id, employee_id)
                references employees (org_id, id)
        )
        """
    )
    op.execute(
        f"""
        create table assessments (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            cycle_id uuid,
            subject_id uuid not null,
            assessor_id uuid,
            kind text not null constraint ck_assessments_kind check (kind in {KINDS}),
            status text not null default 'DRAFT'
                constraint ck_assessments_status check (status in ('DRAFT', 'SUBMITTED')),
            source text not null default 'DIRECT'
                constraint ck_assessments_source check (source in ('DIRECT', 'IMPORT')),
            invited_by_id uuid,
            submitted_at timestamptz,
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint uq_assessments_org_id_id unique (org_id, id),
            constraint ck_assessments_submitted
                check ((status = 'SUBMITTED') = (submitted_at is not null)),
            constraint ck_assessments_draft_assessor
                check (status = 'SUBMITTED' or assessor_id is not null),
            constraint ck_assessments_self check (kind <> 'SELF' or assessor_id = subject_id),
            constraint fk_assessments_cycle foreign key (org_id, cycle_id)
                references assessment_cycles (org_id, id),
            constraint fk_assessments_subject foreign key (org_id, subject_id)
                references employees (org_id, id),
            constraint fk_assessments_assessor foreign key (org_id, assessor_id)
                references employees (org_id, id),
            constraint fk_assessments_invited_by foreign key (org_id, invited_by_id)
                references employees (org_id, id)
        )
        """
    )
    op.execute("create index ix_assessments_subject on assessments (org_id, subject_id, status)")
    op.execute("create index ix_assessments_assessor on assessments (org_id, assessor_id, status)")
    op.execute("create index ix_assessments_cycle on assessments (org_id, cycle_id)")
    # One open draft per assessor, subject and kind outside cycles; one assessment per
    # assessor, subject and kind within a cycle (calibrations and imports may repeat).
    op.execute(
        """
        create unique index uq_assessments_draft on assessments
            (org_id, subject_id, assessor_id, kind)
            where status = 'DRAFT' and cycle_id is null
        """
    )
    op.execute(
        """
        create unique index uq_assessments_cycle on assessments
            (org_id, cycle_id, subject_id, assessor_id, kind)
            where cycle_id is not null and source = 'DIRECT' and kind <> 'CALIBRATION'
        """
    )
    op.execute(
        """
        create table ratings (
            org_id uuid not null,
            assessment_id uuid not null,
            competency_id uuid not null,
            level integer not null constraint ck_ratings_level check (level between 1 and 20),
            evidence text constraint ck_ratings_evidence check (length(evidence) <= 4000),
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint pk_ratings primary key (org_id, assessment_id, competency_id),
            constraint fk_ratings_assessment foreign key (org_id, assessment_id)
                references assessments (org_id, id) on delete cascade,
            constraint fk_ratings_competency foreign key (org_id, competency_id)
                references competencies (org_id, id)
        )
        """
    )
    op.execute("create index ix_ratings_competency on ratings (org_id, competency_id)")
    op.execute(
        f"""
        create table current_proficiencies (
            org_id uuid not null,
            employee_id uuid not null,
            competency_id uuid not null,
            source_kind text not null
                constraint ck_current_proficiencies_kind check (source_kind in {KINDS}),
            level numeric(3, 1) not null
                constraint ck_current_proficiencies_level check (level between 1 and 20),
            as_of timestamptz not null,
            rating_count integer not null,
            assessment_ids uuid[] not null,
            constraint pk_current_proficiencies
                primary key (org_id, employee_id, competency_id, source_kind),
            constraint fk_current_proficiencies_employee foreign key (org_id, employee_id)
                references employees (org_id, id),
            constraint fk_current_proficiencies_competency foreign key (org_id, competency_id)
                references competencies (org_id, id)
        )
        """
    )
    op.execute(
        "create index ix_current_proficiencies_competency "
        "on current_proficiencies (org_id, competency_id)"
    )
    for table in TENANT_TABLES:
        for statement in tenant_table_sql(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.execute(f"drop table {table}")
