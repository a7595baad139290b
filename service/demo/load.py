"""Loads the demo organization (``careerpath serve --demo`` / ``careerpath demo``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from service.auth import service as accounts
from service.auth.principal import system_principal
from service.db import ConnectionExecutor, Database, Executor
from service.demo.development import load_development
from service.demo.mobility import load_mobility
from service.demo.people import PERSONAS, UNITS, people
from service.demo.promotions import load_promotions
from service.demo.ratings import load_mid_year_review
from service.framework import transfer
from service.framework.models import roles
from service.people import service as people_service
from service.people.models import organizations

DEMO_SLUG = "northwind"
DEMO_NAME = "Northwind Labs"
DEMO_EMAIL_DOMAIN = "northwind.example"


@dataclass(frozen=True)
class DemoOrg:
    org_id: uuid.UUID
    slug: str
    created: bool


def demo_email(key: str, name: str) -> str:
    first, *rest = name.lower().replace("'", "").split()
    return f"{first}.{rest[-1] if rest else key}@{DEMO_EMAIL_DOMAIN}"


def demo_subject(key: str) -> str:
    return f"demo|{key}"


async def load_demo(db: Database) -> DemoOrg:
    """Create the demo organization unless it exists; one transaction, all or nothing."""
    async with db.transaction(None) as conn:
        ex = ConnectionExecutor(conn)
        existing = (
            await conn.execute(select(organizations.c.id).where(organizations.c.slug == DEMO_SLUG))
        ).scalar()
        if existing is not None:
            return DemoOrg(existing, DEMO_SLUG, created=False)
        org_id = await people_service.create_organization(ex, DEMO_SLUG, DEMO_NAME)
        from service.db import set_tenant

        await set_tenant(conn, org_id)
        role_ids = await _load_framework(ex, org_id)
        ids = await _load_people(ex, org_id, role_ids)
        # The admin persona is named an HR admin, so its `career:admin` token acts as one.
        await accounts.grant_hr_admin(ex, system_principal(org_id), ids[PERSONAS["admin"][0]])
        await load_mid_year_review(ex, org_id, people(), ids)
        await load_promotions(ex, org_id, ids, role_ids)
        await load_development(ex, org_id, ids)
        await load_mobility(ex, org_id, ids, role_ids)
    return DemoOrg(org_id, DEMO_SLUG, created=True)


FRAMEWORK_FILE = Path(__file__).with_name("framework.yaml")


async def _load_framework(db: Executor, org_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """Import the demo framework; returns role key -> id."""
    await transfer.import_framework(
        db, system_principal(org_id), FRAMEWORK_FILE.read_text(encoding="utf-8"), fmt="yaml"
    )
    rows = (await db.execute(select(roles.c.key, roles.c.id))).all()
    return {r.key: r.id for r in rows}


async def _load_people(
    db: Executor, org_id: uuid.UUID, role_ids: dict[str, uuid.UUID]
) -> dict[str, uuid.UUID]:
    """Create the org units and employees; returns employee key -> id."""
    principal = system_principal(org_id)
    unit_ids: dict[str, Any] = {}
    for unit in UNITS:
        row = await people_service.create_org_unit(
            db,
            principal,
            people_service.OrgUnitInput(
                name=unit.name,
                external_id=f"unit-{unit.key}",
                parent_id=unit_ids.get(unit.parent) if unit.parent else None,
            ),
        )
        unit_ids[unit.key] = row.id
    ids: dict[str, uuid.UUID] = {}
    for i, person in enumerate(people()):
        row = await people_service.create_employee(
            db,
            principal,
            people_service.EmployeeInput(
                email=demo_email(person.key, person.name),
                name=person.name,
                title=person.title,
                external_id=f"E{1000 + i}",
                auth_subject=demo_subject(person.key),
                org_unit_id=unit_ids[person.unit],
                manager_id=ids[person.manager] if person.manager else None,
                location=person.location,
                hire_date=person.hired,
                role_id=role_ids[person.role] if person.role else None,
            ),
        )
        ids[person.key] = row.id
    return ids
