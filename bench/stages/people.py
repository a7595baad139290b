"""People: an org tree of six levels with spans of 3–12, org units, employees, history.

The tree is built level by level. At each level the mean span is solved so that the
remaining levels hold exactly the requested number of people (a + a² + … = remaining per
manager), each manager's span is drawn around that mean within 3–12, and the last level
shares out whatever remains. Everyone above the last level has reports; the last level
is individual contributors. At 10,000 people the mean span is about 6.

Heads of levels 0–3 (CEO, divisions, departments, teams) each head an org unit; people
below a team head belong to the team's unit.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.stages.base import World, insert_rows, seeded_uuid

LEVELS = 6  # CEO at level 0, individual contributors at level 5
SPAN_MIN, SPAN_MAX = 3, 12
UNIT_LEVELS = 4  # levels 0-3 head org units
TEAM_SIZE_TARGET = 50  # the manager persona: reports at all levels closest to this


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = words(
    "Ada Alan Alice Amara Ana Andrei Anika Aoife Arjun Astrid Ayla Bea Ben Bjorn Bruno "
    "Camila Carlos Carmen Chen Chiara Chloe Dana Daniel Dara David Diego Dmitri Elena Eli "
    "Emeka Emma Erik Esther Farah Felix Fatima Finn Gabriel Grace Hana Hannah Hugo Ines "
    "Isaac Ivan Jada Jonas Jorge Julia Kai Kamal Karin Kenji Lara Lea Leo Liam Lina Lucas "
    "Maya Malik Marco Maria Mateo Mei Mia Mohammed Nadia Nina Noah Nora Olga Omar Oscar "
    "Paula Pedro Priya Rafael Rana Ravi Rosa Ruth Sam Sara Sofia Sven Tara Theo Tomas "
    "Una Valentina Vera Wei Yara Yusuf Zara Zoe"
)
LAST_NAMES = words(
    "Abe Adeyemi Alvarez Andersen Bauer Becker Bianchi Brown Campbell Castillo Chen Costa "
    "Cruz Dubois Dvorak Eriksen Evans Fernandez Fischer Garcia Gomez Gruber Gupta Hansen "
    "Haddad Hoffmann Horvat Ibrahim Ito Jansen Jensen Johnson Kaur Keller Khan Kim Kowalski "
    "Kumar Larsen Laurent Lee Lindqvist Lopez Martin Martinez Meyer Moreau Muller Murphy "
    "Nakamura Nguyen Novak Nowak Okafor Olsen Ortiz Park Patel Perez Petrov Popescu Quinn "
    "Ramos Reyes Ricci Rossi Russo Sato Schmidt Schneider Silva Singh Smith Sousa Suzuki "
    "Svensson Tanaka Taylor Thomas Torres Vargas Varga Wagner Walker Wang Weber Williams "
    "Wilson Wong Yamamoto Yilmaz Young Zhang Zimmermann"
)
DIVISIONS = (
    "Engineering",
    "Sales",
    "Marketing",
    "Customer Success",
    "Product",
    "Operations",
    "Finance",
    "People",
    "Data",
    "Design",
    "IT",
    "Legal",
)
AREAS = (
    "Platform",
    "Growth",
    "Core",
    "Enterprise",
    "EMEA",
    "Americas",
    "APAC",
    "Infrastructure",
    "Analytics",
    "Partnerships",
    "Services",
    "Mobile",
)
IC_TITLES = {
    "Engineering": ("Software Engineer", "Senior Software Engineer", "Staff Engineer"),
    "Sales": ("Account Executive", "Sales Development Representative", "Sales Engineer"),
    "Marketing": ("Marketing Coordinator", "Content Strategist", "Marketing Manager"),
    "Customer Success": ("Support Specialist", "Customer Success Manager", "Onboarding Lead"),
    "Product": ("Product Manager", "Associate Product Manager", "Product Analyst"),
    "Operations": ("Operations Analyst", "Program Coordinator", "Operations Specialist"),
    "Finance": ("Accountant", "Financial Analyst", "Controller"),
    "People": ("HR Business Partner", "Recruiter", "People Operations Specialist"),
    "Data": ("Data Analyst", "Data Engineer", "Data Scientist"),
    "Design": ("Product Designer", "UX Researcher", "Visual Designer"),
    "IT": ("IT Support Engineer", "Systems Administrator", "Security Analyst"),
    "Legal": ("Counsel", "Paralegal", "Compliance Analyst"),
}
LOCATIONS = (
    "Berlin",
    "London",
    "Lisbon",
    "New York",
    "Austin",
    "Toronto",
    "Singapore",
    "Sydney",
    "Remote",
    "Remote",
)
TODAY = dt.date(2025, 6, 30)  # fixed, so the same seed gives the same dates on any day
FIRST_HIRE = dt.date(2008, 1, 7)


@dataclass
class Person:
    index: int
    id: uuid.UUID
    level: int
    manager: int | None
    division: int
    unit: int = -1
    name: str = ""
    email: str = ""
    title: str = ""
    location: str = ""
    hire_date: dt.date = FIRST_HIRE
    status: str = "ACTIVE"
    termination_date: dt.date | None = None


@dataclass
class Unit:
    index: int
    id: uuid.UUID
    parent: int | None
    name: str
    head: int


def mean_span(per_manager: float, levels: int) -> float:
    """``a`` with a + a² + … + a^levels = per_manager (bisection)."""
    lo, hi = 0.0, float(SPAN_MAX * 4)
    for _ in range(60):
        mid = (lo + hi) / 2
        if sum(mid**k for k in range(1, levels + 1)) < per_manager:
            lo = mid
        else:
            hi = mid
    return lo


def draw_span(rng: random.Random, mean: float) -> int:
    """An integer span in [SPAN_MIN, SPAN_MAX] whose expectation is ``mean`` (clamped)."""
    mean = min(max(mean, SPAN_MIN), SPAN_MAX)
    width = min(mean - SPAN_MIN, SPAN_MAX - mean, max(1.0, mean * 0.3))
    x = rng.uniform(mean - width, mean + width)
    base = int(x)
    return base + (1 if rng.random() < x - base else 0)


def share_out(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` uneven shares (largest remainder over random weights)."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    shares = [int(r) for r in raw]
    by_remainder = sorted(range(parts), key=lambda i: raw[i] - shares[i], reverse=True)
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


def build_tree(n: int, rng: random.Random) -> list[tuple[int, int | None]]:
    """(level, manager index) for ``n`` people in breadth-first order; index 0 is the CEO."""
    people: list[tuple[int, int | None]] = [(0, None)]
    current = [0]
    for level in range(1, LEVELS):
        remaining = n - len(people)
        if remaining <= 0 or not current:
            break
        levels_left = LEVELS - level
        if levels_left == 1:
            spans = share_out(rng, remaining, len(current))
        else:
            mean = mean_span(remaining / len(current), levels_left)
            spans = [draw_span(rng, mean) for _ in current]
            excess = sum(spans) - remaining
            i = len(spans) - 1
            while excess > 0 and i >= 0:  # tiny organizations: stop where the people run out
                cut = min(spans[i], excess)
                spans[i] -= cut
                excess -= cut
                i -= 1
        following = []
        for manager, span in zip(current, spans, strict=True):
            for _ in range(span):
                following.append(len(people))
                people.append((level, manager))
        current = following
    return people


def plan_people(world: World) -> tuple[list[Person], list[Unit]]:
    rng = world.rng("people")
    tree = build_tree(world.employees, rng)
    people: list[Person] = []
    for index, (level, manager) in enumerate(tree):
        if manager is None:
            division = 0
        elif level == 1:
            division = (index - 1) % len(DIVISIONS)
        else:
            division = people[manager].division
        people.append(Person(index, seeded_uuid(rng), level, manager, division))
    has_reports = {p.manager for p in people if p.manager is not None}

    units: list[Unit] = []
    area_counter: dict[int, int] = {}
    team_counter: dict[int, int] = {}
    for p in people:
        if p.level < UNIT_LEVELS and p.index in has_reports:
            parent_unit = people[p.manager].unit if p.manager is not None else None
            if p.level == 0:
                name = f"Bench Corp {world.employees}"
            elif p.level == 1:
                name = DIVISIONS[p.division]
            elif p.level == 2:
                k = area_counter.get(p.division, 0)
                area_counter[p.division] = k + 1
                suffix = f" {k // len(AREAS) + 1}" if k >= len(AREAS) else ""
                name = f"{DIVISIONS[p.division]} {AREAS[k % len(AREAS)]}{suffix}"
            else:
                assert parent_unit is not None
                team_counter[parent_unit] = team_counter.get(parent_unit, 0) + 1
                name = f"{units[parent_unit].name} Team {team_counter[parent_unit]}"
            units.append(Unit(len(units), seeded_uuid(rng), parent_unit, name, p.index))
            p.unit = units[-1].index
        else:
            p.unit = people[p.manager].unit if p.manager is not None else 0

    used_emails: set[str] = set()
    span_days = (TODAY - FIRST_HIRE).days
    for p in people:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        p.name = f"{first} {last}"
        local = f"{first}.{last}".lower()
        email, k = f"{local}@bench.example", 1
        while email in used_emails:
            k += 1
            email = f"{local}{k}@bench.example"
        used_emails.add(email)
        p.email = email
        division_name = DIVISIONS[p.division]
        p.title = (
            "Chief Executive Officer"
            if p.level == 0
            else f"VP {division_name}"
            if p.level == 1
            else f"Director, {units[p.unit].name}"
            if p.level == 2
            else "Senior Manager"
            if p.level == 3
            else "Team Lead"
            if p.index in has_reports
            else rng.choice(IC_TITLES[division_name])
        )
        p.location = rng.choice(LOCATIONS)
        # Leaders tend to have been here longer.
        earliest = int(span_days * 0.12 * p.level)
        p.hire_date = FIRST_HIRE + dt.timedelta(days=rng.randint(earliest, span_days))
        if p.index not in has_reports:
            roll = rng.random()
            if roll < 0.02:
                p.status = "TERMINATED"
                p.termination_date = min(
                    TODAY, p.hire_date + dt.timedelta(days=rng.randint(90, 2000))
                )
            elif roll < 0.035:
                p.status = "ON_LEAVE"
    return people, units


def choose_personas(
    rows: list[Any],
) -> tuple[Any, Any, Any, dict[Any, list[Any]], dict[Any, int], dict[Any, int]]:
    """(employee, manager, admin) among ``rows`` (id, manager_id, status, external_id; in
    external ID order), with each person's children, count below and depth."""
    children: dict[Any, list[Any]] = {}
    for r in rows:
        children.setdefault(r["manager_id"], []).append(r["id"])
    below: dict[Any, int] = {}
    for r in reversed(rows):  # breadth-first order reversed: reports before managers
        below[r["id"]] = sum(1 + below[c] for c in children.get(r["id"], []))
    depth: dict[Any, int] = {}
    for r in rows:
        depth[r["id"]] = 0 if r["manager_id"] is None else depth[r["manager_id"]] + 1
    active = [r for r in rows if r["status"] == "ACTIVE"]
    leaves = [r for r in active if not children.get(r["id"])]
    deepest = max(depth[r["id"]] for r in leaves)
    leaves = [r for r in leaves if depth[r["id"]] == deepest]
    managers = [r for r in active if children.get(r["id"]) and r["manager_id"] is not None]
    manager = min(
        managers or active,
        key=lambda r: (abs(below[r["id"]] - TEAM_SIZE_TARGET), r["external_id"]),
    )
    employee = leaves[len(leaves) // 2]
    admin = leaves[len(leaves) // 3]
    return employee, manager, admin, children, below, depth


class PeopleStage:
    name = "people"
    version = 2

    async def load(self, conn: asyncpg.Connection, world: World) -> dict[str, int]:
        people, units = plan_people(world)
        world.data["people"] = people
        world.data["units"] = units
        org = world.org_id
        counts = {
            "org_units": await insert_rows(
                conn,
                "org_units",
                [
                    ("id", "uuid"),
                    ("org_id", "uuid"),
                    ("external_id", "text"),
                    ("name", "text"),
                    ("parent_id", "uuid"),
                ],
                [
                    (
                        u.id,
                        org,
                        f"U{u.index:06d}",
                        u.name,
                        units[u.parent].id if u.parent is not None else None,
                    )
                    for u in units
                ],
            )
        }
        counts["employees"] = await insert_rows(
            conn,
            "employees",
            [
                ("id", "uuid"),
                ("org_id", "uuid"),
                ("external_id", "text"),
                ("auth_subject", "text"),
                ("email", "text"),
                ("name", "text"),
                ("title", "text"),
                ("org_unit_id", "uuid"),
                ("manager_id", "uuid"),
                ("location", "text"),
                ("hire_date", "date"),
                ("status", "text"),
                ("termination_date", "date"),
                ("termination_reason", "text"),
            ],
            [
                (
                    p.id,
                    org,
                    f"E{p.index:06d}",
                    f"bench|E{p.index:06d}",
                    p.email,
                    p.name,
                    p.title,
                    units[p.unit].id,
                    people[p.manager].id if p.manager is not None else None,
                    p.location,
                    p.hire_date,
                    p.status,
                    p.termination_date,
                    "Resigned" if p.status == "TERMINATED" else None,
                )
                for p in people
            ],
        )
        # The admin persona is named an HR admin, so its career:admin token acts as one.
        plan = [
            {
                "id": p.id,
                "manager_id": people[p.manager].id if p.manager is not None else None,
                "status": p.status,
                "external_id": f"E{p.index:06d}",
            }
            for p in sorted(people, key=lambda p: p.index)
        ]
        admin = choose_personas(plan)[2]
        counts["hr_admins"] = await insert_rows(
            conn, "hr_admins", "org_id uuid, employee_id uuid", [(org, admin["id"])]
        )
        counts["position_history"] = await insert_rows(
            conn,
            "position_history",
            [
                ("id", "uuid"),
                ("org_id", "uuid"),
                ("employee_id", "uuid"),
                ("kind", "text"),
                ("effective_date", "date"),
                ("org_unit_id", "uuid"),
                ("manager_id", "uuid"),
                ("previous_manager_id", "uuid"),
                ("title", "text"),
                ("source_type", "text"),
            ],
            self._history(world, people, units),
        )
        return counts

    def _history(
        self, world: World, people: list[Person], units: list[Unit]
    ) -> list[tuple[Any, ...]]:
        """A HIRE entry for everyone; a MANAGER_CHANGE for about a fifth (hired under a peer
        of their current manager); a TERMINATION for leavers."""
        rng = world.rng("people.history")
        peers: dict[int, list[int]] = {}
        for p in people:
            if p.manager is not None:
                peers.setdefault(people[p.manager].level, []).append(p.manager)
        rows: list[tuple[Any, ...]] = []
        for p in people:
            manager = people[p.manager].id if p.manager is not None else None
            hired_under = manager
            changed = False
            if p.manager is not None and rng.random() < 0.2:
                candidates = peers[people[p.manager].level]
                other = candidates[rng.randrange(len(candidates))]
                if other != p.manager and other != p.index:
                    hired_under, changed = people[other].id, True
            unit = units[p.unit].id
            head = (world.org_id, p.id)
            rows.append(
                (seeded_uuid(rng), *head, "HIRE", p.hire_date, unit, hired_under, None, p.title)
            )
            if changed:
                moved = p.hire_date + dt.timedelta(
                    days=rng.randint(30, max(31, (TODAY - p.hire_date).days))
                )
                moved = min(moved, TODAY)
                change = (unit, manager, hired_under, p.title)
                rows.append((seeded_uuid(rng), *head, "MANAGER_CHANGE", moved, *change))
            if p.termination_date is not None:
                left = p.termination_date
                rows.append(
                    (seeded_uuid(rng), *head, "TERMINATION", left, unit, manager, None, p.title)
                )
        return [(*row, "HRIS") for row in rows]

    async def facts(self, conn: asyncpg.Connection, org_id: uuid.UUID) -> dict[str, Any]:
        """Personas: an individual contributor, a manager of about 50 people (all levels)
        and an HR admin, all active."""
        rows = await conn.fetch(
            "select id, manager_id, status, external_id, auth_subject, name from employees"
            " where org_id = $1 order by external_id",
            org_id,
        )
        employee, manager, admin, children, below, depth = choose_personas(rows)

        def persona(r: Any, scopes: str) -> dict[str, Any]:
            return {
                "id": str(r["id"]),
                "subject": r["auth_subject"],
                "name": r["name"],
                "scopes": scopes,
                "reports_all_levels": below[r["id"]],
                "direct_reports": len(children.get(r["id"], [])),
                "chain_length": depth[r["id"]],
            }

        return {
            "employees": len(rows),
            "sync_batch": await sync_batch(conn, org_id),
            "personas": {
                "employee": persona(employee, "career:employee"),
                "manager": persona(manager, "career:employee career:manager"),
                "admin": persona(admin, "career:employee career:admin"),
            },
        }


SYNC_BATCH = 1000
SYNC_BATCH_SQL = """
    select e.external_id, e.name, e.email, e.title, e.hire_date, e.status,
           m.external_id as manager, u.external_id as unit
      from employees e
      left join employees m on m.id = e.manager_id
      left join org_units u on u.id = e.org_unit_id
     where e.org_id = $1 and e.status <> 'TERMINATED'
       and (m.id is null or m.status <> 'TERMINATED')
     order by e.external_id
     limit $2
"""


async def sync_batch(conn: asyncpg.Connection, org_id: uuid.UUID) -> list[dict[str, Any]]:
    """Up to 1,000 employees as an HRIS would send them again (``syncEmployees``
    records equal to what is stored), for the idempotent re-send operation."""
    rows = await conn.fetch(SYNC_BATCH_SQL, org_id, SYNC_BATCH)
    return [
        {
            "externalId": r["external_id"],
            "name": r["name"],
            "email": r["email"],
            "title": r["title"],
            "hireDate": r["hire_date"].isoformat() if r["hire_date"] else None,
            "status": r["status"],
            "managerExternalId": r["manager"],
            "orgUnitExternalId": r["unit"],
        }
        for r in rows
    ]
