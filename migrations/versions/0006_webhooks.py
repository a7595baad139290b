"""Webhooks: endpoints, the outbox of events, deliveries and their attempts.

Every table is a tenant table under Row Level Security. The dispatcher works across
organizations through two functions that run as the schema owner (``security definer``):
``webhook_claim`` leases due deliveries (ids and organizations only; everything else is
read in a tenant transaction) and ``webhook_prune`` removes what the retention period
let go. A policy for the owner lets them through when the owner itself is not a superuser.

Revision ID: 0006_webhooks
Revises: 0005_tenant_policy_once
"""

from alembic import op

from service.db import tenant_table_sql

revision = "0006_webhooks"
down_revision = "0005_tenant_policy_once"
branch_labels = None
depends_on = None

TENANT_TABLES = ["webhook_endpoints", "webhook_events", "webhook_deliveries", "webhook_attempts"]


def upgrade() -> None:
    op.execute(
        """
        create table webhook_endpoints (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            url text not null,
            description text not null default '',
            event_types text[] not null
                constraint ck_webhook_endpoints_event_types check (cardinality(event_types) > 0),
            status text not null default 'ENABLED'
                constraint ck_webhook_endpoints_status check (status in ('ENABLED', 'DISABLED')),
            disabled_reason text,
            disabled_at timestamptz,
            secret text not null,
            previous_secret text,
            previous_secret_expires_at timestamptz,
            consecutive_failures integer not null default 0,
            failing_since timestamptz,
            version integer not null default 1,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            constraint uq_webhook_endpoints_org_id_id unique (org_id, id)
        )
        """
    )
    op.execute(
        "create index ix_webhook_endpoints_subscriptions on webhook_endpoints "
        "using gin (event_types) where status = 'ENABLED'"
    )
    op.execute("create index ix_webhook_endpoints_org on webhook_endpoints (org_id, created_at)")
    op.execute(
        """
        create table webhook_events (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null references organizations (id),
            type text not null,
            data jsonb not null,
            occurred_at timestamptz not null default now(),
            constraint uq_webhook_events_org_id_id unique (org_id, id)
        )
        """
    )
    op.execute("create index ix_webhook_events_org_time on webhook_events (org_id, occurred_at)")
    op.execute("create index ix_webhook_events_time on webhook_events (occurred_at)")
    op.execute(
        """
        create table webhook_deliveries (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null,
            event_id uuid not null,
            endpoint_id uuid not null,
            status text not null default 'PENDING'
                constraint ck_webhook_deliveries_status
                check (status in ('PENDING', 'SUCCEEDED', 'FAILED')),
            attempts integer not null default 0,
            next_attempt_at timestamptz,
            claimed_until timestamptz,
            claim_token uuid,
            last_status_code integer,
            last_error text,
            created_at timestamptz not null default now(),
            updated_at timestamptz not null default now(),
            finished_at timestamptz,
            constraint uq_webhook_deliveries_org_id_id unique (org_id, id),
            constraint fk_webhook_deliveries_event foreign key (org_id, event_id)
                references webhook_events (org_id, id) on delete cascade,
            constraint fk_webhook_deliveries_endpoint foreign key (org_id, endpoint_id)
                references webhook_endpoints (org_id, id) on delete cascade,
            constraint ck_webhook_deliveries_due
                check ((status = 'PENDING') = (next_attempt_at is not null))
        )
        """
    )
    # The dispatcher's queue: pending deliveries by due time, across organizations.
    op.execute(
        "create index ix_webhook_deliveries_due on webhook_deliveries (next_attempt_at) "
        "where status = 'PENDING'"
    )
    op.execute(
        "create index ix_webhook_deliveries_org_time on webhook_deliveries (org_id, created_at, id)"
    )
    op.execute(
        "create index ix_webhook_deliveries_endpoint "
        "on webhook_deliveries (org_id, endpoint_id, created_at)"
    )
    op.execute("create index ix_webhook_deliveries_event on webhook_deliveries (org_id, event_id)")
    op.execute(
        """
        create table webhook_attempts (
            id uuid primary key default gen_random_uuid(),
            org_id uuid not null,
            delivery_id uuid not null,
            attempt integer not null,
            started_at timestamptz not null,
            duration_ms integer not null,
            status_code integer,
            error text,
            response_body text,
            next_attempt_at timestamptz,
            constraint uq_webhook_attempts_org_id_id unique (org_id, id),
            constraint fk_webhook_attempts_delivery foreign key (org_id, delivery_id)
                references webhook_deliveries (org_id, id) on delete cascade
        )
        """
    )
    op.execute(
        "create index ix_webhook_attempts_delivery on webhook_attempts (org_id, delivery_id, attempt)"
    )
    for table in TENANT_TABLES:
        for statement in tenant_table_sql(table):
            op.execute(statement)
        # The owner's functions below see every organization, even when the owner is not a
        # superuser (forced RLS applies to table owners too). The app's role is not the owner.
        op.execute(f"create policy webhook_dispatch on {table} to current_user using (true)")
    op.execute(
        """
        create function webhook_claim(batch integer, lease interval, token uuid)
        returns table (id uuid, org_id uuid)
        language sql volatile security definer set search_path = pg_catalog, public
        as $$
            update webhook_deliveries d
               set claimed_until = now() + lease, claim_token = token
             where d.id in (
                   select q.id from webhook_deliveries q
                    where q.status = 'PENDING' and q.next_attempt_at <= now()
                      and (q.claimed_until is null or q.claimed_until < now())
                    order by q.next_attempt_at
                    limit batch
                      for update skip locked)
            returning d.id, d.org_id
        $$
        """
    )
    op.execute(
        """
        create function webhook_next_due() returns timestamptz
        language sql stable security definer set search_path = pg_catalog, public
        as $$
            select min(next_attempt_at) from webhook_deliveries
             where status = 'PENDING' and (claimed_until is null or claimed_until < now())
        $$
        """
    )
    op.execute(
        """
        create function webhook_prune(cutoff timestamptz) returns bigint
        language sql volatile security definer set search_path = pg_catalog, public
        as $$
            with gone as (
                delete from webhook_events e
                 where e.occurred_at < cutoff
                   and not exists (select 1 from webhook_deliveries d
                                    where d.org_id = e.org_id and d.event_id = e.id
                                      and d.status = 'PENDING')
                returning 1)
            select count(*) from gone
        $$
        """
    )


def downgrade() -> None:
    op.execute("drop function webhook_prune(timestamptz)")
    op.execute("drop function webhook_next_due()")
    op.execute("drop function webhook_claim(integer, interval, uuid)")
    for table in reversed(TENANT_TABLES):
        op.execute(f"drop table {table}")
