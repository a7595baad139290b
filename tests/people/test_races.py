"""Concurrent employee updates: with a version exactly one writer wins; without one every
writer's change lands, and position history and audit tell one consistent story."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from service.config import Settings
from service.people import service as people
from service.people.models import position_history
from tests.conftest import Org, gid
from tests.race import WRITERS, audit_changes, one_chain, only_winner, race, wide_client

UPDATE = """
mutation($input: UpdateEmployeeInput!) {
  updateEmployee(input: $input) { employee { title version } userErrors { field code } }
}
"""
TERMINATE = """
mutation($input: TerminateEmployeeInput!) {
  terminateEmployee(input: $input) { employee { status } userErrors { field code } }
}
"""
ADMIN = "career:admin"


async def _units(org: Org, n: int) -> list[Any]:
    return [
        await org.run(people.create_org_unit, people.OrgUnitInput(name=f"Unit {i}"))
        for i in range(n)
    ]


async def _history(org: Org, employee_id: Any) -> list[Any]:
    async with org.runtime.db.transaction(org.id) as conn:
        rows = await conn.execute(
            select(position_history).where(position_history.c.employee_id == employee_id)
        )
        return list(rows)


async def test_same_version_one_writer_wins(team: Org, settings: Settings) -> None:
    alice = team.people["alice"]
    units = await _units(team, WRITERS)
    variables = [
        {
            "input": {
                "id": gid("Employee", alice),
                "version": 1,
                "title": f"Title {i}",
                "orgUnitId": gid("OrgUnit", units[i]),
            }
        }
        for i in range(WRITERS)
    ]
    async with wide_client(settings) as client:
        results = await race(client, team.token("admin", ADMIN), UPDATE, variables)
    payloads = [r["updateEmployee"] for r in results]
    won = only_winner(payloads)
    assert payloads[won]["employee"] == {"title": f"Title {won}", "version": 2}

    now = await team.run(lambda db, _p: people.get_employee(db, alice.id))
    assert (now.title, now.org_unit_id, now.version) == (f"Title {won}", units[won].id, 2)
    history = await _history(team, alice.id)
    assert sorted(h.kind for h in history) == ["HIRE", "TRANSFER"]
    transfer = next(h for h in history if h.kind == "TRANSFER")
    assert (transfer.previous_org_unit_id, transfer.org_unit_id) == (None, units[won].id)
    assert await audit_changes(team, "employee.update") == [
        {
            "title": {"from": None, "to": f"Title {won}"},
            "org_unit_id": {"from": None, "to": str(units[won].id)},
        }
    ]


async def test_without_version_every_change_lands_in_one_story(
    team: Org, settings: Settings
) -> None:
    bob = team.people["bob"]
    units = await _units(team, WRITERS)
    variables = [
        {"input": {"id": gid("Employee", bob), "orgUnitId": gid("OrgUnit", u)}} for u in units
    ]
    async with wide_client(settings) as client:
        results = await race(client, team.token("admin", ADMIN), UPDATE, variables)
    assert all(r["updateEmployee"]["userErrors"] == [] for r in results), results
    assert sorted(r["updateEmployee"]["employee"]["version"] for r in results) == list(
        range(2, WRITERS + 2)
    )

    now = await team.run(lambda db, _p: people.get_employee(db, bob.id))
    assert now.version == WRITERS + 1
    # Each transfer starts from the unit the previous one moved him to.
    transfers = [h for h in await _history(team, bob.id) if h.kind == "TRANSFER"]
    path = one_chain([(h.previous_org_unit_id, h.org_unit_id) for h in transfers], None)
    assert path[-1] == now.org_unit_id
    assert sorted(map(str, path[1:])) == sorted(str(u.id) for u in units)
    audited = await audit_changes(team, "employee.update")
    assert len(audited) == WRITERS
    audit_path = one_chain(
        [(c["org_unit_id"]["from"], c["org_unit_id"]["to"]) for c in audited], None
    )
    assert audit_path[-1] == str(now.org_unit_id)


async def test_concurrent_terminations_one_wins(team: Org, settings: Settings) -> None:
    carol = team.people["carol"]
    variables = [
        {"input": {"id": gid("Employee", carol), "terminationDate": "2030-01-31"}}
        for _ in range(WRITERS)
    ]
    async with wide_client(settings) as client:
        results = await race(client, team.token("admin", ADMIN), TERMINATE, variables)
    only_winner([r["terminateEmployee"] for r in results], loser_code="INVALID_STATE")
    history = await _history(team, carol.id)
    assert sorted(h.kind for h in history) == ["HIRE", "TERMINATION"]
    assert len(await audit_changes(team, "employee.terminate")) == 1
