"""Fixtures for the identity and access tests: real keys, real signed tokens, a real external
issuer, a second organization, the world of the authorization matrix, and a production-mode
app against the real issuer."""

from __future__ import annotations

import json
import select
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey, Key, RSAKey

from service.app import Runtime
from service.auth.tokens import TokenValidator
from service.config import AuthSettings, Settings
from tests.authz_matrix import World
from tests.conftest import Org

from .helpers import (
    AUDIENCE,
    DROP,
    ISSUER,
    CountingKeySource,
    ExternalIssuer,
    Production,
    Signer,
    build_world,
    default_claims,
    production_app,
    sign_raw,
)


@pytest.fixture(scope="session")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig"})


@pytest.fixture(scope="session")
def other_rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-2", "use": "sig"})


@pytest.fixture(scope="session")
def ec_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig"})


@pytest.fixture
def auth_settings() -> AuthSettings:
    return AuthSettings(issuer=ISSUER, audience=AUDIENCE)


@pytest.fixture
def key_source(rsa_key: RSAKey, ec_key: ECKey) -> CountingKeySource:
    return CountingKeySource(rsa_key, ec_key)


@pytest.fixture
def validator(auth_settings: AuthSettings, key_source: CountingKeySource) -> TokenValidator:
    return TokenValidator(auth_settings, key_source, ISSUER)


@pytest.fixture
def sign(rsa_key: RSAKey) -> Signer:
    """``sign(key=..., header={...}, **claim_overrides)`` → a really signed JWT."""

    def _sign(*, key: Key = rsa_key, header: dict[str, Any] | None = None, **claims: Any) -> str:
        alg = {"RSA": "RS256", "EC": "ES256"}[key.key_type]
        full_header = {"typ": "JWT", "alg": alg, "kid": key.kid, **(header or {})}
        full_header = {name: value for name, value in full_header.items() if value is not DROP}
        return sign_raw(full_header, default_claims(**claims), key, alg)

    return _sign


@pytest.fixture(scope="session")
def external_issuer() -> Iterator[ExternalIssuer]:
    """A separate OIDC issuer process on 127.0.0.1 and a free port, stopped afterwards."""
    script = Path(__file__).with_name("oidc_issuer_app.py")
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        if not ready:
            raise RuntimeError("the test issuer did not start in time")
        port = json.loads(process.stdout.readline())["port"]
        yield ExternalIssuer(url=f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
async def other_org(org_factory: Any) -> Org:
    """A second organization with an admin, Olga."""
    other = await org_factory()
    await other.employee("admin", name="Olga Other")
    return other


@pytest.fixture
async def world(runtime: Runtime, client: httpx.AsyncClient) -> World:
    """The authorization matrix's world (see tests/authz_matrix.py)."""
    return await build_world(runtime, client)


@pytest.fixture(scope="session")
async def production(
    settings: Settings, external_issuer: ExternalIssuer
) -> AsyncIterator[Production]:
    """One production-mode app for the session (see ``production_app``)."""
    async with production_app(settings, external_issuer) as app:
        yield app
