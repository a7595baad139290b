"""The demo organization's development: a learning catalogue of about 30 resources across
the demo competencies, colleagues who offer to mentor, and active plans drafted from the
mid-year review's gaps for the demo employee and some of their colleagues, approved by
their managers, with check-ins and first actions under way.

The catalogue's titles and descriptions are written for the demo; the providers are
fictional.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from service.auth.principal import ActorType, Principal, system_principal
from service.db import Executor
from service.development import service as development
from service.development.models import ActionStatus, development_actions, development_goals
from service.framework.models import competencies

# (external ID, title, kind, provider, minutes, competency key, min level, max level)
RESOURCES: list[tuple[str, str, str, str, int, str, int, int]] = [
    (
        "nw-101",
        "From Goals to Plans: Strategy for Team Leads",
        "COURSE",
        "Northwind Academy",
        240,
        "strategic-thinking",
        2,
        3,
    ),
    (
        "nw-102",
        "Portfolio Bets and Trade-offs",
        "PROGRAM",
        "Harbor Leadership School",
        1200,
        "strategic-thinking",
        3,
        5,
    ),
    (
        "nw-103",
        "Working Across Functions",
        "COURSE",
        "Northwind Academy",
        180,
        "collaboration",
        1,
        3,
    ),
    (
        "nw-104",
        "Leading Without Authority",
        "COURSE",
        "Harbor Leadership School",
        360,
        "collaboration",
        3,
        4,
    ),
    (
        "nw-105",
        "Writing for Busy Readers",
        "COURSE",
        "Plainword Studio",
        150,
        "communication",
        1,
        3,
    ),
    (
        "nw-106",
        "Presenting Decisions to Executives",
        "COURSE",
        "Plainword Studio",
        240,
        "communication",
        3,
        5,
    ),
    (
        "nw-107",
        "The Engineering Handbook, Second Edition",
        "READING",
        "Lighthouse Press",
        600,
        "technical-skills",
        1,
        3,
    ),
    (
        "nw-108",
        "Deep Dives: Databases Under Load",
        "VIDEO",
        "Stacktrace Talks",
        300,
        "technical-skills",
        3,
        5,
    ),
    (
        "nw-109",
        "Working with AI Assistants Day to Day",
        "COURSE",
        "Northwind Academy",
        120,
        "ai-collaboration",
        1,
        3,
    ),
    (
        "nw-110",
        "Evaluating AI Output in Production Work",
        "COURSE",
        "Stacktrace Talks",
        200,
        "ai-collaboration",
        3,
        4,
    ),
    (
        "nw-111",
        "Planning and Tracking Delivery",
        "COURSE",
        "Northwind Academy",
        180,
        "project-delivery",
        1,
        3,
    ),
    (
        "nw-112",
        "Running Programs Across Teams",
        "PROGRAM",
        "Harbor Leadership School",
        900,
        "project-delivery",
        3,
        5,
    ),
    ("nw-113", "Metrics That Matter", "COURSE", "Quartile Institute", 240, "analytics", 1, 3),
    (
        "nw-114",
        "Experiment Design and Causal Questions",
        "COURSE",
        "Quartile Institute",
        480,
        "analytics",
        3,
        5,
    ),
    (
        "nw-115",
        "First-Time Manager Foundations",
        "PROGRAM",
        "Harbor Leadership School",
        1500,
        "people-leadership",
        2,
        3,
    ),
    (
        "nw-116",
        "Coaching Conversations",
        "COURSE",
        "Harbor Leadership School",
        300,
        "people-leadership",
        3,
        5,
    ),
    (
        "nw-117",
        "How the Business Makes Money",
        "COURSE",
        "Northwind Academy",
        180,
        "business-acumen",
        1,
        3,
    ),
    (
        "nw-118",
        "Reading a P&L for Non-Finance Leaders",
        "READING",
        "Lighthouse Press",
        240,
        "business-acumen",
        3,
        4,
    ),
    (
        "nw-119",
        "Campaign Operations Essentials",
        "COURSE",
        "Signal & Noise",
        240,
        "campaign-management",
        1,
        3,
    ),
    (
        "nw-120",
        "Multi-Channel Campaign Strategy",
        "PROGRAM",
        "Signal & Noise",
        900,
        "campaign-management",
        3,
        5,
    ),
    (
        "nw-121",
        "Brand Voice Workshop",
        "COURSE",
        "Plainword Studio",
        180,
        "content-and-brand",
        1,
        3,
    ),
    (
        "nw-122",
        "Designing Distributed Systems",
        "COURSE",
        "Stacktrace Talks",
        720,
        "system-design",
        2,
        4,
    ),
    (
        "nw-123",
        "Architecture Reviews That Help",
        "READING",
        "Lighthouse Press",
        180,
        "system-design",
        3,
        5,
    ),
    (
        "nw-124",
        "Refactoring in Small Steps",
        "COURSE",
        "Stacktrace Talks",
        300,
        "code-quality",
        1,
        3,
    ),
    (
        "nw-125",
        "Testing Strategies for Large Codebases",
        "COURSE",
        "Stacktrace Talks",
        360,
        "code-quality",
        3,
        5,
    ),
    (
        "nw-126",
        "On-Call Without Burnout",
        "COURSE",
        "Northwind Academy",
        150,
        "operational-excellence",
        1,
        3,
    ),
    (
        "nw-127",
        "Incident Reviews and Reliability Targets",
        "COURSE",
        "Stacktrace Talks",
        300,
        "operational-excellence",
        3,
        5,
    ),
    (
        "nw-128",
        "Listening to Customers",
        "COURSE",
        "Northwind Academy",
        120,
        "customer-advocacy",
        1,
        3,
    ),
    ("nw-129", "Expansion Conversations", "COURSE", "Signal & Noise", 240, "account-growth", 2, 4),
    (
        "nw-130",
        "Health Scores That Predict Churn",
        "COURSE",
        "Quartile Institute",
        240,
        "customer-health-programs",
        2,
        4,
    ),
    (
        "nw-131",
        "Discovery Interviews in Practice",
        "COURSE",
        "Northwind Academy",
        240,
        "product-discovery",
        1,
        3,
    ),
    (
        "nw-132",
        "Roadmaps as Communication",
        "READING",
        "Lighthouse Press",
        180,
        "roadmapping",
        2,
        4,
    ),
]

# Colleagues who offer to mentor, and what.
MENTORS: list[tuple[str, list[str]]] = [
    ("eng-principal", ["system-design", "technical-skills", "code-quality"]),
    ("apps-staff", ["code-quality", "system-design", "operational-excellence"]),
    ("platform-staff", ["operational-excellence", "technical-skills"]),
    ("apps-senior-1", ["ai-collaboration", "project-delivery", "communication"]),
    ("mkt-principal", ["campaign-management", "analytics", "content-and-brand"]),
    ("mkt-senior-manager", ["strategic-thinking", "collaboration", "people-leadership"]),
]

# (employee, manager who drafts and approves, the check-in note)
PLANS: list[tuple[str, str, str]] = [
    (
        "platform-swe-1",
        "platform-manager",
        "Agreed the focus areas from the mid-year review; first course booked, and we will "
        "look for a design review she can lead next month.",
    ),
    (
        "platform-swe-2",
        "platform-manager",
        "Picked the two areas to work on first; will revisit after the next on-call rotation.",
    ),
    (
        "platform-associate",
        "platform-manager",
        "Started with the handbook; pairing sessions set up every other week.",
    ),
    (
        "apps-swe-1",
        "apps-manager",
        "Good start. Keep a short log of decisions to bring to our next conversation.",
    ),
    (
        "mkt-specialist-1",
        "mkt-manager",
        "Plan agreed alongside the open promotion case; check again after the Q4 campaign.",
    ),
]


def _person(org_id: uuid.UUID, employee_id: uuid.UUID, scopes: str) -> Principal:
    return Principal(
        org_id=org_id,
        subject=f"demo-loader:{employee_id}",
        scopes=frozenset(scopes.split()),
        actor_type=ActorType.EMPLOYEE,
        employee_id=employee_id,
    )


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
    for person, offered in MENTORS:
        await development.set_mentoring(
            db,
            _person(org_id, ids[person], "career:employee"),
            [found[k] for k in offered],
        )
    for employee, manager, note in PLANS:
        by = _person(org_id, ids[manager], "career:employee career:manager")
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
                _person(org_id, ids[employee], "career:employee"),
                first.id,
                development.ActionInput(status=ActionStatus.IN_PROGRESS.value),
                expected_version=None,
            )
