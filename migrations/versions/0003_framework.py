"""Career framework: scales, levels, job families, roles, competencies, expectations,
tracks, transitions; employees' roles refer to roles.

Revision ID: 0003_framework
Revises: 0002_service_accounts
"""

from alembic import op

from service.db import tenant_table_sql

revision = "0003_framework"
down_revision = "0002_service_accounts"
branch_labels = None
depends_on = None

TENANT_TABLES = [
    "framework_settings",
    "proficiency_scales",
    "scale_levels",
    "levels",
    "job_families",
    "roles",
    "competencies",
    "competency_descriptors",
    "role_expectations",
    "tracks",
    "track_steps",
    "role_transitions",
]

KEY_CHECK = "check (key ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(key) <= 64)"
AGGREGATE = """
    archived_at timestamptz,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
"""


def _keyed(table: str, columns: str) -> str:
    """A keyed, archivable aggregate: id, org, key unique per org, its columns, bookkeeping."""
    return f"""
        create table {table} (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            key text not null constraint ck_{table}_key {KEY_CHECK},
            {columns},
            {AGGREGATE},
            constraint uq_{table}_org_id_id unique (org_id, id),
            constraint uq_{table}_org_id_key unique (org_id, key)
        )
    """


def upgrade() -> None:
    op.execute(
        """
        create table framework_settings (
            org_id uuid primary key references organizations (id),
            notice text,
            updated_at timestamptz not null default now()
        )
        """
    )
    op.execute(_keyed("proficiency_scales", "name text not null, description text"))
    op.execute(
        """
        create table scale_levels (
            org_id uuid not null,
            scale_id uuid not null,
            value integer not null constraint ck_scale_levels_value check (value between 1 and 20),
            name text not null,
            description text,
            constraint pk_scale_levels primary key (org_id, scale_id, value),
            constraint uq_scale_levels_name unique (org_id, scale_id, name),
            constraint fk_scale_levels_scale foreign key (org_id, scale_id)
                references proficiency_scales (org_id, id) on delete cascade
        )
        """
    )
    op.execute(
        _keyed(
            "levels",
            "name text not null, "
            "rank integer not null constraint ck_levels_rank check (rank between 1 and 1000), "
            "description text",
        )
    )
    # Ranks order roles across families, so active levels never share one. Deferrable, so an
    # import can swap two ranks within one transaction.
    op.execute(
        """
        alter table levels add constraint ex_levels_active_rank
            exclude using btree (org_id with =, rank with =) where (archived_at is null)
            deferrable initially immediate
        """
    )
    op.execute(_keyed("job_families", "name text not null, description text"))
    op.execute(
        _keyed(
            "roles",
            """
            family_id uuid not null,
            level_id uuid not null,
            title text not null,
            description text,
            pay_min bigint,
            pay_mid bigint,
            pay_max bigint,
            pay_currency text,
            constraint fk_roles_family foreign key (org_id, family_id)
                references job_families (org_id, id),
            constraint fk_roles_level foreign key (org_id, level_id)
                references levels (org_id, id),
            constraint ck_roles_pay_band check (
                (pay_min is null and pay_mid is null and pay_max is null and pay_currency is null)
                or (0 <= pay_min and pay_min <= pay_mid and pay_mid <= pay_max
                    and pay_currency ~ '^[A-Z]{3}$'))
            """,
        )
    )
    op.execute("create index ix_roles_family on roles (org_id, family_id)")
    op.execute("create index ix_roles_level on roles (org_id, level_id)")
    op.execute(
        _keyed(
            "competencies",
            """
            name text not null,
            category text,
            description text,
            scale_id uuid not null,
            constraint fk_competencies_scale foreign key (org_id, scale_id)
                references proficiency_scales (org_id, id)
            """,
        )
    )
    op.execute("create index ix_competencies_scale on competencies (org_id, scale_id)")
    op.execute("create index ix_competencies_category on competencies (org_id, category, name)")
    op.execute(
        """
        create table competency_descriptors (
            org_id uuid not null,
            competency_id uuid not null,
            level integer not null
                constraint ck_competency_descriptors_level check (level between 1 and 20),
            description text not null,
            constraint pk_competency_descriptors primary key (org_id, competency_id, level),
            constraint fk_competency_descriptors_competency foreign key (org_id, competency_id)
                references competencies (org_id, id) on delete cascade
        )
        """
    )
    op.execute(
        """
        create table role_expectations (
            org_id uuid not null,
            role_id uuid not null,
            competency_id uuid not null,
            required_level integer not null
                constraint ck_role_expectations_level check (required_level between 1 and 20),
            weight double precision not null default 1
                constraint ck_role_expectations_weight check (weight > 0 and weight <= 100),
            core boolean not null default true,
            note text,
            constraint pk_role_expectations primary key (org_id, role_id, competency_id),
            constraint fk_role_expectations_role foreign key (org_id, role_id)
                references roles (org_id, id) on delete cascade,
            constraint fk_role_expectations_competency foreign key (org_id, competency_id)
                references competencies (org_id, id)
        )
        """
    )
    op.execute(
        "create index ix_role_expectations_competency on role_expectations (org_id, competency_id)"
    )
    op.execute(
        _keyed(
            "tracks",
            """
            family_id uuid not null,
            name text not null,
            kind text not null
                constraint ck_tracks_kind check (kind in ('IC', 'MANAGEMENT', 'OTHER')),
            description text,
            constraint fk_tracks_family foreign key (org_id, family_id)
                references job_families (org_id, id)
            """,
        )
    )
    op.execute("create index ix_tracks_family on tracks (org_id, family_id)")
    op.execute(
        """
        create table track_steps (
            org_id uuid not null,
            track_id uuid not null,
            position integer not null constraint ck_track_steps_position check (position >= 1),
            role_id uuid not null,
            constraint pk_track_steps primary key (org_id, track_id, position),
            constraint uq_track_steps_role unique (org_id, track_id, role_id),
            constraint fk_track_steps_track foreign key (org_id, track_id)
                references tracks (org_id, id) on delete cascade,
            constraint fk_track_steps_role foreign key (org_id, role_id)
                references roles (org_id, id)
        )
        """
    )
    op.execute("create index ix_track_steps_role on track_steps (org_id, role_id)")
    op.execute(
        f"""
        create table role_transitions (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            from_role_id uuid not null,
            to_role_id uuid not null,
            kind text not null
                constraint ck_role_transitions_kind check (kind in ('PROMOTION', 'LATERAL')),
            note text,
            {AGGREGATE},
            constraint uq_role_transitions_org_id_id unique (org_id, id),
            constraint uq_role_transitions_pair unique (org_id, from_role_id, to_role_id),
            constraint ck_role_transitions_not_to_itself check (from_role_id <> to_role_id),
            constraint fk_role_transitions_from foreign key (org_id, from_role_id)
                references roles (org_id, id),
            constraint fk_role_transitions_to foreign key (org_id, to_role_id)
                references roles (org_id, id)
        )
        """
    )
    op.execute("create index ix_role_transitions_to on role_transitions (org_id, to_role_id)")
    for table in TENANT_TABLES:
        for statement in tenant_table_sql(table):
            op.execute(statement)

    # People point at roles.
    op.execute(
        "alter table employees add constraint fk_employees_role "
        "foreign key (org_id, role_id) references roles (org_id, id)"
    )
    op.execute("create index ix_employees_role_id on employees (org_id, role_id)")
    for column in ("role_id", "previous_role_id"):
        op.execute(
            f"alter table position_history add constraint fk_position_history_{column} "
            f"foreign key (org_id, {column}) references roles (org_id, id)"
        )


def downgrade() -> None:
    for column in ("role_id", "previous_role_id"):
        op.execute(f"alter table position_history drop constraint fk_position_history_{column}")
    op.execute("drop index ix_employees_role_id")
    op.execute("alter table employees drop constraint fk_employees_role")
    for table in reversed(TENANT_TABLES):
        op.execute(f"drop table {table}")
