"""HRIS sync over GraphQL: ordering-free upserts, idempotent re-sends, per-record errors,
atomic batches, FULL snapshots, role changes with history and events, statement counts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from service.framework import service as framework
from service.people.models import position_history
from service.people.sync import MAX_RECORDS
from service.webhooks.models import webhook_events
from tests.conftest import Org
from tests.people.sync_helpers import Hris, by_external_id, counts, person, rows, statuses


@pytest.fixture
async def hris(org: Org) -> Hris:
    return await Hris.of(org)


async def test_units_and_employees_in_any_order(hris: Hris, org: Org) -> None:
    units = await hris.units(
        [
            {"externalId": "U-PLAT", "name": "Platform", "parentExternalId": "U-ENG"},
            {"externalId": "U-ENG", "name": "Engineering"},
        ]
    )
    assert statuses(units) == ["CREATED", "CREATED"]
    assert units["applied"]
    # Reports first, their manager last; a manager of a manager in the same batch.
    result = await hris.employees(
        [
            person("E3", managerExternalId="E2", orgUnitExternalId="U-PLAT"),
            person("E2", managerExternalId="E1", hireDate="2020-02-03", title="Lead"),
            person("E1", authSubject="idp|e1"),
        ]
    )
    assert result["userErrors"] == []
    assert statuses(result) == ["CREATED"] * 3
    assert [r["externalId"] for r in result["results"]] == ["E3", "E2", "E1"]
    assert result["summary"]["created"] == 3
    people = await by_external_id(org)
    assert people["E3"].manager_id == people["E2"].id
    assert people["E2"].manager_id == people["E1"].id
    assert people["E1"].auth_subject == "idp|e1"
    assert str(people["E2"].hire_date) == "2020-02-03"
    history = await rows(org, select(position_history.c.employee_id, position_history.c.kind))
    assert sorted(k for _, k in history) == ["HIRE"] * 3
    # A later batch moves a unit under another and updates only what it names.
    again = await hris.employees([{"externalId": "E2", "title": "Staff"}])
    assert statuses(again) == ["UPDATED"]
    after = await by_external_id(org)
    assert after["E2"].title == "Staff"
    assert after["E2"].manager_id == people["E1"].id
    assert after["E2"].version == people["E2"].version + 1


async def test_resending_the_same_batch_changes_nothing(hris: Hris, org: Org) -> None:
    await hris.units([{"externalId": "U1", "name": "Sales"}])
    batch = [
        person("A1", orgUnitExternalId="U1", hireDate="2021-01-01"),
        person("A2", managerExternalId="A1", title="Rep", status="ON_LEAVE"),
    ]
    assert statuses(await hris.employees(batch)) == ["CREATED", "CREATED"]
    before = await counts(org)
    second = await hris.employees(batch)
    assert statuses(second) == ["UNCHANGED", "UNCHANGED"]
    assert second["applied"]
    assert second["summary"]["unchanged"] == 2
    assert statuses(await hris.units([{"externalId": "U1", "name": "Sales"}])) == ["UNCHANGED"]
    assert await counts(org) == before  # no version bump, no history, no audit


async def test_bad_records_are_reported_per_record_and_nothing_is_written(
    hris: Hris, org: Org
) -> None:
    await hris.employees([person("OLD")])
    before = await counts(org)
    batch = [
        person("OK1"),
        person("DUP"),
        person("DUP"),
        person("BADMAIL", email="not-an-email"),
        person("BADDATE", hireDate="2021-02-30"),
        person("NOROLE", roleKey="no-such-role"),
        person("NOBOSS", managerExternalId="GHOST"),
        person("CYC1", managerExternalId="CYC2"),
        person("CYC2", managerExternalId="CYC1"),
        person("TAKEN", email="old@example.com"),
        {"externalId": "NEW-NO-NAME"},
        person("SELF", managerExternalId="SELF"),
    ]
    result = await hris.employees(batch)
    assert result["applied"] is False
    assert [e["code"] for e in result["userErrors"]] == ["INVALID"]
    by_ext = {}
    for r in result["results"]:
        by_ext.setdefault(r["externalId"], []).append(r)
    assert by_ext["OK1"][0]["status"] == "CREATED"  # would have been created
    # A manager not synced yet is no error: the reference would wait for them.
    assert by_ext["NOBOSS"][0]["status"] == "CREATED"
    assert by_ext["NOBOSS"][0]["notices"] == [
        {"field": ["input", "employees", "6", "managerExternalId"], "code": "PENDING"}
    ]
    assert result["summary"]["pending"] == 1
    expected = {
        "DUP": ("externalId", "CONFLICT"),
        "BADMAIL": ("email", "INVALID"),
        "BADDATE": ("hireDate", "INVALID"),
        "NOROLE": ("roleKey", "NOT_FOUND"),
        "CYC1": ("managerExternalId", "CYCLE"),
        "CYC2": ("managerExternalId", "CYCLE"),
        "TAKEN": ("email", "TAKEN"),
        "NEW-NO-NAME": ("name", "REQUIRED"),
        "SELF": ("managerExternalId", "CYCLE"),
    }
    for ext, (field, code) in expected.items():
        for r in by_ext[ext]:
            assert r["status"] == "ERROR", r
            index = batch.index(next(b for b in batch if b["externalId"] == ext))
            paths = [(e["field"], e["code"]) for e in r["errors"]]
            assert any(p[0][-1] == field and p[1] == code for p in paths), (ext, paths)
            assert all(p[0][:2] == ["input", "employees"] for p in paths)
            if ext != "DUP":
                assert paths[0][0][2] == str(index)
    assert await counts(org) == before


async def test_non_atomic_writes_the_good_records_only(hris: Hris, org: Org) -> None:
    result = await hris.employees(
        [
            person("R1", managerExternalId="M1"),  # its manager fails: refused too
            person("M1", email="bad"),
            person("G1"),
        ],
        atomic=False,
    )
    assert statuses(result) == ["ERROR", "ERROR", "CREATED"]
    assert result["applied"]
    assert result["results"][0]["errors"][0]["code"] == "NOT_FOUND"
    assert set(await by_external_id(org)) == {"G1"}


async def test_oversized_batches_are_refused_whole(hris: Hris, org: Org) -> None:
    result = await hris.employees([person(f"X{i}") for i in range(MAX_RECORDS + 1)])
    assert result["userErrors"][0]["code"] == "LIMIT_EXCEEDED"
    assert result["userErrors"][0]["field"] == ["input", "employees"]
    assert result["results"] == []
    assert result["applied"] is False
    assert (await counts(org))["employees"] == 0


async def test_full_sync_terminates_missing_people_within_the_threshold(
    hris: Hris, org: Org
) -> None:
    everyone = [person(f"F{i:02}") for i in range(20)]
    await hris.employees(everyone)
    manual = await org.employee("manual")  # no external ID: never terminated by a sync
    # 3 of 20 missing (15%) is more than the default 10%.
    refused = await hris.employees(everyone[3:], mode="FULL")
    assert refused["applied"] is False
    assert refused["userErrors"][0]["code"] == "LIMIT_EXCEEDED"
    assert refused["userErrors"][0]["field"] == ["input", "mode"]
    assert all(p.status == "ACTIVE" for p in (await by_external_id(org)).values())
    forced = await hris.employees(everyone[3:], mode="FULL", force=True)
    assert forced["applied"]
    assert forced["summary"]["terminated"] == 3
    assert statuses(forced) == ["UNCHANGED"] * 17 + ["TERMINATED"] * 3
    people = await by_external_id(org)
    assert {e for e, p in people.items() if p.status == "TERMINATED"} == {"F00", "F01", "F02"}
    assert people[None].id == manual.id
    assert people[None].status == "ACTIVE"
    kinds = await rows(
        org, select(position_history.c.kind).where(position_history.c.kind == "TERMINATION")
    )
    assert len(kinds) == 3
    # One more missing (1 of 17) is within the threshold; re-sending changes nothing.
    within = await hris.employees(everyone[4:], mode="FULL")
    assert within["applied"]
    assert within["summary"]["terminated"] == 1
    before = await counts(org)
    assert statuses(await hris.employees(everyone[4:], mode="FULL")) == ["UNCHANGED"] * 16
    assert await counts(org) == before


async def _roles(org: Org) -> dict[str, Any]:
    levels = {
        rank: await org.run(
            framework.create,
            framework.LEVEL,
            framework.LevelInput(key=f"l{rank}", name=f"Level {rank}", rank=rank),
        )
        for rank in (1, 2)
    }
    family = await org.run(
        framework.create_job_family, framework.JobFamilyInput(key="eng", name="Engineering")
    )
    made = {}
    for key, rank in (("eng-1", 1), ("eng-2", 2), ("eng-2b", 2)):
        made[key] = await org.run(
            framework.create,
            framework.ROLE,
            framework.RoleInput(
                key=key, family_id=family.id, level_id=levels[rank].id, title=key.title()
            ),
        )
    return made


async def test_role_changes_write_history_and_events_like_any_other_change(
    hris: Hris, org: Org
) -> None:
    roles = await _roles(org)
    await hris.units([{"externalId": "U1", "name": "One"}, {"externalId": "U2", "name": "Two"}])
    await hris.employees([person("P1", roleKey="eng-1", orgUnitExternalId="U1"), person("P2")])
    promoted = await hris.employees([{"externalId": "P1", "roleKey": "eng-2"}])
    assert statuses(promoted) == ["UPDATED"]
    moved = await hris.employees([{"externalId": "P1", "roleKey": "eng-2b"}])
    transferred = await hris.employees([{"externalId": "P1", "orgUnitExternalId": "U2"}])
    demoted = await hris.employees([{"externalId": "P1", "roleKey": "eng-1"}])
    assert {statuses(x)[0] for x in (moved, transferred, demoted)} == {"UPDATED"}
    people = await by_external_id(org)
    history = await rows(
        org,
        select(position_history.c.kind, position_history.c.role_id, position_history.c.source_type)
        .where(position_history.c.employee_id == people["P1"].id)
        .order_by(position_history.c.created_at),
    )
    assert [h.kind for h in history] == [
        "HIRE",
        "PROMOTION",
        "LATERAL_MOVE",
        "TRANSFER",
        "DEMOTION",
    ]
    assert history[1].role_id == roles["eng-2"].id
    assert {h.source_type for h in history} == {"HrisSync"}
    events = await rows(
        org,
        select(webhook_events.c.type, webhook_events.c.data).order_by(webhook_events.c.occurred_at),
    )
    assert [(e.type, e.data["kind"]) for e in events] == [
        ("employee.role_changed", "PROMOTION"),
        ("employee.role_changed", "LATERAL_MOVE"),
        ("employee.role_changed", "DEMOTION"),
    ]
    assert events[0].data["previous_role_id"] == str(roles["eng-1"].id)
    assert events[0].data["employee_id"] == str(people["P1"].id)


async def test_terminated_managers_and_status_changes(hris: Hris, org: Org) -> None:
    await hris.employees([person("B1"), person("B2", managerExternalId="B1")])
    left = await hris.employees([{"externalId": "B1", "status": "TERMINATED"}])
    assert statuses(left) == ["TERMINATED"]
    for record, field in (
        (person("B3", managerExternalId="B1"), "managerExternalId"),
        ({"externalId": "B1", "status": "ACTIVE"}, "status"),
    ):
        refused = await hris.employees([record])
        errors = refused["results"][0]["errors"]
        assert [(e["field"][-1], e["code"]) for e in errors] == [(field, "INVALID_STATE")]
    assert (await by_external_id(org))["B1"].status == "TERMINATED"


async def test_statements_per_call_do_not_grow_with_the_batch(
    hris: Hris, org: Org, count_statements: Any
) -> None:
    roles = await _roles(org)
    assert roles
    await hris.units([{"externalId": "U1", "name": "One"}])

    async def measured(batch: list[dict[str, Any]]) -> int:
        with count_statements() as counter:
            result = await hris.employees(batch)
        assert result["applied"], result
        assert result["userErrors"] == [], result
        return counter.count

    def batch(prefix: str, n: int, **extra: Any) -> list[dict[str, Any]]:
        records = [
            person(f"{prefix}{i}", roleKey="eng-1", orgUnitExternalId="U1", **extra)
            for i in range(n)
        ]
        for i in range(1, n):  # each reports to the one before, listed after it
            records[i - 1]["managerExternalId"] = f"{prefix}{i}"
        return records

    small, large = batch("S", 5), batch("L", 200)
    assert await measured(small) == await measured(large)  # creates
    assert await measured(small) == await measured(large)  # unchanged
    retitled_small = [{"externalId": r["externalId"], "title": "New"} for r in small]
    retitled_large = [{"externalId": r["externalId"], "title": "New"} for r in large]
    assert await measured(retitled_small) == await measured(retitled_large)  # updates
