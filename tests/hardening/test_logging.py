"""Logs: one JSON line per failed request in production, readable lines in dev, never SQL,
parameter values or locals; every response carries its request ID."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import DBAPIError

from service.config import Environment, Settings
from service.logs import configure_logging
from service.people.types import Employee
from tests.conftest import Org

STATEMENT = "select secret_column from employees where id = $1"
PARAMETERS = ("secret-parameter-value",)


def failing_read(*args: Any, **kwargs: Any) -> Any:
    hidden = "secret-local-value"
    raise DBAPIError(STATEMENT, PARAMETERS, Exception(f"boom {len(hidden)}"))


@pytest.fixture
def production_logs(settings: Settings) -> Iterator[None]:
    configure_logging(settings.model_copy(update={"env": Environment.PRODUCTION}))
    yield
    configure_logging(settings)


async def me(org: Org, **headers: str) -> httpx.Response:
    return await org.client.post(
        "/graphql",
        json={"query": "query Me { me { name } }", "operationName": "Me"},
        headers={"Authorization": f"Bearer {org.token('alice')}", **headers},
    )


async def test_production_logs_one_json_line_per_failed_request_without_secrets(
    team: Org,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    production_logs: None,
) -> None:
    monkeypatch.setattr(Employee, "from_row", failing_read)
    capsys.readouterr()
    response = await me(team, **{"X-Request-ID": "edge-7f3a.42"})
    logged = capsys.readouterr().err
    assert response.headers["X-Request-ID"] == "edge-7f3a.42"
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR", (
        response.text
    )
    assert "secret" not in response.text  # not even in dev mode's unmasked message
    lines = [json.loads(line) for line in logged.splitlines() if line.strip()]
    failed = [line for line in lines if line.get("request_id") == "edge-7f3a.42"]
    assert len(failed) == 1, lines
    (line,) = failed
    assert line["event"] == "request failed"
    assert line["level"] == "error"
    assert line["operation"] == "Me"
    assert line["codes"] == ["INTERNAL_SERVER_ERROR"]
    assert isinstance(line["duration_ms"], float)
    assert "failing_read" in line["exception"]  # where it happened …
    assert "DBAPIError" in line["exception"]
    assert "secret" not in logged  # … but no statement, parameters or locals


async def test_dev_logs_are_readable_lines(
    team: Org, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(Employee, "from_row", failing_read)
    capsys.readouterr()
    await me(team)
    logged = capsys.readouterr().err
    assert "request failed" in logged
    assert "Traceback (most recent call last)" in logged
    assert not logged.lstrip().startswith("{")
    assert "secret" not in logged


async def test_request_ids_are_echoed_when_sane_and_made_otherwise(team: Org) -> None:
    made = (await me(team)).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert (await me(team)).headers["X-Request-ID"] != made
    for insane in ("x" * 200, "two words", "<script>"):
        echoed = (await me(team, **{"X-Request-ID": insane})).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", echoed), insane
    health = await team.client.get("/healthz", headers={"X-Request-ID": "probe-1"})
    assert health.headers["X-Request-ID"] == "probe-1"
