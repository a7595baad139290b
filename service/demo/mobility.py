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

from service.auth.principal import ActorType, Principal
from service.db import Executor
from service.demo.people import people
from service.framework import queries as framework_queries
from service.framework.models import competencies, job_families, roles
from service.mobility import service as mobility

MANAGER = frozenset({"career:employee", "career:manager"})
EMPLOYEE = frozenset({"career:employee"})


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


POSTINGS = [
    DemoPosting(
        "platform-senior",
        "ROLE",
        "Senior Software Engineer, Platform",
        "platform-manager",
        "Own the deployment pipeline and the service mesh; mentor two engineers.",
        role="senior-software-engineer",
        location="Berlin",
        remote=True,
    ),
    DemoPosting(
        "pm-growth",
        "ROLE",
        "Product Manager, Growth",
        "product-principal",
        "Run discovery and experiments for self-serve sign-up and activation.",
        role="product-manager",
        location="Lisbon",
    ),
    DemoPosting(
        "cs-enterprise",
        "ROLE",
        "Enterprise Customer Success Manager",
        "cs-director",
        "Look after twelve enterprise accounts through renewal and expansion.",
        role="enterprise-customer-success-manager",
        location="London",
    ),
    DemoPosting(
        "mkt-lifecycle",
        "ROLE",
        "Marketing Specialist, Lifecycle",
        "mkt-manager",
        "Build the onboarding and re-engagement email programs.",
        role="marketing-specialist",
        remote=True,
    ),
    DemoPosting(
        "apm",
        "ROLE",
        "Associate Product Manager",
        "product-senior",
        "A first product role for someone who knows our customers or our code.",
        role="associate-product-manager",
        deadline_days=90,
    ),
    DemoPosting(
        "onboarding-revamp",
        "PROJECT",
        "Self-serve onboarding revamp",
        "apps-manager",
        "Three months with design and product to rebuild the first-run experience.",
        requirements=(
            ("technical-skills", 3, True, 2.0),
            ("product-discovery", 2, False, 1.0),
            ("collaboration", 3, False, 1.0),
        ),
        commitment=0.3,
        weeks=13,
    ),
    DemoPosting(
        "health-score",
        "PROJECT",
        "Customer health score v2",
        "cs-manager-2",
        "Rework the health score with product usage data; pairs with an analyst.",
        requirements=(("analytics", 3, True, 2.0), ("customer-health-programs", 2, False, 1.0)),
        commitment=0.25,
        weeks=10,
        remote=True,
    ),
    DemoPosting(
        "ai-blog",
        "GIG",
        "Launch blog series on the AI assistant",
        "mkt-senior-manager",
        "Four posts over six weeks with the product team.",
        requirements=(("content-and-brand", 3, True, 1.0), ("ai-collaboration", 2, False, 1.0)),
        commitment=0.1,
        weeks=6,
        remote=True,
    ),
    DemoPosting(
        "incident-reviews",
        "GIG",
        "Incident review facilitation",
        "platform-manager",
        "Facilitate the blameless reviews of the quarter and write the summaries.",
        requirements=(("operational-excellence", 3, False, 1.0), ("communication", 3, True, 1.0)),
        commitment=0.1,
        weeks=12,
    ),
    DemoPosting(
        "eng-to-product",
        "ROTATION",
        "Engineering to Product rotation",
        "product-principal",
        "Six months in product: customer research, market analysis and roadmap planning, "
        "then back to engineering with a product view.",
        requirements=(
            ("product-discovery", 2, False, 2.0),
            ("strategic-thinking", 2, False, 1.0),
            ("roadmapping", 1, False, 1.0),
        ),
        commitment=0.5,
        weeks=26,
        deadline_days=45,
    ),
    DemoPosting(
        "cs-shadowing",
        "ROTATION",
        "Customer Success shadowing",
        "cs-manager-1",
        "A day a week alongside a customer success manager for a quarter.",
        requirements=(("customer-advocacy", 2, False, 1.0), ("communication", 3, False, 1.0)),
        commitment=0.2,
        weeks=13,
    ),
    DemoPosting(
        "staff-mentoring",
        "MENTORSHIP",
        "Mentoring: the path to staff engineer",
        "eng-principal",
        "Monthly sessions on system design reviews and technical strategy.",
        requirements=(("system-design", 4, True, 2.0), ("people-leadership", 2, False, 1.0)),
        commitment=0.05,
        weeks=26,
        remote=True,
    ),
    DemoPosting(
        "manager-mentoring",
        "MENTORSHIP",
        "Mentoring: first-time managers",
        "eng-senior-manager",
        "For new and aspiring managers: one-on-ones, feedback and hiring.",
        requirements=(("people-leadership", 3, True, 1.0), ("communication", 3, False, 1.0)),
        commitment=0.05,
        weeks=26,
    ),
]

# (applicant, posting, stages to move through, confidential, feedback when rejected)
APPLICATIONS: list[tuple[str, str, tuple[str, ...], bool, str | None]] = [
    ("apps-swe-1", "platform-senior", ("IN_REVIEW", "INTERVIEWING"), False, None),
    ("apps-swe-2", "platform-senior", (), True, None),
    ("product-apm-1", "pm-growth", ("IN_REVIEW", "INTERVIEWING", "OFFERED"), False, None),
    (
        "mkt-specialist-1",
        "pm-growth",
        ("IN_REVIEW", "REJECTED"),
        False,
        "Strong customer insight; we need more experience running experiments. The "
        "Engineering to Product rotation is a good next step.",
    ),
    ("mkt-coordinator-1", "mkt-lifecycle", ("IN_REVIEW", "INTERVIEWING"), False, None),
    ("cs-specialist-1", "health-score", ("IN_REVIEW",), False, None),
    ("platform-swe-1", "eng-to-product", ("IN_REVIEW",), False, None),
    ("apps-associate-1", "staff-mentoring", (), False, None),
    ("mkt-specialist-3", "ai-blog", ("IN_REVIEW", "OFFERED"), False, None),
    ("platform-swe-2", "incident-reviews", ("OFFERED", "ACCEPTED"), False, None),
    ("apps-swe-3", "apm", (), True, None),
]

OPEN_TO: tuple[list[str], ...] = (
    ["ROLES", "ROTATIONS"],
    ["ROLES"],
    ["PROJECTS", "GIGS", "MENTORING"],
    ["ROLES", "PROJECTS"],
    [],
)
HORIZONS = ("NOW", "WITHIN_A_YEAR", "ONE_TO_TWO_YEARS", "LATER")
# Extra interests beyond the next step of one's own track: engineers eyeing product.
EXTRA_FAMILY = {"engineering": "product", "customer-success": "product", "marketing": "product"}


def _as(org_id: uuid.UUID, employee_id: uuid.UUID, scopes: frozenset[str]) -> Principal:
    return Principal(
        org_id=org_id,
        subject=f"demo-loader:{employee_id}",
        scopes=scopes,
        actor_type=ActorType.EMPLOYEE,
        employee_id=employee_id,
    )


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
        manager = _as(org_id, ids[p.hiring_manager], MANAGER)
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
        me = _as(org_id, ids[applicant], EMPLOYEE)
        app = await mobility.apply_to_posting(
            db, me, out.postings[posting], _note(applicant, posting), confidential
        )
        manager = _as(org_id, ids[hiring[posting]], MANAGER)
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
    for i, person in enumerate(chosen):
        role = role_ids[person.role] if person.role else None
        nexts = moves.get(role, []) if role else []
        wanted = [family_of[role]] if role else []
        extra = EXTRA_FAMILY.get(family_key[family_of[role]]) if role else None
        if extra and i % 2 == 0:
            wanted.append(families[extra])
        await mobility.set_career_aspiration(
            db,
            _as(org_id, ids[person.key], EMPLOYEE),
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
        out.aspirations.append(person.key)
