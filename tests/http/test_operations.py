"""How the endpoint chooses and runs a document's operation: the named one, the only one,
or a 400 when there is nothing to choose; a failing step answered as a coded GraphQL error
with the request's connection back in the pool."""

from __future__ import annotations

from typing import Any

import pytest

from service.graphql import execution
from tests.conftest import Org

TWO = "query Me { me { name } } query Typename { __typename }"


def bearer(org: Org) -> dict[str, str]:
    return {"Authorization": f"Bearer {org.token('alice', 'career:employee')}"}


async def test_the_named_operation_runs(team: Org) -> None:
    for name, data in (
        ("Me", {"me": {"name": "Alice Anders"}}),
        ("Typename", {"__typename": "Query"}),
    ):
        response = await team.client.post(
            "/graphql", json={"query": TWO, "operationName": name}, headers=bearer(team)
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"data": data}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"query": TWO}, "several operations: name the one to run in operationName"),
        ({"query": TWO, "operationName": "Nope"}, 'no operation named "Nope"'),
        ({"query": "fragment F on Query { __typename }"}, None),
    ],
)
async def test_a_document_without_one_operation_to_run_is_refused(
    team: Org, body: dict[str, Any], message: str | None
) -> None:
    response = await team.client.post("/graphql", json=body, headers=bearer(team))
    errors = response.json()["errors"]
    if message is None:  # a lone fragment does not validate: nothing to choose from
        assert response.status_code == 200
        assert errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    else:
        assert response.status_code == 400
        assert [e["extensions"]["code"] for e in errors] == ["BAD_REQUEST"]
        assert message in errors[0]["message"]
    assert "data" not in response.json() or response.json()["data"] is None


async def test_a_failing_step_is_a_coded_error_and_frees_the_connection(
    team: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the cost of nothing")

    pool = team.runtime.db.engine.pool
    checked_out = pool.checkedout()  # type: ignore[attr-defined]
    monkeypatch.setattr(execution.CostEstimator, "operation_cost", broken)
    response = await team.client.post(
        "/graphql", json={"query": "{ me { name } }"}, headers=bearer(team)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INTERNAL_SERVER_ERROR"]
    assert pool.checkedout() == checked_out  # type: ignore[attr-defined]
    monkeypatch.undo()
    again = await team.client.post(
        "/graphql", json={"query": "{ me { name } }"}, headers=bearer(team)
    )
    assert again.json() == {"data": {"me": {"name": "Alice Anders"}}}


async def test_a_long_chain_of_fragments_is_a_validation_error(team: Org) -> None:
    links = 400
    fragments = " ".join(f"fragment F{i} on Employee {{ name ...F{i + 1} }}" for i in range(links))
    query = f"{{ me {{ ...F0 }} }} {fragments} fragment F{links} on Employee {{ id }}"
    response = await team.client.post("/graphql", json={"query": query}, headers=bearer(team))
    assert response.status_code == 200, response.text
    errors = response.json()["errors"]
    assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}


@pytest.mark.parametrize("name", [5, ["Me"], {"a": 1}, True])
async def test_an_operation_name_that_is_not_a_string_is_a_400_saying_so(
    team: Org, name: Any
) -> None:
    response = await team.client.post(
        "/graphql", json={"query": TWO, "operationName": name}, headers=bearer(team)
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["message"] == "operationName must be a string or null."
