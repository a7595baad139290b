"""Promotions: readiness history for everyone with a next role, and promotion cases for
about one person in twenty-five.

Readiness is the service's own: the snapshot statement of ``service.promotions.queries``
runs over everyone as of about ten months before the day of generation. For about half
the people two later snapshots follow (a dip about four months back, then the earlier
value a month back), so ``passedOver`` finds some people ready for long and others whose
clock restarted. Cases are spread over every status, proposed by each person's manager.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import asyncpg

from bench.stages.base import World, insert_rows, seeded_uuid
from bench.stages.people import Person
from service.db import quote_ident

SNAPSHOT_BATCH = 5_000
CASE_SHARE = 0.04
DIP_SHARE = 0.5
STATUSES = [
    ("PROPOSED", 0.3),
    ("REJECTED", 0.25),
    ("EFFECTIVE", 0.25),
    ("APPROVED", 0.1),
    ("CANCELLED", 0.1),
]


# The role the migrations granted the tables to: the service's (the benchmark's, or the
# tests' when they generate an organization into their own database).
APP_ROLE_SQL = """
    select grantee from information_schema.role_table_grants
    where table_schema = 'public' and table_name = 'readiness_snapshots'
      and privilege_type = 'INSERT' and grantee <> current_user
    order by grantee limit 1
"""


def _snapshot_sql(names: list[str]) -> str:
    """The service's snapshot statement with its named parameters as ``$1``… in ``names``
    order (longest names first, so no name is replaced inside a longer one)."""
    from service.promotions.queries import SNAPSHOT_SQL

    sql = str(SNAPSHOT_SQL.text)
    for name in sorted(names, key=len, reverse=True):
        sql = sql.replace(f":{name}", f"${names.index(name) + 1}")
    return sql


class PromotionsStage:
    name = "promotions"
    version = 1

    async def load(self, conn: asyncpg.Connection, world: World) -> dict[str, int]:
        from service.assessments.queries import Rules
        from service.config import AssessmentSettings

        rng = world.rng("promotions")
        people: list[Person] = world.data["people"]
        org = world.org_id
        now = dt.datetime.now(dt.UTC)
        rules = Rules.from_settings(AssessmentSettings(), now).params()
        ids = [p.id for p in people if p.status != "TERMINATED"]
        names = ["ids", "taken_at", *rules]
        sql = _snapshot_sql(names)
        # As the service runs it: as the app role, under the tenant policies (whose
        # organization predicate is what lets the per-person lookups use their indexes).
        app_role = await conn.fetchval(APP_ROLE_SQL)
        if app_role:
            await conn.execute(f"set local role {quote_ident(app_role)}")
        try:
            for start in range(0, len(ids), SNAPSHOT_BATCH):
                await conn.execute(
                    sql,
                    ids[start : start + SNAPSHOT_BATCH],
                    now - dt.timedelta(days=300),
                    *rules.values(),
                )
        finally:
            if app_role:
                await conn.execute("reset role")
        first = await conn.fetch(
            "select employee_id, role_id, target_role_id, readiness from readiness_snapshots "
            "where org_id = $1 order by employee_id",
            org,
        )
        later: list[tuple[Any, ...]] = []
        for r in first:
            if rng.random() < DIP_SHARE and r["readiness"] is not None:
                for days, value in (
                    (120, float(r["readiness"]) * 0.7),
                    (30, float(r["readiness"])),
                ):
                    later.append(
                        (
                            seeded_uuid(rng),
                            org,
                            r["employee_id"],
                            r["role_id"],
                            r["target_role_id"],
                            round(value, 4),
                            now - dt.timedelta(days=days),
                        )
                    )
        counts = {
            "readiness_snapshots": len(first)
            + await insert_rows(
                conn,
                "readiness_snapshots",
                "id uuid, org_id uuid, employee_id uuid, role_id uuid, target_role_id uuid, "
                "readiness numeric, taken_at timestamptz",
                later,
            )
        }
        by_id = {p.id: p for p in people}
        cases: list[tuple[Any, ...]] = []
        today = now.date()
        for r in first:
            person = by_id[r["employee_id"]]
            if rng.random() >= CASE_SHARE or person.manager is None:
                continue
            roll, status = rng.random(), STATUSES[-1][0]
            for name, share in STATUSES:
                if roll < share:
                    status = name
                    break
                roll -= share
            proposed = now - dt.timedelta(days=rng.randint(20, 200))
            decided = None if status == "PROPOSED" else proposed + dt.timedelta(days=10)
            effective = (
                today + dt.timedelta(days=rng.randint(10, 60))
                if status in ("PROPOSED", "APPROVED")
                else (proposed + dt.timedelta(days=30)).date()
            )
            readiness = float(r["readiness"]) if r["readiness"] is not None else None
            evidence = {
                "capturedAt": proposed.isoformat(),
                "roleId": str(r["target_role_id"]),
                "roleTitle": "",
                "readiness": readiness,
                "expectations": [],
            }
            cases.append(
                (
                    seeded_uuid(rng),
                    org,
                    person.id,
                    r["role_id"],
                    r["target_role_id"],
                    status,
                    "Operates at the next level.",
                    json.dumps(evidence),
                    effective,
                    "EMPLOYEE",
                    people[person.manager].id,
                    None if decided is None else "EMPLOYEE",
                    None if decided is None else people[person.manager].id,
                    decided,
                    "Not this cycle." if status == "REJECTED" else None,
                    decided if status == "EFFECTIVE" else None,
                    proposed,
                    decided or proposed,
                )
            )
        counts["promotions"] = await insert_rows(
            conn,
            "promotions",
            "id uuid, org_id uuid, employee_id uuid, from_role_id uuid, to_role_id uuid, "
            "status text, justification text, evidence jsonb, effective_date date, "
            "proposer_type text, proposer_id uuid, decider_type text, decider_id uuid, "
            "decided_at timestamptz, decision_note text, effective_at timestamptz, "
            "created_at timestamptz, updated_at timestamptz",
            cases,
        )
        return counts

    async def facts(self, conn: asyncpg.Connection, org_id: uuid.UUID) -> dict[str, Any]:
        return {
            "promotions": await conn.fetchval(
                "select count(*) from promotions where org_id = $1", org_id
            )
        }
