"""Every Query and Mutation field against every kind of caller (tests/authz_matrix.py)."""

from __future__ import annotations

import httpx
import pytest
from graphql import GraphQLObjectType, get_named_type

from service.app import Runtime
from service.graphql.schema import schema
from service.people import service as people
from tests.auth.helpers import build_world
from tests.authz_matrix import (
    Entry,
    Op,
    Outcome,
    Result,
    Row,
    World,
    assert_entries_match,
    collect,
    collect_relations,
)

ENTRIES = collect()
RELATIONS = collect_relations()


def schema_fields() -> set[str]:
    gql = schema._schema
    fields = {f"Query.{name}" for name in gql.query_type.fields}
    if gql.mutation_type is not None:
        fields |= {f"Mutation.{name}" for name in gql.mutation_type.fields}
    return fields


def test_every_field_has_an_entry_for_every_row() -> None:
    assert_entries_match(schema_fields(), ENTRIES, "AUTHZ")


# Queries first: a broken denial that writes to the shared world then fails its own case
# without disturbing the read cases. Queries run with A's directory open and closed;
# mutations (authorized by scope and reach alone) with it open.
OPEN, CLOSED = "directory open", "directory closed"
CASES = [
    (key, row, directory)
    for key in sorted(ENTRIES, key=lambda k: (k.startswith("Mutation."), k))
    for directory in ((OPEN,) if key.startswith("Mutation.") else (OPEN, CLOSED))
    for row in Row
]


@pytest.fixture(scope="module")
async def shared_world(runtime: Runtime, client: httpx.AsyncClient) -> World:
    """One world for every case that must not write; a case that writes anyway fails."""
    return await build_world(runtime, client)


@pytest.fixture(scope="module")
async def closed_world(runtime: Runtime, client: httpx.AsyncClient) -> World:
    """The same with A's directory closed."""
    world = await build_world(runtime, client)
    await world.org.run(people.update_people_settings, directory_visible=False)
    return world


@pytest.mark.parametrize(
    ("key", "row", "directory"), CASES, ids=[f"{k}-{r.name}-{d}" for k, r, d in CASES]
)
async def test_authorization(
    shared_world: World,
    closed_world: World,
    runtime: Runtime,
    client: httpx.AsyncClient,
    key: str,
    row: Row,
    directory: str,
) -> None:
    entry = ENTRIES[key]
    kind, field = key.split(".", 1)
    outcome = entry.outcomes(directory == OPEN)[row]
    # Mutations that succeed change the world, so they get a fresh one.
    world = (
        await build_world(runtime, client)
        if kind == "Mutation" and outcome.writes
        else shared_world
        if directory == OPEN
        else closed_world
    )
    op = await entry.build(world)
    audit_before = await world.audit_count()
    await send(world, entry, outcome, row, field, op)
    if kind == "Mutation":
        writes = outcome.writes and row is not Row.OTHER_ORG
        audit_after = await world.audit_count()
        if writes:
            assert audit_after > audit_before, f"{key} as {row} wrote no audit event"
        else:
            assert audit_after == audit_before, f"{key} as {row} wrote to the organization"


async def send(world: World, entry: Entry, outcome: Outcome, row: Row, field: str, op: Op) -> None:
    """Send the entry's operation as the row's caller and check the outcome."""
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


def relation_fields() -> set[str]:
    """``Type.field`` of every field reaching employees (an employee, or a connection of
    them), below the Query and Mutation fields (payloads and connections belong to the
    fields returning them)."""
    gql = schema._schema
    roots = {gql.query_type.name, gql.mutation_type.name if gql.mutation_type else ""}
    found = set()
    for name, gql_type in gql.type_map.items():
        if not isinstance(gql_type, GraphQLObjectType) or name in roots or name.startswith("__"):
            continue
        if name.endswith(("Payload", "Connection", "Edge")):
            continue
        for field_name, field in gql_type.fields.items():
            if get_named_type(field.type).name in ("Employee", "EmployeeConnection"):
                found.add(f"{name}.{field_name}")
    return found


def test_every_field_reaching_people_has_an_entry() -> None:
    fields = relation_fields()
    assert "Assessment.assessor" in fields  # the scan finds them
    assert_entries_match(fields, RELATIONS, "RELATIONS")


RELATION_CASES = [
    (key, row, directory)
    for key in sorted(RELATIONS)
    for directory in (OPEN, CLOSED)
    for row in Row
]


@pytest.mark.parametrize(
    ("key", "row", "directory"),
    RELATION_CASES,
    ids=[f"{k}-{r.name}-{d}" for k, r, d in RELATION_CASES],
)
async def test_people_reached_through_a_relation(
    shared_world: World, closed_world: World, key: str, row: Row, directory: str
) -> None:
    """Whom each row sees through the field, and how much of them: their name, title, org
    unit and role only, unless the policy gives the row more of that person."""
    entry = RELATIONS[key]
    world = shared_world if directory == OPEN else closed_world
    outcome = entry.outcomes(directory == OPEN)[row]
    await send(world, entry, outcome, row, key.split(".", 1)[1], await entry.build(world))
