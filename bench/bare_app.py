"""The bare-ASGI floor: answers each benchmark request with the response bytes the real
service gave to it, with no routing framework, no GraphQL and no database.

Served by uvicorn with the service's settings (uvloop, httptools, one worker, no access
log), it measures what HTTP alone costs on this machine:

    BENCH_BARE_RESPONSES=responses.json uvicorn bench.bare_app:app --loop uvloop --http httptools

``responses.json`` maps the SHA-256 of a request body to the response body (UTF-8).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

_responses: dict[str, bytes] = {
    key: value.encode()
    for key, value in json.loads(
        Path(os.environ.get("BENCH_BARE_RESPONSES", "/dev/null")).read_text() or "{}"
    ).items()
}
_NOT_FOUND = b'{"errors":[{"message":"no recorded response for this request"}]}'


def body_key(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    found = _responses.get(body_key(b"".join(chunks)))
    status, body = (200, found) if found is not None else (404, _NOT_FOUND)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
