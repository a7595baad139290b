"""Career aspirations: recorded by the employee, visible to them, their manager chain and
admins, and to hiring managers only when the employee is discoverable."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from service.framework.models import job_families
from tests.conftest import gid
from tests.mobility.conftest import (
    ADMIN_SCOPES,
    ASPIRATION,
    MANAGER,
    Mobility,
    apply,
    codes,
    counts,
    create,
    data,
    gid_of,
    open_posting,
)

READ = """
query($id: ID!) { node(id: $id) { ... on Employee {
  careerAspiration { targetRoles { key } openTo discoverable timeHorizon note } } } }
"""


async def _set(m: Mobility, who: str, **values: Any) -> dict[str, Any]:
    body = await m.org.gql(ASPIRATION, {"i": values}, as_=who)
    return data(body)["setCareerAspiration"]  # type: ignore[no-any-return]


async def test_an_employee_records_and_changes_their_aspiration(mob: Mobility) -> None:
    first = await _set(
        mob,
        "alice",
        targetRoleIds=[gid_of("Role", mob.fw.role["senior"])],
        familyIds=[gid_of("JobFamily", await _family(mob))],
        openTo=["ROLES", "ROTATIONS", "ROLES"],
        openToRelocation=True,
        timeHorizon="WITHIN_A_YEAR",
        note="Platform work, eventually staff.",
    )
    assert first["userErrors"] == []
    a = first["careerAspiration"]
    assert a["targetRoles"] == [{"key": "senior"}]
    assert a["openTo"] == ["ROLES", "ROTATIONS"]
    assert (a["openToRelocation"], a["discoverable"], a["version"]) == (True, False, 1)
    # Omitted fields stay; a stale version is refused with nothing written.
    second = await _set(mob, "alice", version=1, discoverable=True)
    assert second["careerAspiration"]["note"] == "Platform work, eventually staff."
    assert second["careerAspiration"]["version"] == 2
    before = await counts(mob.org)
    stale = await _set(mob, "alice", version=1, note="x")
    assert [e["code"] for e in stale["userErrors"]] == ["STALE_VERSION"]
    bad = await _set(
        mob,
        "alice",
        targetRoleIds=[gid_of("Role", mob.fw.competency["coding"])],
        note="x" * 2001,
    )
    assert {(tuple(e["field"]), e["code"]) for e in bad["userErrors"]} == {
        (("input", "targetRoleIds", "0"), "NOT_FOUND"),
        (("input", "note"), "TOO_LONG"),
    }
    assert await counts(mob.org) == before


async def _family(m: Mobility, key: str = "eng") -> Any:
    async with m.org.runtime.db.transaction(m.org.id) as conn:
        return (
            await conn.execute(select(job_families.c.id).where(job_families.c.key == key))
        ).scalar_one()


async def test_who_sees_an_aspiration(mob: Mobility) -> None:
    await _set(mob, "alice", openTo=["ROLES"], note="Staff someday.")
    alice = {"id": gid("Employee", mob.org.people["alice"])}

    async def read(who: str, scopes: str = "career:employee") -> dict[str, Any]:
        return await mob.org.gql(READ, alice, as_=who, scopes=scopes)

    for who, scopes in (
        ("alice", "career:employee"),
        ("manager", MANAGER),
        ("boss", MANAGER),
        ("admin", ADMIN_SCOPES),
    ):
        body = await read(who, scopes)
        assert data(body)["node"]["careerAspiration"]["note"] == "Staff someday.", who
    # Mia manages another team; she sees Alice's name through the directory at most.
    body = await read("manager2", MANAGER)
    assert "Staff someday." not in str(body)
    # A colleague without a posting never sees it.
    body = await read("bob")
    assert "Staff someday." not in str(body)
    assert codes(body) in ([], ["FORBIDDEN"])


async def test_hiring_managers_find_discoverable_people_among_candidates(mob: Mobility) -> None:
    await _set(mob, "carol", discoverable=False, openTo=["GIGS"], note="Happy to help.")
    await _set(mob, "bob", discoverable=True, openTo=["ROLES"])
    gig = (await create(mob, kind="GIG", roleId=None, title="Alerting clean-up"))["posting"]
    await open_posting(mob, gig["id"])
    query = (
        "query($id: ID!) { node(id: $id) { ... on Posting { candidates { nodes { "
        "employee { name careerAspiration { note } } application { id } score } } } } }"
    )

    async def candidates() -> list[Any]:
        body = await mob.org.gql(query, {"id": gig["id"]}, as_="manager", scopes=MANAGER)
        return data(body)["node"]["candidates"]["nodes"]  # type: ignore[no-any-return]

    # Nobody yet: Carol is not discoverable, Bob is open to roles only.
    assert await candidates() == []
    # Carol applies: she is a candidate, her aspiration hidden from Max (not discoverable).
    applied = await apply(mob, gig["id"], "carol")
    nodes = await candidates()
    assert [(n["employee"]["name"], n["employee"]["careerAspiration"]) for n in nodes] == [
        ("Carol Chen", None)
    ]
    assert nodes[0]["application"] == {"id": applied["application"]["id"]}
    # Discoverable, her aspiration shows to Max as a hiring manager.
    await _set(mob, "carol", discoverable=True)
    nodes = await candidates()
    assert nodes[0]["employee"]["careerAspiration"] == {"note": "Happy to help."}
