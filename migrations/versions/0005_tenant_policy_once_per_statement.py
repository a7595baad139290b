"""Tenant policies read the request's organization once per statement, not once per row.

Revision ID: 0005_tenant_policy_once
Revises: 0004_assessments
"""

from alembic import op

from service.db import TENANT_PREDICATE

revision = "0005_tenant_policy_once"
down_revision = "0004_assessments"
branch_labels = None
depends_on = None

PER_ROW_PREDICATE = "org_id = nullif(current_setting('app.org_id', true), '')::uuid"
POLICY_TABLES = """
    select tablename from pg_policies
    where schemaname = current_schema() and policyname = 'tenant_isolation'
    order by tablename
"""


def _rewrite(predicate: str) -> None:
    for (table,) in op.get_bind().exec_driver_sql(POLICY_TABLES).all():
        op.execute(
            f"alter policy tenant_isolation on {table} using ({predicate}) with check ({predicate})"
        )


def upgrade() -> None:
    _rewrite(TENANT_PREDICATE)


def downgrade() -> None:
    _rewrite(PER_ROW_PREDICATE)
