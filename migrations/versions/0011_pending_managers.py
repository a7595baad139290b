"""HRIS sync: a manager reference that names someone not synced yet is kept on the
employee and resolved when that manager arrives.

Revision ID: 0011_pending_managers
Revises: 0010_development_plans
"""

from alembic import op

revision = "0011_pending_managers"
down_revision = "0010_development_plans"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "alter table employees add column pending_manager_external_id text"
        " constraint ck_employees_pending_manager check"
        " (length(pending_manager_external_id) between 1 and 255)"
    )
    op.execute(
        "create index ix_employees_pending_manager on employees"
        " (org_id, pending_manager_external_id) where pending_manager_external_id is not null"
    )


def downgrade() -> None:
    op.execute("drop index ix_employees_pending_manager")
    op.execute("alter table employees drop column pending_manager_external_id")
