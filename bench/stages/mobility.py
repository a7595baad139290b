"""Mobility: one open posting per ten people (1,000 at 10,000 employees) of every kind,
career aspirations for three people in ten (half of them discoverable), and applications
to about one posting in two.

ROLE postings offer a role of the generated framework and require its expectations (core
ones as must-haves); the other kinds require three competencies at levels 2 to 4. Each
posting's hiring manager is someone with reports, posting for their own org unit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg

from bench.stages.base import World, insert_rows, seeded_uuid
from bench.stages.framework import Framework, Role
from bench.stages.people import Person

POSTINGS_PER_PERSON = 0.1
ASPIRATION_SHARE = 0.3
DISCOVERABLE_SHARE = 0.5
KINDS = ["ROLE", "ROLE", "PROJECT", "GIG", "ROTATION", "MENTORSHIP"]
OPEN_TO = ["ROLES", "PROJECTS", "GIGS", "ROTATIONS", "MENTORING"]
STATUSES = ["SUBMITTED", "IN_REVIEW", "INTERVIEWING", "OFFERED"]


class MobilityStage:
    name = "mobility"
    version = 1

    async def load(self, conn: asyncpg.Connection, world: World) -> dict[str, int]:
        rng = world.rng("mobility")
        people: list[Person] = world.data["people"]
        fw: Framework = world.data["framework"]
        roles: dict[int, Role] = world.data["roles_by_person"]
        units = world.data["units"]
        org = world.org_id
        now = dt.datetime.now(dt.UTC)
        active = [p for p in people if p.status == "ACTIVE"]
        has_reports = {p.manager for p in people if p.manager is not None}
        managers = [p for p in active if p.index in has_reports and p.unit >= 0]
        postings: list[tuple[Any, ...]] = []
        requirements: list[tuple[Any, ...]] = []
        count = max(10, int(len(people) * POSTINGS_PER_PERSON))
        for i in range(count):
            kind = KINDS[i % len(KINDS)]
            manager = managers[rng.randrange(len(managers))]
            posting_id = seeded_uuid(rng)
            role = fw.roles[rng.randrange(len(fw.roles))] if kind == "ROLE" else None
            if role is not None:
                wanted = [(c, level, core, weight) for c, level, weight, core in role.expectations]
            else:
                picked = rng.sample(range(len(fw.competencies)), 3)
                wanted = [(c, rng.randint(2, 4), j == 0, 1.0) for j, c in enumerate(picked)]
            for c, level, must, weight in wanted:
                requirements.append((org, posting_id, fw.competencies[c][0], level, must, weight))
            opened = now - dt.timedelta(days=rng.randint(1, 60))
            deadline = (now + dt.timedelta(days=rng.randint(200, 400))).date() if i % 3 else None
            postings.append(
                (
                    posting_id,
                    org,
                    kind,
                    f"{role.title if role else kind.title()} opening {i + 1}",
                    role.id if role else None,
                    units[manager.unit].id,
                    manager.id,
                    manager.id,
                    1.0 if kind == "ROLE" else round(rng.choice([0.1, 0.2, 0.5]), 2),
                    deadline,
                    "OPEN",
                    opened,
                    opened,
                    opened,
                )
            )
        counts = {
            "postings": await insert_rows(
                conn,
                "postings",
                "id uuid, org_id uuid, kind text, title text, role_id uuid, org_unit_id uuid, "
                "hiring_manager_id uuid, created_by_id uuid, commitment float8, "
                "application_deadline date, status text, opened_at timestamptz, "
                "created_at timestamptz, updated_at timestamptz",
                postings,
            ),
            "posting_requirements": await insert_rows(
                conn,
                "posting_requirements",
                "org_id uuid, posting_id uuid, competency_id uuid, required_level int, "
                "must_have bool, weight float8",
                requirements,
            ),
        }
        aspirations: list[tuple[Any, ...]] = []
        for p in active:
            if rng.random() >= ASPIRATION_SHARE:
                continue
            target = fw.roles[rng.randrange(len(fw.roles))]
            held = roles.get(p.index)
            families = sorted(
                {fw.family_ids[target.family]} | ({fw.family_ids[held.family]} if held else set())
            )
            aspirations.append(
                (
                    seeded_uuid(rng),
                    org,
                    p.id,
                    _array([target.id]),
                    _array(families),
                    _array(rng.sample(OPEN_TO, rng.randint(0, 3))),
                    rng.random() < DISCOVERABLE_SHARE,
                )
            )
        # Array columns travel as text literals: unnest would flatten arrays of arrays.
        if aspirations:
            await conn.execute(
                "insert into career_aspirations (id, org_id, employee_id, target_role_ids, "
                "family_ids, open_to, discoverable) select id, org_id, employee_id, "
                "cast(t as uuid[]), cast(f as uuid[]), cast(o as text[]), d from unnest("
                "$1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], "
                "$7::bool[]) as x(id, org_id, employee_id, t, f, o, d)",
                *[list(col) for col in zip(*aspirations, strict=True)],
            )
        counts["career_aspirations"] = len(aspirations)
        applications: list[tuple[Any, ...]] = []
        for posting in postings:
            if rng.random() < 0.5:
                continue
            for person in rng.sample(active, rng.randint(1, 4)):
                if person.id == posting[6]:
                    continue
                status = STATUSES[rng.randrange(len(STATUSES))]
                applications.append(
                    (seeded_uuid(rng), org, posting[0], person.id, status, STATUSES.index(status))
                )
        counts["applications"] = await insert_rows(
            conn,
            "applications",
            "id uuid, org_id uuid, posting_id uuid, employee_id uuid, status text, reached int",
            applications,
        )
        return counts

    async def facts(self, conn: asyncpg.Connection, org_id: uuid.UUID) -> dict[str, Any]:
        """The ROLE posting with the most applicants, for its candidates."""
        row = await conn.fetchrow(
            "select p.id, count(a.id) as applicants from postings p "
            "left join applications a on a.posting_id = p.id "
            "where p.org_id = $1 and p.kind = 'ROLE' and p.status = 'OPEN' "
            "group by p.id order by count(a.id) desc, p.id limit 1",
            org_id,
        )
        open_postings = await conn.fetchval(
            "select count(*) from postings where org_id = $1 and status = 'OPEN'", org_id
        )
        return {
            "mobility": {
                "posting": str(row["id"]),
                "applicants": row["applicants"],
                "open_postings": open_postings,
            }
        }


def _array(values: list[Any]) -> str:
    """A PostgreSQL array literal of plain values (UUIDs, enum names)."""
    return "{" + ",".join(str(v) for v in values) + "}"
