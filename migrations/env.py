"""Alembic environment: runs migrations as the database owner, then grants the app role."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from service.db import create_engine, quote_ident

config = context.config


def grant_app_role(connection: Connection, app_role: str) -> None:
    # The service connects as a role without BYPASSRLS; it gets data access, never DDL.
    quoted = quote_ident(app_role)
    connection.execute(text(f"grant usage on schema public to {quoted}"))
    connection.execute(
        text(f"grant select, insert, update, delete on all tables in schema public to {quoted}")
    )
    connection.execute(text(f"grant usage, select on all sequences in schema public to {quoted}"))
    # Alembic's own bookkeeping is the owner's business.
    connection.execute(text(f"revoke all on alembic_version from {quoted}"))
    connection.execute(text(f"grant select on alembic_version to {quoted}"))


MIGRATION_LOCK = 7_240_511  # any constant; several replicas starting at once take turns


def run(connection: Connection) -> None:
    connection.execute(text("select pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
    connection.commit()
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()
    app_role = config.attributes.get("app_role")
    current_user = connection.execute(text("select current_user")).scalar()
    if app_role and app_role != current_user:
        exists = connection.execute(
            text("select 1 from pg_roles where rolname = :r"), {"r": app_role}
        ).scalar()
        if exists and context.get_context().get_current_revision() is not None:
            grant_app_role(connection, app_role)
        connection.commit()


async def main() -> None:
    engine = create_engine(config.attributes["url"], pool_size=1)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(run)
    finally:
        await engine.dispose()


asyncio.run(main())
