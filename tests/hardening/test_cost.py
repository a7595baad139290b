"""The cost limit counts every list, and the most expensive query it accepts is quick.

The estimate: connections by page size, plain lists by their bound or an argument's
length, variables by their values or defaults. The review's bypass (nested plain lists
under a connection) is refused; the most expensive queries the default limits accept
finish within seconds on generated organizations of 250 and 2,500 people, in about the
same time at both sizes: the work is bounded by the query, not by the organization.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, get_named_type, parse

from bench import generate, pg
from bench.stages.base import World
from service.app import Runtime
from service.config import Settings
from service.graphql.cost import LIST_SIZES, CostEstimator, is_connection, is_object_list
from service.graphql.schema import schema
from tests.conftest import ALL_SCOPES, Org

LIMIT = Settings().max_query_cost
ALIASES = Settings().max_aliases
SECONDS = 5.0  # "within a few seconds", with room for a busy test machine


def estimate(query: str, variables: dict[str, Any] | None = None) -> int:
    document = parse(query)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return CostEstimator(schema._schema, fragments, operation, variables).operation_cost(operation)


# --- the estimate ------------------------------------------------------------------------


def test_every_plain_list_has_a_documented_size_estimate() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    missing, undocumented = [], []
    for type_name, type_ in schema._schema.type_map.items():
        fields = getattr(type_, "fields", None)
        if type_name.startswith("__") or fields is None or is_connection(type_):
            continue
        for name, field in fields.items():
            if not is_object_list(field) or get_named_type(field.type).name == "UserError":
                continue
            key = f"{type_name}.{name}"
            if key not in LIST_SIZES:
                missing.append(key)
            shown = f"`{key}`" if type_name not in ("Query", "Mutation") else f"`{name}`"
            if shown not in readme:
                undocumented.append(key)
    assert missing == [], f"add these lists to service.graphql.cost.LIST_SIZES: {missing}"
    assert undocumented == [], f"add these lists to the README's query cost table: {undocumented}"


def test_plain_lists_count_by_their_bound() -> None:
    one = estimate("{ roles(first: 1) { nodes { key } } }")
    # Track.steps counts 50 and Role.tracks 5: lists under lists multiply.
    nested = estimate("{ roles(first: 1) { nodes { tracks { steps { role { key } } } } } }")
    assert nested == 1 + 1 + 1 + 5 * (1 + 50 * (1 + 1))
    assert nested > one


def test_the_reviewed_bypass_is_estimated_far_over_the_limit() -> None:
    inner = "roles(first:100){nodes{tracks{steps{role{tracks{steps{role{tracks{steps{role{key}}}}}}}}}}}"
    query = "{ " + " ".join(f"a{i}: {inner}" for i in range(30)) + " }"
    assert estimate(query) > 1000 * LIMIT


def test_variable_defaults_and_argument_lengths_count() -> None:
    query = "query($n: Int = 100) { employees(first: $n) { nodes { id } } }"
    assert estimate(query) == estimate("{ employees(first: 100) { nodes { id } } }")
    assert estimate(query, {"n": 5}) == estimate("{ employees(first: 5) { nodes { id } } }")
    ids = ", ".join(f'"{i}"' for i in range(40))
    assert estimate(f"{{ nodes(ids: [{ids}]) {{ id }} }}") == 1 + 40
    assert estimate("query($i: [ID!]!) { nodes(ids: $i) { id } }", {"i": ["a"] * 7}) == 1 + 7
    assert estimate(
        '{ careerPaths(fromRoleId: "a", toRoleId: "b", limit: 20) { roles { key } } }'
    ) == (1 + 20 * (1 + 7))


async def test_the_bypass_is_refused_over_http(team: Org) -> None:
    inner = "roles(first:100){nodes{tracks{steps{role{tracks{steps{role{tracks{steps{role{key}}}}}}}}}}}"
    query = "{ " + " ".join(f"a{i}: {inner}" for i in range(30)) + " }"
    body = await team.gql(query, as_="alice")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    defaulted = await team.gql(
        "query($n: Int = 100) { employees(first: $n) { nodes { directReports(first: $n) "
        "{ nodes { directReports(first: $n) { nodes { id } } } } } } }",
        as_="alice",
    )
    assert defaulted["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


# --- the most expensive accepted query on generated organizations -----------------------


def widest(field: str, selection: str) -> tuple[str, str]:
    """The most expensive query of aliased pages of ``field`` selecting ``selection`` that
    the default limits accept (as many aliases as allowed, pages as long as the cost limit
    allows), and the same made one step costlier, which the limit refuses."""

    def query(first: int, extra: str = "") -> str:
        pages = (
            f"a{i}: {field}(first: {first}) {{ nodes {{ {selection}{extra} }} }}"
            for i in range(ALIASES)
        )
        return "{ " + " ".join(pages) + " }"

    first = max(n for n in range(1, 101) if estimate(query(n)) <= LIMIT)
    # One step more: every page one node longer or, at full pages, one more field per node.
    costlier = query(first + 1) if first < 100 else query(first, " __typename")
    return query(first), costlier


ROLE_FIELDS = (
    "id key title description version archived archivedAt createdAt updatedAt "
    "level { key name rank } family { key name }"
)
EMPLOYEE_FIELDS = (
    "id name email title status location externalId hireDate version createdAt updatedAt "
    "manager { name } orgUnit { name }"
)


@dataclass
class Generated:
    employees: int
    client: httpx.AsyncClient
    tokens: dict[str, str]


async def load(owner_url: str, employees: int) -> tuple[str, dict[str, Any]]:
    """A benchmark organization of ``employees`` people, generated by the benchmark's own
    stages into the test database (already migrated): its slug and its personas."""
    slug = f"scale-{employees}-{secrets.token_hex(4)}"
    world = World(uuid.uuid4(), slug, employees, seed=employees)
    server = pg.Server(owner_url, embedded=False)
    database = pg.BenchDatabase(server, "", owner_url, owner_url, "")
    await generate._load(database, world, {}, quiet=True)
    made = generate.Generated(database, employees, employees, world.org_id, False, 0)
    return slug, (await generate.facts(made))["personas"]


@pytest.fixture(scope="module")
async def organizations(
    database_urls: tuple[str, str], runtime: Runtime, client: httpx.AsyncClient
) -> dict[int, Generated]:
    issuer = runtime.dev_issuer
    assert issuer is not None
    out: dict[int, Generated] = {}
    for size in (250, 2500):
        slug, personas = await load(database_urls[0], size)
        tokens = {
            key: issuer.mint(p["subject"], org=slug, scopes=ALL_SCOPES.split())
            for key, p in personas.items()
        }
        out[size] = Generated(size, client, tokens)
    return out


async def timed(org: Generated, persona: str, query: str) -> tuple[float, dict[str, Any]]:
    """The request's processor time in this process (the app runs in it): what the request
    holds the event loop for, unlike the wall clock, which a busy machine stretches; the
    same code path as any request."""
    started = time.process_time()
    response = await org.client.post(
        "/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {org.tokens[persona]}"},
    )
    elapsed = time.process_time() - started
    assert response.status_code == 200, response.text[:500]
    return elapsed, response.json()


@pytest.mark.parametrize(
    ("field", "selection", "persona"),
    [("roles", ROLE_FIELDS, "employee"), ("employees", EMPLOYEE_FIELDS, "admin")],
)
async def test_the_most_expensive_accepted_query_is_quick_at_every_size(
    organizations: dict[int, Generated], field: str, selection: str, persona: str
) -> None:
    query, costlier = widest(field, selection)
    assert estimate(query) <= LIMIT < estimate(costlier)
    seconds = {}
    for size, org in organizations.items():
        elapsed, body = await timed(org, persona, query)
        assert "errors" not in body, str(body)[:500]
        pages = list(body["data"].values())
        assert all(len(p["nodes"]) == len(pages[0]["nodes"]) > 0 for p in pages)
        seconds[size] = elapsed
        refused = (await timed(org, persona, costlier))[1]
        assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    print(f"\n{field}: the costliest accepted query took {seconds} s of processor time")
    assert max(seconds.values()) < SECONDS, seconds
    # Ten times the people, about the same time: bounded by the query, not the data.
    assert seconds[2500] < 2 * seconds[250] + 0.5, seconds
