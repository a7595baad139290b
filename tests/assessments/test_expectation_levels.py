"""``expectation_levels`` is kept by the database in the same transaction as every write
that changes it: after any mix of hires, moves, terminations, expectation changes and
ratings it holds exactly what joining employees, role expectations and current levels
gives, and the summary read from it equals the per-grouping reference. Concurrent writers
wait for each other instead of building rows from what the other is changing."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text

from service.assessments import queries
from service.assessments import service as assessments
from service.auth.principal import system_principal
from service.config import AssessmentSettings
from service.db import ConnectionExecutor
from service.framework import service as framework
from service.people import service as people
from tests.assessments.conftest import Framework, load_framework
from tests.assessments.test_summary_reference import build, compare_with_reference
from tests.conftest import Org

LEVELS = (
    "self_level, self_as_of, manager_level, manager_as_of, peer_level, peer_as_of, "
    "calibration_level, calibration_as_of, peer_count"
)
KEPT = text(
    f"select employee_id, competency_id, org_unit_id, role_id, required_level, {LEVELS} "
    "from expectation_levels"
)
# What the table must hold: the join it saves the summary from making.
JOINED = text(
    f"""
    select e.id, x.competency_id, e.org_unit_id, e.role_id, x.required_level,
           {", ".join(f"cl.{c.strip()}" for c in LEVELS.split(","))}
    from employees e
    join role_expectations x on x.role_id = e.role_id
    left join current_levels cl on cl.employee_id = e.id and cl.competency_id = x.competency_id
    where e.status <> 'TERMINATED'
    """
)


async def assert_kept(org: Org) -> int:
    """The table equals the join; how many rows it has."""
    async with org.runtime.db.transaction(org.id) as conn:
        kept = {tuple(r) for r in (await conn.execute(KEPT)).all()}
        joined = {tuple(r) for r in (await conn.execute(JOINED)).all()}
    assert kept == joined
    return len(kept)


async def rate(
    db: Any, principal: Any, subject: uuid.UUID, competency: uuid.UUID, level: int
) -> None:
    """A manager rating of today, imported: the subject's current levels are rewritten."""
    row = assessments.ImportRow(
        subject_id=subject,
        competency_id=competency,
        level=level,
        kind="MANAGER",
        rated_on=dt.date.today(),
    )
    await assessments.import_ratings(db, principal, [row])


async def set_expectations(
    db: Any, principal: Any, role_id: uuid.UUID, wanted: list[tuple[str, int]], fw: Framework
) -> None:
    items = [
        framework.ExpectationInput(competency_id=fw.competency[key], required_level=level)
        for key, level in wanted
    ]
    await framework.set_role_expectations(db, principal, role_id, items)


async def test_the_table_follows_every_kind_of_write(org: Org) -> None:
    fw = await load_framework(org)
    ids = await build(org, fw)
    assert await assert_kept(org) > 100
    p = org.people
    # Moves between roles and units, out of a unit, out of any role, and a termination.
    await org.run(
        people.update_employee, p["p0"].id, people.EmployeeInput(role_id=fw.role["staff"])
    )
    await org.run(people.update_employee, p["p1"].id, people.EmployeeInput(org_unit_id=ids["unit"]))
    await org.run(people.update_employee, p["p2"].id, people.EmployeeInput(org_unit_id=None))
    await org.run(people.update_employee, p["p3"].id, people.EmployeeInput(role_id=None))
    await org.run(people.terminate_employee, p["p4"].id, dt.date.today(), None, None)
    await assert_kept(org)
    # Expectations replaced: one added, one dropped, one raised.
    await org.run(
        set_expectations,
        fw.role["operator"],
        [("teamwork", 3), ("delivery", 3), ("design", 2)],
        fw,
    )
    await assert_kept(org)
    # New ratings for a mover and a hire with a role.
    await org.run(rate, p["p0"].id, fw.competency["coding"], 4)
    await org.employee("hire", role_id=fw.role["senior"], org_unit_id=ids["unit"])
    await org.run(rate, p["hire"].id, fw.competency["design"], 2)
    await assert_kept(org)
    # The summary read from the table still equals the reference over the base tables,
    # with and without a filter on the people.
    filters = [queries.SummaryFilter(), queries.SummaryFilter(org_unit_id=ids["unit"])]
    async with org.runtime.db.transaction(org.id) as conn:
        settings = [AssessmentSettings(), AssessmentSettings(prefer_fresh=False)]
        assert await compare_with_reference(ConnectionExecutor(conn), settings, filters) > 20


# --- concurrent writers ---------------------------------------------------------------------

Step = Callable[[Any], Awaitable[Any]]


async def waiting_on_a_lock(org: Org, seconds: float = 10.0) -> bool:
    """Whether another session of the app's role is waiting for a lock within ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        async with org.runtime.db.engine.connect() as conn:
            waiting = (
                await conn.execute(
                    text(
                        "select count(*) from pg_stat_activity "
                        "where wait_event_type = 'Lock' and datname = current_database()"
                    )
                )
            ).scalar_one()
        if waiting:
            return True
        await asyncio.sleep(0.05)
    return False


async def interleave(org: Org, first: Step, second: Step) -> None:
    """``first`` writes and holds its transaction open while ``second`` starts in another;
    ``second`` must wait for ``first`` to commit."""

    async def run_second() -> None:
        async with org.runtime.db.transaction(org.id) as conn:
            await second(conn)

    async with org.runtime.db.transaction(org.id) as conn:
        await first(conn)
        later = asyncio.create_task(run_second())
        blocked = await waiting_on_a_lock(org)
        if later.done():
            later.result()
    assert blocked, "the second writer did not wait for the first"
    await asyncio.wait_for(later, 30)


def move(person: uuid.UUID, role: uuid.UUID) -> Step:
    async def step(conn: Any) -> None:
        await conn.execute(
            text("update employees set role_id = :r where id = :e"), {"r": role, "e": person}
        )

    return step


def expect(org: Org, role: uuid.UUID, competency: uuid.UUID, level: int) -> Step:
    async def step(conn: Any) -> None:
        await conn.execute(
            text(
                "insert into role_expectations (org_id, role_id, competency_id, required_level) "
                "values (:o, :r, :c, :l) "
                "on conflict (org_id, role_id, competency_id) "
                "do update set required_level = excluded.required_level"
            ),
            {"o": org.id, "r": role, "c": competency, "l": level},
        )

    return step


def rerate(org: Org, person: uuid.UUID, competency: uuid.UUID, level: int) -> Step:
    async def step(conn: Any) -> None:
        await rate(ConnectionExecutor(conn), system_principal(org.id), person, competency, level)

    return step


# (first writer, second writer, the competency checked) -> (required, manager level) after
RACES = {
    "a move waits for an expectation change of its new role": (
        lambda org, fw, p: expect(org, fw.role["operator"], fw.competency["coding"], 1),
        lambda org, fw, p: move(p, fw.role["operator"]),
        (1, 2),
    ),
    "an expectation change waits for a move into its role": (
        lambda org, fw, p: move(p, fw.role["operator"]),
        lambda org, fw, p: expect(org, fw.role["operator"], fw.competency["coding"], 1),
        (1, 2),
    ),
    "a rating waits for a move of its subject": (
        lambda org, fw, p: move(p, fw.role["senior"]),
        lambda org, fw, p: rerate(org, p, fw.competency["coding"], 4),
        (4, 4),
    ),
    "a rating waits for an expectation change of its subject's role": (
        lambda org, fw, p: expect(org, fw.role["engineer"], fw.competency["coding"], 5),
        lambda org, fw, p: rerate(org, p, fw.competency["coding"], 4),
        (5, 4),
    ),
}


@pytest.mark.parametrize("race", list(RACES))
async def test_concurrent_writers_wait_for_each_other(org: Org, race: str) -> None:
    first, second, after = RACES[race]
    fw = await load_framework(org)
    person = (await org.employee("mover", role_id=fw.role["engineer"])).id
    await org.run(rate, person, fw.competency["coding"], 2)
    # The operator role expects teamwork only, so a move into it drops coding.
    await org.run(set_expectations, fw.role["operator"], [("teamwork", 2)], fw)
    await interleave(org, first(org, fw, person), second(org, fw, person))
    async with org.runtime.db.transaction(org.id) as conn:
        found = (
            await conn.execute(
                text(
                    "select required_level, manager_level from expectation_levels "
                    "where employee_id = :e and competency_id = :c"
                ),
                {"e": person, "c": fw.competency["coding"]},
            )
        ).one()
    assert tuple(found) == after
    await assert_kept(org)
