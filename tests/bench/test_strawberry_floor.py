"""The strawberry floor serves the recorded response of a request, through strawberry, for
the same request bytes: the benchmark's per-field comparison rests on it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench import operations, strawberry_floor

EMPLOYEES = {
    "employees": {
        "nodes": [
            {
                "name": "Ada",
                "manager": None,
                "orgUnit": {"name": "Engineering"},
                "role": {"title": "Engineer II"},
            },
            {
                "name": "Grace",
                "manager": {"name": "Ada"},
                "orgUnit": {"name": "Engineering"},
                "role": None,
            },
        ]
    }
}
MATRIX = {
    "teamSkillsMatrix": {
        "competencies": [{"id": "Q29tcGV0ZW5jeTox", "name": "Delivery"}],
        "rows": {
            "totalCount": 2,
            "nodes": [
                {
                    "readiness": 0.5,
                    "employee": {"name": "Ada"},
                    "role": {"title": "Engineer II"},
                    "cells": [
                        {
                            "requiredLevel": 3,
                            "currentLevel": None,
                            "gap": None,
                            "status": "NOT_ASSESSED",
                            "competency": {"id": "Q29tcGV0ZW5jeTox"},
                        }
                    ],
                },
                {
                    "readiness": 1.0,
                    "employee": {"name": "Grace"},
                    "role": None,
                    "cells": [
                        {
                            "requiredLevel": 2,
                            "currentLevel": 4,
                            "gap": 0,
                            "status": "MET",
                            "competency": {"id": "Q29tcGV0ZW5jeTox"},
                        }
                    ],
                },
            ],
        },
    }
}
CASES = [
    (operations.EMPLOYEES_PAGE, {"first": 2}, EMPLOYEES, 14),
    (operations.TEAM_MATRIX, {"manager": "RW1wbG95ZWU6MQ==", "first": 2}, MATRIX, 30),
]


@pytest.mark.parametrize(("query", "variables", "data", "fields"), CASES)
async def test_floor_schema_answers_the_same_document_with_the_recorded_data(
    query: str, variables: dict[str, Any], data: dict[str, Any], fields: int
) -> None:
    body = {"query": query, "variables": variables}
    schema, root = strawberry_floor.build(strawberry_floor.floor_source(body, data), data, query)
    result = await schema.execute(query, variable_values=variables, root_value=root)
    assert result.errors is None
    assert result.data == data
    assert strawberry_floor.count_fields(data) == fields


async def test_floor_app_serves_the_recorded_request_over_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps({"query": operations.EMPLOYEES_PAGE, "variables": {"first": 2}})
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"body": body, "response": json.dumps({"data": EMPLOYEES})}))
    monkeypatch.setenv("BENCH_FLOOR_RECORD", str(record))
    app = strawberry_floor._make_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://floor") as client:
        response = await client.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 200
    assert response.json() == {"data": EMPLOYEES}


def test_floor_refuses_a_document_it_cannot_mirror() -> None:
    query = "{ a: me { name } b: me { title } }"
    with pytest.raises(ValueError, match="once per object"):
        strawberry_floor.floor_source({"query": query}, {"a": {"name": "x"}, "b": {"title": "y"}})
    with pytest.raises(ValueError, match="no input objects"):
        strawberry_floor.floor_source(
            {"query": "{ passedOver(filter: {minMonths: 6}) { totalCount } }"},
            {"passedOver": {"totalCount": 1}},
        )
    mutation = "mutation { touch { ok } }"
    with pytest.raises(ValueError, match="reads only"):
        strawberry_floor.floor_source({"query": mutation}, {"touch": {"ok": True}})
