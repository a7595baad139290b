"""Concurrent syncs of one organization: identical batches never create duplicates, and an
Idempotency-Key replays the first answer."""

from __future__ import annotations

import asyncio
from typing import Any

from service.config import Settings
from tests.conftest import Org
from tests.people.sync_helpers import SYNC_EMPLOYEES, Hris, counts, person, statuses
from tests.race import wide_client

WRITERS = 6


async def test_concurrent_identical_syncs_create_each_person_once(
    org: Org, settings: Settings
) -> None:
    hris = await Hris.of(org)
    before = await counts(org)
    batch = [person(f"R{i}", managerExternalId=f"R{i + 1}" if i < 29 else None) for i in range(30)]
    async with wide_client(settings, WRITERS) as client:

        async def one() -> dict[str, Any]:
            response = await client.post(
                "/graphql",
                json={"query": SYNC_EMPLOYEES, "variables": {"input": {"employees": batch}}},
                headers={"Authorization": f"Bearer {hris.token}"},
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert "errors" not in body, body
            return body["data"]["syncEmployees"]  # type: ignore[no-any-return]

        payloads = await asyncio.gather(*(one() for _ in range(WRITERS)))
    outcomes = sorted(tuple(sorted(set(statuses(p)))) for p in payloads)
    # One call created everyone; every other saw them and changed nothing.
    assert outcomes == [("CREATED",)] + [("UNCHANGED",)] * (WRITERS - 1), payloads
    assert all(p["applied"] and p["userErrors"] == [] for p in payloads)
    after = await counts(org)
    assert after["employees"] == 30
    assert after["history"] == 30
    assert after["audit"] == before["audit"] + 30


async def test_idempotency_key_replays_the_first_answer(org: Org) -> None:
    hris = await Hris.of(org)
    batch = [person("K1"), person("K2", managerExternalId="K1")]
    key = {"Idempotency-Key": "nightly-2026-03-02"}
    first = await hris.employees(batch, headers=key)
    assert statuses(first) == ["CREATED", "CREATED"]
    assert first["replayed"] is False
    written = await counts(org)
    retried = await hris.employees(batch, headers=key)
    assert retried["replayed"] is True
    assert retried["results"] == first["results"]  # CREATED again, not UNCHANGED
    assert await counts(org) == written
    # Without the key the same batch is simply unchanged.
    assert statuses(await hris.employees(batch)) == ["UNCHANGED", "UNCHANGED"]
    # The same key with different data is refused, and nothing is written.
    changed = await hris.employees([person("K3")], headers=key)
    assert changed["applied"] is False
    assert changed["results"] == []
    assert [(e["field"], e["code"]) for e in changed["userErrors"]] == [
        (["headers", "Idempotency-Key"], "CONFLICT")
    ]
    assert "different request" in changed["userErrors"][0]["message"]
    assert await counts(org) == written
    # A refused call is not remembered: fixing it under the same key works.
    other = {"Idempotency-Key": "nightly-2026-03-03"}
    bad = await hris.employees([person("K4", email="nope")], headers=other)
    assert bad["applied"] is False
    good = await hris.employees([person("K4")], headers=other)
    assert statuses(good) == ["CREATED"]
    assert good["replayed"] is False
    blank = await hris.employees([person("K5")], headers={"Idempotency-Key": " "})
    assert blank["userErrors"][0]["field"] == ["headers", "Idempotency-Key"]
