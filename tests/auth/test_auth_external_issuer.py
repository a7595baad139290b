"""A real external OIDC issuer over HTTP (a separate process), including key rotation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from service.auth.tokens import InvalidToken, RemoteKeySource, TokenValidator
from service.config import AuthSettings

from .helpers import AUDIENCE, ExternalIssuer


def validator_for(issuer: ExternalIssuer, **settings: Any) -> TokenValidator:
    config = AuthSettings(issuer=issuer.url, audience=AUDIENCE, **settings)
    return TokenValidator(config, RemoteKeySource(config), issuer.url)


async def test_tokens_validate_via_discovery_and_jwks(external_issuer: ExternalIssuer) -> None:
    validator = validator_for(external_issuer)
    before = await external_issuer.stats()
    token = await external_issuer.mint(sub="emp-7", scope="career:employee career:manager")

    claims = await validator.validate(token)
    assert claims.subject == "emp-7"
    assert claims.scopes == {"career:employee", "career:manager"}
    await validator.validate(await external_issuer.mint(sub="emp-8"))

    after = await external_issuer.stats()
    assert after["discovery"] - before["discovery"] == 1
    assert after["jwks"] - before["jwks"] == 1  # the second token used the cache


async def test_token_for_another_issuer_is_rejected(external_issuer: ExternalIssuer) -> None:
    validator = validator_for(external_issuer)
    token = await external_issuer.mint(iss="https://someone-else.example.test")
    with pytest.raises(InvalidToken, match="iss"):
        await validator.validate(token)


async def test_key_rotation_needs_exactly_one_refresh(external_issuer: ExternalIssuer) -> None:
    validator = validator_for(external_issuer)
    old_token = await external_issuer.mint(sub="before-rotation")
    await validator.validate(old_token)
    before = await external_issuer.stats()

    await external_issuer.rotate()
    new_token = await external_issuer.mint(sub="after-rotation")
    claims = await validator.validate(new_token)
    assert claims.subject == "after-rotation"
    after_first = await external_issuer.stats()
    assert after_first["jwks"] - before["jwks"] == 1

    # The new key is cached now, and the old one is still published and accepted.
    await validator.validate(await external_issuer.mint(sub="after-rotation-2"))
    assert (await validator.validate(old_token)).subject == "before-rotation"
    after = await external_issuer.stats()
    assert after["jwks"] == after_first["jwks"]
    assert after["discovery"] == before["discovery"]


async def test_concurrent_new_kid_tokens_trigger_one_fetch(
    external_issuer: ExternalIssuer,
) -> None:
    validator = validator_for(external_issuer)
    await validator.validate(await external_issuer.mint())
    await external_issuer.rotate()
    tokens = [await external_issuer.mint(sub=f"emp-{i}") for i in range(20)]
    before = await external_issuer.stats()

    results = await asyncio.gather(*(validator.validate(token) for token in tokens))

    assert [claims.subject for claims in results] == [f"emp-{i}" for i in range(20)]
    after = await external_issuer.stats()
    assert after["jwks"] - before["jwks"] == 1


async def test_unknown_kid_refreshes_once_within_the_rate_limit(
    external_issuer: ExternalIssuer,
) -> None:
    validator = validator_for(external_issuer, jwks_min_refresh_seconds=60)
    await validator.validate(await external_issuer.mint())
    before = await external_issuer.stats()

    with pytest.raises(InvalidToken, match="no key for kid"):
        await validator.validate(await external_issuer.mint(unpublished=True))
    after_first = await external_issuer.stats()
    assert after_first["jwks"] - before["jwks"] == 1

    with pytest.raises(InvalidToken, match="no key for kid"):
        await validator.validate(await external_issuer.mint(unpublished=True))
    assert (await external_issuer.stats())["jwks"] == after_first["jwks"]
