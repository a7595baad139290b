"""HRIS sync: remembered answers of calls sent with an Idempotency-Key; indexes for
incremental reads of employees and position changes.

Revision ID: 0009_hris_sync
Revises: 0008_promotions
"""

from alembic import op

from service.db import tenant_table_sql

revision = "0009_hris_sync"
down_revision = "0008_promotions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        create table sync_requests (
            org_id uuid not null references organizations (id),
            idempotency_key text not null
                constraint ck_sync_requests_key check (length(idempotency_key) between 1 and 255),
            operation text not null,
            request_hash text not null,
            response jsonb not null,
            created_at timestamptz not null default now(),
            constraint pk_sync_requests primary key (org_id, idempotency_key)
        )
        """
    )
    for statement in tenant_table_sql("sync_requests"):
        op.execute(statement)
    op.execute("create index ix_employees_updated_at on employees (org_id, updated_at, id)")
    op.execute(
        "create index ix_position_history_created_at on position_history (org_id, created_at, id)"
    )


def downgrade() -> None:
    op.execute("drop index ix_position_history_created_at")
    op.execute("drop index ix_employees_updated_at")
    op.execute("drop table sync_requests")
