"""The demo organization's development: a learning catalogue of about 30 resources across
the demo competencies, colleagues who offer to mentor, and active plans drafted from the
mid-year review's gaps for the demo employee and some of their colleagues, approved by
their managers, with check-ins and first actions under way.

The catalogue's titles and descriptions are written for the demo (``development.json``);
the providers are fictional.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from service.auth.principal import system_principal
from service.db import Executor
from service.demo.common import EMPLOYEE, MANAGER, person, records
from service.development import service as development
from service.development.models import ActionStatus, development_actions, development_goals
from service.framework.models import competencies

_DATA = records("development")

# (external ID, title, kind, provider, minutes, competency key, min level, max level)
RESOURCES: list[tuple[str, str, str, str, int, str, int, int]] = [
    tuple(r) for r in _DATA["resources"]
]

# Colleagues who offer to mentor, and what.
MENTORS: list[tuple[str, list[str]]] = [(key, offered) for key, offered in _DATA["mentors"]]

# (employee, manager who drafts and approves, the check-in note)
PLANS: list[tuple[str, str, str]] = [tuple(p) for p in _DATA["plans"]]


async def load_development(db: Executor, org_id: uuid.UUID, ids: dict[str, uuid.UUID]) -> None:
    """Write the demo's catalogue, mentors and plans (after the mid-year review)."""
    await development.import_learning_resources(
        db,
        system_principal(org_id),
        [
            development.ResourceRecord(
                external_id=ext,
                title=title,
                kind=kind,
                provider=provider,
                duration_minutes=minutes,
                url=f"https://learning.northwind.example/{ext}",
                competencies=[development.ResourceCompetency(key, low, high)],
            )
            for ext, title, kind, provider, minutes, key, low, high in RESOURCES
        ],
    )
    found = {r.key: r.id for r in (await db.execute(select(competencies.c.key, competencies.c.id)))}
    for mentor, offered in MENTORS:
        await development.set_mentoring(
            db,
            person(org_id, ids[mentor], EMPLOYEE),
            [found[k] for k in offered],
        )
    for employee, manager, note in PLANS:
        by = person(org_id, ids[manager], MANAGER)
        plan = await development.draft_plan(db, by, ids[employee])
        await development.approve_plan(db, by, plan.id, expected_version=None)
        await development.add_check_in(db, by, plan.id, note, None)
        # The first action of the first goal (all rows share the transaction's time).
        first = (
            await db.execute(
                select(development_actions)
                .join(development_goals, development_goals.c.id == development_actions.c.goal_id)
                .where(development_actions.c.plan_id == plan.id)
                .order_by(development_goals.c.position, development_actions.c.position)
                .limit(1)
            )
        ).first()
        if first is not None:
            await development.update_action(
                db,
                person(org_id, ids[employee], EMPLOYEE),
                first.id,
                development.ActionInput(status=ActionStatus.IN_PROGRESS.value),
                expected_version=None,
            )
