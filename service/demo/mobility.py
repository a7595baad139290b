"""The demo organization's internal mobility: a dozen open postings of every kind with their
competency requirements, aspirations for a third of the employees, and applications in
several stages (one gig already filled).

Everything goes through the mobility service as the people involved, so the demo holds
exactly what the API would have written (audit, events, versions)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from service.db import Executor
from service.demo.common import EMPLOYEE, MANAGER, person, records
from service.demo.people import people
from service.framework import queries as framework_queries
from service.framework.models import competencies, job_families, roles
from service.mobility import service as mobility


@dataclass(frozen=True)
class DemoPosting:
    key: str
    kind: str
    title: str
    hiring_manager: str  # employee key; the unit is theirs
    description: str
    role: str | None = None
    # (competency key, required level, must-have, weight); empty for a ROLE: the role's
    requirements: tuple[tuple[str, int, bool, float], ...] = ()
    commitment: float = 1.0
    weeks: int | None = None  # duration, for the kinds that end
    remote: bool = False
    location: str | None = None
    deadline_days: int = 60


_DATA = records("mobility")

POSTINGS = [
    DemoPosting(
        **{k: v for k, v in p.items() if k != "requirements"},
        requirements=tuple(tuple(r) for r in p.get("requirements", ())),
    )
    for p in _DATA["postings"]
]

# (applicant, posting, stages to move through, confidential, feedback when rejected)
APPLICATIONS: list[tuple[str, str, tuple[str, ...], bool, str | None]] = [
    (applicant, posting, tuple(stages), confidential, feedback)
    for applicant, posting, stages, confidential, feedback in _DATA["applications"]
]

# What the employees who record an aspiration are open to, and their horizons, in turn.
OPEN_TO: list[list[str]] = _DATA["open_to"]
HORIZONS: list[str] = _DATA["horizons"]
# Extra interests beyond the next step of one's own track: engineers eyeing product.
EXTRA_FAMILY: dict[str, str] = _DATA["extra_family"]


@dataclass
class Loaded:
    postings: dict[str, uuid.UUID] = field(default_factory=dict)
    applications: dict[tuple[str, str], uuid.UUID] = field(default_factory=dict)
    aspirations: list[str] = field(default_factory=list)


async def load_mobility(
    db: Executor,
    org_id: uuid.UUID,
    ids: dict[str, uuid.UUID],
    role_ids: dict[str, uuid.UUID],
    today: dt.date | None = None,
) -> Loaded:
    """Write the demo's aspirations, postings and applications."""
    today = today or mobility.today()
    out = Loaded()
    comp = {r.key: r.id for r in (await db.execute(select(competencies.c.key, competencies.c.id)))}
    await _aspirations(db, org_id, ids, role_ids, out)
    for p in POSTINGS:
        manager = person(org_id, ids[p.hiring_manager], MANAGER)
        start = today + dt.timedelta(days=p.deadline_days + 14)
        row = await mobility.create_posting(
            db,
            manager,
            mobility.PostingInput(
                kind=p.kind,
                title=p.title,
                description=p.description,
                role_id=role_ids[p.role] if p.role else None,
                org_unit_id=await _unit_of(db, ids[p.hiring_manager]),
                location=p.location,
                remote=p.remote,
                commitment=p.commitment,
                start_date=start,
                end_date=start + dt.timedelta(weeks=p.weeks) if p.weeks else None,
                application_deadline=today + dt.timedelta(days=p.deadline_days),
                requirements=[
                    mobility.RequirementInput(comp[key], level, must, weight)
                    for key, level, must, weight in p.requirements
                ]
                if p.requirements
                else None,
            ),
        )
        await mobility.open_posting(db, manager, row.id, expected_version=None)
        out.postings[p.key] = row.id
    hiring = {p.key: p.hiring_manager for p in POSTINGS}
    for applicant, posting, stages, confidential, feedback in APPLICATIONS:
        me = person(org_id, ids[applicant], EMPLOYEE)
        app = await mobility.apply_to_posting(
            db, me, out.postings[posting], _note(applicant, posting), confidential
        )
        manager = person(org_id, ids[hiring[posting]], MANAGER)
        for stage in stages:
            if stage == "ACCEPTED":
                app = await mobility.accept_offer(db, me, app.id)
            else:
                text = feedback if stage == "REJECTED" else None
                app = await mobility.move_application(db, manager, app.id, stage, text)
        out.applications[(applicant, posting)] = app.id
    return out


def _note(applicant: str, posting: str) -> str:
    return f"Interested in {posting.replace('-', ' ')}; happy to talk about how I would start."


async def _unit_of(db: Executor, employee_id: uuid.UUID) -> uuid.UUID:
    from service.people.models import employees

    found = (
        await db.execute(select(employees.c.org_unit_id).where(employees.c.id == employee_id))
    ).scalar_one()
    assert found is not None
    return found


async def _aspirations(
    db: Executor,
    org_id: uuid.UUID,
    ids: dict[str, uuid.UUID],
    role_ids: dict[str, uuid.UUID],
    out: Loaded,
) -> None:
    """A third of the employees (every third one) record an aspiration: the next steps of
    their track, their family (and product for some), what they are open to."""
    families = {
        r.key: r.id for r in (await db.execute(select(job_families.c.key, job_families.c.id)))
    }
    family_of = {
        r.id: r.family_id for r in (await db.execute(select(roles.c.id, roles.c.family_id)))
    }
    family_key = {v: k for k, v in families.items()}
    chosen = [p for i, p in enumerate(people()) if i % 3 == 1]
    held = [role_ids[p.role] for p in chosen if p.role]
    moves = dict(zip(held, await framework_queries.moves_from(db, held), strict=True))
    for i, someone in enumerate(chosen):
        role = role_ids[someone.role] if someone.role else None
        nexts = moves.get(role, []) if role else []
        wanted = [family_of[role]] if role else []
        extra = EXTRA_FAMILY.get(family_key[family_of[role]]) if role else None
        if extra and i % 2 == 0:
            wanted.append(families[extra])
        await mobility.set_career_aspiration(
            db,
            person(org_id, ids[someone.key], EMPLOYEE),
            mobility.AspirationInput(
                target_role_ids=[m.to_role_id for m in nexts[:2]],
                family_ids=wanted,
                open_to=OPEN_TO[i % len(OPEN_TO)],
                open_to_relocation=i % 4 == 0,
                time_horizon=HORIZONS[i % len(HORIZONS)],
                discoverable=i % 3 != 2,
                note=None,
            ),
        )
        out.aspirations.append(someone.key)
