"""`serve --workers 2`: whichever worker a scrape reaches, `/metrics` counts every
worker's requests."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.test_cli import CLI, free_port


def count_of(text: str, operation: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "careerpath_graphql_request_duration_seconds_count"
                and sample.labels == {"operation": operation, "outcome": "ok"}
            ):
                return sample.value
    return 0.0


@pytest.mark.subprocess
def test_every_worker_is_counted_in_one_scrape(
    database_urls: tuple[str, str], tmp_path: Path
) -> None:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CAREERPATH_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(
        CAREERPATH_ENV="dev",
        CAREERPATH_DATABASE_URL=database_urls[1],
        CAREERPATH_MIGRATION_DATABASE_URL=database_urls[0],
        CAREERPATH_DATA_DIR=str(tmp_path),
        CAREERPATH_WEBHOOKS__DISPATCHER_IN_SERVE="false",
    )
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*CLI, "serve", "--workers", "2", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        ready, deadline = False, time.monotonic() + 120
        while not ready and time.monotonic() < deadline and proc.poll() is None:
            try:
                ready = httpx.get(f"{base}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                time.sleep(0.3)
        assert ready, log.read_text()[-3000:]
        name = f"Workers{secrets.token_hex(4)}"
        sent = 24
        for _ in range(sent):  # a new connection each time, so both workers take some
            response = httpx.post(
                f"{base}/graphql", json={"query": f"query {name} {{ __typename }}"}, timeout=10
            )
            assert response.json() == {"data": {"__typename": "Query"}}
        for _ in range(6):
            scrape = httpx.get(f"{base}/metrics", timeout=10)
            assert scrape.status_code == 200
            assert count_of(scrape.text, name) == sent
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert any((tmp_path / "metrics").glob("histogram_*.db"))
