"""Fixtures and helpers for mobility tests: the assessments tests' small framework (engineer →
senior → staff, and an operator role in another family), two org units, and the GraphQL
operations of postings and applications.

``mob`` gives the team org units: Engineering (Bea, Max, Alice, Bob) with Platform below it,
and Operations (Mia, Carol). Max manages Alice and Bob; Mia manages Carol.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from service.audit.models import audit_events
from service.mobility.models import applications, career_aspirations, postings
from service.people import service as people
from service.people.models import position_history
from tests.assessments.conftest import ADMIN, MANAGER, Framework, act, codes, data, rate
from tests.assessments.conftest import fw as fw  # the fixture
from tests.conftest import Org, gid

ADMIN_SCOPES = "career:employee career:admin"

POSTING_FIELDS = """
    id kind title status version commitment remote applicationDeadline
    role { key } orgUnit { name } hiringManager { id name }
    requirements { competency { key } requiredLevel mustHave weight }
"""
CREATE = f"""
mutation($i: CreatePostingInput!) {{
  createPosting(input: $i) {{ posting {{ {POSTING_FIELDS} }} userErrors {{ field code message }} }}
}}
"""
UPDATE = f"""
mutation($i: UpdatePostingInput!) {{
  updatePosting(input: $i) {{ posting {{ {POSTING_FIELDS} }} userErrors {{ field code message }} }}
}}
"""
OPEN = """
mutation($i: PostingStatusInput!) {
  openPosting(input: $i) { posting { id status version openedAt } userErrors { field code message } }
}
"""
CLOSE = """
mutation($i: PostingStatusInput!) {
  closePosting(input: $i) { posting { id status version } userErrors { field code message } }
}
"""
APPLICATION_FIELDS = "id status version confidential posting { id status } applicant { id }"
APPLY = f"""
mutation($i: ApplyToPostingInput!) {{
  applyToPosting(input: $i) {{
    application {{ {APPLICATION_FIELDS} note }} userErrors {{ field code message }}
  }}
}}
"""
MOVE = f"""
mutation($i: MoveApplicationInput!) {{
  moveApplication(input: $i) {{
    application {{ {APPLICATION_FIELDS} feedback }} userErrors {{ field code message }}
  }}
}}
"""
WITHDRAW = f"""
mutation($i: ApplicationActionInput!) {{
  withdrawApplication(input: $i) {{
    application {{ {APPLICATION_FIELDS} }} userErrors {{ field code message }}
  }}
}}
"""
ACCEPT = f"""
mutation($i: ApplicationActionInput!) {{
  acceptOffer(input: $i) {{
    application {{ {APPLICATION_FIELDS}
      participation {{ startDate endDate commitment }} }}
    userErrors {{ field code message }}
  }}
}}
"""
ASPIRATION = """
mutation($i: SetCareerAspirationInput!) {
  setCareerAspiration(input: $i) {
    careerAspiration { targetRoles { key } jobFamilies { key } openTo openToRelocation
      timeHorizon discoverable note version }
    userErrors { field code message }
  }
}
"""


@dataclass
class Mobility:
    org: Org
    fw: Framework
    eng: Any  # org unit Engineering
    platform: Any  # below Engineering
    ops: Any  # org unit Operations


async def _unit(org: Org, name: str, parent: Any = None) -> Any:
    return await org.run(
        people.create_org_unit,
        people.OrgUnitInput(name=name, parent_id=parent.id if parent else None),
    )


@pytest.fixture
async def mob(team: Org, fw: Framework) -> Mobility:
    eng = await _unit(team, "Engineering")
    platform = await _unit(team, "Platform", eng)
    ops = await _unit(team, "Operations")
    for key, unit in (
        ("boss", eng),
        ("manager", eng),
        ("alice", eng),
        ("bob", eng),
        ("manager2", ops),
        ("carol", ops),
    ):
        team.people[key] = await team.run(
            people.update_employee,
            team.people[key].id,
            people.EmployeeInput(org_unit_id=unit.id),
        )
    return Mobility(team, fw, eng, platform, ops)


def posting_input(m: Mobility, **extra: Any) -> dict[str, Any]:
    """A ROLE posting for a senior engineer in Platform, with the role's requirements."""
    return {
        "i": {
            "kind": "ROLE",
            "title": "Senior Engineer, Platform",
            "roleId": gid_of("Role", m.fw.role["senior"]),
            "orgUnitId": gid("OrgUnit", m.platform),
            **extra,
        }
    }


def gid_of(type_name: str, value: uuid.UUID) -> str:
    from service.graphql.ids import encode_id

    return encode_id(type_name, value)


async def create(
    m: Mobility, *, as_: str = "manager", scopes: str = MANAGER, **extra: Any
) -> dict[str, Any]:
    body = await m.org.gql(CREATE, posting_input(m, **extra), as_=as_, scopes=scopes)
    return data(body)["createPosting"]  # type: ignore[no-any-return]


async def open_posting(m: Mobility, posting_id: str, *, as_: str = "manager") -> dict[str, Any]:
    body = await m.org.gql(OPEN, {"i": {"id": posting_id}}, as_=as_, scopes=MANAGER)
    result = data(body)["openPosting"]
    assert result["userErrors"] == [], result
    return result["posting"]  # type: ignore[no-any-return]


async def open_role(m: Mobility, **extra: Any) -> dict[str, Any]:
    """An OPEN senior engineer posting of Max's."""
    created = await create(m, **extra)
    assert created["userErrors"] == [], created
    return await open_posting(m, created["posting"]["id"])


async def apply(m: Mobility, posting_id: str, who: str = "carol", **extra: Any) -> dict[str, Any]:
    body = await m.org.gql(APPLY, {"i": {"postingId": posting_id, **extra}}, as_=who)
    return data(body)["applyToPosting"]  # type: ignore[no-any-return]


async def move(
    m: Mobility, application_id: str, status: str, *, as_: str = "manager", **extra: Any
) -> dict[str, Any]:
    body = await m.org.gql(
        MOVE, {"i": {"id": application_id, "status": status, **extra}}, as_=as_, scopes=MANAGER
    )
    return data(body)["moveApplication"]  # type: ignore[no-any-return]


async def counts(org: Org) -> dict[str, int]:
    """Rows of the mobility tables, position history and the audit log."""
    out = {}
    async with org.runtime.db.transaction(org.id) as conn:
        for name, table in (
            ("postings", postings),
            ("applications", applications),
            ("aspirations", career_aspirations),
            ("history", position_history),
            ("audit", audit_events),
        ):
            out[name] = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
    return out


def days(n: int) -> str:
    return (dt.date.today() + dt.timedelta(days=n)).isoformat()


__all__ = ["ADMIN", "act", "codes", "rate"]
