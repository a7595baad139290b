"""Shared helpers for the auth tests."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc.jwk import Key, KeySet
from joserfc.jws import JWSRegistry

from service.auth.tokens import StaticKeySource

ISSUER = "https://idp.example.test"
AUDIENCE = "careerpath"
#: Pass as a claim or header value to leave that member out.
DROP: Any = object()

Signer = Callable[..., str]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    return b64(json.dumps(value).encode())


def sign_raw(header: dict[str, Any], claims: dict[str, Any] | bytes, key: Key, alg: str) -> str:
    """Sign exactly this header and payload, even ones a JOSE library would refuse to emit."""
    payload = b64(claims) if isinstance(claims, bytes) else b64json(claims)
    signing_input = f"{b64json(header)}.{payload}"
    signature = JWSRegistry.algorithms[alg].sign(signing_input.encode(), key)
    return f"{signing_input}.{b64(signature)}"


def jwks_of(*keys: Key) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in keys]}


class CountingKeySource:
    """A static key source that records every call (and whether it forced a refresh)."""

    def __init__(self, *keys: Key) -> None:
        self._inner = StaticKeySource(jwks_of(*keys))
        self.calls: list[bool] = []

    async def get_keys(self, *, force_refresh: bool = False) -> KeySet:
        self.calls.append(force_refresh)
        return await self._inner.get_keys()

    @property
    def refreshes(self) -> int:
        return sum(self.calls)


def default_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "scope": "career:employee",
        "org_id": "acme",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not DROP}


@dataclass
class ExternalIssuer:
    """Handle on the issuer process started by the ``external_issuer`` fixture."""

    url: str

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            response = await client.request(method, path, json=body)
            response.raise_for_status()
            return response.json()

    async def stats(self) -> dict[str, int]:
        return dict(await self._call("GET", "/stats"))

    async def rotate(self) -> str:
        return str((await self._call("POST", "/rotate"))["kid"])

    async def mint(self, *, unpublished: bool = False, **claims: Any) -> str:
        path = "/token?unpublished=1" if unpublished else "/token"
        body = default_claims(**{"iss": self.url, **claims})
        return str((await self._call("POST", path, body))["token"])
