"""Mobility: career aspirations, postings and their requirements, applications, settings.

Revision ID: 0013_mobility
Revises: 0012_directory
"""

from alembic import op

from service.db import tenant_table_sql

revision = "0013_mobility"
down_revision = "0012_directory"
branch_labels = None
depends_on = None

TENANT_TABLES = [
    "mobility_settings",
    "career_aspirations",
    "postings",
    "posting_requirements",
    "applications",
]
PIPELINE = "('SUBMITTED', 'IN_REVIEW', 'INTERVIEWING', 'OFFERED', 'ACCEPTED')"


def upgrade() -> None:
    op.execute(
        """
        create table mobility_settings (
            org_id uuid primary key references organizations (id),
            confidential_until text not null default 'OFFERED'
                constraint ck_mobility_settings_confidential_until
                check (confidential_until in ('IN_REVIEW', 'INTERVIEWING', 'OFFERED', 'ACCEPTED')),
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now()
        )
        """
    )
    op.execute(
        """
        create table career_aspirations (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            employee_id uuid not null,
            target_role_ids uuid[] not null default '{}',
            family_ids uuid[] not null default '{}',
            open_to text[] not null default '{}'
                constraint ck_career_aspirations_open_to check (open_to <@ array[
                    'ROLES', 'PROJECTS', 'GIGS', 'ROTATIONS', 'MENTORING']::text[]),
            open_to_relocation boolean not null default false,
            time_horizon text constraint ck_career_aspirations_time_horizon
                check (time_horizon in ('NOW', 'WITHIN_A_YEAR', 'ONE_TO_TWO_YEARS', 'LATER')),
            discoverable boolean not null default false,
            note text constraint ck_career_aspirations_note check (length(note) <= 2000),
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint uq_career_aspirations_org_id_id unique (org_id, id),
            constraint fk_career_aspirations_employee foreign key (org_id, employee_id)
                references employees (org_id, id)
        )
        """
    )
    op.execute(
        "create unique index uq_career_aspirations_employee "
        "on career_aspirations (org_id, employee_id)"
    )
    op.execute(
        "create index ix_career_aspirations_discoverable "
        "on career_aspirations (org_id, employee_id) where discoverable"
    )
    op.execute(
        """
        create table postings (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            kind text not null constraint ck_postings_kind
                check (kind in ('ROLE', 'PROJECT', 'GIG', 'ROTATION', 'MENTORSHIP')),
            title text not null constraint ck_postings_title check (length(title) <= 200),
            description text
                constraint ck_postings_description check (length(description) <= 10000),
            role_id uuid,
            org_unit_id uuid not null,
            hiring_manager_id uuid not null,
            created_by_id uuid,
            location text constraint ck_postings_location check (length(location) <= 200),
            remote boolean not null default false,
            commitment double precision not null default 1
                constraint ck_postings_commitment check (commitment > 0 and commitment <= 1),
            start_date date,
            end_date date,
            application_deadline date,
            status text not null default 'DRAFT' constraint ck_postings_status
                check (status in ('DRAFT', 'OPEN', 'CLOSED', 'FILLED')),
            opened_at timestamptz,
            closed_at timestamptz,
            filled_at timestamptz,
            filled_by_application_id uuid,
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint uq_postings_org_id_id unique (org_id, id),
            constraint ck_postings_role check (kind <> 'ROLE' or role_id is not null),
            constraint ck_postings_dates check (end_date is null or start_date is null
                or end_date >= start_date),
            constraint ck_postings_filled check ((status = 'FILLED') = (filled_at is not null)),
            constraint fk_postings_role foreign key (org_id, role_id)
                references roles (org_id, id),
            constraint fk_postings_org_unit foreign key (org_id, org_unit_id)
                references org_units (org_id, id),
            constraint fk_postings_hiring_manager foreign key (org_id, hiring_manager_id)
                references employees (org_id, id)
        )
        """
    )
    op.execute("create index ix_postings_status on postings (org_id, status, created_at)")
    op.execute("create index ix_postings_hiring_manager on postings (org_id, hiring_manager_id)")
    op.execute(
        """
        create table posting_requirements (
            org_id uuid not null,
            posting_id uuid not null,
            competency_id uuid not null,
            required_level integer not null
                constraint ck_posting_requirements_level check (required_level > 0),
            must_have boolean not null default false,
            weight double precision not null default 1
                constraint ck_posting_requirements_weight check (weight > 0 and weight <= 100),
            constraint pk_posting_requirements primary key (org_id, posting_id, competency_id),
            constraint fk_posting_requirements_posting foreign key (org_id, posting_id)
                references postings (org_id, id) on delete cascade,
            constraint fk_posting_requirements_competency foreign key (org_id, competency_id)
                references competencies (org_id, id)
        )
        """
    )
    op.execute(
        "create index ix_posting_requirements_competency "
        "on posting_requirements (org_id, competency_id)"
    )
    op.execute(
        f"""
        create table applications (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            posting_id uuid not null,
            employee_id uuid not null,
            status text not null default 'SUBMITTED' constraint ck_applications_status
                check (status in {PIPELINE[:-1]}, 'REJECTED', 'WITHDRAWN')),
            reached integer not null default 0
                constraint ck_applications_reached check (reached between 0 and 4),
            note text constraint ck_applications_note check (length(note) <= 2000),
            confidential boolean not null default false,
            feedback text constraint ck_applications_feedback check (length(feedback) <= 4000),
            status_changed_at timestamptz not null default now(),
            participation_start date,
            participation_end date,
            participation_commitment double precision,
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint uq_applications_org_id_id unique (org_id, id),
            constraint ck_applications_rejection_feedback
                check (status <> 'REJECTED' or feedback is not null),
            constraint fk_applications_posting foreign key (org_id, posting_id)
                references postings (org_id, id),
            constraint fk_applications_employee foreign key (org_id, employee_id)
                references employees (org_id, id)
        )
        """
    )
    op.execute(
        "create unique index uq_applications_active on applications "
        "(org_id, posting_id, employee_id) "
        "where status in ('SUBMITTED', 'IN_REVIEW', 'INTERVIEWING', 'OFFERED')"
    )
    op.execute(
        "create index ix_applications_employee on applications (org_id, employee_id, created_at)"
    )
    op.execute(
        "create index ix_applications_posting on applications (org_id, posting_id, created_at)"
    )
    for table in TENANT_TABLES:
        for statement in tenant_table_sql(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.execute(f"drop table {table}")
