"""Tenant isolation: another organization's token gets nothing, and Row Level Security
holds even where the service layer forgets (or is made to forget) its filters."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from service.app import Runtime
from service.auth import policies
from service.graphql import context as graphql_context
from service.graphql.node import _node_types
from service.graphql.schema import schema
from tests.auth.helpers import add_service_account, client_token
from tests.authz_matrix import World, collect_nodes

NODES = collect_nodes()
EVERY_SCOPE = "career:employee career:manager career:admin career:hris career:webhooks"


async def tenant_tables(runtime: Runtime) -> list[str]:
    """Every table of the schema with an ``org_id`` column."""
    async with runtime.db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "select table_name from information_schema.columns "
                "where table_schema = 'public' and column_name = 'org_id' order by table_name"
            )
        )
        return [r.table_name for r in rows]


async def test_every_tenant_table_is_under_forced_row_level_security(runtime: Runtime) -> None:
    tables = await tenant_tables(runtime)
    assert {"employees", "org_units", "audit_events", "service_accounts"} <= set(tables)
    async with runtime.db.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "select c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                    "  (select count(*) from pg_policies p where p.tablename = c.relname "
                    "   and p.policyname = 'tenant_isolation') as policies "
                    "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                    "where n.nspname = 'public' and c.relname = any(:tables)"
                ),
                {"tables": tables},
            )
        ).all()
        role = (
            await conn.execute(
                text("select rolsuper, rolbypassrls from pg_roles where rolname = current_user")
            )
        ).one()
    unprotected = [r.relname for r in rows if not (r.relrowsecurity and r.relforcerowsecurity)]
    assert unprotected == [], f"tenant tables without forced RLS: {unprotected}"
    assert [r.relname for r in rows if r.policies != 1] == []
    # The app's role is subject to RLS at all: no superuser, no BYPASSRLS.
    assert (role.rolsuper, role.rolbypassrls) == (False, False)


async def test_tenant_policies_read_the_organization_once_per_statement(runtime: Runtime) -> None:
    """The policy's tenant is a sub-select (one InitPlan per statement, usable in index
    conditions), so a scan does not call ``current_setting`` for every row."""
    async with runtime.db.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "select tablename, qual, with_check from pg_policies "
                    "where policyname = 'tenant_isolation' order by tablename"
                )
            )
        ).all()
        await conn.execute(text("select set_config('app.org_id', gen_random_uuid()::text, true)"))
        plan = (
            await conn.execute(text("explain (format json) select id from employees"))
        ).scalar_one()
    assert rows
    per_row = [r.tablename for r in rows if "SELECT" not in r.qual or "SELECT" not in r.with_check]
    assert per_row == [], f"policies evaluated per row: {per_row}"
    assert "InitPlan" in str(plan)


async def test_unfiltered_queries_see_only_the_current_tenant(world: World) -> None:
    runtime = world.org.runtime
    tables = await tenant_tables(runtime)
    async with runtime.db.engine.connect() as conn, conn.begin():
        # No organization set: not a single row of any tenant table.
        for table in tables:
            count = (await conn.execute(text(f"select count(*) from {table}"))).scalar()
            assert count == 0, table

        await conn.execute(
            text("select set_config('app.org_id', :o, true)"), {"o": str(world.org.id)}
        )
        # A query without any org filter, through the app role: only this tenant's rows.
        ids = {r.id for r in await conn.execute(text("select id from employees"))}
        assert ids == {p.id for p in world.org.people.values()}
        for table in tables:
            foreign = (
                await conn.execute(
                    text(f"select count(*) from {table} where org_id <> :o"),
                    {"o": str(world.org.id)},
                )
            ).scalar()
            assert foreign == 0, table
        other_admin = world.other.people["admin"].id
        assert (
            await conn.execute(
                text("select count(*) from employees where id = :id"), {"id": other_admin}
            )
        ).scalar() == 0


async def test_rows_cannot_be_written_into_another_tenant(world: World) -> None:
    runtime = world.org.runtime
    async with runtime.db.engine.connect() as conn:
        async with conn.begin():
            await conn.execute(
                text("select set_config('app.org_id', :o, true)"), {"o": str(world.org.id)}
            )
            # Updating the other tenant's row silently touches nothing: it is not visible.
            result = await conn.execute(
                text("update employees set name = 'Hijacked' where id = :id"),
                {"id": world.other.people["admin"].id},
            )
            assert result.rowcount == 0
        async with conn.begin() as tx:
            await conn.execute(
                text("select set_config('app.org_id', :o, true)"), {"o": str(world.org.id)}
            )
            # Inserting a row for another tenant is refused by the policy's WITH CHECK.
            with pytest.raises(DBAPIError, match="row-level security"):
                await conn.execute(
                    text("insert into org_units (org_id, name) values (:other, 'Planted')"),
                    {"other": world.other.id},
                )
            await tx.rollback()


async def test_rls_holds_when_the_service_layer_filter_is_removed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Remove the service layer's visibility rules: every caller "sees everyone".
    async def everyone(conn: Any, principal: Any) -> policies.Reach:
        return policies.Reach(everyone=True, private=frozenset(), profile=frozenset(), admin=True)

    monkeypatch.setattr(graphql_context, "compute_reach", everyone)

    token = world.other.token("admin", "career:employee")
    body = await world.other.gql(
        "query($id: ID!) { employees(first: 100) { totalCount nodes { email } } "
        "node(id: $id) { id } employee(id: $id) { id } }",
        {"id": world.gid("Employee", world.subject)},
        token=token,
    )
    assert body["data"] == {
        "employees": {"totalCount": 1, "nodes": [{"email": world.other.people["admin"].email}]},
        "node": None,
        "employee": None,
    }
    # The same removal inside organization A shows all of A: the filter really was gone.
    body = await world.org.gql(
        "{ employees(first: 100) { totalCount } }", token=world.org.token("alice")
    )
    assert body["data"]["employees"]["totalCount"] == len(world.org.people)


def test_every_node_type_has_a_sample() -> None:
    types = set(_node_types(schema)) - {"Node"}  # the interface itself
    missing = sorted(types - NODES.keys())
    assert not missing, (
        f"Node types without a NODES sample: {missing}; add one to your domain's "
        "tests/<domain>/authz.py (see tests/authz_matrix.py)"
    )


@pytest.mark.parametrize("type_name", sorted(NODES))
async def test_node_of_another_org_is_null(world: World, type_name: str) -> None:
    sample = NODES[type_name](world)
    node_id = await sample if inspect.isawaitable(sample) else sample
    query = "query($id: ID!) { node(id: $id) { id } nodes(ids: [$id]) { id } }"

    own = await world.org.gql(query, {"id": node_id}, token=world.org.token("admin", EVERY_SCOPE))
    assert own["data"] == {"node": {"id": node_id}, "nodes": [{"id": node_id}]}, own

    await add_service_account(world.other, "other-sync", "career:hris career:webhooks career:admin")
    for token in (
        world.other.token("admin", EVERY_SCOPE),
        client_token(world.other, "other-sync", "career:hris career:webhooks career:admin"),
    ):
        body = await world.other.gql(query, {"id": node_id}, token=token)
        assert body == {"data": {"node": None, "nodes": [None]}}
