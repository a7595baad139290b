"""HR admins named in careerpath: an admin token acts as admin only for them.

Revision ID: 0007_hr_admins
Revises: 0006_webhooks
"""

from alembic import op

from service.db import tenant_table_sql

revision = "0007_hr_admins"
down_revision = "0006_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        create table hr_admins (
            org_id uuid not null references organizations (id),
            employee_id uuid not null,
            granted_at timestamptz not null default now(),
            constraint pk_hr_admins primary key (org_id, employee_id),
            constraint fk_hr_admins_employee foreign key (org_id, employee_id)
                references employees (org_id, id)
        )
        """
    )
    for statement in tenant_table_sql("hr_admins"):
        op.execute(statement)


def downgrade() -> None:
    op.execute("drop table hr_admins")
