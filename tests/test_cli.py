"""The command line, run as a newcomer runs it: real processes on the embedded PostgreSQL,
and the setup commands in process against the test database."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from alembic.script import ScriptDirectory
from click.testing import Result
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from service import cli
from service.app import Runtime
from service.config import Settings, get_settings
from service.db import alembic_config, asyncpg_dsn, drop_database, head_revision, provision

CLI = [sys.executable, "-m", "service.cli"]


def env_for(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERPATH_")}
    env["CAREERPATH_DATA_DIR"] = str(data_dir)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_help_lists_the_commands() -> None:
    result = subprocess.run([*CLI, "--help"], capture_output=True, text=True, check=True)
    for command in (
        "serve",
        "migrate",
        "demo",
        "token",
        "org",
        "employee",
        "admin",
        "service-account",
    ):
        assert command in result.stdout


def test_serve_demo_answers_with_printed_tokens_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "data"
    proc = subprocess.Popen(
        [*CLI, "serve", "--demo", "--port", str(port)],
        env=env_for(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        tokens: dict[str, str] = {}
        output: list[str] = []
        deadline = time.monotonic() + 90
        assert proc.stdout is not None
        while len(tokens) < 3 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output.append(line)
            if " token (" in line:
                persona = line.split(" token (")[0]
                tokens[persona] = line.rsplit(" ", 1)[1].strip()
        assert set(tokens) == {"employee", "manager", "admin"}, "".join(output)
        base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        response = httpx.post(
            f"{base}/graphql",
            json={"query": "{ me { id name } }"},
            headers={"Authorization": f"Bearer {tokens['manager']}"},
        )
        assert response.status_code == 200
        assert response.json()["data"]["me"]["name"] == "Nora Lindqvist"
        assert httpx.get(f"{base}/.well-known/jwks.json").json()["keys"][0]["kty"] == "RSA"

        # `careerpath token` mints for the running server's issuer.
        minted = subprocess.run(
            [
                *CLI,
                "token",
                "--employee",
                "chiara.bianchi@northwind.example",
                "--scope",
                "career:employee",
            ],
            env=env_for(data_dir),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        response = httpx.post(
            f"{base}/graphql",
            json={"query": "{ me { name } }"},
            headers={"Authorization": f"Bearer {minted}"},
        )
        assert response.json() == {"data": {"me": {"name": "Chiara Bianchi"}}}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0
    # The embedded PostgreSQL stopped with the server.
    assert not (data_dir / "pg" / "postmaster.pid").exists()


def test_serve_on_a_busy_port_fails_with_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*CLI, "serve", "--port", str(port)],
            env=env_for(tmp_path),
            capture_output=True,
            text=True,
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


def test_unwritable_data_dir_fails_with_one_clear_line() -> None:
    result = subprocess.run(
        [*CLI, "serve", "--port", str(free_port())],
        env=env_for(Path("/proc/careerpath-data")),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: data directory /proc/careerpath-data is not writable")


def test_token_refuses_unknown_employee(tmp_path: Path) -> None:
    result = subprocess.run(
        [*CLI, "token", "--employee", "nobody@example.com"],
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "no organization yet" in result.stderr


# --- setting up a real organization, in process against the test database --------------

runner = CliRunner()


@pytest.fixture
def cli_env(database_urls: tuple[str, str], settings: Settings) -> Iterator[dict[str, str]]:
    """The environment of a command run against the test database, with the test app's dev
    issuer (same key and URL), so tokens the commands print are the app's."""
    env = {
        "CAREERPATH_ENV": "dev",
        "CAREERPATH_DATABASE_URL": database_urls[1],
        "CAREERPATH_MIGRATION_DATABASE_URL": database_urls[0],
        "CAREERPATH_DATA_DIR": str(settings.data_dir),
        "CAREERPATH_PUBLIC_URL": settings.public_url,
    }
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


def careerpath(env: dict[str, str], *args: str) -> Result:
    """Run one command in process, as `careerpath ARGS` with ``env``."""
    get_settings.cache_clear()
    try:
        return runner.invoke(cli.app, list(args), env=env)
    finally:
        get_settings.cache_clear()


async def run(env: dict[str, str], *args: str) -> Result:
    # Commands run their own event loop, so they run in a thread of their own here.
    return await asyncio.to_thread(careerpath, env, *args)


def new_slug() -> str:
    return f"acme-{secrets.token_hex(4)}"


async def graphql(client: httpx.AsyncClient, token: str, query: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_org_create_with_its_first_hr_admin(
    cli_env: dict[str, str], runtime: Runtime, client: httpx.AsyncClient
) -> None:
    slug = new_slug()
    done = await run(
        cli_env,
        "org", "create", slug, "Acme Inc.",
        "--admin-email", "jane.doe@acme.example",
        "--admin-subject", "idp|jane",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert f"Organization {slug} created" in done.stdout
    assert "HR admin Jane Doe <jane.doe@acme.example> created" in done.stdout

    # Her career:admin token acts as admin from the first request: she is named one.
    issuer = runtime.dev_issuer
    assert issuer is not None
    token = issuer.mint("idp|jane", org=slug, scopes=["career:employee", "career:admin"])
    body = await graphql(
        client,
        token,
        "{ me { name } hrAdmins { nodes { name } } "
        "auditEvents(first: 10) { nodes { action actorType } } }",
    )
    assert body["data"]["me"] == {"name": "Jane Doe"}
    assert body["data"]["hrAdmins"]["nodes"] == [{"name": "Jane Doe"}]
    assert [(e["action"], e["actorType"]) for e in body["data"]["auditEvents"]["nodes"]] == [
        ("hr_admin.grant", "SYSTEM"),
        ("employee.create", "SYSTEM"),
    ]

    # `careerpath token` mints for her by email.
    minted = await run(
        cli_env, "token", "--employee", "JANE.DOE@acme.example", "--org", slug,
        "--scope", "career:employee career:admin",
    )  # fmt: skip
    assert minted.exit_code == 0, minted.output
    body = await graphql(client, minted.stdout.strip(), "{ hrAdmins { totalCount } }")
    assert body == {"data": {"hrAdmins": {"totalCount": 1}}}


async def test_org_create_is_all_or_nothing(cli_env: dict[str, str]) -> None:
    slug = new_slug()
    bad = await run(cli_env, "org", "create", slug, "Acme", "--admin-email", "not-an-email")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("error: --admin-email: "), bad.stderr
    # Nothing was written: the slug is still free.
    again = await run(cli_env, "org", "create", slug, "Acme", "--admin-email", "a@acme.example")
    assert again.exit_code == 0, again.output
    assert "HR admin A <a@acme.example> created" in again.stdout
    assert "no authSubject yet" in again.stdout

    lone = await run(cli_env, "org", "create", new_slug(), "Acme", "--admin-name", "Jo")
    assert lone.exit_code == 1
    assert lone.stderr == "error: --admin-name and --admin-subject need --admin-email\n"
    taken = await run(cli_env, "org", "create", slug, "Acme")
    assert (taken.exit_code, taken.stderr) == (1, f'error: SLUG: "{slug}" is already taken\n')


async def test_employee_create_and_admin_grant_and_revoke(
    cli_env: dict[str, str], runtime: Runtime, client: httpx.AsyncClient
) -> None:
    slug = new_slug()
    assert (await run(cli_env, "org", "create", slug, "Acme")).exit_code == 0
    org = ("--org", slug)
    boss = await run(
        cli_env, "employee", "create", "bea@acme.example", "Bea Boss",
        "--subject", "idp|bea", "--title", "CTO", *org,
    )  # fmt: skip
    assert boss.exit_code == 0, boss.output
    assert "Employee Bea Boss <bea@acme.example> created" in boss.stdout
    report = await run(
        cli_env, "employee", "create", "max@acme.example", "Max Report",
        "--subject", "idp|max", "--manager-email", "BEA@acme.example", *org,
    )  # fmt: skip
    assert report.exit_code == 0, report.output

    issuer = runtime.dev_issuer
    assert issuer is not None
    admin_scopes = ["career:employee", "career:admin"]
    bea = issuer.mint("idp|bea", org=slug, scopes=admin_scopes)
    query = "{ me { title directReports { nodes { name } } } hrAdmins { totalCount } }"
    body = await graphql(client, bea, query)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    granted = await run(cli_env, "admin", "grant", "bea@acme.example", *org)
    assert (granted.exit_code, granted.stdout) == (
        0,
        "Bea Boss <bea@acme.example> is an HR admin.\n",
    )
    body = await graphql(client, bea, query)
    assert body["data"] == {
        "me": {"title": "CTO", "directReports": {"nodes": [{"name": "Max Report"}]}},
        "hrAdmins": {"totalCount": 1},
    }
    revoked = await run(cli_env, "admin", "revoke", "bea@acme.example", *org)
    assert revoked.exit_code == 0, revoked.output
    body = await graphql(client, bea, "{ hrAdmins { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    dup = await run(cli_env, "employee", "create", "bea@acme.example", "Bea Again", *org)
    assert dup.exit_code == 1
    assert dup.stderr.startswith("error: EMAIL: "), dup.stderr
    nobody = await run(cli_env, "admin", "grant", "nobody@acme.example", *org)
    assert (nobody.exit_code, nobody.stderr) == (
        1,
        "error: no employee with email 'nobody@acme.example'\n",
    )
    unknown = await run(cli_env, "employee", "create", "x@acme.example", "X", "--org", "nope-x")
    assert (unknown.exit_code, unknown.stderr) == (1, "error: no organization 'nope-x'\n")


async def test_service_account_create_prints_a_working_dev_token(
    cli_env: dict[str, str], client: httpx.AsyncClient
) -> None:
    slug = new_slug()
    org = ("--org", slug)
    assert (await run(cli_env, "org", "create", slug, "Acme")).exit_code == 0
    assert (await run(cli_env, "employee", "create", "a@acme.example", "Ann", *org)).exit_code == 0
    done = await run(
        cli_env, "service-account", "create", "workday-sync", "Workday sync",
        "--scope", "career:hris", *org,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0].startswith(
        f"Service account Workday sync created in {slug} for client ID workday-sync, "
        "scopes career:hris: "
    )
    assert lines[1].startswith("dev token (career:hris): ")
    token = lines[1].rsplit(" ", 1)[1]
    body = await graphql(client, token, "{ employees { totalCount nodes { name } } }")
    assert body == {"data": {"employees": {"totalCount": 1, "nodes": [{"name": "Ann"}]}}}

    bad = await run(
        cli_env, "service-account", "create", "web app", "", "--scope", "career:employee", *org
    )
    assert bad.exit_code == 1
    problems = bad.stderr.splitlines()
    assert "error: CLIENT_ID: must not contain spaces" in problems
    assert "error: NAME: must not be blank" in problems
    assert any(p.startswith("error: --scope: career:employee needs an employee") for p in problems)
    taken = await run(
        cli_env,
        "service-account",
        "create",
        "workday-sync",
        "Again",
        "--scope",
        "career:hris",
        *org,
    )
    assert (taken.exit_code, taken.stderr) == (
        1,
        'error: CLIENT_ID: "workday-sync" is already registered\n',
    )


def test_service_account_create_in_production_points_to_the_identity_provider(
    cli_env: dict[str, str],
) -> None:
    slug = new_slug()
    assert careerpath(cli_env, "org", "create", slug, "Acme").exit_code == 0
    env = {**cli_env, "CAREERPATH_AUTH__ISSUER": "https://idp.example.test"}
    done = careerpath(env, "service-account", "create", "etl", "ETL", "--scope",
                      "career:hris career:webhooks", "--org", slug)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "scopes career:hris career:webhooks" in done.stdout
    assert "Its tokens come from your identity provider" in done.stdout
    assert "dev token" not in done.stdout


# --- migrations ---------------------------------------------------------------------------


@pytest.fixture
def scratch_env(database_urls: tuple[str, str], settings: Settings) -> Iterator[dict[str, str]]:
    """The environment of a command run against a scratch database of its own."""
    admin_url = make_url(database_urls[0]).set(database="postgres").render_as_string(False)
    suffix = secrets.token_hex(4)
    database, role = f"careerpath_cli_{suffix}", f"careerpath_cli_app_{suffix}"
    provisioned = asyncio.run(provision(admin_url, database, role, secrets.token_urlsafe(12)))
    get_settings.cache_clear()
    yield {
        "CAREERPATH_DATABASE_URL": provisioned.app_url,
        "CAREERPATH_MIGRATION_DATABASE_URL": provisioned.owner_url,
        "CAREERPATH_DATA_DIR": str(settings.data_dir),
    }
    get_settings.cache_clear()
    asyncio.run(drop_database(admin_url, database, role))


def test_migrate_says_where_it_went_and_base_needs_yes(scratch_env: dict[str, str]) -> None:
    head = head_revision()
    script = ScriptDirectory.from_config(alembic_config("postgresql://unused"))
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)

    up = careerpath(scratch_env, "migrate")
    assert (up.exit_code, up.stdout) == (0, f"Database at {head}.\n")
    refused = careerpath(scratch_env, "migrate", "base")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "error: `migrate base` drops every table and all their data; add --yes to do it\n"
    )
    # Nothing happened: one step down still starts from head.
    down = careerpath(scratch_env, "migrate", "-1")
    assert (down.exit_code, down.stdout) == (0, f"Database at {previous}.\n")
    for wrong, message in (
        ("--nope", "error: no such option: --nope\n"),
        ("nowhere", "error: Can't locate revision identified by 'nowhere'\n"),
    ):
        refused = careerpath(scratch_env, "migrate", wrong)
        assert (refused.exit_code, refused.stderr) == (1, message)
    gone = careerpath(scratch_env, "migrate", "base", "--yes")
    assert (gone.exit_code, gone.stdout) == (0, "Database at base (empty).\n")
    again = careerpath(scratch_env, "migrate", "head")
    assert (again.exit_code, again.stdout) == (0, f"Database at {head}.\n")


def test_worker_migrates_before_it_works(scratch_env: dict[str, str]) -> None:
    gone = careerpath(scratch_env, "migrate", "base", "--yes")
    assert gone.exit_code == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERPATH_")}
    process = subprocess.Popen(
        [*CLI, "worker"],
        env={**env, **scratch_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "delivering webhooks" in first, process.stderr.read() if process.poll() else first
        assert asyncio.run(revision_of(scratch_env["CAREERPATH_MIGRATION_DATABASE_URL"])) == (
            head_revision()
        )
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


async def revision_of(url: str) -> str | None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        found: str | None = await conn.fetchval("select version_num from alembic_version")
        return found
    finally:
        await conn.close()
