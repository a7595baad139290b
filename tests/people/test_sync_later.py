"""What a sync leaves for later calls: manager references to people not synced yet, kept
and resolved when they arrive (cycles refused per record), and one `employee.terminated`
event per termination, whichever way it happens."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from service.audit.models import audit_events
from service.people.models import position_history
from tests.conftest import Org, gid
from tests.people.sync_helpers import (
    Hris,
    by_external_id,
    counts,
    events_of,
    person,
    rows,
    statuses,
)

PENDING = """
query($id: ID!) { employee(id: $id) { pendingManagerExternalId manager { name } } }
"""
TERMINATE = """
mutation($i: TerminateEmployeeInput!) {
  terminateEmployee(input: $i) { employee { id } userErrors { code } }
}
"""


@pytest.fixture
async def hris(org: Org) -> Hris:
    return await Hris.of(org)


def notice_codes(payload: dict[str, Any]) -> list[list[str]]:
    return [[n["code"] for n in r["notices"]] for r in payload["results"]]


async def test_a_manager_synced_in_a_later_call_is_set_then(hris: Hris, org: Org) -> None:
    first = await hris.employees(
        [person("R1", managerExternalId="M"), person("R2", managerExternalId="M"), person("X")]
    )
    assert first["applied"]
    assert first["userErrors"] == []
    assert statuses(first) == ["CREATED"] * 3
    assert notice_codes(first) == [["PENDING"], ["PENDING"], []]
    assert first["summary"]["pending"] == 2
    people = await by_external_id(org)
    assert people["R1"].manager_id is None
    assert people["R1"].pending_manager_external_id == "M"
    seen = await hris.post(PENDING, {"id": gid("Employee", people["R1"])})
    assert seen["employee"] == {"pendingManagerExternalId": "M", "manager": None}
    # Re-sending it changes nothing, and still says what waits.
    before = await counts(org)
    again = await hris.employees([person("R1", managerExternalId="M")])
    assert statuses(again) == ["UNCHANGED"]
    assert notice_codes(again) == [["PENDING"]]
    assert await counts(org) == before

    arrived = await hris.employees([person("M")])
    assert arrived["userErrors"] == []
    # The manager, then the people who waited for them.
    assert arrived["results"][0]["externalId"] == "M"
    assert arrived["results"][0]["status"] == "CREATED"
    assert sorted(r["externalId"] for r in arrived["results"][1:]) == ["R1", "R2"]
    assert {r["status"] for r in arrived["results"][1:]} == {"UPDATED"}
    assert arrived["summary"]["pending"] == 0
    people = await by_external_id(org)
    assert people["R1"].manager_id == people["M"].id == people["R2"].manager_id
    assert people["R1"].pending_manager_external_id is None
    assert people["X"].manager_id is None
    assert people["R1"].version == 2
    seen = await hris.post(PENDING, {"id": gid("Employee", people["R1"])})
    assert seen["employee"] == {"pendingManagerExternalId": None, "manager": {"name": "Person M"}}
    history = await rows(
        org,
        select(position_history.c.kind, position_history.c.manager_id).where(
            position_history.c.employee_id == people["R1"].id
        ),
    )
    assert sorted((h.kind, h.manager_id) for h in history) == sorted(
        [("HIRE", None), ("MANAGER_CHANGE", people["M"].id)]
    )
    updates = await rows(
        org,
        select(audit_events.c.action).where(audit_events.c.entity_id == people["R2"].id),
    )
    assert sorted(a.action for a in updates) == ["employee.create", "employee.update"]
    # Sending the manager again resolves nothing more.
    assert statuses(await hris.employees([person("M")])) == ["UNCHANGED"]
    # A later record naming a known manager, or none, replaces a pending reference.
    await hris.employees([person("W", managerExternalId="NOBODY-YET")])
    cleared = await hris.employees([{"externalId": "W", "managerExternalId": None}])
    assert statuses(cleared) == ["UPDATED"]
    assert notice_codes(cleared) == [[]]
    assert (await by_external_id(org))["W"].pending_manager_external_id is None


async def test_a_pending_reference_that_would_close_a_cycle_is_refused_per_record(
    hris: Hris, org: Org
) -> None:
    await hris.employees([person("A", managerExternalId="B")])
    before = await counts(org)
    # B reporting to A while A waits for B as their manager: a cycle, refused.
    refused = await hris.employees([person("B", managerExternalId="A"), person("C")])
    assert refused["applied"] is False
    assert statuses(refused) == ["ERROR", "CREATED"]
    errors = refused["results"][0]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "employees", "0", "managerExternalId"], "CYCLE")
    ]
    assert await counts(org) == before
    partial = await hris.employees([person("B", managerExternalId="A"), person("C")], atomic=False)
    assert statuses(partial) == ["ERROR", "CREATED"]
    people = await by_external_id(org)
    assert "B" not in people
    assert people["A"].pending_manager_external_id == "B"
    # B without a manager: A's reference resolves.
    resolved = await hris.employees([person("B")])
    assert [(r["externalId"], r["status"]) for r in resolved["results"]] == [
        ("B", "CREATED"),
        ("A", "UPDATED"),
    ]
    people = await by_external_id(org)
    assert people["A"].manager_id == people["B"].id
    # A manager set by hand ends the wait too.
    await hris.employees([person("D", managerExternalId="LATER")])
    d = (await by_external_id(org))["D"]
    changed = await hris.post(
        "mutation($i: UpdateEmployeeInput!) { updateEmployee(input: $i) { userErrors { code } } }",
        {"i": {"id": gid("Employee", d), "managerId": gid("Employee", people["B"])}},
    )
    assert changed["updateEmployee"]["userErrors"] == []
    assert (await by_external_id(org))["D"].pending_manager_external_id is None


async def test_each_termination_is_one_event_whatever_made_it(hris: Hris, org: Org) -> None:
    everyone = [person(f"T{i:02}") for i in range(12)]
    await hris.employees(everyone)
    people = await by_external_id(org)
    # By hand.
    done = await hris.post(
        TERMINATE,
        {"i": {"id": gid("Employee", people["T00"]), "terminationDate": "2026-01-31"}},
    )
    assert done["terminateEmployee"]["userErrors"] == []
    # By a record's status.
    assert statuses(await hris.employees([{"externalId": "T01", "status": "TERMINATED"}])) == [
        "TERMINATED"
    ]
    # By missing from a FULL snapshot (T00 and T01 are gone already; T02 is missing now).
    snapshot = everyone[3:]
    full = await hris.employees(snapshot, mode="FULL")
    assert full["summary"]["terminated"] == 1
    today = dt.date.today().isoformat()
    assert await events_of(org, "employee.terminated") == [
        {
            "employee_id": str(people["T00"].id),
            "termination_date": "2026-01-31",
            "source_type": None,
            "missing_from_snapshot": False,
        },
        {
            "employee_id": str(people["T01"].id),
            "termination_date": today,
            "source_type": "HrisSync",
            "missing_from_snapshot": False,
        },
        {
            "employee_id": str(people["T02"].id),
            "termination_date": today,
            "source_type": "HrisSync",
            "missing_from_snapshot": True,
        },
    ]
    # Re-sending the snapshot, or the terminating record, tells nothing new.
    before = await counts(org)
    assert statuses(await hris.employees(snapshot, mode="FULL")) == ["UNCHANGED"] * 9
    assert statuses(await hris.employees([{"externalId": "T01", "status": "TERMINATED"}])) == [
        "UNCHANGED"
    ]
    assert await counts(org) == before
    assert len(await events_of(org, "employee.terminated")) == 3
