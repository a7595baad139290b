"""A document's mutations are saved all together or not at all."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from service import entities
from service.people.models import org_units
from tests.conftest import ALL_SCOPES, Org

TWO = """
mutation Two {
  unit: createOrgUnit(input: {name: "Research"}) { orgUnit { id } userErrors { code } }
  family: createJobFamily(input: {key: "research", name: "Research"}) {
    jobFamily { id } userErrors { code }
  }
}
"""


async def unit_count(org: Org) -> int:
    async with org.runtime.db.transaction(org.id) as conn:
        return (await conn.execute(select(func.count()).select_from(org_units))).scalar_one()


async def test_a_later_mutation_raising_undoes_the_earlier_ones(
    team: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the second mutation fails")

    # createJobFamily creates through the entity kit.
    monkeypatch.setattr(entities, "create", broken)
    before = await unit_count(team)
    body = await team.gql(TWO, as_="admin", scopes=ALL_SCOPES)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INTERNAL_SERVER_ERROR"]
    assert await unit_count(team) == before


async def test_a_document_whose_mutations_all_succeed_is_saved(team: Org) -> None:
    before = await unit_count(team)
    body = await team.gql(TWO, as_="admin", scopes=ALL_SCOPES)
    assert "errors" not in body, body
    assert body["data"]["unit"]["userErrors"] == []
    assert body["data"]["family"]["userErrors"] == []
    assert await unit_count(team) == before + 1
