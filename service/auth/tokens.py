"""Bearer token validation: careerpath as an OAuth 2.0 resource server.

Tokens are JWS-signed JWTs from the configured issuer (or the built-in dev issuer, which
goes through exactly the same path). Validation follows RFC 8725: an explicit algorithm
allow-list without ``none`` or HMAC, ``kid`` used only to look a key up, and strict
``iss``/``aud``/``exp``/``nbf``/``iat`` checks with a small leeway.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import cachetools
import httpx
import structlog
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, KeySet, OKPKey, RSAKey
from joserfc.jws import JWSRegistry

from service.config import AuthSettings

log = structlog.get_logger(__name__)

#: Longest bearer token accepted; checked before any parsing.
MAX_TOKEN_BYTES = 8 * 1024
#: Largest discovery document or JWKS accepted from the network.
MAX_DOCUMENT_BYTES = 256 * 1024
#: Verified tokens remembered per process, so the next request with the same token skips
#: the signature check: the most recently used ones, each until its expiry.
VERIFIED_TOKENS = 10_000
#: Network timeout for discovery and JWKS fetches.
FETCH_TIMEOUT = httpx.Timeout(5.0)

# Explicitly typed access tokens (RFC 9068) and plain JWTs; anything else is another
# kind of JWT (logout token, DPoP proof, ...) and must not be accepted as a bearer token.
_ACCEPTED_TYP = frozenset({"jwt", "at+jwt", "application/jwt", "application/at+jwt"})
# Where the client a token was issued to is named, in order of preference.
_CLIENT_ID_CLAIMS = ("client_id", "azp", "cid", "appid")
# Asymmetric key types only: a JWKS must never supply an HMAC secret.
_PUBLIC_KEY_TYPES: tuple[type[Key], ...] = (RSAKey, ECKey, OKPKey)


class InvalidToken(Exception):
    """The bearer token is not acceptable. ``reason`` is for logs only, never for clients."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeySourceError(Exception):
    """No verification keys could be obtained (issuer unreachable, bad JWKS, ...).

    This is a server-side failure, not a bad token: callers should answer 503, not 401.
    """


@dataclass(frozen=True)
class TokenClaims:
    """The claims careerpath uses from a validated token."""

    subject: str
    org: str | None
    scopes: frozenset[str]
    email: str | None
    email_verified: bool
    #: The OAuth client the token was issued to: ``client_id`` (RFC 9068), else ``azp``,
    #: ``cid`` (Okta) or ``appid`` (Microsoft Entra ID v1 tokens).
    client_id: str | None
    #: True when the token represents a client (service account), not a user. Rule:
    #: ``gty == "client-credentials"`` (Auth0), or ``idtyp == "app"`` (Microsoft Entra ID's
    #: optional claim), or ``sub`` equals the client id (Okta and most OAuth servers), or
    #: ``sub == "{client_id}@clients"`` (Auth0).
    is_client_credentials: bool
    raw: dict[str, Any] = field(repr=False, compare=False, hash=False)


class KeySource(Protocol):
    """Where verification keys come from."""

    async def get_keys(self, *, force_refresh: bool = False) -> KeySet:
        """Return the current key set; ``force_refresh`` asks for a fresh copy if possible."""
        ...


def parse_jwks(document: Any) -> KeySet:
    """Import the usable public signing keys of a JWKS document.

    Keys that are malformed, symmetric, or meant for encryption are skipped rather than
    failing the whole set, so one odd key at the issuer does not lock everyone out.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeySourceError("JWKS is not a JSON object with a 'keys' list")
    keys: list[Key] = []
    for data in document["keys"]:
        if not isinstance(data, dict) or data.get("use", "sig") != "sig":
            continue
        try:
            key = KeySet.registry_cls.import_key(data)
        except (JoseError, ValueError, TypeError) as exc:
            log.warning("jwks.key_skipped", kid=data.get("kid"), error=str(exc))
            continue
        if isinstance(key, _PUBLIC_KEY_TYPES):
            keys.append(key)
    if not keys:
        raise KeySourceError("JWKS has no usable signing keys")
    return KeySet(keys)


class StaticKeySource:
    """A fixed key set, e.g. the dev issuer's public JWKS."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self._keys = parse_jwks(jwks)

    async def get_keys(self, *, force_refresh: bool = False) -> KeySet:
        """Return the key set; a refresh cannot find anything new."""
        return self._keys


def _default_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=FETCH_TIMEOUT,
        follow_redirects=True,
        max_redirects=3,
        headers={"Accept": "application/json"},
    )


class RemoteKeySource:
    """The issuer's JWKS over HTTPS, found via OIDC discovery unless ``jwks_url`` is set.

    Keys are cached for ``jwks_cache_seconds``. A forced refresh (unknown ``kid``) is
    single-flight (concurrent callers share one fetch) and happens at most once per
    ``jwks_min_refresh_seconds``. When a fetch fails and keys are cached, the cached keys
    stay in use.

    ``client_factory`` returns a new ``httpx.AsyncClient`` per fetch; the source closes it.
    ``clock`` is a monotonic clock in seconds.
    """

    def __init__(
        self,
        settings: AuthSettings,
        client_factory: Callable[[], httpx.AsyncClient] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if settings.jwks_url is None and settings.issuer is None:
            raise ValueError("RemoteKeySource needs auth.issuer or auth.jwks_url")
        self._issuer = settings.issuer
        self._jwks_uri: str | None = settings.jwks_url
        self._cache_seconds = settings.jwks_cache_seconds
        self._min_refresh_seconds = settings.jwks_min_refresh_seconds
        self._client_factory = client_factory or _default_client
        self._clock = clock
        self._lock = asyncio.Lock()
        self._keys: KeySet | None = None
        self._fetched_at = 0.0  # monotonic time of the last successful fetch
        self._attempted_at = 0.0  # monotonic time of the last fetch attempt
        self._forced_at: float | None = None  # monotonic time of the last forced refresh
        self._fetches = 0  # finished fetches, so callers waiting on the lock can share one

    async def get_keys(self, *, force_refresh: bool = False) -> KeySet:
        """Return cached keys, fetching when missing, expired or (rate-limited) forced."""
        # A forced caller arriving during a fetch waits for that fetch's keys.
        joins_fetch = force_refresh and self._lock.locked()
        if self._keys is not None and not joins_fetch and not self._wants_fetch(force_refresh):
            return self._keys
        seen = self._fetches
        async with self._lock:
            if self._fetches != seen:
                # A fetch finished while we waited: share its result.
                if self._keys is None:
                    raise KeySourceError("JWKS unavailable")
                return self._keys
            if self._keys is not None and not self._wants_fetch(force_refresh):
                return self._keys
            now = self._clock()
            self._attempted_at = now
            if force_refresh:
                self._forced_at = now
            try:
                self._keys = await self._fetch()
                self._fetched_at = now
            except KeySourceError as exc:
                if self._keys is None:
                    raise
                log.warning("jwks.refresh_failed_using_cached", error=str(exc))
            finally:
                self._fetches += 1
            return self._keys

    def _wants_fetch(self, force_refresh: bool) -> bool:
        now = self._clock()
        # Expired: refetch, but not on every request while the issuer is failing.
        expired = now - self._fetched_at >= self._cache_seconds
        if expired and now - self._attempted_at >= self._min_refresh_seconds:
            return True
        if force_refresh:
            return self._forced_at is None or now - self._forced_at >= self._min_refresh_seconds
        return False

    async def _fetch(self) -> KeySet:
        try:
            async with self._client_factory() as client:
                if self._jwks_uri is None:
                    self._jwks_uri = await self._discover(client)
                return parse_jwks(await _get_json(client, self._jwks_uri))
        except httpx.HTTPError as exc:
            raise KeySourceError(f"fetch failed: {type(exc).__name__}: {exc}") from exc

    async def _discover(self, client: httpx.AsyncClient) -> str:
        assert self._issuer is not None
        url = self._issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = await _get_json(client, url)
        if not isinstance(document, dict):
            raise KeySourceError("discovery document is not a JSON object")
        # OIDC Discovery 1.0 §4.3: the document must name exactly the issuer we trust.
        if document.get("issuer") != self._issuer:
            raise KeySourceError("discovery document names a different issuer")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri:
            raise KeySourceError("discovery document has no jwks_uri")
        return jwks_uri


async def _get_json(client: httpx.AsyncClient, url: str) -> Any:
    """GET a JSON document, refusing anything larger than MAX_DOCUMENT_BYTES."""
    async with client.stream("GET", url, timeout=FETCH_TIMEOUT) as response:
        if response.status_code != 200:
            raise KeySourceError(f"GET {url} answered {response.status_code}")
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_DOCUMENT_BYTES:
            raise KeySourceError(f"GET {url}: document too large")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_DOCUMENT_BYTES:
                raise KeySourceError(f"GET {url}: document too large")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise KeySourceError(f"GET {url}: not JSON") from exc


def _allowed_algorithms(names: Iterable[str]) -> frozenset[str]:
    allowed = frozenset(names)
    for name in allowed:
        alg = JWSRegistry.algorithms.get(name)
        # HMAC would let anyone holding the public key forge tokens (RFC 8725 §3.1/3.2).
        if alg is None or name == "none" or alg.key_type == "oct":
            raise ValueError(f"auth.algorithms: {name!r} is not an allowed signature algorithm")
    if not allowed:
        raise ValueError("auth.algorithms is empty")
    return allowed


def _decode_header(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not a JWS compact serialization")
    segment = parts[0]
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        header = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise InvalidToken("malformed header") from exc
    if not isinstance(header, dict):
        raise InvalidToken("malformed header")
    return header


@dataclass(frozen=True)
class _Verified:
    """A token that passed every check: its claims, the key set that verified it and
    when it stops being acceptable (``exp`` plus the leeway, as Unix time)."""

    claims: TokenClaims
    keys: KeySet
    until: float


class TokenValidator:
    """Validates bearer tokens against one issuer and its keys.

    A verified token is remembered (at most ``VERIFIED_TOKENS``) until it expires, as long
    as the issuer's keys are the ones that verified it: a refreshed key set (a rotation)
    verifies it again, so a withdrawn key stops its tokens at the next refresh.

    :param settings: algorithms, audience, org claim name and leeway are read from here.
    :param key_source: where the issuer's public keys come from.
    :param issuer: the exact ``iss`` required (the configured issuer, or the dev issuer URL).
    """

    def __init__(self, settings: AuthSettings, key_source: KeySource, issuer: str) -> None:
        self._algorithms = _allowed_algorithms(settings.algorithms)
        self._registry = JWSRegistry(algorithms=list(self._algorithms), strict_check_header=False)
        self._key_source = key_source
        self._issuer = issuer
        self._audience = settings.audience
        self._org_claim = settings.org_claim
        self._subject_claim = settings.subject_claim
        self._scope_claims = tuple(settings.scope_claims)
        self._leeway = settings.leeway_seconds
        self._verified: cachetools.LRUCache[str, _Verified] = cachetools.LRUCache(VERIFIED_TOKENS)

    async def validate(self, token: str) -> TokenClaims:
        """Verify ``token`` and return its claims.

        :raises InvalidToken: for any token that is not acceptable, malformed ones included.
        :raises KeySourceError: when no keys can be obtained at all.
        """
        if not isinstance(token, str) or not token:
            raise InvalidToken("empty token")
        known = self._verified.get(token)
        if known is not None:
            if time.time() < known.until and await self._key_source.get_keys() is known.keys:
                return known.claims
            self._verified.pop(token, None)
        if len(token) > MAX_TOKEN_BYTES or not token.isascii():
            raise InvalidToken("token too large or not ASCII")
        header = _decode_header(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise InvalidToken(f"algorithm not allowed: {str(alg)[:20]!r}")
        typ = header.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.lower() not in _ACCEPTED_TYP):
            raise InvalidToken("unexpected token type")
        if "crit" in header:
            # No JWS extensions are understood here, so any critical one must be refused.
            raise InvalidToken("critical header extension")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("malformed kid")

        key, keys = await self._find_key(kid, alg)
        claims = self._verify(token, key)
        found = self._to_claims(claims)
        if isinstance(claims.get("exp"), int | float):
            self._verified[token] = _Verified(found, keys, claims["exp"] + self._leeway)
        return found

    async def _find_key(self, kid: str | None, alg: str) -> tuple[Key, KeySet]:
        """The key for ``kid`` and ``alg``, and the key set it was found in."""
        keys = await self._key_source.get_keys()
        key = _select_key(keys, kid, alg)
        if key is None and kid is not None:
            # The issuer may have rotated keys since we fetched them.
            keys = await self._key_source.get_keys(force_refresh=True)
            key = _select_key(keys, kid, alg)
        if key is None:
            raise InvalidToken("no key for kid" if kid is not None else "kid required")
        return key, keys

    def _verify(self, token: str, key: Key) -> dict[str, Any]:
        try:
            claims = jwt.decode(token, key, registry=self._registry).claims
            jwt.JWTClaimsRegistry(
                leeway=self._leeway,
                iss={"essential": True, "value": self._issuer},
                aud={"essential": True, "value": self._audience},
                exp={"essential": True},
                sub={"essential": True},
            ).validate(claims)
        except JoseError as exc:
            raise InvalidToken(str(exc)) from exc
        except Exception as exc:
            # Whatever a hostile token provokes in parsing, it is only ever a bad token.
            raise InvalidToken("malformed token") from exc
        return claims

    def _to_claims(self, claims: dict[str, Any]) -> TokenClaims:
        org = claims.get(self._org_claim)
        if org is not None and not isinstance(org, str):
            raise InvalidToken("malformed org claim")
        email = claims.get("email")
        client_id = next(
            (claims[name] for name in _CLIENT_ID_CLAIMS if claims.get(name) is not None), None
        )
        if client_id is not None and not isinstance(client_id, str):
            raise InvalidToken("malformed client_id")
        sub: str = claims["sub"]
        subject = claims.get(self._subject_claim)
        if not isinstance(subject, str) or not subject:
            raise InvalidToken(f"missing or malformed {self._subject_claim} claim")
        verified = claims.get("email_verified")
        is_client = (
            claims.get("gty") == "client-credentials"
            or claims.get("idtyp") == "app"
            or (client_id is not None and sub in (client_id, f"{client_id}@clients"))
        )
        return TokenClaims(
            subject=subject,
            org=org or None,
            scopes=_scopes(claims, self._scope_claims),
            email=email if isinstance(email, str) and email else None,
            # Some providers send the boolean as a string.
            email_verified=verified is True or verified == "true",
            client_id=client_id,
            is_client_credentials=is_client,
            raw=claims,
        )


def _select_key(keys: KeySet, kid: str | None, alg: str) -> Key | None:
    """Pick the key for ``kid`` and ``alg``; without a kid, only an unambiguous single key."""
    key_type = JWSRegistry.algorithms[alg].key_type
    candidates = [key for key in keys if key.key_type == key_type and key.alg in (None, alg)]
    if kid is None:
        return candidates[0] if len(candidates) == 1 else None
    return next((key for key in candidates if key.kid == kid), None)


def _scopes(claims: dict[str, Any], names: Iterable[str]) -> frozenset[str]:
    """Scopes from the claims ``names`` (``scope``, ``scp``...), each a list or space separated."""
    found: set[str] = set()
    for name in names:
        value = claims.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            found.update(value.split())
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            found.update(v for v in value if v)
        else:
            raise InvalidToken(f"malformed {name} claim")
    return frozenset(found)
