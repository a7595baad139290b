"""Progress that follows evidence: goals achieved by assessments, goal progress from
actions done, plans completed when their goals are.

``proficiencies_changed`` is called by the assessments domain whenever someone's current
proficiencies change (a submitted assessment, a calibration, imported ratings), in the same
transaction. Every open goal of those people's DRAFT or ACTIVE plans that names a
competency whose current level (the assessments' resolution rule) has reached the goal's
target level becomes ACHIEVED, recording when, the level and the newest assessment behind
it. An ACTIVE plan whose goals that are not dropped are all achieved (at least one) becomes
COMPLETED and emits ``development_plan.completed``, in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import text

from service.assessments.queries import resolved_lateral, rules_for
from service.audit import service as audit
from service.auth.principal import Principal
from service.db import Executor
from service.development import events
from service.webhooks import outbox

ACHIEVE_SQL = text(
    f"""
    with reached as (
        select g.id, cur.level, cur.assessment_ids[1] as assessment_id
        from development_goals g
        join development_plans p on p.id = g.plan_id
        join {resolved_lateral("p.employee_id", "g.competency_id")} cur on true
        where p.employee_id = any(cast(:ids as uuid[]))
          and p.status in ('DRAFT', 'ACTIVE') and g.status = 'OPEN'
          and g.competency_id is not null and cur.level >= g.target_level
    )
    update development_goals g
    set status = 'ACHIEVED', progress = 100, achieved_at = now(), achieved_level = r.level,
        achieved_assessment_id = r.assessment_id, version = g.version + 1, updated_at = now()
    from reached r
    where g.id = r.id and g.status = 'OPEN'
    returning g.id, g.plan_id, r.level
    """  # noqa: S608
)

COMPLETE_SQL = text(
    """
    update development_plans p
    set status = 'COMPLETED', completed_at = now(), version = p.version + 1, updated_at = now()
    where p.id = any(cast(:ids as uuid[])) and p.status = 'ACTIVE'
      and exists (select 1 from development_goals g
                  where g.plan_id = p.id and g.status = 'ACHIEVED')
      and not exists (select 1 from development_goals g
                      where g.plan_id = p.id and g.status = 'OPEN')
    returning p.*,
        (select count(*) from development_goals g
         where g.plan_id = p.id and g.status = 'ACHIEVED') as goal_count
    """
)

# Actions done raise a goal's progress to their share, held below 100 while the goal is
# open: only achieving the goal (evidence, or its editors) makes it 100.
ACTION_PROGRESS_SQL = text(
    """
    update development_goals g
    set progress = greatest(g.progress, least(90, s.share)), version = g.version + 1,
        updated_at = now()
    from (
        select a.goal_id,
               (100 * count(*) filter (where a.status = 'DONE')
                / nullif(count(*) filter (where a.status <> 'SKIPPED'), 0)) as share
        from development_actions a
        where a.goal_id = any(cast(:ids as uuid[]))
        group by a.goal_id
    ) s
    where g.id = s.goal_id and g.status = 'OPEN' and least(90, s.share) > g.progress
    """
)


async def complete_finished_plans(
    db: Executor, principal: Principal, plan_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Complete the ACTIVE plans among ``plan_ids`` whose goals are all achieved (or
    dropped), with their audit entries and events; returns the completed plans' IDs."""
    ids = sorted(set(plan_ids))
    if not ids:
        return []
    done = (await db.execute(COMPLETE_SQL, {"ids": ids})).all()
    for row in done:
        await audit.record(
            db,
            principal,
            "development_plan.complete",
            "DevelopmentPlan",
            row.id,
            {"status": {"from": "ACTIVE", "to": "COMPLETED"}},
        )
        await outbox.emit(
            db,
            principal,
            events.DEVELOPMENT_PLAN_COMPLETED,
            events.completed_data(row, row.goal_count),
        )
    return [r.id for r in done]


async def actions_changed(
    db: Executor, principal: Principal, goal_ids: Sequence[uuid.UUID]
) -> None:
    """Raise the progress of ``goal_ids`` to the share of their actions done."""
    if goal_ids:
        await db.execute(ACTION_PROGRESS_SQL, {"ids": sorted(set(goal_ids))})


async def proficiencies_changed(
    db: Executor, principal: Principal, employee_ids: Sequence[uuid.UUID]
) -> None:
    """Mark the goals the employees' current levels now reach as achieved, and complete
    the plans that are then done (module docstring). One statement when nothing is
    reached."""
    ids = sorted(set(employee_ids))
    if not ids:
        return
    params = {"ids": ids, **rules_for(db).params()}
    achieved = (await db.execute(ACHIEVE_SQL, params)).all()
    for row in achieved:
        await audit.record(
            db,
            principal,
            "development_goal.achieve",
            "DevelopmentGoal",
            row.id,
            {"status": {"from": "OPEN", "to": "ACHIEVED"}, "achieved_level": float(row.level)},
        )
    await complete_finished_plans(db, principal, [r.plan_id for r in achieved])
