"""Two `careerpath serve` processes on one database, as two replicas behind a balancer:
each keeps framework reads of its own, and a write through either is seen by the very next
read on the other."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from service.config import Settings
from service.framework import transfer
from tests.conftest import Org
from tests.framework.conftest import DEMO

pytestmark = pytest.mark.subprocess

ROLE = "query($k: String) { role(key: $k) { id title } }"
ROLES = "query { roles(first: 5) { nodes { key title } } }"
UPDATE = """
mutation($i: UpdateRoleInput!) { updateRole(input: $i) { role { title } userErrors { code } } }
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def replicas(database_urls: tuple[str, str], settings: Settings) -> Iterator[list[str]]:
    """Two servers on the test database with the test app's dev issuer (same key and URL)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "CAREERPATH_ENV": "dev",
        "CAREERPATH_DATABASE_URL": database_urls[1],
        "CAREERPATH_MIGRATION_DATABASE_URL": database_urls[0],
        "CAREERPATH_DATA_DIR": str(settings.data_dir),
        "CAREERPATH_PUBLIC_URL": settings.public_url,
        "CAREERPATH_WEBHOOKS__DISPATCHER_IN_SERVE": "false",
    }
    ports = [_free_port(), _free_port()]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        deadline = time.monotonic() + 90
        for url in urls:
            while True:
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "a server did not start"
                time.sleep(0.2)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


async def _post(url: str, token: str, query: str, variables: Any = None) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


async def test_a_write_on_one_replica_is_read_on_the_other(team: Org, replicas: list[str]) -> None:
    await team.run(transfer.import_framework, DEMO)
    one, other = replicas
    reader = team.token("alice", "career:employee")
    admin = team.token("admin", "career:employee career:admin")

    async def titles(url: str) -> dict[str, str]:
        found = await _post(url, reader, ROLES)
        return {r["key"]: r["title"] for r in found["roles"]["nodes"]}

    first = await titles(one)
    for _ in range(3):  # both replicas have the page in hand
        assert await titles(one) == first
        assert await titles(other) == first
    key = sorted(first)[0]

    async def role(url: str) -> dict[str, str]:
        return (await _post(url, reader, ROLE, {"k": key}))["role"]  # type: ignore[no-any-return]

    before = await role(one)
    assert await role(other) == before
    for n in range(3):
        title = f"Renamed {n}"
        writer, next_reader = (one, other) if n % 2 == 0 else (other, one)
        done = await _post(writer, admin, UPDATE, {"i": {"id": before["id"], "title": title}})
        assert done["updateRole"]["userErrors"] == []
        assert (await role(next_reader))["title"] == title
        assert (await role(writer))["title"] == title
        assert (await role(next_reader))["title"] == title
