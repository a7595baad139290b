"""TokenValidator against real signed tokens (RFC 8725 rules, claims mapping)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import RSAKey

from service.auth.tokens import (
    MAX_TOKEN_BYTES,
    InvalidToken,
    StaticKeySource,
    TokenClaims,
    TokenValidator,
)
from service.config import AuthSettings

from .helpers import (
    AUDIENCE,
    DROP,
    ISSUER,
    CountingKeySource,
    Signer,
    b64,
    b64json,
    default_claims,
    jwks_of,
    sign_raw,
)


def segments(token: str) -> list[str]:
    return token.split(".")


async def test_valid_token_maps_claims(validator: TokenValidator, sign: Signer) -> None:
    claims = await validator.validate(
        sign(sub="emp-42", scope="career:employee career:manager", email="ada@example.test")
    )
    assert claims == TokenClaims(
        subject="emp-42",
        org="acme",
        scopes=frozenset({"career:employee", "career:manager"}),
        email="ada@example.test",
        email_verified=False,
        client_id=None,
        is_client_credentials=False,
        raw={},
    )
    assert claims.raw["sub"] == "emp-42"
    assert claims.raw["iss"] == ISSUER


async def test_ec_key_token_is_accepted(validator: TokenValidator, sign: Signer, ec_key) -> None:
    claims = await validator.validate(sign(key=ec_key))
    assert claims.subject == "user-1"


async def test_alg_none_is_rejected(validator: TokenValidator, key_source) -> None:
    header = {"alg": "none", "typ": "JWT"}
    token = f"{b64json(header)}.{b64json(default_claims())}."
    with pytest.raises(InvalidToken, match="algorithm not allowed"):
        await validator.validate(token)
    # Rejected before any key lookup.
    assert key_source.calls == []


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_alg_none_with_any_signature_is_rejected(
    validator: TokenValidator, sign: Signer, alg: str
) -> None:
    _, payload, signature = segments(sign())
    forged_header = b64json({"alg": alg, "kid": "rsa-1"})
    with pytest.raises(InvalidToken):
        await validator.validate(f"{forged_header}.{payload}.{signature}")


@pytest.mark.parametrize("encoding", ["pem", "jwk-json"])
async def test_hs256_signed_with_rsa_public_key_is_rejected(
    validator: TokenValidator, rsa_key: RSAKey, encoding: str
) -> None:
    # The classic key-confusion attack: HMAC keyed with the public key an attacker can fetch.
    if encoding == "pem":
        secret = rsa_key.as_pem(private=False)
    else:
        secret = json.dumps(rsa_key.as_dict(private=False)).encode()
    signing_input = f"{b64json({'alg': 'HS256', 'kid': 'rsa-1'})}.{b64json(default_claims())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidToken, match="algorithm not allowed"):
        await validator.validate(f"{signing_input}.{b64(mac)}")


@pytest.mark.parametrize("algorithms", [["RS256", "HS256"], ["none"], ["RS256", "XX999"], []])
def test_unsafe_algorithm_settings_are_refused(key_source, algorithms: list[str]) -> None:
    with pytest.raises(ValueError, match=r"auth\.algorithms"):
        TokenValidator(AuthSettings(algorithms=algorithms), key_source, ISSUER)


async def test_algorithm_outside_allow_list_is_rejected(key_source, sign: Signer, ec_key) -> None:
    only_rsa = TokenValidator(AuthSettings(algorithms=["RS256"]), key_source, ISSUER)
    with pytest.raises(InvalidToken, match="algorithm not allowed"):
        await only_rsa.validate(sign(key=ec_key))


async def test_header_alg_must_match_key_type(validator: TokenValidator, sign: Signer) -> None:
    # A valid RS256 signature relabelled ES256 and pointed at the EC key.
    _, payload, signature = segments(sign())
    header = b64json({"alg": "ES256", "kid": "ec-1"})
    with pytest.raises(InvalidToken, match="signature"):
        await validator.validate(f"{header}.{payload}.{signature}")
    # And an RS256 header pointed at the EC key finds no RSA key by that kid.
    header = b64json({"alg": "RS256", "kid": "ec-1"})
    with pytest.raises(InvalidToken, match="no key for kid"):
        await validator.validate(f"{header}.{payload}.{signature}")


async def test_expired_token_is_rejected(validator: TokenValidator, sign: Signer) -> None:
    now = int(time.time())
    with pytest.raises(InvalidToken, match="expired"):
        await validator.validate(sign(iat=now - 600, nbf=now - 600, exp=now - 120))


async def test_expiry_within_leeway_is_accepted(validator: TokenValidator, sign: Signer) -> None:
    now = int(time.time())
    claims = await validator.validate(sign(iat=now - 600, nbf=now - 600, exp=now - 5))
    assert claims.subject == "user-1"


async def test_missing_exp_is_rejected(validator: TokenValidator, sign: Signer) -> None:
    with pytest.raises(InvalidToken, match="exp"):
        await validator.validate(sign(exp=DROP))


@pytest.mark.parametrize("exp", ["tomorrow", None, True, float("nan")])
async def test_non_numeric_exp_is_rejected(
    validator: TokenValidator, sign: Signer, exp: Any
) -> None:
    with pytest.raises(InvalidToken):
        await validator.validate(sign(exp=exp))


async def test_nbf_in_the_future_is_rejected(validator: TokenValidator, sign: Signer) -> None:
    with pytest.raises(InvalidToken, match="not yet valid"):
        await validator.validate(sign(nbf=int(time.time()) + 300))


async def test_nbf_within_leeway_is_accepted(validator: TokenValidator, sign: Signer) -> None:
    claims = await validator.validate(sign(nbf=int(time.time()) + 5))
    assert claims.subject == "user-1"


async def test_iat_in_the_future_is_rejected(validator: TokenValidator, sign: Signer) -> None:
    with pytest.raises(InvalidToken, match="issued in the future"):
        await validator.validate(sign(iat=int(time.time()) + 300))


async def test_leeway_comes_from_settings(key_source, sign: Signer) -> None:
    strict = TokenValidator(AuthSettings(audience=AUDIENCE, leeway_seconds=0), key_source, ISSUER)
    with pytest.raises(InvalidToken, match="not yet valid"):
        await strict.validate(sign(nbf=int(time.time()) + 20))


@pytest.mark.parametrize(
    "iss", ["https://evil.example.test", ISSUER + "/", ISSUER.upper(), "", DROP, 42]
)
async def test_wrong_or_missing_issuer_is_rejected(
    validator: TokenValidator, sign: Signer, iss: Any
) -> None:
    with pytest.raises(InvalidToken, match="iss"):
        await validator.validate(sign(iss=iss))


@pytest.mark.parametrize("aud", ["other-api", ["other-api", "more"], [], "", DROP, 7])
async def test_wrong_or_missing_audience_is_rejected(
    validator: TokenValidator, sign: Signer, aud: Any
) -> None:
    with pytest.raises(InvalidToken, match="aud"):
        await validator.validate(sign(aud=aud))


async def test_audience_list_containing_ours_is_accepted(
    validator: TokenValidator, sign: Signer
) -> None:
    claims = await validator.validate(sign(aud=["https://graph.example.test", AUDIENCE]))
    assert claims.raw["aud"] == ["https://graph.example.test", AUDIENCE]


@pytest.mark.parametrize("sub", [DROP, "", None, 12345])
async def test_missing_or_bad_subject_is_rejected(
    validator: TokenValidator, sign: Signer, sub: Any
) -> None:
    with pytest.raises(InvalidToken, match="sub"):
        await validator.validate(sign(sub=sub))


async def test_tampered_payload_is_rejected(validator: TokenValidator, sign: Signer) -> None:
    header, payload, signature = segments(sign(scope="career:employee"))
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["scope"] = "career:admin"
    with pytest.raises(InvalidToken, match="signature"):
        await validator.validate(f"{header}.{b64json(claims)}.{signature}")


async def test_signature_from_another_key_is_rejected(
    validator: TokenValidator, sign: Signer, other_rsa_key: RSAKey
) -> None:
    # Signed by a key we do not trust but claiming the kid of one we do.
    with pytest.raises(InvalidToken, match="signature"):
        await validator.validate(sign(key=other_rsa_key, header={"kid": "rsa-1"}))


async def test_unknown_kid_refreshes_once_then_rejects(
    validator: TokenValidator, key_source: CountingKeySource, sign: Signer, other_rsa_key: RSAKey
) -> None:
    with pytest.raises(InvalidToken, match="no key for kid"):
        await validator.validate(sign(key=other_rsa_key))
    assert key_source.calls == [False, True]


async def test_known_kid_needs_no_refresh(
    validator: TokenValidator, key_source: CountingKeySource, sign: Signer
) -> None:
    await validator.validate(sign())
    await validator.validate(sign())
    assert key_source.refreshes == 0


async def test_missing_kid_with_a_single_key_is_accepted(
    auth_settings: AuthSettings, rsa_key: RSAKey, sign: Signer
) -> None:
    single = TokenValidator(auth_settings, StaticKeySource(jwks_of(rsa_key)), ISSUER)
    claims = await single.validate(sign(header={"kid": DROP}))
    assert claims.subject == "user-1"


async def test_missing_kid_with_several_candidate_keys_is_rejected(
    auth_settings: AuthSettings, rsa_key: RSAKey, other_rsa_key: RSAKey, sign: Signer
) -> None:
    key_source = CountingKeySource(rsa_key, other_rsa_key)
    validator = TokenValidator(auth_settings, key_source, ISSUER)
    with pytest.raises(InvalidToken, match="kid required"):
        await validator.validate(sign(header={"kid": DROP}))
    # No kid means nothing new to look for: no refresh.
    assert key_source.refreshes == 0


async def test_missing_kid_picks_the_only_key_of_the_right_type(
    validator: TokenValidator, sign: Signer, ec_key
) -> None:
    # The key set holds one RSA and one EC key: ES256 can only mean the EC key.
    claims = await validator.validate(sign(key=ec_key, header={"kid": DROP}))
    assert claims.subject == "user-1"


async def test_key_restricted_to_another_alg_is_not_used(
    auth_settings: AuthSettings, rsa_key: RSAKey, sign: Signer
) -> None:
    ps256_only = {"keys": [{**rsa_key.as_dict(private=False), "alg": "PS256"}]}
    validator = TokenValidator(auth_settings, StaticKeySource(ps256_only), ISSUER)
    with pytest.raises(InvalidToken, match="no key for kid"):
        await validator.validate(sign())


@pytest.mark.parametrize("kid", [123, ["rsa-1"], {"kid": "rsa-1"}])
async def test_non_string_kid_is_rejected(
    validator: TokenValidator, sign: Signer, kid: Any
) -> None:
    with pytest.raises(InvalidToken, match="kid"):
        await validator.validate(sign(header={"kid": kid}))


@pytest.mark.parametrize("typ", ["JWT", "at+jwt", "application/at+JWT", DROP])
async def test_access_token_types_are_accepted(
    validator: TokenValidator, sign: Signer, typ: Any
) -> None:
    claims = await validator.validate(sign(header={"typ": typ}))
    assert claims.subject == "user-1"


@pytest.mark.parametrize("typ", ["dpop+jwt", "logout+jwt", 1])
async def test_other_token_types_are_rejected(
    validator: TokenValidator, sign: Signer, typ: Any
) -> None:
    with pytest.raises(InvalidToken, match="type"):
        await validator.validate(sign(header={"typ": typ}))


async def test_critical_header_extensions_are_rejected(
    validator: TokenValidator, sign: Signer
) -> None:
    with pytest.raises(InvalidToken, match="critical"):
        await validator.validate(sign(header={"crit": ["exp"], "exp": 1}))


async def test_oversize_token_is_rejected_before_parsing(
    validator: TokenValidator, key_source: CountingKeySource, sign: Signer
) -> None:
    token = sign(padding="x" * MAX_TOKEN_BYTES)
    assert len(token) > MAX_TOKEN_BYTES
    with pytest.raises(InvalidToken, match="too large"):
        await validator.validate(token)
    assert key_source.calls == []


async def test_token_just_under_the_limit_is_accepted(
    validator: TokenValidator, sign: Signer
) -> None:
    token = sign(padding="x" * (MAX_TOKEN_BYTES // 2))
    assert len(token) < MAX_TOKEN_BYTES
    claims = await validator.validate(token)
    assert claims.raw["padding"].startswith("x")


GARBAGE = [
    "",
    " ",
    "Bearer",
    "abc",
    "a.b",
    "a.b.c",
    "...",
    "a.b.c.d.e",
    "eyJ.eyJ.sig",
    "é.é.é",
    "\x00.\x00.\x00",
    f"{b64json([1, 2])}.e30.",
    f"{b64json('RS256')}.e30.",
    f"{b64json({'alg': ['RS256']})}.e30.",
    f"{b64json({'alg': None})}.e30.",
    f"{b64json({'kid': 'rsa-1'})}.e30.",
    f"{b64(b'{not json')}.e30.",
    f"{b64json({'alg': 'RS256', 'kid': 'rsa-1'})}.@@@.###",
    f"{b64json({'alg': 'RS256', 'kid': 'rsa-1'})}.{b64(b'not json')}.AAAA",
    f"{b64json({'alg': 'RS256', 'kid': 'rsa-1'})}.{b64json([1])}.AAAA",
    b64(b"[" * 3000) + ".e30.",
]


@pytest.mark.parametrize("token", GARBAGE)
async def test_garbage_raises_invalid_token_only(validator: TokenValidator, token: str) -> None:
    with pytest.raises(InvalidToken):
        await validator.validate(token)


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 2000 + b"]" * 2000,  # nesting deep enough to exhaust the JSON parser's recursion
        b"not json",
        b"[1, 2]",
        b'"a string"',
        b"\xff\xfe",
        b"",
    ],
)
async def test_properly_signed_malformed_payload_is_rejected(
    validator: TokenValidator, rsa_key: RSAKey, payload: bytes
) -> None:
    token = sign_raw({"alg": "RS256", "kid": "rsa-1"}, payload, rsa_key, "RS256")
    with pytest.raises(InvalidToken):
        await validator.validate(token)


@pytest.mark.parametrize("token", [None, b"a.b.c", 42])
async def test_non_string_token_is_rejected(validator: TokenValidator, token: Any) -> None:
    with pytest.raises(InvalidToken):
        await validator.validate(token)


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises_anything_else(rsa_key: RSAKey, text: str) -> None:
    validator = TokenValidator(
        AuthSettings(audience=AUDIENCE), StaticKeySource(jwks_of(rsa_key)), ISSUER
    )
    with pytest.raises(InvalidToken):
        asyncio.run(validator.validate(text))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=10,
)
CLAIM_NAMES = st.sampled_from(
    ["iss", "aud", "sub", "exp", "nbf", "iat", "scope", "scp", "org_id", "email",
     "email_verified", "client_id", "azp", "gty", "x"]
)  # fmt: skip


@settings(max_examples=150, deadline=None, database=None)
@given(st.dictionaries(CLAIM_NAMES, JSON_VALUES, max_size=8))
def test_signed_tokens_with_arbitrary_claim_values_never_raise_anything_else(
    rsa_key: RSAKey, overrides: dict[str, Any]
) -> None:
    validator = TokenValidator(
        AuthSettings(audience=AUDIENCE), StaticKeySource(jwks_of(rsa_key)), ISSUER
    )
    token = jwt.encode({"alg": "RS256", "kid": "rsa-1"}, default_claims(**overrides), rsa_key)
    try:
        claims = asyncio.run(validator.validate(token))
    except InvalidToken:
        return
    # Accepted: the mapped claims must be well-typed.
    assert isinstance(claims.subject, str)
    assert claims.subject
    assert all(isinstance(scope, str) for scope in claims.scopes)
    assert claims.org is None or isinstance(claims.org, str)


async def test_scopes_from_scope_claim(validator: TokenValidator, sign: Signer) -> None:
    claims = await validator.validate(sign(scope="  career:employee   career:hris "))
    assert claims.scopes == {"career:employee", "career:hris"}


async def test_scopes_from_scp_list(validator: TokenValidator, sign: Signer) -> None:
    claims = await validator.validate(sign(scope=DROP, scp=["career:admin", "career:webhooks"]))
    assert claims.scopes == {"career:admin", "career:webhooks"}


async def test_scopes_from_scp_string(validator: TokenValidator, sign: Signer) -> None:
    claims = await validator.validate(sign(scope=DROP, scp="career:manager career:employee"))
    assert claims.scopes == {"career:manager", "career:employee"}


async def test_scope_and_scp_are_combined(validator: TokenValidator, sign: Signer) -> None:
    claims = await validator.validate(sign(scope="career:employee", scp=["career:manager"]))
    assert claims.scopes == {"career:employee", "career:manager"}


async def test_no_scope_claim_means_no_scopes(validator: TokenValidator, sign: Signer) -> None:
    claims = await validator.validate(sign(scope=DROP))
    assert claims.scopes == frozenset()


@pytest.mark.parametrize(("name", "value"), [("scope", 5), ("scope", ["a", 1]), ("scp", {"a": 1})])
async def test_malformed_scopes_are_rejected(
    validator: TokenValidator, sign: Signer, name: str, value: Any
) -> None:
    with pytest.raises(InvalidToken, match=name):
        await validator.validate(sign(**{name: value}))


async def test_org_claim_name_is_configurable(key_source, sign: Signer) -> None:
    settings_ = AuthSettings(audience=AUDIENCE, org_claim="https://example.test/tenant")
    validator = TokenValidator(settings_, key_source, ISSUER)
    claims = await validator.validate(sign(**{"https://example.test/tenant": "globex"}))
    assert claims.org == "globex"


async def test_missing_org_claim_gives_none(validator: TokenValidator, sign: Signer) -> None:
    claims = await validator.validate(sign(org_id=DROP))
    assert claims.org is None


async def test_non_string_org_claim_is_rejected(validator: TokenValidator, sign: Signer) -> None:
    with pytest.raises(InvalidToken, match="org"):
        await validator.validate(sign(org_id={"id": "acme"}))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), ("true", True), (False, False), ("yes", False), (1, False)],
)
async def test_email_verified(
    validator: TokenValidator, sign: Signer, value: Any, expected: bool
) -> None:
    claims = await validator.validate(sign(email="a@example.test", email_verified=value))
    assert claims.email == "a@example.test"
    assert claims.email_verified is expected


@pytest.mark.parametrize(
    ("claims", "client_id", "is_client"),
    [
        ({"gty": "client-credentials", "azp": "hris-sync"}, "hris-sync", True),
        ({"sub": "svc-1", "client_id": "svc-1"}, "svc-1", True),
        ({"sub": "svc-1@clients", "azp": "svc-1"}, "svc-1", True),
        ({"sub": "user-1", "azp": "web-app"}, "web-app", False),
        ({"sub": "user-1", "client_id": "web-app", "azp": "other"}, "web-app", False),
        ({"sub": "user-1"}, None, False),
        # Okta: the client is named in `cid`, and is the subject of its own tokens.
        ({"sub": "0oa1okta", "cid": "0oa1okta"}, "0oa1okta", True),
        ({"sub": "00u1user", "cid": "0oa1okta"}, "0oa1okta", False),
        # Entra ID: `sub` is the service principal; the `idtyp` optional claim says "app".
        ({"sub": "sp-object-id", "azp": "app-id", "idtyp": "app"}, "app-id", True),
        ({"sub": "sp-object-id", "appid": "app-id", "idtyp": "app"}, "app-id", True),
        ({"sub": "user-oid", "azp": "app-id", "idtyp": "user"}, "app-id", False),
    ],
)
async def test_client_credentials_detection(
    validator: TokenValidator,
    sign: Signer,
    claims: dict[str, Any],
    client_id: str | None,
    is_client: bool,
) -> None:
    result = await validator.validate(sign(**claims))
    assert result.client_id == client_id
    assert result.is_client_credentials is is_client


async def test_invalid_token_reason_is_kept(validator: TokenValidator, sign: Signer) -> None:
    with pytest.raises(InvalidToken) as info:
        await validator.validate(sign(iss="https://evil.example.test"))
    assert "iss" in info.value.reason


async def test_subject_claim_is_configurable(key_source, sign: Signer) -> None:
    settings = AuthSettings(issuer=ISSUER, audience=AUDIENCE, subject_claim="oid")
    validator = TokenValidator(settings, key_source, ISSUER)
    claims = await validator.validate(sign(sub="pairwise-sub", oid="object-id"))
    assert claims.subject == "object-id"
    # `sub` is still required, and so is the configured claim.
    with pytest.raises(InvalidToken, match="oid"):
        await validator.validate(sign(sub="pairwise-sub"))
    with pytest.raises(InvalidToken, match="oid"):
        await validator.validate(sign(sub="pairwise-sub", oid=42))


async def test_scope_claims_are_configurable(key_source, sign: Signer) -> None:
    settings = AuthSettings(issuer=ISSUER, audience=AUDIENCE, scope_claims=["scp", "roles"])
    validator = TokenValidator(settings, key_source, ISSUER)
    claims = await validator.validate(
        sign(scope="career:admin", scp="career:employee", roles=["career:hris"])
    )
    # `scope` is not among the configured claims, so its admin scope does not count.
    assert claims.scopes == {"career:employee", "career:hris"}
    default = await TokenValidator(
        AuthSettings(issuer=ISSUER, audience=AUDIENCE), key_source, ISSUER
    ).validate(sign(scope="career:employee", roles=["career:admin"]))
    assert default.scopes == {"career:employee"}


class RotatingKeySource:
    """A key source whose keys can be replaced, as an issuer's JWKS after a rotation."""

    def __init__(self, *keys: Any) -> None:
        self.keys = StaticKeySource(jwks_of(*keys))

    async def get_keys(self, *, force_refresh: bool = False) -> Any:
        return await self.keys.get_keys()


async def test_a_verified_token_is_remembered_only_while_its_keys_stand(
    auth_settings: AuthSettings, rsa_key: RSAKey, other_rsa_key: RSAKey, sign: Signer
) -> None:
    source = RotatingKeySource(rsa_key)
    validator = TokenValidator(auth_settings, source, ISSUER)
    token = sign()
    first = await validator.validate(token)
    assert await validator.validate(token) is first  # remembered, not verified again
    # The issuer withdraws the key: the remembered token is verified again, and refused.
    source.keys = StaticKeySource(jwks_of(other_rsa_key))
    with pytest.raises(InvalidToken, match="no key for kid"):
        await validator.validate(token)


async def test_a_remembered_token_expires_with_its_exp(
    key_source: CountingKeySource, sign: Signer
) -> None:
    validator = TokenValidator(
        AuthSettings(issuer=ISSUER, audience=AUDIENCE, leeway_seconds=0), key_source, ISSUER
    )
    now = int(time.time())
    token = sign(iat=now - 10, nbf=now - 10, exp=now + 1)
    assert (await validator.validate(token)).subject == "user-1"
    await asyncio.sleep(max(0.0, now + 1.05 - time.time()))
    with pytest.raises(InvalidToken, match="expired"):
        await validator.validate(token)
