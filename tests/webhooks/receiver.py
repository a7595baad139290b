"""A real webhook receiver on 127.0.0.1 that verifies every delivery as a consumer would:
with the ``standardwebhooks`` library and with ``svix``'s verifier."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from svix.webhooks import Webhook as SvixWebhook
from svix.webhooks import WebhookVerificationError as SvixVerificationError


@dataclass
class Received:
    """One request as the receiver saw it."""

    webhook_id: str
    headers: dict[str, str]
    body: bytes
    payload: dict[str, Any] | None
    verified_by: list[str]  # which secrets' verifiers accepted it (standardwebhooks and svix)
    at: float


Handler = Callable[[Request, "Receiver"], Awaitable[Response]]


async def _ok(request: Request, receiver: Receiver) -> Response:
    return Response(status_code=204)


@dataclass
class Receiver:
    """Records every request; ``handler`` decides the answer (204 by default)."""

    port: int = 0
    secrets: list[str] = field(default_factory=list)
    handler: Handler = _ok
    requests: list[Received] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def verify(
        self, body: bytes, headers: dict[str, str]
    ) -> tuple[dict[str, Any] | None, list[str]]:
        accepted: list[str] = []
        payload = None
        for secret in self.secrets:
            try:
                payload = Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            try:
                SvixWebhook(secret).verify(body, headers)
            except SvixVerificationError:
                continue
            accepted.append(secret)
        return payload, accepted

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        payload, accepted = self.verify(body, headers)
        self.requests.append(
            Received(
                headers.get("webhook-id", ""),
                headers,
                body,
                payload,
                accepted,
                asyncio.get_running_loop().time(),
            )
        )
        async with self.arrived:
            self.arrived.notify_all()
        return await self.handler(request, self)

    async def wait_for(
        self, predicate: Callable[[list[Received]], bool], timeout: float = 15
    ) -> list[Received]:
        async with asyncio.timeout(timeout), self.arrived:
            await self.arrived.wait_for(lambda: predicate(self.requests))
        return self.requests

    def verified(self) -> list[Received]:
        return [r for r in self.requests if r.verified_by]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def running(receiver: Receiver) -> AsyncIterator[Receiver]:
    """Serve ``receiver`` on 127.0.0.1 until the block ends."""
    if not receiver.port:
        receiver.port = free_port()
    app = Starlette(routes=[Route("/hook", receiver.endpoint, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=receiver.port, log_level="error", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield receiver
    finally:
        server.should_exit = True
        await task
