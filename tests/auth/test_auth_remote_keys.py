"""RemoteKeySource: discovery, caching, rate-limited single-flight refresh, failure handling.

The issuer here is an in-process httpx transport so time and failures can be controlled;
test_auth_external_issuer.py runs the same source against a real issuer process.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey, Key, OctKey, RSAKey

from service.auth.tokens import (
    MAX_DOCUMENT_BYTES,
    InvalidToken,
    KeySourceError,
    RemoteKeySource,
    TokenValidator,
    parse_jwks,
)
from service.config import AuthSettings

from .helpers import AUDIENCE, ISSUER, Signer, jwks_of

DISCOVERY_URL = f"{ISSUER}/.well-known/openid-configuration"
JWKS_URL = f"{ISSUER}/keys"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeIssuer:
    """Serves discovery and JWKS through httpx.MockTransport, counting requests."""

    def __init__(self, *keys: Key) -> None:
        self.jwks: Any = jwks_of(*keys)
        self.discovery: Any = {"issuer": ISSUER, "jwks_uri": JWKS_URL}
        self.hits: Counter[str] = Counter()
        self.failure: Exception | int | None = None
        self.delay = 0.0
        self.raw_jwks: httpx.Response | None = None

    async def handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.hits[url] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if isinstance(self.failure, Exception):
            raise self.failure
        if isinstance(self.failure, int):
            return httpx.Response(self.failure, json={"error": "down"})
        if url == DISCOVERY_URL:
            return httpx.Response(200, json=self.discovery)
        if url == JWKS_URL:
            return self.raw_jwks or httpx.Response(200, json=self.jwks)
        return httpx.Response(404)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))

    @property
    def jwks_fetches(self) -> int:
        return self.hits[JWKS_URL]

    @property
    def discovery_fetches(self) -> int:
        return self.hits[DISCOVERY_URL]


def make_source(
    issuer: FakeIssuer, clock: FakeClock | None = None, **settings: Any
) -> RemoteKeySource:
    config = AuthSettings(issuer=ISSUER, audience=AUDIENCE, **settings)
    return RemoteKeySource(config, issuer.client, clock=clock or FakeClock())


def kids(keys: Any) -> set[str]:
    return {key.kid for key in keys}


async def test_keys_are_found_via_discovery_and_cached(rsa_key: RSAKey) -> None:
    issuer = FakeIssuer(rsa_key)
    source = make_source(issuer)
    assert kids(await source.get_keys()) == {"rsa-1"}
    assert kids(await source.get_keys()) == {"rsa-1"}
    assert issuer.discovery_fetches == 1
    assert issuer.jwks_fetches == 1


async def test_configured_jwks_url_skips_discovery(rsa_key: RSAKey) -> None:
    issuer = FakeIssuer(rsa_key)
    source = make_source(issuer, jwks_url=JWKS_URL)
    assert kids(await source.get_keys()) == {"rsa-1"}
    assert issuer.discovery_fetches == 0


def test_needs_an_issuer_or_jwks_url() -> None:
    with pytest.raises(ValueError, match="issuer or"):
        RemoteKeySource(AuthSettings())


async def test_discovery_for_another_issuer_is_refused(rsa_key: RSAKey) -> None:
    issuer = FakeIssuer(rsa_key)
    issuer.discovery = {"issuer": "https://evil.example.test", "jwks_uri": JWKS_URL}
    with pytest.raises(KeySourceError, match="different issuer"):
        await make_source(issuer).get_keys()
    assert issuer.jwks_fetches == 0


@pytest.mark.parametrize("document", [[], {"issuer": ISSUER}, {"issuer": ISSUER, "jwks_uri": 5}])
async def test_bad_discovery_documents_are_refused(rsa_key: RSAKey, document: Any) -> None:
    issuer = FakeIssuer(rsa_key)
    issuer.discovery = document
    with pytest.raises(KeySourceError):
        await make_source(issuer).get_keys()


async def test_cache_expires_after_configured_time(rsa_key: RSAKey, other_rsa_key: RSAKey) -> None:
    issuer = FakeIssuer(rsa_key)
    clock = FakeClock()
    source = make_source(issuer, clock, jwks_cache_seconds=600)
    await source.get_keys()
    issuer.jwks = jwks_of(other_rsa_key)
    clock.advance(599)
    assert kids(await source.get_keys()) == {"rsa-1"}
    clock.advance(2)
    assert kids(await source.get_keys()) == {"rsa-2"}
    assert issuer.jwks_fetches == 2
    # The jwks_uri found by discovery is kept.
    assert issuer.discovery_fetches == 1


async def test_forced_refresh_is_rate_limited(rsa_key: RSAKey) -> None:
    issuer = FakeIssuer(rsa_key)
    clock = FakeClock()
    source = make_source(issuer, clock, jwks_min_refresh_seconds=30)
    await source.get_keys()
    await source.get_keys(force_refresh=True)
    assert issuer.jwks_fetches == 2
    clock.advance(29)
    await source.get_keys(force_refresh=True)
    assert issuer.jwks_fetches == 2
    clock.advance(1)
    await source.get_keys(force_refresh=True)
    assert issuer.jwks_fetches == 3


async def test_unknown_kid_refreshes_once_and_rate_limits_the_next(
    rsa_key: RSAKey, other_rsa_key: RSAKey, ec_key: ECKey, sign: Signer
) -> None:
    issuer = FakeIssuer(rsa_key)
    clock = FakeClock()
    source = make_source(issuer, clock)
    validator = TokenValidator(AuthSettings(audience=AUDIENCE), source, ISSUER)
    await validator.validate(sign())
    assert issuer.jwks_fetches == 1

    with pytest.raises(InvalidToken, match="no key for kid"):
        await validator.validate(sign(key=other_rsa_key))
    assert issuer.jwks_fetches == 2

    # Another unknown kid within jwks_min_refresh_seconds: rejected without a fetch.
    clock.advance(5)
    with pytest.raises(InvalidToken, match="no key for kid"):
        await validator.validate(sign(key=ec_key))
    assert issuer.jwks_fetches == 2

    # Once the period is over, a rotated-in key is picked up.
    clock.advance(30)
    issuer.jwks = jwks_of(rsa_key, ec_key)
    claims = await validator.validate(sign(key=ec_key))
    assert claims.subject == "user-1"
    assert issuer.jwks_fetches == 3


async def test_concurrent_forced_refreshes_share_one_fetch(
    rsa_key: RSAKey, other_rsa_key: RSAKey, sign: Signer
) -> None:
    issuer = FakeIssuer(rsa_key)
    source = make_source(issuer)
    validator = TokenValidator(AuthSettings(audience=AUDIENCE), source, ISSUER)
    await validator.validate(sign())
    issuer.jwks = jwks_of(rsa_key, other_rsa_key)
    issuer.delay = 0.05

    results = await asyncio.gather(
        *(validator.validate(sign(key=other_rsa_key, sub=f"user-{i}")) for i in range(25))
    )
    assert {claims.subject for claims in results} == {f"user-{i}" for i in range(25)}
    assert issuer.jwks_fetches == 2


async def test_concurrent_first_fetch_is_single_flight(rsa_key: RSAKey) -> None:
    issuer = FakeIssuer(rsa_key)
    issuer.delay = 0.05
    source = make_source(issuer)
    results = await asyncio.gather(*(source.get_keys() for _ in range(10)))
    assert all(kids(keys) == {"rsa-1"} for keys in results)
    assert issuer.jwks_fetches == 1
    assert issuer.discovery_fetches == 1


@pytest.mark.parametrize(
    "failure", [503, 404, httpx.ConnectError("refused"), httpx.ReadTimeout("slow")]
)
async def test_failed_refresh_keeps_cached_keys(
    rsa_key: RSAKey, sign: Signer, failure: Exception | int
) -> None:
    issuer = FakeIssuer(rsa_key)
    clock = FakeClock()
    source = make_source(issuer, clock, jwks_cache_seconds=60, jwks_min_refresh_seconds=30)
    validator = TokenValidator(AuthSettings(audience=AUDIENCE), source, ISSUER)
    await validator.validate(sign())

    issuer.failure = failure
    clock.advance(61)  # cache expired
    claims = await validator.validate(sign())
    assert claims.subject == "user-1"
    assert issuer.jwks_fetches == 2
    # While the issuer is down, stale keys are served without retrying on every request.
    await validator.validate(sign())
    assert issuer.jwks_fetches == 2
    clock.advance(30)
    await validator.validate(sign())
    assert issuer.jwks_fetches == 3

    issuer.failure = None
    clock.advance(30)
    await validator.validate(sign())
    assert issuer.jwks_fetches == 4


async def test_failed_first_fetch_is_a_key_source_error(rsa_key: RSAKey, sign: Signer) -> None:
    issuer = FakeIssuer(rsa_key)
    issuer.failure = httpx.ConnectError("refused")
    validator = TokenValidator(AuthSettings(audience=AUDIENCE), make_source(issuer), ISSUER)
    # Not InvalidToken: an unreachable issuer is a server problem, not a bad token.
    with pytest.raises(KeySourceError, match="fetch failed"):
        await validator.validate(sign())
    issuer.failure = None
    assert (await validator.validate(sign())).subject == "user-1"


async def test_oversize_jwks_with_content_length_is_refused(rsa_key: RSAKey) -> None:
    issuer = FakeIssuer(rsa_key)
    issuer.raw_jwks = httpx.Response(200, content=b" " * (MAX_DOCUMENT_BYTES + 1))
    with pytest.raises(KeySourceError, match="too large"):
        await make_source(issuer).get_keys()


async def test_oversize_streamed_jwks_is_refused(rsa_key: RSAKey) -> None:
    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield b" " * 65536

    issuer = FakeIssuer(rsa_key)
    issuer.raw_jwks = httpx.Response(200, content=endless())
    with pytest.raises(KeySourceError, match="too large"):
        await make_source(issuer).get_keys()


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"keys": "x"}', b'{"keys": []}', b'{"keys": [{"kty": "RSA"}]}']
)
async def test_unusable_jwks_is_refused(rsa_key: RSAKey, body: bytes) -> None:
    issuer = FakeIssuer(rsa_key)
    issuer.raw_jwks = httpx.Response(200, content=body)
    with pytest.raises(KeySourceError):
        await make_source(issuer).get_keys()


def test_parse_jwks_keeps_only_public_signing_keys(rsa_key: RSAKey, ec_key: ECKey) -> None:
    hmac_key = OctKey.generate_key(256, parameters={"kid": "hmac"})
    encryption_key = RSAKey.generate_key(2048, parameters={"kid": "enc", "use": "enc"})
    document = {
        "keys": [
            rsa_key.as_dict(private=False),
            ec_key.as_dict(private=False),
            hmac_key.as_dict(private=True),
            encryption_key.as_dict(private=False),
            {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
            {"kty": "unknown", "kid": "future"},
            "not a key",
        ]
    }
    assert kids(parse_jwks(json.loads(json.dumps(document)))) == {"rsa-1", "ec-1"}
