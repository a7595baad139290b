"""The career framework: 12 job families, 9 levels, 300 roles on IC and management tracks,
a 1–5 proficiency scale, 60 competencies with descriptors, 4–6 core expectations per
role, lateral moves; every employee gets a role that fits their place in the org tree.

Per family (one per division of the people stage): two shared entry roles (levels 1–2),
three specialisations with a role at each of levels 3–8, and five management roles
(levels 5–9): 25 roles. Tracks: one IC track per specialisation (the two entry roles,
then its six roles: the entry roles sit on three tracks) and one management track
starting from the first specialisation's level-4 role. Lateral moves join the
specialisations of a family at each level and the first specialisation's level-4 role to
the next family's.

Competencies: 12 core (every role expects two or three), 8 leadership (management roles
and senior ICs) and 40 functional, three or four per family.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bench.stages.base import World, insert_rows, seeded_uuid
from bench.stages.people import DIVISIONS, Person

LEVELS = [
    "Associate",
    "Intermediate",
    "Experienced",
    "Senior",
    "Lead",
    "Staff",
    "Principal",
    "Distinguished",
    "Executive",
]
SCALE = ["Awareness", "Working", "Practitioner", "Advanced", "Expert"]
MANAGEMENT = {5: "Manager", 6: "Senior Manager", 7: "Director", 8: "Senior Director", 9: "VP"}
SPECIALISATIONS = {
    "Engineering": ("Backend", "Frontend", "Reliability"),
    "Sales": ("Enterprise", "Mid-Market", "Solutions"),
    "Marketing": ("Content", "Growth", "Product Marketing"),
    "Customer Success": ("Support", "Onboarding", "Account"),
    "Product": ("Platform", "Growth", "Data"),
    "Operations": ("Business", "Program", "Supply"),
    "Finance": ("Accounting", "Planning", "Treasury"),
    "People": ("Recruiting", "HR Partner", "Learning"),
    "Data": ("Analytics", "Data Engineering", "Data Science"),
    "Design": ("Product Design", "Research", "Brand"),
    "IT": ("Support", "Systems", "Security"),
    "Legal": ("Commercial", "Privacy", "Compliance"),
}
NOUN = {
    "Engineering": "Engineer",
    "Sales": "Sales Specialist",
    "Marketing": "Marketer",
    "Customer Success": "Customer Specialist",
    "Product": "Product Manager",
    "Operations": "Operations Specialist",
    "Finance": "Finance Specialist",
    "People": "People Specialist",
    "Data": "Data Specialist",
    "Design": "Designer",
    "IT": "IT Specialist",
    "Legal": "Legal Specialist",
}
CORE = (
    "Communication",
    "Collaboration",
    "Ownership",
    "Problem solving",
    "Customer focus",
    "Strategic thinking",
    "Execution",
    "Adaptability",
    "Coaching",
    "Decision making",
    "Influence",
    "Data literacy",
)
LEADERSHIP = (
    "People management",
    "Hiring",
    "Delegation",
    "Performance management",
    "Organizational design",
    "Vision",
    "Stakeholder management",
    "Change leadership",
)
FUNCTIONAL_TOPICS = ("Fundamentals", "Tools and practices", "Quality", "Domain knowledge")
#: Where individual contributors sit on the IC ladder (levels 1–8).
IC_LEVEL_WEIGHTS = (10, 20, 25, 22, 12, 7, 3, 1)


def slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


@dataclass
class Role:
    id: uuid.UUID
    key: str
    title: str
    family: int
    level: int  # 1–9
    expectations: list[tuple[int, int, float, bool]] = field(default_factory=list)
    # (competency index, required level, weight, core)


@dataclass
class Framework:
    scale_id: uuid.UUID
    level_ids: list[uuid.UUID]
    family_ids: list[uuid.UUID]
    competencies: list[tuple[uuid.UUID, str, str]]  # id, name, category
    roles: list[Role]
    by_key: dict[str, Role]
    tracks: list[tuple[uuid.UUID, int, str, str, list[Role]]]  # id, family, key, kind, steps
    laterals: list[tuple[Role, Role]]


def required(level: int, rng: random.Random) -> int:
    """The level a role at ``level`` (1–9) requires: rises from 1–2 to 5."""
    base = 1 + (level - 1) * 0.55
    return max(1, min(5, round(base + rng.uniform(-0.4, 0.4))))


def plan_framework(world: World) -> Framework:
    rng = world.rng("framework")
    scale_id = seeded_uuid(rng)
    level_ids = [seeded_uuid(rng) for _ in LEVELS]
    family_ids = [seeded_uuid(rng) for _ in DIVISIONS]
    competencies: list[tuple[uuid.UUID, str, str]] = []
    competencies += [(seeded_uuid(rng), name, "Core") for name in CORE]
    competencies += [(seeded_uuid(rng), name, "Leadership") for name in LEADERSHIP]
    functional: dict[int, list[int]] = {f: [] for f in range(len(DIVISIONS))}
    for i in range(40):
        family = i % len(DIVISIONS)
        topic = FUNCTIONAL_TOPICS[i // len(DIVISIONS)]
        functional[family].append(len(competencies))
        competencies.append((seeded_uuid(rng), f"{DIVISIONS[family]}: {topic}", DIVISIONS[family]))
    core_ids = list(range(len(CORE)))
    leadership_ids = list(range(len(CORE), len(CORE) + len(LEADERSHIP)))

    roles: list[Role] = []
    by_key: dict[str, Role] = {}
    tracks: list[tuple[uuid.UUID, int, str, str, list[Role]]] = []
    laterals: list[tuple[Role, Role]] = []

    def add(key: str, title: str, family: int, level: int, management: bool) -> Role:
        role = Role(seeded_uuid(rng), key, title, family, level)
        picks: list[tuple[int, bool]] = [(c, True) for c in rng.sample(core_ids, 2)]
        if management:
            picks += [(c, True) for c in rng.sample(leadership_ids, 3)]
            picks += [(rng.choice(functional[family]), True)]
        else:
            picks += [(c, True) for c in rng.sample(functional[family], rng.randint(2, 3))]
            if level >= 5:
                picks += [(rng.choice(leadership_ids), True)]
        extra = [c for c in core_ids if c not in {p for p, _ in picks}]
        picks += [(c, False) for c in rng.sample(extra, rng.randint(0, 2))]
        for competency, core in picks[:8]:
            weight = 2.0 if core and rng.random() < 0.3 else 1.0 if core else 0.5
            role.expectations.append((competency, required(level, rng), weight, core))
        roles.append(role)
        by_key[key] = role
        return role

    for f, division in enumerate(DIVISIONS):
        fam = slug(division)
        noun = NOUN[division]
        entry = [
            add(f"{fam}-l{lv}", f"{LEVELS[lv - 1]} {noun}", f, lv, management=False)
            for lv in (1, 2)
        ]
        ladders = []
        for spec in SPECIALISATIONS[division]:
            ladder = [
                add(
                    f"{fam}-{slug(spec)}-l{lv}",
                    f"{LEVELS[lv - 1]} {spec} {noun}",
                    f,
                    lv,
                    management=False,
                )
                for lv in range(3, 9)
            ]
            ladders.append(ladder)
            tracks.append((seeded_uuid(rng), f, f"{fam}-{slug(spec)}", "IC", entry + ladder))
        managers = [
            add(f"{fam}-m{lv}", f"{MANAGEMENT[lv]}, {division}", f, lv, management=True)
            for lv in range(5, 10)
        ]
        tracks.append(
            (seeded_uuid(rng), f, f"{fam}-management", "MANAGEMENT", [ladders[0][1], *managers])
        )
        for one, other in ((0, 1), (1, 2)):
            for i in range(6):
                x, y = ladders[one][i], ladders[other][i]
                laterals += [(x, y), (y, x)]
    for f, division in enumerate(DIVISIONS):
        here = slug(division)
        there = slug(DIVISIONS[(f + 1) % len(DIVISIONS)])
        a = by_key[f"{here}-{slug(SPECIALISATIONS[division][0])}-l4"]
        next_division = DIVISIONS[(f + 1) % len(DIVISIONS)]
        b = by_key[f"{there}-{slug(SPECIALISATIONS[next_division][0])}-l4"]
        laterals.append((a, b))
    return Framework(scale_id, level_ids, family_ids, competencies, roles, by_key, tracks, laterals)


def assign_roles(world: World, fw: Framework, people: list[Person]) -> dict[int, Role]:
    """A role for everyone: leaders by their level in the tree, ICs on their division's
    IC ladder (mostly levels 2–5)."""
    rng = world.rng("framework.assign")
    has_reports = {p.manager for p in people if p.manager is not None}
    assigned: dict[int, Role] = {}
    for p in people:
        fam = slug(DIVISIONS[p.division])
        if p.index in has_reports:
            level = {0: 9, 1: 9, 2: 8, 3: rng.choice((6, 7))}.get(p.level, rng.choice((5, 5, 6)))
            assigned[p.index] = fw.by_key[f"{fam}-m{level}"]
            continue
        level = rng.choices(range(1, 9), weights=IC_LEVEL_WEIGHTS)[0]
        if level <= 2:
            assigned[p.index] = fw.by_key[f"{fam}-l{level}"]
        else:
            spec = rng.choice(SPECIALISATIONS[DIVISIONS[p.division]])
            assigned[p.index] = fw.by_key[f"{fam}-{slug(spec)}-l{level}"]
    return assigned


class FrameworkStage:
    name = "framework"
    version = 1

    async def load(self, conn: asyncpg.Connection, world: World) -> dict[str, int]:
        fw = plan_framework(world)
        people: list[Person] = world.data["people"]
        assigned = assign_roles(world, fw, people)
        world.data["framework"] = fw
        world.data["roles_by_person"] = assigned
        org = world.org_id
        counts: dict[str, int] = {}
        counts["proficiency_scales"] = await insert_rows(
            conn,
            "proficiency_scales",
            "id uuid, org_id uuid, key text, name text",
            [(fw.scale_id, org, "proficiency", "Proficiency")],
        )
        counts["scale_levels"] = await insert_rows(
            conn,
            "scale_levels",
            "org_id uuid, scale_id uuid, value int4, name text",
            [(org, fw.scale_id, v, name) for v, name in enumerate(SCALE, start=1)],
        )
        counts["levels"] = await insert_rows(
            conn,
            "levels",
            "id uuid, org_id uuid, key text, name text, rank int4",
            [
                (fw.level_ids[i], org, f"l{i + 1}", name, (i + 1) * 10)
                for i, name in enumerate(LEVELS)
            ],
        )
        counts["job_families"] = await insert_rows(
            conn,
            "job_families",
            "id uuid, org_id uuid, key text, name text",
            [(fw.family_ids[f], org, slug(d), d) for f, d in enumerate(DIVISIONS)],
        )
        counts["roles"] = await insert_rows(
            conn,
            "roles",
            "id uuid, org_id uuid, key text, title text, family_id uuid, level_id uuid, description text",
            [
                (
                    *(r.id, org, r.key, r.title, fw.family_ids[r.family]),
                    *(fw.level_ids[r.level - 1], f"{r.title}, level {r.level}."),
                )
                for r in fw.roles
            ],
        )
        counts["competencies"] = await insert_rows(
            conn,
            "competencies",
            "id uuid, org_id uuid, key text, name text, category text, scale_id uuid, description text",
            [
                (cid, org, slug(name), name, category, fw.scale_id, f"{name} ({category}).")
                for cid, name, category in fw.competencies
            ],
        )
        counts["competency_descriptors"] = await insert_rows(
            conn,
            "competency_descriptors",
            "org_id uuid, competency_id uuid, level int4, description text",
            [
                (org, cid, v, f"{SCALE[v - 1]} in {name.lower()}.")
                for cid, name, _ in fw.competencies
                for v in range(1, len(SCALE) + 1)
            ],
        )
        counts["role_expectations"] = await insert_rows(
            conn,
            "role_expectations",
            "org_id uuid, role_id uuid, competency_id uuid, required_level int4, weight float8, core bool",
            [
                (org, r.id, fw.competencies[c][0], level, weight, core)
                for r in fw.roles
                for c, level, weight, core in r.expectations
            ],
        )
        counts["tracks"] = await insert_rows(
            conn,
            "tracks",
            "id uuid, org_id uuid, key text, name text, family_id uuid, kind text",
            [
                (tid, org, key, key.replace("-", " ").title(), fw.family_ids[f], kind)
                for tid, f, key, kind, _ in fw.tracks
            ],
        )
        counts["track_steps"] = await insert_rows(
            conn,
            "track_steps",
            "org_id uuid, track_id uuid, position int4, role_id uuid",
            [
                (org, tid, position, role.id)
                for tid, _, _, _, steps in fw.tracks
                for position, role in enumerate(steps, start=1)
            ],
        )
        moves = world.rng("framework.moves")
        counts["role_transitions"] = await insert_rows(
            conn,
            "role_transitions",
            "id uuid, org_id uuid, from_role_id uuid, to_role_id uuid, kind text",
            [(seeded_uuid(moves), org, a.id, b.id, "LATERAL") for a, b in fw.laterals],
        )
        # Everyone's role (and the HRIS title that goes with it), and the role they were
        # hired into, for the position history.
        rows = [(people[i].id, role.id, role.title) for i, role in assigned.items()]
        await conn.execute(
            """
            update employees e set role_id = t.role_id, title = t.title
            from unnest($1::uuid[], $2::uuid[], $3::text[]) as t(id, role_id, title)
            where e.id = t.id
            """,
            *[list(col) for col in zip(*rows, strict=True)],
        )
        await conn.execute(
            "update position_history p set role_id = e.role_id, title = e.title "
            "from employees e where e.id = p.employee_id"
        )
        counts["employees with a role"] = len(rows)
        return counts

    async def facts(self, conn: asyncpg.Connection, org_id: uuid.UUID) -> dict[str, Any]:
        """Two roles four steps apart (an engineer at level 2 and a senior engineering
        manager), for careerPaths."""
        rows = await conn.fetch(
            "select key, id from roles where org_id = $1 and key = any($2::text[])",
            org_id,
            ["engineering-l2", "engineering-m6"],
        )
        ids = {r["key"]: str(r["id"]) for r in rows}
        return {
            "career_path": {"from": ids["engineering-l2"], "to": ids["engineering-m6"]},
            "roles": await conn.fetchval("select count(*) from roles where org_id = $1", org_id),
        }
