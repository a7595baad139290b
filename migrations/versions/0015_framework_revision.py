"""Framework revision: a counter per organization, raised in the same transaction as any
change to its framework, so a cache of framework reads keyed by it is never stale on any
replica. Framework writers raise it when they take the framework lock; a statement-level
trigger on every framework table raises it for any other writer (once per transaction).

Revision ID: 0015_framework_revision
Revises: 0014_current_levels
"""

from alembic import op

revision = "0015_framework_revision"
down_revision = "0014_current_levels"
branch_labels = None
depends_on = None

FRAMEWORK_TABLES = [
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


def upgrade() -> None:
    op.execute("alter table organizations add column framework_revision bigint not null default 0")
    # Raises the tenant's revision (every organization's when no tenant is set) once per
    # transaction: a transaction-local flag records that it has, and a rolled-back
    # savepoint takes both back.
    op.execute(
        """
        create function framework_changed() returns void language plpgsql as $$
        declare
            tenant text := nullif(current_setting('app.org_id', true), '');
        begin
            if current_setting('careerpath.framework_changed', true) is distinct from 'on' then
                perform set_config('careerpath.framework_changed', 'on', true);
                update organizations set framework_revision = framework_revision + 1
                where tenant is null or id = tenant::uuid;
            end if;
        end $$
        """
    )
    op.execute(
        """
        create function framework_changed_trigger() returns trigger language plpgsql as $$
        begin
            perform framework_changed();
            return null;
        end $$
        """
    )
    for table in FRAMEWORK_TABLES:
        op.execute(
            f"create trigger tr_{table}_framework_revision "
            f"after insert or update or delete or truncate on {table} "
            "for each statement execute function framework_changed_trigger()"
        )


def downgrade() -> None:
    for table in FRAMEWORK_TABLES:
        op.execute(f"drop trigger tr_{table}_framework_revision on {table}")
    op.execute("drop function framework_changed_trigger()")
    op.execute("drop function framework_changed()")
    op.execute("alter table organizations drop column framework_revision")
