"""The learning catalogue: imports by external ID (idempotent, all or nothing, problems
per record), the catalogue filtered by competency and level, and completions reported by
a learning platform."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from service.development import service as development
from service.people.models import employees
from tests.conftest import Org
from tests.development.conftest import (
    ADD_ACTION,
    ADD_GOAL,
    COMPLETE_ACTION,
    IMPORT_RESOURCES,
    Framework,
    call,
    competency_gid,
    counts,
    error_codes,
    new_plan,
)

ADMIN = "career:employee career:admin"
CATALOGUE = """query($f: LearningResourceFilter) { learningResources(filter: $f, first: 50) {
  totalCount nodes { title externalId kind competencies { competency { key } minLevel maxLevel } } } }"""


def _res(ext: str, title: str, *links: tuple[str, int, int], **extra: Any) -> dict[str, Any]:
    return {
        "externalId": ext,
        "title": title,
        "kind": "COURSE",
        "competencies": [{"key": k, "minLevel": lo, "maxLevel": hi} for k, lo, hi in links],
        **extra,
    }


async def _import(org: Org, resources: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("as_", "admin")
    kwargs.setdefault("scopes", ADMIN)
    return await call(
        org, IMPORT_RESOURCES, "importLearningResources", {"i": {"resources": resources}}, **kwargs
    )


async def test_import_is_idempotent_by_external_id(team: Org, fw: Framework) -> None:
    batch = [
        _res("a", "Clean Code Workshop", ("coding", 2, 4)),
        _res("b", "Design Critique", ("design", 1, 3), ("teamwork", 2, 3)),
    ]
    first = await _import(team, batch)
    assert [(r["externalId"], r["status"]) for r in first["results"]] == [
        ("a", "CREATED"),
        ("b", "CREATED"),
    ]
    again = await _import(team, batch)
    assert [r["status"] for r in again["results"]] == ["UNCHANGED", "UNCHANGED"]
    assert again["results"][0]["resource"]["id"] == first["results"][0]["resource"]["id"]
    changed = await _import(
        team,
        [
            _res("a", "Clean Code Workshop II", ("coding", 2, 4)),
            _res("b", "Design Critique", ("design", 1, 3)),
        ],
    )
    assert [r["status"] for r in changed["results"]] == ["UPDATED", "UPDATED"]
    assert changed["results"][0]["resource"]["version"] == 2

    body = await team.gql(
        CATALOGUE,
        {"f": {"competencyId": competency_gid(fw.competency["design"]), "level": 2}},
        as_="bob",
    )
    nodes = body["data"]["learningResources"]["nodes"]
    assert [n["title"] for n in nodes] == ["Design Critique"]
    assert nodes[0]["competencies"] == [
        {"competency": {"key": "design"}, "minLevel": 1, "maxLevel": 3}
    ]
    body = await team.gql(
        CATALOGUE,
        {"f": {"competencyId": competency_gid(fw.competency["coding"]), "level": 5}},
        as_="bob",
    )
    assert body["data"]["learningResources"]["totalCount"] == 0

    # The HRIS integration syncs too; archiving hides a resource from the catalogue.
    hris = await _import(
        team,
        [_res("a", "Clean Code Workshop II", ("coding", 2, 4), archived=True)],
        scopes="career:hris",
    )
    assert hris["results"][0]["resource"]["archived"] is True
    body = await team.gql(CATALOGUE, {}, as_="bob")
    assert [n["externalId"] for n in body["data"]["learningResources"]["nodes"]] == ["b"]


async def test_a_bad_record_refuses_the_import_with_its_path(team: Org, fw: Framework) -> None:
    await _import(team, [_res("a", "Clean Code Workshop", ("coding", 2, 4))])
    before = await counts(team)
    refused = await _import(
        team,
        [
            _res("new", "Fine"),
            _res("a", "Changed", ("coding", 4, 2)),
            _res("x", "", ("nope", 1, 2)),
            _res("new", "Twice", ("design", 0, 6)),
        ],
    )
    assert refused["results"] == []
    assert error_codes(refused) == [
        ("input.resources.1.competencies.0.maxLevel", "INVALID"),
        ("input.resources.2.title", "REQUIRED"),
        ("input.resources.2.competencies.0.key", "NOT_FOUND"),
        ("input.resources.3.externalId", "TAKEN"),
        ("input.resources.3.competencies.0.minLevel", "INVALID"),
        ("input.resources.3.competencies.0.maxLevel", "INVALID"),
    ]
    too_many = await _import(team, [_res(f"r{i}", "R") for i in range(development.MAX_IMPORT + 1)])
    assert error_codes(too_many) == [("input.resources", "LIMIT_EXCEEDED")]
    assert await counts(team) == before


async def test_a_learning_platform_reports_completions_by_external_id(
    team: Org, fw: Framework
) -> None:
    imported = await _import(team, [_res("lms-1", "Clean Code Workshop", ("coding", 2, 4))])
    resource = imported["results"][0]["resource"]["id"]
    async with team.runtime.db.transaction(team.id) as conn:
        await conn.execute(
            update(employees)
            .where(employees.c.id == team.people["alice"].id)
            .values(external_id="E-1")
        )
    plan = await new_plan(team)
    goal = await call(
        team, ADD_GOAL, "addDevelopmentGoal", {"i": {"planId": plan["id"], "title": "Cleaner code"}}
    )
    gid_ = goal["goal"]["id"]
    action = await call(
        team,
        ADD_ACTION,
        "addDevelopmentAction",
        {"i": {"goalId": gid_, "kind": "COURSE", "resourceId": resource}},
    )
    assert action["action"]["title"] == "Clean Code Workshop"  # from the resource
    await call(
        team,
        ADD_ACTION,
        "addDevelopmentAction",
        {"i": {"goalId": gid_, "kind": "READING", "title": "A book"}},
    )

    variables = {"i": {"employeeExternalId": "E-1", "resourceExternalId": "lms-1"}}
    done = await call(
        team,
        COMPLETE_ACTION,
        "completeLearningAction",
        variables,
        as_="admin",
        scopes="career:hris",
    )
    assert done == {"completedCount": 1, "userErrors": []}
    again = await call(
        team,
        COMPLETE_ACTION,
        "completeLearningAction",
        variables,
        as_="admin",
        scopes="career:hris",
    )
    assert again["completedCount"] == 0
    body = await team.gql(
        "query($id: ID!) { node(id: $id) { ... on DevelopmentGoal { progress actions { status } } } }",
        {"id": gid_},
        as_="alice",
    )
    assert body["data"]["node"] == {
        "progress": 50,
        "actions": [{"status": "DONE"}, {"status": "PLANNED"}],
    }
    unknown = await call(
        team,
        COMPLETE_ACTION,
        "completeLearningAction",
        {"i": {"employeeExternalId": "E-404", "resourceExternalId": "nope"}},
        as_="admin",
        scopes="career:hris",
    )
    assert error_codes(unknown) == [
        ("input.employeeExternalId", "NOT_FOUND"),
        ("input.resourceExternalId", "NOT_FOUND"),
    ]
