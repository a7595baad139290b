"""Read side of mobility: who sees which posting, application and aspiration, lists,
DataLoader batch functions, matching in both directions and the mobility figures.

**Postings.** Every reader of the organization sees OPEN postings; a posting's *owners*
(its hiring manager and whoever created it) and HR admins see it in every status, and an
applicant sees the postings they applied to.

**Applications.** Seen by the applicant (with the feedback), by the posting's owners and
HR admins, and by the managers above the applicant (``career:manager``) — except that a
*confidential* application stays hidden from that management chain until it reaches the
organization's ``confidentialUntil`` stage (OFFERED by default). HRIS integrations never
see applications: they are private career data.

**Aspirations.** Private career data: the employee, the managers above them and HR admins;
also hiring managers (the hiring manager of a DRAFT or OPEN posting) when the employee made
themselves discoverable.

**Matching** (both directions one statement each, over the whole organization). For a
posting's requirements *i* with required level *rᵢ*, weight *wᵢ* and the employee's
current level *cᵢ* (the assessments domain's resolution rule; unassessed counts 0):

    coverage = Σ wᵢ·min(cᵢ / rᵢ, 1) / Σ wᵢ        (1 without requirements)
    fit      = 1 if the posting's role is a target role of the employee's aspiration,
               0.5 if the role's job family is one of their families, else 0
    gate     = 1 if every must-have requirement is met (cᵢ ≥ rᵢ), else 0.5
    score    = gate × (0.8 × coverage + 0.2 × fit), rounded to 4 decimals

A requirement is MET when cᵢ ≥ rᵢ, PARTLY_MET when assessed below, MISSING when unassessed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Select, or_, select, text, true

from service.assessments.queries import RESOLVED_SQL, Embedded, Rules, resolved_lateral
from service.auth import policies
from service.auth.principal import Principal
from service.db import Executor
from service.framework.models import roles
from service.kit import batch_by_key, batch_grouped, in_ids, loader_by_id, matching
from service.mobility.models import (
    RANK,
    ApplicationStatus,
    PostingStatus,
    applications,
    career_aspirations,
    mobility_settings,
    posting_requirements,
    postings,
)
from service.people.queries import unit_subtree

#: Weights of the score (see the module docstring).
COVERAGE_WEIGHT = 0.8
FIT_WEIGHT = 0.2
GATE_PENALTY = 0.5


@dataclass(frozen=True)
class MobilitySettings:
    """The organization's mobility settings (defaults until an admin changes them)."""

    confidential_until: str = ApplicationStatus.OFFERED.value
    version: int = 0


async def settings(db: Executor) -> MobilitySettings:
    row = (await db.execute(select(*mobility_settings.c))).first()
    if row is None:
        return MobilitySettings()
    return MobilitySettings(confidential_until=row.confidential_until, version=row.version)


# --- who sees what ------------------------------------------------------------------------


def is_owner(principal: Principal, posting: Any) -> bool:
    """The caller is the posting's hiring manager or created it."""
    me = principal.employee_id
    return me is not None and me in (posting.hiring_manager_id, posting.created_by_id)


def manages_posting(principal: Principal, posting: Any) -> bool:
    """Owners (with a private-data scope) and HR admins run a posting's applications."""
    if policies.is_admin(principal):
        return True
    return policies.is_private_reader(principal) and is_owner(principal, posting)


def listable(principal: Principal) -> Any:
    """SQL condition: the postings ``postings`` lists for the caller."""
    if policies.is_admin(principal):
        return true()
    me = principal.employee_id
    open_ = postings.c.status == PostingStatus.OPEN.value
    if me is None:
        return open_
    return or_(open_, postings.c.hiring_manager_id == me, postings.c.created_by_id == me)


def can_see_posting(principal: Principal, posting: Any, applied: bool = False) -> bool:
    """The rule of ``listable`` for one posting in hand, plus postings applied to."""
    if not policies.is_reader(principal):
        return False
    return (
        policies.is_admin(principal)
        or posting.status == PostingStatus.OPEN.value
        or is_owner(principal, posting)
        or applied
    )


def can_see_application(
    principal: Principal, reach: policies.Reach, s: MobilitySettings, app: Any, posting: Any
) -> bool:
    """Whether the caller sees an application (see the module docstring)."""
    if reach.admin or policies.can_see_own_private(principal, app.employee_id):
        return True
    if (
        posting is not None
        and policies.is_private_reader(principal)
        and is_owner(principal, posting)
    ):
        return True
    if app.employee_id != principal.employee_id and policies.can_see_private(
        reach, app.employee_id
    ):
        return not app.confidential or app.reached >= RANK[s.confidential_until]
    return False


def can_see_feedback(principal: Principal, reach: policies.Reach, app: Any, posting: Any) -> bool:
    """The note and feedback: the applicant, the posting's owners and HR admins."""
    return (
        reach.admin
        or policies.can_see_own_private(principal, app.employee_id)
        or (posting is not None and manages_posting(principal, posting))
    )


# --- batch functions ----------------------------------------------------------------------


APPLICATIONS_BY_EMPLOYEE = (
    select(*applications.c)
    .where(in_ids(applications.c.employee_id))
    .order_by(applications.c.created_at.desc(), applications.c.id)
)
REQUIREMENTS_BY_POSTING = (
    select(*posting_requirements.c)
    .where(in_ids(posting_requirements.c.posting_id))
    .order_by(
        posting_requirements.c.must_have.desc(),
        posting_requirements.c.weight.desc(),
        posting_requirements.c.competency_id,
    )
)
ASPIRATIONS_BY_EMPLOYEE = select(*career_aspirations.c).where(
    in_ids(career_aspirations.c.employee_id)
)
APPLIED_BY_EMPLOYEE = select(applications.c.employee_id, applications.c.posting_id).where(
    in_ids(applications.c.employee_id)
)
HIRING_SQL = select(postings.c.hiring_manager_id).where(
    in_ids(postings.c.hiring_manager_id),
    postings.c.status.in_((PostingStatus.DRAFT.value, PostingStatus.OPEN.value)),
)


postings_by_id = loader_by_id(postings)
applications_by_id = loader_by_id(applications)


async def applications_by_employee(db: Executor, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    """Every application of each employee, newest first (callers filter by visibility)."""
    return await batch_grouped(db, APPLICATIONS_BY_EMPLOYEE, "employee_id", ids)


async def requirements_by_posting(db: Executor, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    """Each posting's requirements: must-haves first, then by weight."""
    return await batch_grouped(db, REQUIREMENTS_BY_POSTING, "posting_id", ids)


async def aspirations_by_employee(db: Executor, ids: Sequence[uuid.UUID]) -> list[Any | None]:
    return await batch_by_key(db, ASPIRATIONS_BY_EMPLOYEE, "employee_id", ids)


async def applied_postings(db: Executor, ids: Sequence[uuid.UUID]) -> list[frozenset[uuid.UUID]]:
    """For each employee, the postings they ever applied to."""
    groups = await batch_grouped(db, APPLIED_BY_EMPLOYEE, "employee_id", ids)
    return [frozenset(r.posting_id for r in group) for group in groups]


async def hiring(db: Executor, ids: Sequence[uuid.UUID]) -> list[bool]:
    """For each employee, whether they are the hiring manager of a DRAFT or OPEN posting."""
    found = set((await db.execute(HIRING_SQL, {"ids": list(set(ids))})).scalars().all())
    return [i in found for i in ids]


# --- lists --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostingFilter:
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    family_id: uuid.UUID | None = None
    org_unit_id: uuid.UUID | None = None
    remote: bool | None = None
    search: str | None = None


def postings_select(condition: Any, f: PostingFilter) -> Select[Any]:
    """Postings meeting ``condition`` and the filter: OPEN ones by deadline (soonest
    first), then the rest newest first."""
    stmt = select(*postings.c).where(condition)
    if f.kinds:
        stmt = stmt.where(postings.c.kind.in_(f.kinds))
    if f.statuses:
        stmt = stmt.where(postings.c.status.in_(f.statuses))
    if f.family_id is not None:
        stmt = stmt.where(
            postings.c.role_id.in_(select(roles.c.id).where(roles.c.family_id == f.family_id))
        )
    if f.org_unit_id is not None:
        stmt = stmt.where(postings.c.org_unit_id.in_(unit_subtree(f.org_unit_id)))
    if f.remote is not None:
        stmt = stmt.where(postings.c.remote == f.remote)
    if f.search:
        stmt = stmt.where(matching(f.search, postings.c.title, postings.c.description))
    is_open = postings.c.status == PostingStatus.OPEN.value
    return stmt.order_by(
        is_open.desc(),
        postings.c.application_deadline.asc().nulls_last(),
        postings.c.created_at.desc(),
        postings.c.id,
    )


def posting_applications_select(posting_id: uuid.UUID) -> Select[Any]:
    """A posting's applications, oldest first."""
    return (
        select(*applications.c)
        .where(applications.c.posting_id == posting_id)
        .order_by(applications.c.created_at, applications.c.id)
    )


# --- units within a manager's reach ----------------------------------------------------------

UNIT_IN_REACH_SQL = text(
    """
    with recursive units(id) as (
        select org_unit_id from employees where id = :me and org_unit_id is not null
        union
        select u.id from org_units u join units on u.parent_id = units.id
    ) select exists (select 1 from units where id = :unit)
    """
)


async def unit_in_reach(db: Executor, manager_id: uuid.UUID, unit_id: uuid.UUID) -> bool:
    """Whether ``unit_id`` is the manager's own org unit or below it."""
    return bool((await db.execute(UNIT_IN_REACH_SQL, {"me": manager_id, "unit": unit_id})).scalar())


# --- matching -----------------------------------------------------------------------------

# Per (candidate, posting) pair, over its requirements `q` with the current level
# `cur.level`: the coverage's numerator and denominator, and whether the must-haves are met.
# Every pair of the organization is scored; only the page is explained (`_EXPLAIN`).
_SUMS = """
    sum(q.weight * least(coalesce(cast(cur.level as float8), 0) / q.required_level, 1))
        as covered,
    sum(q.weight) as total,
    bool_and(coalesce(cur.level >= q.required_level, false)) filter (where q.must_have)
        as must_met
"""
# The explanation of one pair: each requirement with the current level.
_EXPLAIN = """
    jsonb_agg(jsonb_build_object(
        'competency_id', q.competency_id, 'required_level', q.required_level,
        'current_level', cast(cur.level as float8), 'must_have', q.must_have,
        'weight', q.weight) order by q.must_have desc, q.weight desc, q.competency_id)
"""
# The score of a scored row `s` (coverage, fit, must_haves_met).
_SCORE = f"""
    round(cast(case when s.must_haves_met then 1 else {GATE_PENALTY} end
        * ({COVERAGE_WEIGHT} * s.coverage + {FIT_WEIGHT} * s.fit) as numeric), 4)
"""
# Aspiration fit of a posting `o` with role `r` for aspiration arrays of `a`.
_FIT = """
    case when o.role_id = any(a.target_role_ids) then 1.0
         when r.family_id = any(a.family_ids) then 0.5 else 0.0 end
"""
_RECOMMENDED_ORDER = "score desc, application_deadline nulls last, created_at, id"

RECOMMENDED_SQL = text(
    f"""
    with a as (
        select coalesce(max(x.target_role_ids), '{{}}') as target_role_ids,
               coalesce(max(x.family_ids), '{{}}') as family_ids
        from (select target_role_ids, family_ids from career_aspirations
              where employee_id = :me) x
    ), cur as materialized (
        select rs.competency_id, rs.level from ({RESOLVED_SQL}) rs where rs.employee_id = :me
    ), o as (
        select p.* from postings p
        where p.status = 'OPEN'
          and (p.application_deadline is null or p.application_deadline >= :today)
          and p.hiring_manager_id <> :me and p.created_by_id is distinct from :me
    ), reqs as (
        select q.posting_id, {_SUMS}
        from o join posting_requirements q on q.posting_id = o.id
        left join cur on cur.competency_id = q.competency_id
        group by q.posting_id
    ), s as (
        select o.*, coalesce(reqs.covered / reqs.total, 1) as coverage,
               coalesce(reqs.must_met, true) as must_haves_met, {_FIT} as fit
        from o cross join a
        left join reqs on reqs.posting_id = o.id
        left join roles r on r.id = o.role_id
    ), page as (
        select s.*, {_SCORE} as score, count(*) over () as _total
        from s order by {_RECOMMENDED_ORDER} offset :offset limit :limit
    )
    select page.*, coalesce((
        select {_EXPLAIN} from posting_requirements q
        left join cur on cur.competency_id = q.competency_id
        where q.posting_id = page.id), '[]') as requirements
    from page
    order by {_RECOMMENDED_ORDER}
    """  # noqa: S608
)

#: The candidate's application, selected with each match (one statement for the page).
CANDIDATE_APPLICATION = Embedded(applications, "ap", "application__")

CANDIDATES_SQL = text(
    f"""
    with p as (
        select p.*, r.family_id from postings p left join roles r on r.id = p.role_id
        where p.id = :posting
    ), applied as (
        select distinct on (x.employee_id) x.*
        from applications x
        where x.posting_id = :posting and x.status not in ('WITHDRAWN', 'REJECTED')
        order by x.employee_id, x.created_at desc, x.id
    ), pool as (
        select employee_id from applied
        union
        select employee_id from career_aspirations
        where discoverable and (cardinality(open_to) = 0 or :opportunity = any(open_to))
    ), c as (
        select e.id as employee_id, e.name, ap.id as application_id,
               coalesce(asp.target_role_ids, '{{}}') as target_role_ids,
               coalesce(asp.family_ids, '{{}}') as family_ids
        from pool
        join employees e on e.id = pool.employee_id
        cross join p
        left join applied ap on ap.employee_id = e.id
        left join career_aspirations asp on asp.employee_id = e.id
        where e.status <> 'TERMINATED' and e.id <> p.hiring_manager_id
          and e.id is distinct from p.created_by_id
    ), reqs as (
        select c.employee_id, {_SUMS}
        from c
        join posting_requirements q on q.posting_id = :posting
        left join {resolved_lateral("c.employee_id", "q.competency_id")} cur on true
        group by c.employee_id
    ), s as (
        select c.employee_id, c.name, c.application_id,
               coalesce(reqs.covered / reqs.total, 1) as coverage,
               coalesce(reqs.must_met, true) as must_haves_met,
               case when p.role_id = any(c.target_role_ids) then 1.0
                    when p.family_id = any(c.family_ids) then 0.5 else 0.0 end as fit
        from c cross join p
        left join reqs on reqs.employee_id = c.employee_id
    ), page as (
        select s.*, {_SCORE} as score, count(*) over () as _total
        from s order by score desc, name, employee_id offset :offset limit :limit
    )
    select page.*, coalesce((
        select {_EXPLAIN} from posting_requirements q
        left join {resolved_lateral("page.employee_id", "q.competency_id")} cur on true
        where q.posting_id = :posting), '[]') as requirements,
        {CANDIDATE_APPLICATION.sql}
    from page
    left join applied ap on ap.id = page.application_id
    order by page.score desc, page.name, page.employee_id
    """  # noqa: S608
)


class RequirementMatch(NamedTuple):
    """One requirement against a person's current level (a row of the match's
    explanation)."""

    competency_id: uuid.UUID
    required_level: int
    current_level: float | None
    must_have: bool
    weight: float

    @property
    def status(self) -> str:
        if self.current_level is None:
            return "MISSING"
        return "MET" if self.current_level >= self.required_level else "PARTLY_MET"


def requirement_matches(items: Sequence[dict[str, Any]]) -> list[RequirementMatch]:
    return [
        RequirementMatch(
            competency_id=uuid.UUID(i["competency_id"]),
            required_level=int(i["required_level"]),
            current_level=None if i["current_level"] is None else float(i["current_level"]),
            must_have=bool(i["must_have"]),
            weight=float(i["weight"]),
        )
        for i in items
    ]


@dataclass(frozen=True)
class MatchPage:
    rows: list[Any]
    total: int
    #: For candidates: each row's application (None for people found), as a row.
    applications: list[Any | None] | None = None


async def _page(
    db: Executor, stmt: Any, params: dict[str, Any], offset: int, limit: int
) -> MatchPage:
    if not limit:
        return MatchPage([], offset)
    rows = (await db.execute(stmt, {**params, "offset": offset, "limit": limit})).all()
    return MatchPage(list(rows), rows[0]._total if rows else offset)


async def recommended_postings(
    db: Executor, rules: Rules, employee_id: uuid.UUID, today: dt.date, offset: int, limit: int
) -> MatchPage:
    """OPEN postings ranked for ``employee_id`` (not their own, deadline not passed): one
    statement over every open posting of the organization."""
    params = {"me": employee_id, "today": today, **rules.params()}
    return await _page(db, RECOMMENDED_SQL, params, offset, limit)


async def posting_candidates(
    db: Executor, rules: Rules, posting: Any, opportunity: str, offset: int, limit: int
) -> MatchPage:
    """Applicants (active or accepted) and discoverable employees open to the posting's
    kind, ranked for it: one statement over the whole organization."""
    params = {"posting": posting.id, "opportunity": opportunity, **rules.params()}
    page = await _page(db, CANDIDATES_SQL, params, offset, limit)
    return MatchPage(page.rows, page.total, CANDIDATE_APPLICATION.rows(page.rows))


# --- figures ------------------------------------------------------------------------------

FIGURES_SQL = text(
    """
    with w as (select cast(:start as timestamptz) as lo, cast(:end as timestamptz) as hi),
    ended as (
        select p.status, extract(epoch from p.filled_at - p.opened_at) / 86400 as days
        from postings p, w
        where (p.status = 'FILLED' and p.filled_at >= w.lo and p.filled_at < w.hi)
           or (p.status = 'CLOSED' and p.opened_at is not null
               and p.closed_at >= w.lo and p.closed_at < w.hi)
    ), opened as (
        select p.id from postings p, w where p.opened_at >= w.lo and p.opened_at < w.hi
    ), rejected as (
        select a.feedback from applications a, w
        where a.status = 'REJECTED' and a.status_changed_at >= w.lo and a.status_changed_at < w.hi
    ), moves as (
        select h.kind from position_history h
        where h.source_type = 'Application'
          and h.effective_date >= cast(:start as date) and h.effective_date < cast(:end as date)
    )
    select
        (select count(*) from opened) as opened,
        (select count(*) from ended where status = 'FILLED') as filled,
        (select count(*) from ended where status = 'CLOSED') as closed_unfilled,
        (select avg(days) from ended where status = 'FILLED') as mean_days_to_fill,
        (select percentile_cont(0.5) within group (order by days) from ended
         where status = 'FILLED') as median_days_to_fill,
        (select count(*) from applications a where a.posting_id in (select id from opened))
            as applications_to_opened,
        (select count(*) from rejected) as rejected,
        (select count(*) from rejected where length(btrim(feedback)) > 0) as rejected_with_feedback,
        (select count(*) from moves where kind = 'PROMOTION') as upward_moves,
        (select count(*) from moves where kind = 'LATERAL_MOVE') as lateral_moves
    """
)


@dataclass(frozen=True)
class Figures:
    opened: int
    filled: int
    closed_unfilled: int
    mean_days_to_fill: float | None
    median_days_to_fill: float | None
    applications_to_opened: int
    rejected: int
    rejected_with_feedback: int
    upward_moves: int
    lateral_moves: int

    @property
    def internal_fill_rate(self) -> float | None:
        ended = self.filled + self.closed_unfilled
        return self.filled / ended if ended else None

    @property
    def applications_per_posting(self) -> float | None:
        return self.applications_to_opened / self.opened if self.opened else None

    @property
    def rejected_feedback_share(self) -> float | None:
        return self.rejected_with_feedback / self.rejected if self.rejected else None


async def figures(db: Executor, start: dt.date, end: dt.date) -> Figures:
    """The mobility figures of ``[start, end)`` in one statement."""
    row = (await db.execute(FIGURES_SQL, {"start": start, "end": end})).one()
    return Figures(
        opened=row.opened,
        filled=row.filled,
        closed_unfilled=row.closed_unfilled,
        mean_days_to_fill=None if row.mean_days_to_fill is None else float(row.mean_days_to_fill),
        median_days_to_fill=None
        if row.median_days_to_fill is None
        else float(row.median_days_to_fill),
        applications_to_opened=row.applications_to_opened,
        rejected=row.rejected,
        rejected_with_feedback=row.rejected_with_feedback,
        upward_moves=row.upward_moves,
        lateral_moves=row.lateral_moves,
    )
