"""`careerpath worker` in a process of its own, killed with SIGKILL mid-delivery: the event
still arrives through another dispatcher once the claim's lease runs out."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response

from service.webhooks.outbox import emit
from tests.conftest import Org
from tests.webhooks.conftest import (
    add_endpoint,
    attempts,
    deliveries,
    dispatching,
    eventually,
    fast_settings,
)
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.subprocess

CLI = [sys.executable, "-m", "service.cli", "worker"]


def start_worker(app_url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERPATH_")}
    env.update(
        {
            "CAREERPATH_DATABASE_URL": app_url,
            "CAREERPATH_DATA_DIR": str(data_dir),
            "CAREERPATH_WEBHOOKS__ALLOW_HOSTS": "127.0.0.1",
            "CAREERPATH_WEBHOOKS__LEASE_SECONDS": "2",
            "CAREERPATH_WEBHOOKS__POLL_SECONDS": "0.5",
            "CAREERPATH_WEBHOOKS__RETRY_SCHEDULE_SECONDS": "[0.2, 0.2, 0.2]",
        }
    )
    return subprocess.Popen(CLI, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


async def test_a_worker_killed_mid_delivery_loses_nothing(
    org: Org, receiver: Receiver, database_urls: tuple[str, str], tmp_path: Path
) -> None:
    hanging, release = asyncio.Event(), asyncio.Event()

    async def hang_first(request: Request, r: Receiver) -> Response:
        if len(r.requests) == 1:
            hanging.set()
            # The worker dies while waiting for this answer.
            await asyncio.wait_for(release.wait(), 30)
        return Response(status_code=204)

    receiver.handler = hang_first
    await add_endpoint(org, receiver.url, ["*"], receiver)
    event_id = await org.run(emit, "webhook.test", {"endpoint_id": "x", "message": "kill"})
    first = start_worker(database_urls[1], tmp_path)
    try:
        await asyncio.wait_for(hanging.wait(), 30)
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
    finally:
        release.set()
        if first.poll() is None:
            first.kill()
    [claimed] = await deliveries(org, event_id)
    assert (claimed.status, claimed.attempts) == ("PENDING", 0)  # still due, still claimed
    assert claimed.claim_token is not None

    # Any other dispatcher takes the delivery over once the lease has run out.
    async with dispatching(org.runtime, fast_settings(lease_seconds=2)):

        async def delivered() -> Any:
            rows = await deliveries(org, event_id)
            return rows if rows[0].status == "SUCCEEDED" else None

        [delivery] = await eventually(delivered, timeout=30)
    assert [len(r.verified_by) for r in receiver.requests] == [1, 1]
    assert receiver.requests[0].webhook_id == receiver.requests[1].webhook_id  # dedupe key
    [attempt] = await attempts(org, delivery.id)  # the killed attempt left no record
    assert attempt.status_code == 204
