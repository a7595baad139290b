"""Fixtures and helpers for assessment tests: a small framework, people in roles, and
service calls as a given person."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from service.assessments import service as assessments
from service.assessments.models import assessments as assessments_table
from service.assessments.models import current_proficiencies, ratings
from service.audit.models import audit_events
from service.auth.principal import ActorType, Principal
from service.db import ConnectionExecutor
from service.framework import transfer
from service.framework.models import competencies, roles
from service.people import service as people
from tests.conftest import Org

# A 5-step scale, four competencies and an IC track engineer → senior → staff.
FRAMEWORK = """
version: 1
scales:
  - key: five
    name: Five steps
    levels:
      - {value: 1, name: Awareness}
      - {value: 2, name: Developing}
      - {value: 3, name: Proficient}
      - {value: 4, name: Advanced}
      - {value: 5, name: Expert}
levels:
  - {key: l1, name: Level 1, rank: 1}
  - {key: l2, name: Level 2, rank: 2}
  - {key: l3, name: Level 3, rank: 3}
jobFamilies:
  - {key: eng, name: Engineering}
  - {key: ops, name: Operations}
competencies:
  - {key: coding, name: Coding, category: Craft, scale: five}
  - {key: design, name: Design, category: Craft, scale: five}
  - {key: teamwork, name: Teamwork, category: Core, scale: five}
  - {key: delivery, name: Delivery, category: Core, scale: five}
roles:
  - key: engineer
    family: eng
    level: l1
    title: Engineer
    expectations:
      - {competency: coding, requiredLevel: 3, weight: 2}
      - {competency: design, requiredLevel: 2, weight: 1}
      - {competency: teamwork, requiredLevel: 2, weight: 1}
      - {competency: delivery, requiredLevel: 2, weight: 1}
  - key: senior
    family: eng
    level: l2
    title: Senior Engineer
    expectations:
      - {competency: coding, requiredLevel: 4, weight: 2}
      - {competency: design, requiredLevel: 3, weight: 1}
      - {competency: teamwork, requiredLevel: 3, weight: 1}
      - {competency: delivery, requiredLevel: 3, weight: 1}
  - key: staff
    family: eng
    level: l3
    title: Staff Engineer
    expectations:
      - {competency: coding, requiredLevel: 5, weight: 2}
      - {competency: design, requiredLevel: 4, weight: 1}
      - {competency: teamwork, requiredLevel: 4, weight: 1}
      - {competency: delivery, requiredLevel: 4, weight: 1}
  - key: operator
    family: ops
    level: l1
    title: Operator
    expectations:
      - {competency: teamwork, requiredLevel: 2}
      - {competency: delivery, requiredLevel: 3}
      - {competency: design, requiredLevel: 1}
      - {competency: coding, requiredLevel: 1}
tracks:
  - key: eng-ic
    family: eng
    name: Engineering IC
    kind: IC
    roles: [engineer, senior, staff]
"""

ADMIN = {"as_": "admin", "scopes": "career:employee career:admin"}
MANAGER = "career:employee career:manager"


@dataclass
class Framework:
    competency: dict[str, uuid.UUID]
    role: dict[str, uuid.UUID]


async def load_framework(org: Org) -> Framework:
    await org.run(transfer.import_framework, FRAMEWORK)
    async with org.runtime.db.transaction(org.id) as conn:
        comps = (await conn.execute(select(competencies.c.key, competencies.c.id))).all()
        role_rows = (await conn.execute(select(roles.c.key, roles.c.id))).all()
    return Framework({r.key: r.id for r in comps}, {r.key: r.id for r in role_rows})


@pytest.fixture
async def fw(team: Org) -> Framework:
    """The team's organization with the small framework; Alice and Bob are engineers."""
    framework = await load_framework(team)
    for key in ("alice", "bob"):
        await team.run(
            people.update_employee,
            team.people[key].id,
            people.EmployeeInput(role_id=framework.role["engineer"]),
        )
        team.people[key] = await team.run(_get, team.people[key].id)
    return framework


async def _get(db: Any, principal: Any, employee_id: uuid.UUID) -> Any:
    return await people.get_employee(db, employee_id)


def principal_of(org: Org, key: str, scopes: str = "career:employee") -> Principal:
    return Principal(
        org_id=org.id,
        subject=org.people[key].auth_subject,
        scopes=frozenset(scopes.split()),
        actor_type=ActorType.EMPLOYEE,
        employee_id=org.people[key].id,
    )


async def act(org: Org, key: str, fn: Any, *args: Any, scopes: str = MANAGER, **kwargs: Any) -> Any:
    """Call a service function as employee ``key``, committed."""
    async with org.runtime.db.transaction(org.id) as conn:
        return await fn(ConnectionExecutor(conn), principal_of(org, key, scopes), *args, **kwargs)


def r(competency: uuid.UUID, level: int, evidence: str | None = None) -> assessments.RatingInput:
    return assessments.RatingInput(competency, level, evidence)


async def rate(
    org: Org,
    assessor: str,
    subject: str,
    kind: str,
    levels: dict[uuid.UUID, int],
    *,
    cycle_id: uuid.UUID | None = None,
) -> Any:
    """A submitted SELF or MANAGER assessment with ``levels``."""
    row = await act(
        org, assessor, assessments.start_assessment, org.people[subject].id, kind, cycle_id
    )
    await act(org, assessor, assessments.save_ratings, row.id, [r(c, v) for c, v in levels.items()])
    return await act(org, assessor, assessments.submit_assessment, row.id)


async def peer_rate(
    org: Org, inviter: str, subject: str, peer: str, levels: dict[uuid.UUID, int]
) -> Any:
    row = await act(
        org, inviter, assessments.invite_peer, org.people[subject].id, org.people[peer].id
    )
    await act(org, peer, assessments.save_ratings, row.id, [r(c, v) for c, v in levels.items()])
    return await act(org, peer, assessments.submit_assessment, row.id)


async def past(
    org: Org,
    subject: str,
    kind: str,
    levels: dict[uuid.UUID, int],
    rated_on: dt.date,
    assessor: str | None = None,
) -> Any:
    """Ratings of ``kind`` given on ``rated_on``, through the import."""
    rows = [
        assessments.ImportRow(
            subject_id=org.people[subject].id,
            competency_id=c,
            level=v,
            kind=kind,
            rated_on=rated_on,
            assessor_id=org.people[assessor].id if assessor else None,
        )
        for c, v in levels.items()
    ]
    return await org.run(assessments.import_ratings, rows)


async def row_counts(org: Org) -> dict[str, int]:
    """Rows of the assessment tables and the audit log: to show nothing was written."""
    out = {}
    async with org.runtime.db.transaction(org.id) as conn:
        for name, table in (
            ("assessments", assessments_table),
            ("ratings", ratings),
            ("current", current_proficiencies),
            ("audit", audit_events),
        ):
            out[name] = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
    return out


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]
