"""Every Query and Mutation field against every kind of caller (tests/authz_matrix.py)."""

from __future__ import annotations

import httpx
import pytest

from service.app import Runtime
from service.graphql.schema import schema
from tests.authz_matrix import Result, Row, World, collect
from tests.identity.conftest import build_world

ENTRIES = collect()


def schema_fields() -> set[str]:
    gql = schema._schema
    fields = {f"Query.{name}" for name in gql.query_type.fields}
    if gql.mutation_type is not None:
        fields |= {f"Mutation.{name}" for name in gql.mutation_type.fields}
    return fields


def test_every_field_has_an_entry_for_every_row() -> None:
    fields = schema_fields()
    missing = sorted(fields - ENTRIES.keys())
    assert not missing, (
        f"fields without an authorization matrix entry: {missing}; add them to the AUTHZ dict "
        "of your domain's tests/<domain>/authz.py (see tests/authz_matrix.py)"
    )
    unknown = sorted(ENTRIES.keys() - fields)
    assert not unknown, f"matrix entries for fields the schema does not have: {unknown}"
    for key, entry in ENTRIES.items():
        absent = [row.value for row in Row if row not in entry.expect]
        assert not absent, f"{key} has no outcome for {absent}"


# Queries first: a broken denial that writes to the shared world then fails its own case
# without disturbing the read cases.
CASES = [
    (key, row)
    for key in sorted(ENTRIES, key=lambda k: (k.startswith("Mutation."), k))
    for row in Row
]


@pytest.fixture(scope="module")
async def shared_world(runtime: Runtime, client: httpx.AsyncClient) -> World:
    """One world for every case that must not write; a case that writes anyway fails."""
    return await build_world(runtime, client)


@pytest.mark.parametrize(("key", "row"), CASES, ids=[f"{k}-{r.name}" for k, r in CASES])
async def test_authorization(
    shared_world: World, runtime: Runtime, client: httpx.AsyncClient, key: str, row: Row
) -> None:
    entry = ENTRIES[key]
    kind, field = key.split(".", 1)
    outcome = entry.expect[row]
    # Mutations that succeed change the world, so they get a fresh one.
    world = (
        await build_world(runtime, client)
        if kind == "Mutation" and outcome.writes
        else shared_world
    )
    op = await entry.build(world)
    audit_before = await world.audit_count()

    token = world.token(row)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await world.org.client.post(
        "/graphql", json={"query": op.query, "variables": op.variables}, headers=headers
    )
    assert response.status_code != 500, response.text
    result = Result(response=response, body=response.json(), field=field, world=world, row=row)

    outcome.check(result, entry.subject(world))
    if row is Row.OTHER_ORG:
        result.assert_hides(world.org_markers())
    if kind == "Mutation":
        writes = outcome.writes and row is not Row.OTHER_ORG
        audit_after = await world.audit_count()
        if writes:
            assert audit_after > audit_before, f"{key} as {row} wrote no audit event"
        else:
            assert audit_after == audit_before, f"{key} as {row} wrote to the organization"
