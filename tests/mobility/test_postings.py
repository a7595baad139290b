"""Postings: creating them with competency requirements, who may post where, the life cycle
and who sees which."""

from __future__ import annotations

from tests.conftest import gid
from tests.mobility.conftest import (
    ADMIN_SCOPES,
    CLOSE,
    MANAGER,
    OPEN,
    UPDATE,
    Mobility,
    codes,
    counts,
    create,
    data,
    days,
    gid_of,
    open_posting,
    open_role,
)

LIST = """
query($f: PostingFilter) {
  postings(filter: $f, first: 50) { totalCount nodes { id title kind status } }
}
"""


async def test_a_role_posting_takes_the_role_expectations_as_requirements(mob: Mobility) -> None:
    created = await create(mob, commitment=1.0, remote=True)
    assert created["userErrors"] == []
    posting = created["posting"]
    assert posting["status"] == "DRAFT"
    assert posting["role"]["key"] == "senior"
    assert posting["hiringManager"]["name"] == "Max Manager"
    assert posting["orgUnit"]["name"] == "Platform"
    # The senior role: coding 4 (weight 2), design, teamwork and delivery 3; all core.
    assert posting["requirements"] == [
        {"competency": {"key": "coding"}, "requiredLevel": 4, "mustHave": True, "weight": 2.0},
        *[
            {"competency": {"key": k}, "requiredLevel": 3, "mustHave": True, "weight": 1.0}
            for k in sorted(
                ["delivery", "design", "teamwork"], key=lambda k: str(mob.fw.competency[k])
            )
        ],
    ]


async def test_given_requirements_replace_the_defaults(mob: Mobility) -> None:
    created = await create(
        mob,
        kind="PROJECT",
        roleId=None,
        requirements=[
            {"competencyId": gid_of("Competency", mob.fw.competency["design"]), "requiredLevel": 2},
            {
                "competencyId": gid_of("Competency", mob.fw.competency["coding"]),
                "requiredLevel": 3,
                "mustHave": True,
                "weight": 3,
            },
        ],
        commitment=0.2,
        endDate=days(90),
        startDate=days(10),
    )
    assert created["userErrors"] == []
    p = created["posting"]
    assert p["kind"] == "PROJECT"
    assert p["role"] is None
    assert p["commitment"] == 0.2
    assert [
        (r["competency"]["key"], r["requiredLevel"], r["mustHave"]) for r in p["requirements"]
    ] == [
        ("coding", 3, True),
        ("design", 2, False),
    ]


async def test_bad_postings_are_refused_with_nothing_written(mob: Mobility) -> None:
    before = await counts(mob.org)
    coding = gid_of("Competency", mob.fw.competency["coding"])
    refused = await create(
        mob,
        roleId=None,
        title=" ",
        commitment=1.5,
        startDate=days(30),
        endDate=days(10),
        applicationDeadline=days(-1),
        requirements=[
            {"competencyId": coding, "requiredLevel": 6},
            {"competencyId": coding, "requiredLevel": 2},
            {"competencyId": gid_of("Competency", mob.fw.role["senior"]), "requiredLevel": 2},
            {
                "competencyId": gid_of("Competency", mob.fw.competency["design"]),
                "requiredLevel": 2,
                "weight": 0,
            },
        ],
    )
    assert refused["posting"] is None
    found = {(tuple(e["field"]), e["code"]) for e in refused["userErrors"]}
    assert found == {
        (("input", "title"), "REQUIRED"),
        (("input", "commitment"), "INVALID"),
        (("input", "endDate"), "INVALID"),
        (("input", "applicationDeadline"), "INVALID"),
        (("input", "roleId"), "REQUIRED"),  # a ROLE posting names its role
        (("input", "requirements", "0", "requiredLevel"), "INVALID"),  # off the 1-5 scale
        (("input", "requirements", "1", "competencyId"), "CONFLICT"),
        (("input", "requirements", "2", "competencyId"), "NOT_FOUND"),
        (("input", "requirements", "3", "weight"), "INVALID"),
    }
    assert await counts(mob.org) == before


async def test_managers_post_only_within_their_reach(mob: Mobility) -> None:
    before = await counts(mob.org)
    # Operations is not Max's unit, and Carol does not report to him.
    refused = await create(
        mob,
        orgUnitId=gid("OrgUnit", mob.ops),
        hiringManagerId=gid("Employee", mob.org.people["carol"]),
    )
    assert {(e["field"][-1], e["code"]) for e in refused["userErrors"]} == {
        ("orgUnitId", "NOT_FOUND"),
        ("hiringManagerId", "NOT_FOUND"),
    }
    assert await counts(mob.org) == before
    # Employees do not post at all; admins post anywhere.
    body = await mob.org.gql(
        "mutation($i: CreatePostingInput!) { createPosting(input: $i) { posting { id } } }",
        {"i": {"kind": "GIG", "title": "x", "orgUnitId": gid("OrgUnit", mob.ops)}},
        as_="alice",
    )
    assert codes(body) == ["FORBIDDEN"]
    admin = await create(
        mob,
        as_="admin",
        scopes=ADMIN_SCOPES,
        orgUnitId=gid("OrgUnit", mob.ops),
        hiringManagerId=gid("Employee", mob.org.people["manager2"]),
    )
    assert admin["userErrors"] == []
    assert admin["posting"]["hiringManager"]["name"] == "Mia Second"


async def test_life_cycle_and_visibility(mob: Mobility) -> None:
    draft = (await create(mob, title="Draft role"))["posting"]
    opened = await open_role(mob, title="Open role", applicationDeadline=days(5))
    assert opened["status"] == "OPEN"
    assert opened["openedAt"]
    # Non-owners list OPEN postings only; the owner and admins see the draft too.
    carol = data(await mob.org.gql(LIST, as_="carol"))["postings"]
    assert [n["title"] for n in carol["nodes"]] == ["Open role"]
    mine = data(await mob.org.gql(LIST, as_="manager", scopes=MANAGER))["postings"]
    assert {n["title"] for n in mine["nodes"]} == {"Open role", "Draft role"}
    node = "query($id: ID!) { node(id: $id) { ... on Posting { title } } }"
    assert data(await mob.org.gql(node, {"id": draft["id"]}, as_="carol"))["node"] is None
    assert data(await mob.org.gql(node, {"id": draft["id"]}, as_="admin", scopes=ADMIN_SCOPES))[
        "node"
    ] == {"title": "Draft role"}
    # Filters.
    found = data(
        await mob.org.gql(LIST, {"f": {"search": "open"}}, as_="admin", scopes=ADMIN_SCOPES)
    )
    assert [n["title"] for n in found["postings"]["nodes"]] == ["Open role"]
    found = data(await mob.org.gql(LIST, {"f": {"kind": ["GIG"]}}, as_="carol"))
    assert found["postings"]["totalCount"] == 0
    # Opening twice and editing a closed posting are refused.
    again = data(
        await mob.org.gql(OPEN, {"i": {"id": opened["id"]}}, as_="manager", scopes=MANAGER)
    )
    assert [e["code"] for e in again["openPosting"]["userErrors"]] == ["INVALID_STATE"]
    closed = data(
        await mob.org.gql(
            CLOSE,
            {"i": {"id": opened["id"], "version": opened["version"]}},
            as_="manager",
            scopes=MANAGER,
        )
    )["closePosting"]["posting"]
    assert closed["status"] == "CLOSED"
    assert closed["version"] == opened["version"] + 1
    edit = data(
        await mob.org.gql(
            UPDATE, {"i": {"id": opened["id"], "title": "x"}}, as_="manager", scopes=MANAGER
        )
    )["updatePosting"]
    assert [e["code"] for e in edit["userErrors"]] == ["INVALID_STATE"]


async def test_updates_are_versioned(mob: Mobility) -> None:
    draft = (await create(mob))["posting"]
    changed = data(
        await mob.org.gql(
            UPDATE,
            {
                "i": {
                    "id": draft["id"],
                    "version": draft["version"],
                    "title": "Staff-ish",
                    "requirements": [
                        {
                            "competencyId": gid_of("Competency", mob.fw.competency["teamwork"]),
                            "requiredLevel": 5,
                        }
                    ],
                }
            },
            as_="manager",
            scopes=MANAGER,
        )
    )["updatePosting"]
    assert changed["userErrors"] == []
    assert changed["posting"]["version"] == draft["version"] + 1
    assert changed["posting"]["title"] == "Staff-ish"
    assert [r["requiredLevel"] for r in changed["posting"]["requirements"]] == [5]
    stale = data(
        await mob.org.gql(
            UPDATE,
            {"i": {"id": draft["id"], "version": draft["version"], "title": "x"}},
            as_="manager",
            scopes=MANAGER,
        )
    )["updatePosting"]
    assert [e["code"] for e in stale["userErrors"]] == ["STALE_VERSION"]
    # Another manager sees the draft not at all.
    other = data(
        await mob.org.gql(
            UPDATE, {"i": {"id": draft["id"], "title": "x"}}, as_="manager2", scopes=MANAGER
        )
    )["updatePosting"]
    assert [e["code"] for e in other["userErrors"]] == ["NOT_FOUND"]


async def test_the_postings_list_costs_the_same_statements_for_any_page(
    mob: Mobility, count_statements: object
) -> None:
    for i in range(6):
        await open_role(mob, title=f"Role {i}")
    query = (
        "query($n: Int) { postings(first: $n) { nodes { id title role { title } orgUnit { name } "
        "hiringManager { name } requirements { competency { name } requiredLevel } } } }"
    )
    seen = []
    for n in (1, 6):
        with count_statements() as counter:  # type: ignore[operator]
            body = await mob.org.gql(query, {"n": n}, as_="carol")
        assert len(data(body)["postings"]["nodes"]) == n
        seen.append(counter.count)
    assert seen[0] == seen[1], seen


async def test_open_posting_is_refused_for_someone_else_posting(mob: Mobility) -> None:
    draft = (await create(mob))["posting"]
    await open_posting(mob, draft["id"])
    body = await mob.org.gql(CLOSE, {"i": {"id": draft["id"]}}, as_="manager2", scopes=MANAGER)
    assert codes(body) == ["FORBIDDEN"]
