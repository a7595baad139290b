"""The SSRF guard: webhooks go to public addresses over https, unless configured otherwise.

An endpoint's URL is checked when it is created or changed, and again at every connection:
the dispatcher's HTTP client resolves the host itself, checks every address, and connects
to an address it checked (TLS still verifies the certificate for the host name), so a DNS
answer that changes between the check and the connection cannot reach a private address.
Redirects are never followed and no proxy from the environment is used.

``CAREERPATH_WEBHOOKS__ALLOW_HOSTS`` lists host names (matched exactly) and IP addresses
or CIDR blocks that are allowed although not public; plain http is allowed only for them.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import certifi
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_URL_LENGTH = 2000


class BlockedAddress(Exception):
    """The host resolves to an address webhooks may not reach."""


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public hosts and networks webhooks may reach (the allow-list)."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> AddressPolicy:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in entries:
            entry = entry.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def host_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def address_allowed(self, address: IPAddress) -> bool:
        return _is_public(address) or any(address in n for n in self.networks)

    def address_listed(self, address: IPAddress) -> bool:
        return any(address in n for n in self.networks)

    def check(self, host: str, addresses: Iterable[str]) -> None:
        """Raise ``BlockedAddress`` unless every address of ``host`` may be reached."""
        if self.host_allowed(host):
            return
        for raw in addresses:
            if not self.address_allowed(ipaddress.ip_address(raw.split("%", 1)[0])):
                raise BlockedAddress(f"{host} resolves to {raw}, which is not a public address")

    def plain_http_allowed(self, host: str, addresses: Iterable[str]) -> bool:
        """Plain http only to hosts and networks the allow-list names."""
        if self.host_allowed(host):
            return True
        found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addresses]
        return bool(found) and all(self.address_listed(a) for a in found)


async def resolve(host: str, port: int, within: float | None = 5.0) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order, without duplicates."""
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(
        loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=within
    )
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]), None)
    return list(seen)


async def url_problem(url: str, policy: AddressPolicy) -> str | None:
    """Why ``url`` may not be a webhook endpoint, or ``None`` when it may."""
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {MAX_URL_LENGTH} characters"
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "is not a valid URL"
    if parsed.scheme not in ("https", "http") or not parsed.host:
        return "must be an https:// URL"
    if parsed.fragment:
        return "must not have a fragment"
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        addresses = await resolve(parsed.host, port)
    except (OSError, TimeoutError, UnicodeError):
        return f"the host {parsed.host} cannot be resolved"
    try:
        policy.check(parsed.host, addresses)
    except BlockedAddress as exc:
        return f"must point to a public address ({exc})"
    if parsed.scheme == "http" and not policy.plain_http_allowed(parsed.host, addresses):
        return "must be an https:// URL"
    return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks and connects to a checked address, for every new connection."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self.backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore calls it so)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve(host, port, timeout)
        except (OSError, TimeoutError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        self.policy.check(host, addresses)
        error: Exception | None = None
        for address in addresses:
            try:
                return await self.backend.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error or httpcore.ConnectError(f"no address for {host}")

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("unix sockets are not webhook endpoints")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every client (loading the CA bundle is not cheap)."""
    return ssl.create_default_context(cafile=certifi.where())


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with every connection going through ``GuardedBackend``."""

    def __init__(self, policy: AddressPolicy, limits: httpx.Limits) -> None:
        super().__init__(verify=tls_context(), limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )


def guarded_client(
    policy: AddressPolicy, timeout: float, max_connections: int
) -> httpx.AsyncClient:
    """The dispatcher's HTTP client: guarded connections, no redirects, no proxies."""
    return httpx.AsyncClient(
        transport=GuardedTransport(
            policy,
            httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
        ),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
    )
