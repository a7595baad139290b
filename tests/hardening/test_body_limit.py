"""A body over the limit is answered with a readable 413 by a real server, whether its size
is declared or it streams: the client gets the answer, not a reset connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from service.app import BodySizeLimit
from tests.live import serving

LIMIT = 10_000


async def echo(scope: Any, receive: Any, send: Any) -> None:
    """Reads the whole body, as the GraphQL endpoint does, and answers with its size."""
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


@pytest.fixture
async def server() -> AsyncIterator[str]:
    async with serving(BodySizeLimit(echo, max_bytes=LIMIT)) as base:
        yield base


async def chunks(total: int) -> AsyncIterator[bytes]:
    for _ in range(total // 4096):
        yield b"x" * 4096


@pytest.mark.parametrize("streamed", [False, True], ids=["declared", "streamed"])
async def test_a_large_body_gets_a_413_that_names_the_command_line(
    server: str, streamed: bool
) -> None:
    size = LIMIT * 40
    content: Any = chunks(size) if streamed else b"x" * size
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{server}/graphql", content=content)
        small = await client.post(f"{server}/graphql", content=b"x" * 100)
    assert response.status_code == 413
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert "careerpath framework import" in error["message"]
    assert small.status_code == 200
    assert small.text == "100"
