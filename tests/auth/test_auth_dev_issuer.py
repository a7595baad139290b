"""The built-in dev issuer: persistent key, discovery, minting, same validation path."""

from __future__ import annotations

import base64
import json
import stat
import time
from datetime import timedelta
from pathlib import Path

import pytest
from joserfc.jwk import RSAKey

from service.auth.dev_issuer import KEY_FILE_NAME, DevIssuer, dev_issuer_url
from service.auth.scopes import ALL_SCOPES, Scope
from service.auth.tokens import InvalidToken, TokenValidator
from service.config import AuthSettings

DEV_URL = "http://127.0.0.1:8000"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "nested" / ".careerpath"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_is_created_with_0600_and_reused(data_dir: Path) -> None:
    first = DevIssuer.load_or_create(data_dir, DEV_URL, "careerpath")
    key_file = data_dir / KEY_FILE_NAME
    assert key_file.is_file()
    assert mode(key_file) == 0o600
    content = key_file.read_text()

    second = DevIssuer.load_or_create(data_dir, DEV_URL, "careerpath")
    assert second.kid == first.kid
    assert second.jwks() == first.jwks()
    assert key_file.read_text() == content
    # No temporary files are left behind.
    assert [p.name for p in data_dir.iterdir()] == [KEY_FILE_NAME]


def test_loose_permissions_are_tightened(data_dir: Path) -> None:
    DevIssuer.load_or_create(data_dir, DEV_URL, "careerpath")
    key_file = data_dir / KEY_FILE_NAME
    key_file.chmod(0o644)
    DevIssuer.load_or_create(data_dir, DEV_URL, "careerpath")
    assert mode(key_file) == 0o600


def test_kid_is_the_rfc7638_thumbprint(data_dir: Path) -> None:
    issuer = DevIssuer.load_or_create(data_dir, DEV_URL, "careerpath")
    stored = json.loads((data_dir / KEY_FILE_NAME).read_text())
    key = RSAKey.import_key(stored)
    assert issuer.kid == key.thumbprint()
    assert stored["kid"] == issuer.kid


def test_jwks_has_only_public_material(data_dir: Path) -> None:
    issuer = DevIssuer.load_or_create(data_dir, DEV_URL, "careerpath")
    (jwk,) = issuer.jwks()["keys"]
    assert jwk["kid"] == issuer.kid
    assert jwk["kty"] == "RSA"
    assert jwk["alg"] == "RS256"
    assert jwk["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & jwk.keys()
    private = json.loads((data_dir / KEY_FILE_NAME).read_text())
    assert "d" in private


def test_openid_configuration(data_dir: Path) -> None:
    issuer = DevIssuer.load_or_create(data_dir, DEV_URL, "careerpath", org_claim="tenant")
    document = issuer.openid_configuration()
    assert document["issuer"] == DEV_URL
    assert document["jwks_uri"] == f"{DEV_URL}/.well-known/jwks.json"
    assert document["scopes_supported"] == [
        "career:employee",
        "career:manager",
        "career:admin",
        "career:hris",
        "career:webhooks",
    ]
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "tenant" in document["claims_supported"]
    for name in ("response_types_supported", "subject_types_supported", "grant_types_supported"):
        assert isinstance(document[name], list)
    json.dumps(document)  # serializable as is


async def test_minted_token_passes_the_production_validator(data_dir: Path) -> None:
    issuer = DevIssuer.load_or_create(data_dir, DEV_URL, "careerpath")
    token = issuer.mint(
        "emp-1",
        org="acme",
        scopes=[Scope.EMPLOYEE, Scope.MANAGER, Scope.EMPLOYEE],
        email="ada@example.test",
    )
    validator = TokenValidator(AuthSettings(), issuer.key_source(), issuer.issuer)
    claims = await validator.validate(token)
    assert claims.subject == "emp-1"
    assert claims.org == "acme"
    assert claims.scopes == {"career:employee", "career:manager"}
    assert claims.email == "ada@example.test"
    assert claims.email_verified is True
    assert claims.raw["scope"] == "career:employee career:manager"
    assert claims.raw["aud"] == "careerpath"
    assert set(claims.raw) >= {"iss", "aud", "sub", "iat", "nbf", "exp", "jti"}
    assert claims.raw["exp"] - claims.raw["iat"] == 3600


async def test_mint_options(data_dir: Path) -> None:
    issuer = DevIssuer.load_or_create(data_dir, DEV_URL, "careerpath", org_claim="tenant")
    token = issuer.mint(
        "hris-bot",
        org="globex",
        scopes=["career:hris"],
        ttl=timedelta(minutes=5),
        extra={"client_id": "hris-bot"},
    )
    settings = AuthSettings(org_claim="tenant")
    claims = await TokenValidator(settings, issuer.key_source(), DEV_URL).validate(token)
    assert claims.org == "globex"
    assert claims.raw["exp"] - claims.raw["iat"] == 300
    assert claims.is_client_credentials
    assert claims.email is None


async def test_each_token_has_a_unique_jti(data_dir: Path) -> None:
    issuer = DevIssuer.load_or_create(data_dir, DEV_URL, "careerpath")
    validator = TokenValidator(AuthSettings(), issuer.key_source(), DEV_URL)
    jtis = {
        (await validator.validate(issuer.mint("e", org="o", scopes=[]))).raw["jti"]
        for _ in range(5)
    }
    assert len(jtis) == 5


async def test_dev_tokens_get_no_special_treatment(data_dir: Path, tmp_path: Path) -> None:
    issuer = DevIssuer.load_or_create(data_dir, DEV_URL, "careerpath")
    validator = TokenValidator(AuthSettings(), issuer.key_source(), DEV_URL)

    expired = issuer.mint("e", org="o", scopes=[], ttl=timedelta(seconds=-120))
    with pytest.raises(InvalidToken, match="expired"):
        await validator.validate(expired)

    wrong_audience = DevIssuer.load_or_create(data_dir, DEV_URL, "other-api")
    with pytest.raises(InvalidToken, match="aud"):
        await validator.validate(wrong_audience.mint("e", org="o", scopes=[]))

    # Another data directory means another key: its tokens are not trusted.
    stranger = DevIssuer.load_or_create(tmp_path / "elsewhere", DEV_URL, "careerpath")
    assert stranger.kid != issuer.kid
    with pytest.raises(InvalidToken, match="kid"):
        await validator.validate(stranger.mint("e", org="o", scopes=[]))


def test_issued_at_is_now(data_dir: Path) -> None:
    issuer = DevIssuer.load_or_create(data_dir, DEV_URL, "careerpath")
    payload = issuer.mint("e", org="o", scopes=[]).split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert abs(claims["iat"] - time.time()) < 5
    assert claims["iss"] == DEV_URL


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 8000, "http://127.0.0.1:8000"),
        ("localhost", 9001, "http://localhost:9001"),
        ("::1", 8000, "http://[::1]:8000"),
    ],
)
def test_dev_issuer_url(host: str, port: int, url: str) -> None:
    assert dev_issuer_url(host, port) == url


def test_scopes_have_descriptions() -> None:
    assert [str(scope) for scope in ALL_SCOPES] == [
        "career:employee",
        "career:manager",
        "career:admin",
        "career:hris",
        "career:webhooks",
    ]
    assert Scope("career:admin") is Scope.ADMIN
    for scope in Scope:
        assert scope.description
        assert "\n" not in scope.description
