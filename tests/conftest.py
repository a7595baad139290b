"""Test fixtures: one real PostgreSQL for the run, the app over HTTP, real signed tokens.

The database is the embedded PostgreSQL (started in a temporary directory) or the server
named by ``CAREERPATH_TEST_DATABASE_URL`` (a role that may create databases and roles),
in which a fresh database is created and dropped. Migrations build the schema. Each test
works in an organization of its own, so Row Level Security keeps tests apart.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from service.app import Runtime, build_runtime, create_app
from service.auth import service as accounts
from service.auth.principal import system_principal
from service.config import AuthSettings, Environment, Settings, WebhookSettings
from service.db import (
    ConnectionExecutor,
    drop_database,
    migrate,
    provision,
    set_tenant,
    start_embedded,
)
from service.people import service as people

ALL_SCOPES = "career:employee career:manager career:admin career:hris career:webhooks"


@pytest.fixture(scope="session")
def database_urls() -> Iterator[tuple[str, str]]:
    """(owner URL, app URL) of a freshly migrated database."""
    admin_url = os.environ.get("CAREERPATH_TEST_DATABASE_URL")
    tmp = Path(tempfile.mkdtemp(prefix="careerpath-test-"))
    if admin_url is None:
        admin_url = start_embedded(tmp / "data")
    suffix = secrets.token_hex(4)
    database, role = f"careerpath_test_{suffix}", f"careerpath_test_app_{suffix}"
    provisioned = asyncio.run(provision(admin_url, database, role, secrets.token_urlsafe(16)))
    migrate(provisioned.owner_url, app_role=role)
    yield provisioned.owner_url, provisioned.app_url
    asyncio.run(drop_database(admin_url, database, role))


@pytest.fixture(scope="session")
def settings(database_urls: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        env=Environment.DEV,
        database_url=database_urls[1],
        data_dir=tmp_path_factory.mktemp("data"),
        public_url="http://testserver",
        auth=AuthSettings(),
        pool_size=5,
        # Webhook tests deliver to receivers on 127.0.0.1.
        webhooks=WebhookSettings(allow_hosts=["127.0.0.1"]),
    )


@pytest.fixture(scope="session")
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    rt = build_runtime(settings)
    yield rt
    await rt.db.dispose()


@pytest.fixture(scope="session")
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime=runtime)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


class StatementCounter:
    """Counts SQL statements sent by the app's engine while active."""

    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.count += 1
        self.statements.append(statement)


@pytest.fixture
def count_statements(runtime: Runtime) -> Any:
    @contextmanager
    def counting() -> Iterator[StatementCounter]:
        counter = StatementCounter()
        engine = runtime.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting


@dataclass
class Org:
    """A fresh organization for one test, with helpers to add people and call the API."""

    id: uuid.UUID
    slug: str
    runtime: Runtime
    client: httpx.AsyncClient
    people: dict[str, Any] = field(default_factory=dict)

    async def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call a service function as the system, in this organization, committed."""
        async with self.runtime.db.transaction(self.id) as conn:
            return await fn(ConnectionExecutor(conn), system_principal(self.id), *args, **kwargs)

    async def employee(
        self,
        key: str,
        *,
        manager: str | None = None,
        hr_admin: bool | None = None,
        **fields: Any,
    ) -> Any:
        """Add an employee under ``key``. The person keyed ``admin`` is named an HR admin
        (the in-app grant, without which ``career:admin`` tokens do not act as admin);
        ``hr_admin`` says otherwise for anyone."""
        data = people.EmployeeInput(
            email=fields.pop("email", f"{key}@{self.slug}.example"),
            name=fields.pop("name", key.replace("_", " ").title()),
            auth_subject=fields.pop("auth_subject", f"sub-{key}-{self.slug}"),
            manager_id=self.people[manager].id if manager else None,
            **fields,
        )
        row = await self.run(people.create_employee, data)
        self.people[key] = row
        if key == "admin" if hr_admin is None else hr_admin:
            await self.run(accounts.grant_hr_admin, row.id)
        return row

    async def close_directory(self) -> None:
        """Turn the organization's people directory off (it is on by default), for tests
        of what each caller reaches without it."""
        await self.run(people.update_people_settings, directory_visible=False)

    def token(self, key: str, scopes: str = "career:employee", **kwargs: Any) -> str:
        issuer = self.runtime.dev_issuer
        assert issuer is not None
        return issuer.mint(
            self.people[key].auth_subject, org=self.slug, scopes=scopes.split(), **kwargs
        )

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_: str | None = None,
        scopes: str = "career:employee",
        token: str | None = None,
        expect_status: int = 200,
    ) -> dict[str, Any]:
        headers = {}
        if token is None and as_ is not None:
            token = self.token(as_, scopes)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == expect_status, response.text
        return response.json()  # type: ignore[no-any-return]


@pytest.fixture
async def org(runtime: Runtime, client: httpx.AsyncClient) -> Org:
    slug = f"org-{secrets.token_hex(5)}"
    async with runtime.db.transaction(None) as conn:
        org_id = await people.create_organization(ConnectionExecutor(conn), slug, slug.title())
    return Org(id=org_id, slug=slug, runtime=runtime, client=client)


@pytest.fixture
async def team(org: Org) -> Org:
    """admin (an HR admin); boss → manager → (alice, bob); manager2 → carol."""
    await org.employee("admin", name="Ada Admin")
    await org.employee("boss", name="Bea Boss")
    await org.employee("manager", manager="boss", name="Max Manager")
    await org.employee("alice", manager="manager", name="Alice Anders")
    await org.employee("bob", manager="manager", name="Bob Brown")
    await org.employee("manager2", manager="boss", name="Mia Second")
    await org.employee("carol", manager="manager2", name="Carol Chen")
    return org


def gid(type_name: str, row: Any) -> str:
    from service.graphql.ids import encode_id

    return encode_id(type_name, row.id)


__all__ = ["ALL_SCOPES", "Org", "gid", "set_tenant"]


@pytest.fixture
def org_factory(runtime: Runtime, client: httpx.AsyncClient) -> Any:
    """Makes further organizations, for tests that need more than one tenant."""

    async def make() -> Org:
        slug = f"org-{secrets.token_hex(5)}"
        async with runtime.db.transaction(None) as conn:
            org_id = await people.create_organization(ConnectionExecutor(conn), slug, slug.title())
        return Org(id=org_id, slug=slug, runtime=runtime, client=client)

    return make
