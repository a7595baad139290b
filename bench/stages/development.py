"""Development plans: an ACTIVE plan toward the next level for everyone with a role, an
older COMPLETED one for about one person in four; three goals per plan on the role's
expectations, three actions per goal (a course from a catalogue of one resource per
competency, a mentor, a stretch assignment), two check-ins per plan."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg

from bench.stages.base import World, insert_rows, seeded_uuid
from bench.stages.framework import Framework, Role
from bench.stages.people import Person

COMPLETED_SHARE = 0.25
GOALS = 3


class DevelopmentStage:
    name = "development"
    version = 1

    async def load(self, conn: asyncpg.Connection, world: World) -> dict[str, int]:
        rng = world.rng("development")
        people: list[Person] = world.data["people"]
        fw: Framework = world.data["framework"]
        roles: dict[int, Role] = world.data["roles_by_person"]
        org = world.org_id
        now = dt.datetime.now(dt.UTC)
        today = now.date()
        resources = [
            (seeded_uuid(rng), org, f"lms-{i}", f"{name} in practice", "COURSE", 240)
            for i, (_, name, _) in enumerate(fw.competencies)
        ]
        links = [(org, r[0], fw.competencies[i][0], 1, 5) for i, r in enumerate(resources)]
        plans: list[tuple[Any, ...]] = []
        goals: list[tuple[Any, ...]] = []
        actions: list[tuple[Any, ...]] = []
        check_ins: list[tuple[Any, ...]] = []
        active = [p for p in people if p.status != "TERMINATED" and p.index in roles]
        for person in active:
            role = roles[person.index]
            manager = people[person.manager].id if person.manager is not None else None
            kinds = ["ACTIVE"] + (["COMPLETED"] if rng.random() < COMPLETED_SHARE else [])
            for status in kinds:
                plan_id = seeded_uuid(rng)
                starts = today - dt.timedelta(
                    days=rng.randint(30, 150) + (365 if status == "COMPLETED" else 0)
                )
                approved = dt.datetime.combine(starts, dt.time(10), dt.UTC)
                completed = approved + dt.timedelta(days=300) if status == "COMPLETED" else None
                plans.append(
                    (
                        plan_id,
                        org,
                        person.id,
                        f"Growth plan {starts.year}",
                        starts,
                        starts + dt.timedelta(days=365),
                        status,
                        "EMPLOYEE" if manager else "SYSTEM",
                        manager,
                        approved,
                        completed,
                        approved,
                        completed or approved,
                    )
                )
                chosen = rng.sample(role.expectations, min(GOALS, len(role.expectations)))
                for position, (competency, required, _, _) in enumerate(chosen, start=1):
                    goal_id = seeded_uuid(rng)
                    target = min(5, required + 1)
                    due = starts + dt.timedelta(days=rng.randint(60, 300))
                    done = status == "COMPLETED"
                    goals.append(
                        (
                            goal_id,
                            org,
                            plan_id,
                            position,
                            f"Grow {fw.competencies[competency][1]}",
                            fw.competencies[competency][0],
                            target,
                            due,
                            "ACHIEVED" if done else "OPEN",
                            100 if done else rng.choice([0, 20, 40, 60]),
                            completed if done else None,
                        )
                    )
                    mentor = people[rng.randrange(len(people))].id
                    for k, (kind, title, resource, who) in enumerate(
                        (
                            ("COURSE", resources[competency][3], resources[competency][0], None),
                            ("MENTORING", "Monthly mentoring", None, mentor),
                            (
                                "STRETCH_ASSIGNMENT",
                                "Lead a piece of work beyond the role",
                                None,
                                None,
                            ),
                        ),
                        start=1,
                    ):
                        actions.append(
                            (
                                seeded_uuid(rng),
                                org,
                                goal_id,
                                plan_id,
                                k,
                                kind,
                                title,
                                resource,
                                who,
                                due,
                                "DONE" if done else rng.choice(["PLANNED", "IN_PROGRESS", "DONE"]),
                            )
                        )
                for days in (20, 5):
                    check_ins.append(
                        (
                            seeded_uuid(rng),
                            org,
                            plan_id,
                            "EMPLOYEE",
                            manager or person.id,
                            min(today, starts + dt.timedelta(days=days)),
                            "Reviewed progress; next steps agreed.",
                        )
                    )
        counts = {
            "learning_resources": await insert_rows(
                conn,
                "learning_resources",
                "id uuid, org_id uuid, external_id text, title text, kind text, duration_minutes int",
                resources,
            ),
            "learning_resource_competencies": await insert_rows(
                conn,
                "learning_resource_competencies",
                "org_id uuid, resource_id uuid, competency_id uuid, min_level int, max_level int",
                links,
            ),
            "development_plans": await insert_rows(
                conn,
                "development_plans",
                "id uuid, org_id uuid, employee_id uuid, title text, starts_on date, ends_on date, "
                "status text, approved_by_type text, approved_by_id uuid, approved_at timestamptz, "
                "completed_at timestamptz, created_at timestamptz, updated_at timestamptz",
                plans,
            ),
            "development_goals": await insert_rows(
                conn,
                "development_goals",
                "id uuid, org_id uuid, plan_id uuid, position int, title text, competency_id uuid, "
                "target_level int, due_on date, status text, progress int, achieved_at timestamptz",
                goals,
            ),
            "development_actions": await insert_rows(
                conn,
                "development_actions",
                "id uuid, org_id uuid, goal_id uuid, plan_id uuid, position int, kind text, "
                "title text, resource_id uuid, mentor_id uuid, due_on date, status text",
                actions,
            ),
            "development_check_ins": await insert_rows(
                conn,
                "development_check_ins",
                "id uuid, org_id uuid, plan_id uuid, author_type text, author_id uuid, "
                "held_on date, note text",
                check_ins,
            ),
        }
        return counts

    async def facts(self, conn: asyncpg.Connection, org_id: uuid.UUID) -> dict[str, Any]:
        return {
            "development_plans": await conn.fetchval(
                "select count(*) from development_plans where org_id = $1", org_id
            )
        }
