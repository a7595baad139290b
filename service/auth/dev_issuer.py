"""The built-in dev issuer used by ``careerpath serve`` in dev mode.

It owns a signing key kept in the data directory, publishes its JWKS and an OIDC
discovery document, and mints tokens. Its tokens are checked by the same
``TokenValidator`` as production tokens: there is no bypass.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
import time
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from service.auth.scopes import ALL_SCOPES
from service.auth.tokens import StaticKeySource

KEY_FILE_NAME = "dev-issuer-key.json"
ALGORITHM = "RS256"


def dev_issuer_url(host: str, port: int) -> str:
    """The default dev issuer URL: the server's own base URL."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal
    return f"http://{host}:{port}"


class DevIssuer:
    """A local token issuer with a persistent RSA key (``kid`` = RFC 7638 thumbprint)."""

    def __init__(self, key: RSAKey, issuer: str, audience: str, *, org_claim: str = "org_id"):
        if not key.is_private:
            raise ValueError("the dev issuer needs a private key")
        self._key = RSAKey.import_key(
            key.as_dict(private=True), parameters={"kid": key.thumbprint(), "use": "sig"}
        )
        self.issuer = issuer
        self.audience = audience
        self.org_claim = org_claim

    @classmethod
    def load_or_create(
        cls, data_dir: Path, issuer: str, audience: str, *, org_claim: str = "org_id"
    ) -> DevIssuer:
        """Load the key from ``data_dir``, generating and saving it (mode 0600) on first use."""
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / KEY_FILE_NAME
        if not path.exists():
            _write_new_key(path)
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)  # a private key must not be readable by others
        key = RSAKey.import_key(json.loads(path.read_text()))
        return cls(key, issuer, audience, org_claim=org_claim)

    @property
    def kid(self) -> str:
        """The key id in use (RFC 7638 thumbprint)."""
        return str(self._key.kid)

    def jwks(self) -> dict[str, Any]:
        """The public JWKS, served at ``/.well-known/jwks.json``."""
        return {"keys": [self._key.as_dict(private=False, alg=ALGORITHM)]}

    def openid_configuration(self) -> dict[str, Any]:
        """The OIDC discovery document, served at ``/.well-known/openid-configuration``."""
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
            # Tokens are minted out of band (``careerpath token``), so no grant or
            # authorization endpoint is served; "token" says tokens are handed out directly.
            "response_types_supported": ["token"],
            "grant_types_supported": [],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "scopes_supported": [str(scope) for scope in ALL_SCOPES],
            "claims_supported": [
                "iss",
                "sub",
                "aud",
                "exp",
                "nbf",
                "iat",
                "jti",
                "scope",
                self.org_claim,
                "email",
                "email_verified",
            ],
        }

    def key_source(self) -> StaticKeySource:
        """The public keys as a key source for ``TokenValidator``."""
        return StaticKeySource(self.jwks())

    def mint(
        self,
        subject: str,
        *,
        org: str,
        scopes: Iterable[str],
        ttl: timedelta = timedelta(hours=1),
        email: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """Sign an access token for ``subject`` in ``org``. ``extra`` claims are applied last."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + int(ttl.total_seconds()),
            "jti": secrets.token_urlsafe(16),
            "scope": " ".join(dict.fromkeys(str(scope) for scope in scopes)),
            self.org_claim: org,
        }
        if email is not None:
            claims["email"] = email
            claims["email_verified"] = True
        claims.update(extra or {})
        header = {"alg": ALGORITHM, "kid": self.kid, "typ": "at+jwt"}
        return jwt.encode(header, claims, self._key, algorithms=[ALGORITHM])


def _write_new_key(path: Path) -> None:
    """Create the key file atomically; if another process won the race, keep its key."""
    key = RSAKey.generate_key(2048)
    data = json.dumps(key.as_dict(private=True, kid=key.thumbprint()))
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # link() fails if the file exists, so two first starts cannot end with two keys.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
