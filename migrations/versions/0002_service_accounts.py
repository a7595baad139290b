"""Service accounts for client-credentials tokens; a stable order for the audit log.

Revision ID: 0002_service_accounts
Revises: 0001_people
"""

from alembic import op

from service.db import tenant_table_sql

revision = "0002_service_accounts"
down_revision = "0001_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        create table service_accounts (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            client_id text not null,
            name text not null,
            scopes text[] not null default '{}',
            active boolean not null default true,
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint uq_service_accounts_org_id_id unique (org_id, id),
            constraint uq_service_accounts_org_id_client_id unique (org_id, client_id)
        )
        """
    )
    for statement in tenant_table_sql("service_accounts"):
        op.execute(statement)
    # Events of one transaction share `occurred_at`; `seq` keeps them in the order written.
    op.execute("alter table audit_events add column seq bigint generated always as identity")
    op.execute("create index ix_audit_events_org_seq on audit_events (org_id, seq)")


def downgrade() -> None:
    op.execute("drop index ix_audit_events_org_seq")
    op.execute("alter table audit_events drop column seq")
    op.execute("drop table service_accounts")
