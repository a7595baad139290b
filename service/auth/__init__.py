"""Identity and access: bearer token validation, scopes and the dev issuer."""

from service.auth.scopes import ALL_SCOPES, Scope
from service.auth.tokens import (
    InvalidToken,
    KeySource,
    KeySourceError,
    RemoteKeySource,
    StaticKeySource,
    TokenClaims,
    TokenValidator,
)

__all__ = [
    "ALL_SCOPES",
    "InvalidToken",
    "KeySource",
    "KeySourceError",
    "RemoteKeySource",
    "Scope",
    "StaticKeySource",
    "TokenClaims",
    "TokenValidator",
]
