"""Framework reads answered from cached results, never stale: the organization's framework
revision rises in the same transaction as every framework write (mutations, imports, and
any other statement on a framework table), and the next read anywhere misses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from service.framework import transfer
from tests.conftest import Org
from tests.framework.conftest import ADMIN, DEMO, EMPLOYEE, data, role_id

ROLES = """
query Page($first: Int!) { roles(first: $first) { nodes {
    key title level { name } expectations { requiredLevel }
} } }
"""
WITH_PAY = """
query Page($first: Int!) { roles(first: $first) { nodes { key payBand { min currency } } } }
"""
UPDATE = """
mutation($i: UpdateRoleInput!) { updateRole(input: $i) { role { title } userErrors { code } } }
"""


async def page(
    org: Org, count_statements: Any, who: dict[str, str] = EMPLOYEE, query: str = ROLES
) -> Any:
    """The first ten roles by title, and the statements the request ran."""
    with count_statements() as counter:
        body = await org.gql(query, {"first": 10}, **who)
    return {r["key"]: r for r in data(body)["roles"]["nodes"]}, counter.count


async def revision(org: Org) -> int:
    async with org.runtime.db.transaction(org.id) as conn:
        found = await conn.execute(
            text("select framework_revision from organizations where id = :o"), {"o": org.id}
        )
        return int(found.scalar_one())


async def test_a_repeated_read_runs_no_framework_statement(
    team: Org, count_statements: Any
) -> None:
    await team.run(transfer.import_framework, DEMO)
    first, cold = await page(team, count_statements)
    again, warm = await page(team, count_statements)
    assert again == first
    # The tenant with the caller: the roles, levels and expectations are not read.
    assert warm == 1, warm
    assert cold > warm


async def test_a_mutation_is_seen_by_the_next_read(team: Org, count_statements: Any) -> None:
    await team.run(transfer.import_framework, DEMO)
    before = await revision(team)
    roles, _ = await page(team, count_statements)
    key = sorted(roles)[0]
    body = await team.gql(
        UPDATE, {"i": {"id": await role_id(team, key), "title": "Renamed"}}, **ADMIN
    )
    assert data(body)["updateRole"]["userErrors"] == []
    assert await revision(team) == before + 1  # once per transaction
    roles, cold = await page(team, count_statements)
    assert roles[key]["title"] == "Renamed"
    assert cold > 1


async def test_a_refused_mutation_leaves_the_revision(team: Org, count_statements: Any) -> None:
    await team.run(transfer.import_framework, DEMO)
    roles, _ = await page(team, count_statements)
    before = await revision(team)
    body = await team.gql(
        UPDATE, {"i": {"id": await role_id(team, sorted(roles)[0]), "title": ""}}, **ADMIN
    )
    assert data(body)["updateRole"]["userErrors"]
    assert await revision(team) == before


async def test_imports_and_any_other_write_raise_the_revision(
    team: Org, count_statements: Any
) -> None:
    await team.run(transfer.import_framework, DEMO)
    roles, _ = await page(team, count_statements)
    key = sorted(roles)[0]
    # A write outside the framework's service functions: the tables' trigger raises it.
    before = await revision(team)
    async with team.runtime.db.transaction(team.id) as conn:
        await conn.execute(text("update roles set title = 'By hand' where key = :k"), {"k": key})
        await conn.execute(text("update roles set title = 'By hand!' where key = :k"), {"k": key})
    assert await revision(team) == before + 1
    roles, _ = await page(team, count_statements)
    assert roles[key]["title"] == "By hand!"
    # An import that changes the title back.
    await team.run(transfer.import_framework, DEMO)
    roles, _ = await page(team, count_statements)
    assert roles[key]["title"] != "By hand!"


async def test_what_a_caller_may_see_is_part_of_the_key(team: Org, count_statements: Any) -> None:
    await team.run(transfer.import_framework, DEMO)
    as_admin, _ = await page(team, count_statements, ADMIN, WITH_PAY)
    assert any(r["payBand"] is not None for r in as_admin.values())
    as_admin_again, warm = await page(team, count_statements, ADMIN, WITH_PAY)
    assert as_admin_again == as_admin
    assert warm == 1
    # An employee asking the same never gets the admin's result: pay bands are refused.
    body = await team.gql(WITH_PAY, {"first": 10}, **EMPLOYEE)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    assert all(r["payBand"] is None for r in body["data"]["roles"]["nodes"])
    # A caller who may not read the framework gets the refusal, not a kept result.
    await page(team, count_statements)
    body = await team.gql(ROLES, {"first": 10}, as_="alice", scopes="career:webhooks")
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


async def test_organizations_never_share_results(
    team: Org, org_factory: Any, count_statements: Any
) -> None:
    await team.run(transfer.import_framework, DEMO)
    other = await org_factory()
    await other.employee("alice")
    theirs, _ = await page(team, count_statements)
    assert theirs
    ours, _ = await page(other, count_statements)
    assert ours == {}


async def test_lookups_are_counted(team: Org, count_statements: Any) -> None:
    from prometheus_client import REGISTRY

    def counted(result: str) -> float:
        labels = {"cache": "framework_reads", "result": result}
        return REGISTRY.get_sample_value("careerpath_cache_lookups_total", labels) or 0.0

    await team.run(transfer.import_framework, DEMO)
    hits, misses = counted("hit"), counted("miss")
    await page(team, count_statements)
    await page(team, count_statements)
    assert (counted("hit") - hits, counted("miss") - misses) == (1, 1)


def test_only_fields_of_framework_types_are_answered_from_the_cache() -> None:
    """Cached framework reads are keyed by the framework's revision alone: a document
    selecting a field of any other domain's type is never answered from the cache."""
    from service.graphql.schema import framework_type

    assert framework_type("Role")
    assert framework_type("Competency")
    assert framework_type("RoleConnection")
    assert not framework_type("Employee")
    assert not framework_type("GapAnalysis")
