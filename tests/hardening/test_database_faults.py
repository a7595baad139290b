"""Database faults: timeouts and pool exhaustion are 503 with Retry-After, /readyz answers
within its bound while the database is frozen, and a stopped embedded server is restarted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from service.db import (
    EmbeddedWatchdog,
    Timeouts,
    asyncpg_dsn,
    head_revision,
    start_embedded,
)
from service.graphql.execution import _is_unavailable
from tests.conftest import Org

ME = {"query": "{ me { name } }"}


def auth(org: Org, key: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {org.token(key)}"}


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["SERVICE_UNAVAILABLE"]
    assert "SQL" not in response.text
    assert "select" not in response.text.lower()


async def test_an_exhausted_pool_is_503_with_retry_after_soon(custom_app: Any, team: Org) -> None:
    async with custom_app(pool_size=1, db_pool_timeout_seconds=0.5) as (runtime, client):
        # The pool's one connection is taken.
        held = [await runtime.db.engine.connect()]
        try:
            started = time.monotonic()
            response = await client.post("/graphql", json=ME, headers=auth(team))
            elapsed = time.monotonic() - started
        finally:
            for conn in held:
                await conn.close()
        assert_unavailable(response)
        assert elapsed < 3, elapsed
        again = await client.post("/graphql", json=ME, headers=auth(team))
        assert again.status_code == 200
        assert again.json() == {"data": {"me": {"name": "Alice Anders"}}}


async def test_a_statement_past_the_statement_timeout_is_503(custom_app: Any, team: Org) -> None:
    async with custom_app(db_statement_timeout_seconds=0.5) as (runtime, client):
        # The statement timeout is the pool's: a plain pg_sleep past it is cancelled.
        with pytest.raises(DBAPIError) as raised:
            async with runtime.db.transaction(None) as conn:
                await conn.execute(text("select pg_sleep(5)"))
        assert _is_unavailable(raised.value)
        # A request whose read waits on a lock is cancelled the same way.
        async with team.runtime.db.transaction(team.id) as blocker:
            await blocker.execute(text("lock table employees in access exclusive mode"))
            started = time.monotonic()
            response = await client.post("/graphql", json=ME, headers=auth(team))
            elapsed = time.monotonic() - started
        assert_unavailable(response)
        assert "too long" in response.json()["errors"][0]["message"]
        assert elapsed < 3, elapsed
        assert (await client.post("/graphql", json=ME, headers=auth(team))).status_code == 200


def test_timeouts_reach_the_driver() -> None:
    options = Timeouts(connect=1, command=2, pool=3, statement=4.5).engine_options()
    assert options["pool_timeout"] == 3
    assert options["connect_args"]["timeout"] == 1
    assert options["connect_args"]["command_timeout"] == 2
    assert options["connect_args"]["server_settings"] == {"statement_timeout": "4500"}


# --- a server of its own, to freeze and to kill ------------------------------------------


@pytest.fixture(scope="module")
def own_server() -> tuple[Path, str]:
    """An embedded PostgreSQL of this module's own: (data directory, admin URL)."""
    if os.environ.get("CAREERPATH_TEST_DATABASE_URL"):
        pytest.skip("needs the embedded PostgreSQL, to stop and kill it")
    data_dir = Path(tempfile.mkdtemp(prefix="careerpath-faults-"))
    url = start_embedded(data_dir)

    async def fake_migrated() -> None:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await conn.execute("create table alembic_version (version_num text)")
            await conn.execute("insert into alembic_version values ($1)", head_revision())
        finally:
            await conn.close()

    asyncio.run(fake_migrated())
    return data_dir, url


def server_processes(data_dir: Path) -> list[psutil.Process]:
    pid = int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])
    postmaster = psutil.Process(pid)
    return [postmaster, *postmaster.children(recursive=True)]


def signal_all(processes: list[psutil.Process], sig: signal.Signals) -> None:
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(sig)


async def test_readyz_answers_within_its_bound_while_the_database_is_frozen(
    custom_app: Any, own_server: tuple[Path, str]
) -> None:
    data_dir, url = own_server
    async with custom_app(
        database_url=url,
        readyz_timeout_seconds=1.0,
        db_connect_timeout_seconds=1.0,
        db_command_timeout_seconds=1.0,
        db_pool_timeout_seconds=1.0,
    ) as (_runtime, client):
        assert (await client.get("/readyz")).status_code == 200
        frozen = server_processes(data_dir)
        signal_all(frozen, signal.SIGSTOP)
        try:
            timings = []
            for _ in range(3):
                started = time.monotonic()
                ready = await client.get("/readyz")
                timings.append(time.monotonic() - started)
                assert ready.status_code == 503
                assert ready.headers["Retry-After"]
            graphql_started = time.monotonic()
            response = await client.post("/graphql", json=ME, headers={"Authorization": "Bearer x"})
            graphql_elapsed = time.monotonic() - graphql_started
        finally:
            signal_all(frozen, signal.SIGCONT)
        assert max(timings) < 2.0, timings
        # A bad token is refused without the database; nothing waits on it.
        assert response.status_code == 401
        assert graphql_elapsed < 2.0
        for _ in range(50):
            if (await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.2)
        else:
            pytest.fail("/readyz did not recover after the database thawed")


async def test_a_frozen_database_gives_503_within_the_timeouts(
    custom_app: Any, own_server: tuple[Path, str], team: Org
) -> None:
    data_dir, url = own_server
    async with custom_app(
        database_url=url, db_connect_timeout_seconds=1.0, db_command_timeout_seconds=1.0
    ) as (runtime, client):
        async with runtime.db.engine.connect() as conn:  # a pooled connection, to freeze
            await conn.execute(text("select 1"))
        frozen = server_processes(data_dir)
        signal_all(frozen, signal.SIGSTOP)
        try:
            started = time.monotonic()
            response = await client.post("/graphql", json=ME, headers=auth(team))
            elapsed = time.monotonic() - started
        finally:
            signal_all(frozen, signal.SIGCONT)
        assert_unavailable(response)
        assert elapsed < 4, elapsed


def test_a_killed_embedded_server_is_restarted(own_server: tuple[Path, str]) -> None:
    data_dir, url = own_server
    watchdog = EmbeddedWatchdog(data_dir, interval=0.2)
    assert watchdog.check() is False  # running: nothing to do
    old = server_processes(data_dir)[0]
    watchdog.start()
    try:
        old.kill()
        old.wait(10)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if watchdog.restarts and answers(url):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the embedded PostgreSQL was not restarted")
    finally:
        watchdog.stop()
    assert server_processes(data_dir)[0].pid != old.pid


def answers(url: str) -> bool:
    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(asyncpg_dsn(url), timeout=2)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        try:
            return await conn.fetchval("select 1") == 1
        finally:
            await conn.close()

    return asyncio.run(probe())
