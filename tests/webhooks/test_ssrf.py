"""The SSRF guard: at creation, and again at delivery after resolving the host."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from service.errors import UserInputError
from service.webhooks import service as webhooks
from service.webhooks.models import webhook_endpoints
from service.webhooks.outbox import emit
from service.webhooks.ssrf import AddressPolicy, BlockedAddress, url_problem
from tests.conftest import Org
from tests.webhooks.conftest import attempts, deliveries, dispatching, eventually, fast_settings
from tests.webhooks.receiver import Receiver

NOTHING = AddressPolicy.from_entries([])


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://127.0.0.1/hook", "public address"),
        ("https://10.1.2.3/hook", "public address"),
        ("https://192.168.0.1/hook", "public address"),
        ("https://169.254.169.254/latest/meta-data", "public address"),
        ("https://[::1]/hook", "public address"),
        ("https://[::ffff:127.0.0.1]/hook", "public address"),
        ("https://100.64.0.1/hook", "public address"),
        ("https://0.0.0.0/hook", "public address"),
        ("https://localhost/hook", "public address"),
        ("http://93.184.215.14/hook", "https://"),
        ("ftp://93.184.215.14/hook", "https://"),
        ("https:///nohost", "https://"),
        ("not a url", "https://"),
        ("https://93.184.215.14/hook#frag", "fragment"),
        ("https://no-such-host.invalid/hook", "cannot be resolved"),
        ("https://93.184.215.14/" + "x" * 2000, "2000 characters"),
    ],
)
async def test_urls_refused_without_an_allow_list(url: str, problem: str) -> None:
    found = await url_problem(url, NOTHING)
    assert found is not None
    assert problem in found


async def test_public_https_urls_and_allowed_hosts_pass() -> None:
    assert await url_problem("https://93.184.215.14/hook", NOTHING) is None
    assert await url_problem("https://[2606:4700::1111]:8443/x", NOTHING) is None
    loopback = AddressPolicy.from_entries(["127.0.0.0/8"])
    assert await url_problem("http://127.0.0.1:8080/hook", loopback) is None
    by_name = AddressPolicy.from_entries(["localhost"])
    assert await url_problem("http://localhost:8080/hook", by_name) is None
    # An allowed network does not open plain http to public addresses.
    assert await url_problem("http://93.184.215.14/hook", loopback) == "must be an https:// URL"


def test_the_policy_checks_every_address_of_a_host() -> None:
    policy = AddressPolicy.from_entries(["10.0.0.0/8", "Receiver.Internal."])
    policy.check("a.example", ["93.184.215.14", "10.2.3.4"])
    policy.check("receiver.internal", ["192.168.1.1"])
    with pytest.raises(BlockedAddress):
        policy.check("a.example", ["93.184.215.14", "192.168.1.1"])
    with pytest.raises(BlockedAddress):
        policy.check("a.example", ["fe80::1%eth0"])


async def test_a_private_url_is_refused_at_creation(org: Org) -> None:
    with pytest.raises(UserInputError) as refused:
        await org.run(
            webhooks.create_endpoint,
            webhooks.EndpointInput(url="https://127.0.0.1/hook", event_types=["*"]),
            NOTHING,
        )
    [error] = refused.value.errors
    assert error.field == ("input", "url")
    assert "public address" in error.message
    assert await deliveries(org) == []


async def test_a_private_address_is_refused_at_delivery(org: Org, receiver: Receiver) -> None:
    """An endpoint accepted earlier (the allow-list changed since, or its DNS now points
    inside): the dispatcher checks again when it connects, and sends nothing."""
    row, _ = await org.run(
        webhooks.create_endpoint,
        webhooks.EndpointInput(url=receiver.url, event_types=["*"]),
        AddressPolicy.from_entries(["127.0.0.1"]),
    )
    https_url = receiver.url.replace("http://", "https://")
    async with org.runtime.db.transaction(org.id) as conn:
        await conn.execute(
            update(webhook_endpoints).where(webhook_endpoints.c.id == row.id).values(url=https_url)
        )
    async with dispatching(org.runtime, fast_settings(allow_hosts=[], retry_schedule_seconds=[])):
        event_id = await org.run(emit, "webhook.test", {"endpoint_id": str(row.id), "message": "x"})

        async def failed() -> Any:
            rows = await deliveries(org, event_id)
            return rows if rows and rows[0].status == "FAILED" else None

        [delivery] = await eventually(failed)
    [attempt] = await attempts(org, delivery.id)
    assert attempt.status_code is None
    assert attempt.error.startswith("refused by the SSRF guard")
    assert "127.0.0.1" in attempt.error
    assert receiver.requests == []


async def test_plain_http_is_refused_at_delivery_once_the_host_is_not_allowed(
    org: Org, receiver: Receiver
) -> None:
    row, _ = await org.run(
        webhooks.create_endpoint,
        webhooks.EndpointInput(url=receiver.url, event_types=["*"]),
        AddressPolicy.from_entries(["127.0.0.1"]),
    )
    settings = fast_settings(allow_hosts=[], retry_schedule_seconds=[])
    async with dispatching(org.runtime, settings):
        event_id = await org.run(emit, "webhook.test", {"endpoint_id": str(row.id), "message": "x"})

        async def failed() -> Any:
            rows = await deliveries(org, event_id)
            return rows if rows and rows[0].status == "FAILED" else None

        [delivery] = await eventually(failed)
    assert delivery.last_error.startswith("refused by the SSRF guard")
    assert receiver.requests == []
