"""People core: organizations, org units, employees, position history, audit log.

Revision ID: 0001_people
Revises:
"""

from alembic import op

from service.db import tenant_table_sql

revision = "0001_people"
down_revision = None
branch_labels = None
depends_on = None

TENANT_TABLES = ["org_units", "employees", "position_history", "audit_events"]


def upgrade() -> None:
    op.execute(
        """
        create table organizations (
            id uuid primary key default gen_random_uuid(),
            slug text not null constraint uq_organizations_slug unique,
            name text not null,
            created_at timestamptz not null default now()
        )
        """
    )
    op.execute(
        """
        create table org_units (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            external_id text,
            name text not null,
            parent_id uuid,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint uq_org_units_org_id_id unique (org_id, id),
            constraint uq_org_units_org_id_external_id unique (org_id, external_id),
            constraint fk_org_units_parent foreign key (org_id, parent_id)
                references org_units (org_id, id)
        )
        """
    )
    op.execute("create index ix_org_units_parent on org_units (org_id, parent_id)")
    op.execute(
        """
        create table employees (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            external_id text,
            auth_subject text,
            email text not null,
            name text not null,
            title text,
            role_id uuid,
            org_unit_id uuid,
            manager_id uuid,
            location text,
            hire_date date,
            status text not null default 'ACTIVE'
                constraint ck_employees_status check (status in ('ACTIVE', 'ON_LEAVE', 'TERMINATED')),
            termination_date date,
            termination_reason text,
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint uq_employees_org_id_id unique (org_id, id),
            constraint uq_employees_org_id_external_id unique (org_id, external_id),
            constraint uq_employees_org_id_auth_subject unique (org_id, auth_subject),
            constraint fk_employees_org_unit foreign key (org_id, org_unit_id)
                references org_units (org_id, id),
            constraint fk_employees_manager foreign key (org_id, manager_id)
                references employees (org_id, id),
            constraint ck_employees_not_own_manager check (manager_id is distinct from id)
        )
        """
    )
    op.execute("create unique index uq_employees_org_id_email on employees (org_id, lower(email))")
    op.execute("create index ix_employees_manager_id on employees (org_id, manager_id)")
    op.execute("create index ix_employees_org_unit_id on employees (org_id, org_unit_id)")
    op.execute("create index ix_employees_name on employees (org_id, name, id)")
    op.execute(
        """
        create table position_history (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            employee_id uuid not null,
            kind text not null constraint ck_position_history_kind check (kind in (
                'HIRE', 'PROMOTION', 'LATERAL_MOVE', 'DEMOTION', 'TRANSFER',
                'MANAGER_CHANGE', 'TERMINATION')),
            effective_date date not null,
            role_id uuid,
            previous_role_id uuid,
            org_unit_id uuid,
            previous_org_unit_id uuid,
            manager_id uuid,
            previous_manager_id uuid,
            title text,
            source_type text,
            source_id uuid,
            note text,
            created_at timestamptz not null default now(),
            constraint fk_position_history_employee foreign key (org_id, employee_id)
                references employees (org_id, id)
        )
        """
    )
    op.execute(
        "create index ix_position_history_employee "
        "on position_history (org_id, employee_id, effective_date)"
    )
    op.execute(
        """
        create table audit_events (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            occurred_at timestamptz not null default now(),
            actor_type text not null,
            actor_id uuid,
            actor_subject text,
            action text not null,
            entity_type text not null,
            entity_id uuid,
            changes jsonb not null default '{}'
        )
        """
    )
    op.execute("create index ix_audit_events_org_time on audit_events (org_id, occurred_at)")
    op.execute(
        "create index ix_audit_events_entity on audit_events (org_id, entity_type, entity_id)"
    )
    for table in TENANT_TABLES:
        for statement in tenant_table_sql(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(["organizations", *TENANT_TABLES]):
        op.execute(f"drop table {table}")
