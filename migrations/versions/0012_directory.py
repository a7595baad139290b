"""The people directory setting: whether every employee sees everyone's name, title, org
unit, role and manager (on by default; a missing row means the defaults).

Revision ID: 0012_directory
Revises: 0011_pending_managers
"""

from alembic import op

from service.db import tenant_table_sql

revision = "0012_directory"
down_revision = "0011_pending_managers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        create table people_settings (
            org_id uuid primary key references organizations (id),
            directory_visible boolean not null default true,
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now()
        )
        """
    )
    for statement in tenant_table_sql("people_settings"):
        op.execute(statement)


def downgrade() -> None:
    op.execute("drop table people_settings")
