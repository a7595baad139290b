"""Read side of assessments: lists, DataLoader batch functions, the derived current
proficiencies, gap analysis, the team skills matrix and organization patterns.

**The resolution rule.** ``current_proficiencies`` holds, per employee, competency and kind
of rating, the latest submitted rating of that kind (for PEER: each peer's latest rating,
averaged and rounded to one decimal, half away from zero; ``as_of`` is the newest of them).
An employee's *current level* of a competency is the row whose kind comes first in the
configured order (default CALIBRATION, MANAGER, PEER, SELF); kinds left out of the order
are ignored, and so is a PEER row resting on fewer peers than ``min_peer_count`` (default
3): one colleague's rating is never anyone's current level, and whoever reads the level
reads the same one. A rating is *stale* when older than ``stale_after_days``; with
``prefer_fresh`` (the default) stale rows are considered only when the competency has no
fresh one, so last month's manager rating beats a calibration from two years ago, and the
current level is flagged stale only when every rating behind it is. The rule runs at read
time on the derived table: ``resolved_lateral`` looks up one cell (pages, single
employees), ``current_level_sql`` resolves a row of ``expectation_levels`` (organization
aggregates: one row per active employee and expectation of their role, with a copy of
their ``current_levels`` row, kept by triggers in the same transaction as every write to
employees, role expectations and current levels; migration 0016).

**Gaps.** For an expectation with required level *r* and current level *c*: ``gap = r − c``
(signed: positive means short of the requirement), status BELOW when c < r, MEETS when
r ≤ c < r + 1, EXCEEDS when c ≥ r + 1, UNASSESSED without a current level. Readiness for a
role is Σ wᵢ·min(cᵢ / rᵢ, 1) / Σ wᵢ over its expectations, an unassessed expectation
counting 0 (null for a role without expectations).
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, and_, false, or_, select, text, true, tuple_

from service.assessments.models import (
    AssessmentKind,
    AssessmentStatus,
    assessment_cycle_employees,
    assessment_cycles,
    assessments,
    ratings,
)
from service.auth.policies import Reach
from service.auth.principal import Principal
from service.config import AssessmentSettings, get_settings
from service.db import Executor
from service.framework.models import competencies, roles
from service.kit import loader_by_id, where_given
from service.people.models import org_units


class GapStatus(StrEnum):
    MEETS = "MEETS"
    BELOW = "BELOW"
    EXCEEDS = "EXCEEDS"
    UNASSESSED = "UNASSESSED"


class GapRelation(StrEnum):
    CURRENT_ROLE = "CURRENT_ROLE"
    NEXT_ROLE = "NEXT_ROLE"
    OTHER_ROLE = "OTHER_ROLE"


class TeamScope(StrEnum):
    DIRECT = "DIRECT"
    ALL = "ALL"


class RoleTarget(StrEnum):
    CURRENT_ROLE = "CURRENT_ROLE"
    NEXT_ROLE = "NEXT_ROLE"


class SkillGapGroupBy(StrEnum):
    ORG_UNIT = "ORG_UNIT"
    JOB_FAMILY = "JOB_FAMILY"
    COMPETENCY = "COMPETENCY"
    LEVEL = "LEVEL"


@dataclass(frozen=True)
class Rules:
    """The resolution rule's parameters for one request (see the module docstring)."""

    order: tuple[str, ...]
    prefer_fresh: bool
    stale_before: dt.datetime
    min_group_size: int = 5
    min_peer_count: int = 3

    @classmethod
    def from_settings(cls, s: AssessmentSettings, now: dt.datetime | None = None) -> Rules:
        now = now or dt.datetime.now(dt.UTC)
        return cls(
            order=tuple(s.resolution_order),
            prefer_fresh=s.prefer_fresh,
            stale_before=now - dt.timedelta(days=s.stale_after_days),
            min_group_size=s.min_group_size,
            min_peer_count=s.min_peer_count,
        )

    def params(self) -> dict[str, Any]:
        return {
            "kind_order": list(self.order),
            "prefer_fresh": self.prefer_fresh,
            "stale_before": self.stale_before,
            "min_peers": self.min_peer_count,
        }


def rules_for(db: Executor) -> Rules:
    """The resolution rule of the request's settings (the GraphQL context carries them),
    else of the process's."""
    settings = getattr(db, "settings", None) or get_settings()
    return Rules.from_settings(settings.assessments)


def resolved_lateral(employee: str, competency: str) -> str:
    """SQL of a ``LATERAL`` subquery giving the current level of ``competency`` for
    ``employee`` (SQL expressions of the outer query) under the parameters of
    ``Rules.params``: at most one row (level, source_kind, as_of, stale, assessment_ids).
    The arguments are constant SQL of this module, never input; values are bound."""
    return f"""
        lateral (
            select cp.level, cp.source_kind, cp.as_of, cp.assessment_ids,
                   cp.as_of < :stale_before as stale
            from current_proficiencies cp
            where cp.employee_id = {employee} and cp.competency_id = {competency}
              and array_position(cast(:kind_order as text[]), cp.source_kind) is not null
              and (cp.source_kind <> 'PEER' or cp.rating_count >= :min_peers)
            order by case when :prefer_fresh and cp.as_of < :stale_before then 1 else 0 end,
                     array_position(cast(:kind_order as text[]), cp.source_kind)
            limit 1
        )
    """  # noqa: S608


# The same rule for every employee at once: (employee_id, competency_id, level, ...).
RESOLVED_SQL = """
    select distinct on (cp.employee_id, cp.competency_id)
           cp.employee_id, cp.competency_id, cp.level, cp.source_kind, cp.as_of
    from current_proficiencies cp
    where array_position(cast(:kind_order as text[]), cp.source_kind) is not null
      and (cp.source_kind <> 'PEER' or cp.rating_count >= :min_peers)
    order by cp.employee_id, cp.competency_id,
             case when :prefer_fresh and cp.as_of < :stale_before then 1 else 0 end,
             array_position(cast(:kind_order as text[]), cp.source_kind)
"""


class Embedded:
    """The columns of ``table`` (SQL alias ``alias``) selected next to a statement's own
    under ``prefix``, and rebuilt from result rows as rows of the table: named tuples with
    the table's column names, like the rows of ``select(table)``."""

    def __init__(self, table: Any, alias: str, prefix: str) -> None:
        names = [c.name for c in table.c]
        self.sql = ", ".join(f"{alias}.{n} as {prefix}{n}" for n in names)
        self._keys = [prefix + n for n in names]
        row_type: Any = namedtuple(f"{table.name}_row", names)  # type: ignore[misc]
        self._make = row_type._make

    def rows(self, found: Sequence[Any]) -> list[Any | None]:
        """The embedded row of each result row; None where an outer join found none."""
        if not found:
            return []
        fields = list(found[0]._fields)
        at = [fields.index(k) for k in self._keys]
        values, key = itemgetter(*at), at[0]  # the first column is the table's id
        return [self._make(values(r)) if r[key] is not None else None for r in found]


# --- the derived table --------------------------------------------------------------------

CURRENT_LOCK = 7_240_513  # with the employee: one rewrite of someone's proficiencies at a time

LOCK_SQL = text(
    """
    select pg_advisory_xact_lock(:k, hashtext(id::text))
    from unnest(cast(:ids as uuid[])) as t(id)
    order by id
    """
)
CLEAR_SQL = text(
    """
    with levels as (delete from current_levels where employee_id = any(cast(:ids as uuid[])))
    delete from current_proficiencies where employee_id = any(cast(:ids as uuid[]))
    """
)
#: The columns of ``current_levels`` per kind of rating: its level and as-of (and for PEER
#: how many peers), or null without a rating of that kind.
KIND_COLUMNS = {
    kind.value: (f"{kind.value.lower()}_level", f"{kind.value.lower()}_as_of")
    for kind in AssessmentKind
}
LEVEL_COLUMNS = ", ".join([c for pair in KIND_COLUMNS.values() for c in pair] + ["peer_count"])
LEVEL_PIVOT = ", ".join(
    [
        f"max({v}) filter (where kind = '{kind}')"
        for kind in KIND_COLUMNS
        for v in ("level", "as_of")
    ]
    + ["max(rating_count) filter (where kind = 'PEER')"]
)

# The latest submitted rating per employee, competency and kind (per peer for PEER), then
# one row per kind: a peer mean rounds half away from zero (numeric `round`); the same
# rows pivoted to one row per employee and competency (``current_levels``).
REFRESH_SQL = text(
    f"""
    with latest as (
        select distinct on (
                   a.subject_id, r.competency_id, a.kind,
                   case when a.kind = 'PEER' then coalesce(a.assessor_id, a.id) end)
               a.org_id, a.subject_id, r.competency_id, a.kind, r.level, a.submitted_at, a.id
        from assessments a
        join ratings r on r.org_id = a.org_id and r.assessment_id = a.id
        where a.status = 'SUBMITTED' and a.subject_id = any(cast(:ids as uuid[]))
        order by a.subject_id, r.competency_id, a.kind,
                 case when a.kind = 'PEER' then coalesce(a.assessor_id, a.id) end,
                 a.submitted_at desc, a.created_at desc, a.id desc
    ),
    per_kind as (
        select org_id, subject_id, competency_id, kind, round(avg(level), 1) as level,
               max(submitted_at) as as_of, count(*) as rating_count,
               array_agg(id order by submitted_at desc, id) as assessment_ids
        from latest
        group by org_id, subject_id, competency_id, kind
    ),
    kinds as (
        insert into current_proficiencies
            (org_id, employee_id, competency_id, source_kind, level, as_of, rating_count,
             assessment_ids)
        select org_id, subject_id, competency_id, kind, level, as_of, rating_count,
               assessment_ids
        from per_kind
    )
    insert into current_levels (org_id, employee_id, competency_id, {LEVEL_COLUMNS})
    select org_id, subject_id, competency_id, {LEVEL_PIVOT}
    from per_kind
    group by org_id, subject_id, competency_id
    """  # noqa: S608 (constant fragments only)
)


async def refresh_current(db: Executor, employee_ids: Sequence[uuid.UUID]) -> None:
    """Rewrite the derived proficiencies of ``employee_ids`` from their submitted ratings:
    three set-based statements, serialized per employee with concurrent writers."""
    ids = sorted(set(employee_ids))
    if not ids:
        return
    await db.execute(LOCK_SQL, {"k": CURRENT_LOCK, "ids": ids})
    await db.execute(CLEAR_SQL, {"ids": ids})
    await db.execute(REFRESH_SQL, {"ids": ids})


CURRENT_SQL = text(
    """
    select distinct on (cp.employee_id, cp.competency_id)
           cp.employee_id, cp.competency_id, cp.level, cp.source_kind, cp.as_of,
           cp.assessment_ids, cp.as_of < :stale_before as stale,
           c.name as competency_name, c.category as competency_category
    from current_proficiencies cp
    join competencies c on c.id = cp.competency_id
    where cp.employee_id = any(cast(:ids as uuid[]))
      and array_position(cast(:kind_order as text[]), cp.source_kind) is not null
      and (cp.source_kind <> 'PEER' or cp.rating_count >= :min_peers)
    order by cp.employee_id, cp.competency_id,
             case when :prefer_fresh and cp.as_of < :stale_before then 1 else 0 end,
             array_position(cast(:kind_order as text[]), cp.source_kind)
    """
)


async def current_by_employee(
    db: Executor, rules: Rules, employee_ids: Sequence[uuid.UUID]
) -> list[list[Any]]:
    """Each employee's current level of every competency they have been rated on, by
    category (uncategorised last) and name: one statement."""
    rows = (await db.execute(CURRENT_SQL, {"ids": list(set(employee_ids)), **rules.params()})).all()
    rows = sorted(
        rows,
        key=lambda r: (
            r.competency_category is None,
            r.competency_category or "",
            r.competency_name,
            str(r.competency_id),
        ),
    )
    grouped: dict[uuid.UUID, list[Any]] = {}
    for r in rows:
        grouped.setdefault(r.employee_id, []).append(r)
    return [grouped.get(i, []) for i in employee_ids]


# --- lists and batch functions ------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentFilter:
    subject_id: uuid.UUID | None = None
    assessor_id: uuid.UUID | None = None
    cycle_id: uuid.UUID | None = None
    kind: str | None = None
    status: str | None = None


def visible_assessments(principal: Principal, reach: Reach) -> Any:
    """SQL condition: the assessments the caller may see (``policies.can_see_assessment``):
    their own as assessor; submitted ones of the people whose private career data they see,
    except the PEER assessments of themself, which reach them only as an aggregate."""
    if reach.admin:
        return true()
    me = principal.employee_id
    own = assessments.c.assessor_id == me if me is not None else false()
    subjects = (
        assessments.c.subject_id.in_(reach.private) if reach.private else assessments.c.id.is_(None)
    )
    not_own_peer = (
        or_(assessments.c.kind != AssessmentKind.PEER.value, assessments.c.subject_id != me)
        if me is not None
        else true()
    )
    return or_(
        own, and_(assessments.c.status == AssessmentStatus.SUBMITTED.value, subjects, not_own_peer)
    )


def assessments_select(principal: Principal, reach: Reach, f: AssessmentFilter) -> Select[Any]:
    """Visible assessments, newest first (submission time, else creation time)."""
    stmt = where_given(
        select(*assessments.c).where(visible_assessments(principal, reach)),
        (assessments.c.subject_id, f.subject_id),
        (assessments.c.assessor_id, f.assessor_id),
        (assessments.c.cycle_id, f.cycle_id),
        (assessments.c.kind, f.kind),
        (assessments.c.status, f.status),
    )
    newest = assessments.c.submitted_at.desc().nulls_first()
    return stmt.order_by(newest, assessments.c.created_at.desc(), assessments.c.id)


def cycles_select(status: str | None) -> Select[Any]:
    """Cycles, latest window first."""
    stmt = where_given(select(*assessment_cycles.c), (assessment_cycles.c.status, status))
    return stmt.order_by(
        assessment_cycles.c.starts_on.desc(), assessment_cycles.c.name, assessment_cycles.c.id
    )


assessments_by_id = loader_by_id(assessments)
cycles_by_id = loader_by_id(assessment_cycles)


async def ratings_by_assessment(db: Executor, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    """Each assessment's ratings, by competency category and name."""
    stmt = (
        select(*ratings.c)
        .join(competencies, competencies.c.id == ratings.c.competency_id)
        .where(ratings.c.assessment_id.in_(set(ids)))
        .order_by(
            ratings.c.assessment_id,
            competencies.c.category.asc().nulls_last(),
            competencies.c.name,
            competencies.c.id,
        )
    )
    grouped: dict[uuid.UUID, list[Any]] = {}
    for r in (await db.execute(stmt)).all():
        grouped.setdefault(r.assessment_id, []).append(r)
    return [grouped.get(i, []) for i in ids]


async def ratings_by_key(
    db: Executor, keys: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> list[Any | None]:
    """Ratings by (assessment, competency)."""
    wanted = list(set(keys))
    rows = (
        await db.execute(
            select(*ratings.c).where(
                tuple_(ratings.c.assessment_id, ratings.c.competency_id).in_(wanted)
            )
        )
    ).all()
    found = {(r.assessment_id, r.competency_id): r for r in rows}
    return [found.get(k) for k in keys]


async def cycle_employees_by_cycle(db: Executor, ids: Sequence[uuid.UUID]) -> list[list[uuid.UUID]]:
    stmt = select(assessment_cycle_employees.c.cycle_id, assessment_cycle_employees.c.employee_id)
    stmt = stmt.where(assessment_cycle_employees.c.cycle_id.in_(set(ids)))
    grouped: dict[uuid.UUID, list[uuid.UUID]] = {}
    for r in (await db.execute(stmt)).all():
        grouped.setdefault(r.cycle_id, []).append(r.employee_id)
    return [grouped.get(i, []) for i in ids]


# --- gap analysis -------------------------------------------------------------------------

# The status of a cell, from its required level `x.required_level` and `cur.level`.
STATUS_SQL = """
    case when cur.level is null then 'UNASSESSED'
         when cur.level < x.required_level then 'BELOW'
         when cur.level >= x.required_level + 1 then 'EXCEEDS'
         else 'MEETS' end
"""
# One term of readiness: weight × min(current / required, 1), unassessed counting 0.
READINESS_TERM_SQL = (
    "x.weight * least(coalesce(cast(cur.level as float8), 0) / x.required_level, 1)"
)

GAP_COMPETENCY = Embedded(competencies, "c", "competency__")

GAP_SQL = text(
    f"""
    select p.employee_id, p.role_id, x.competency_id, x.required_level, x.weight, x.core,
           cast(cur.level as float8) as current_level, cur.source_kind, cur.as_of,
           coalesce(cur.stale, false) as stale, cur.assessment_ids,
           cast(x.required_level - cur.level as float8) as gap,
           {STATUS_SQL} as status,
           round(cast(sum({READINESS_TERM_SQL}) over w / sum(x.weight) over w as numeric), 4)
               as readiness,
           {GAP_COMPETENCY.sql}
    from unnest(cast(:employees as uuid[]), cast(:roles as uuid[])) as p(employee_id, role_id)
    join role_expectations x on x.role_id = p.role_id
    join competencies c on c.id = x.competency_id
    left join {resolved_lateral("p.employee_id", "x.competency_id")} cur on true
    window w as (partition by p.employee_id, p.role_id)
    order by p.employee_id, p.role_id, x.core desc, x.weight desc, c.name, c.id
    """  # noqa: S608
)


async def gap_rows(
    db: Executor, rules: Rules, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> list[list[tuple[Any, Any]]]:
    """For each (employee, role): per expectation of the role, a row with the employee's
    current level, gap, status and the role's readiness, paired with the competency's row;
    one statement for every pair."""
    wanted = list(set(pairs))
    if not wanted:
        return []
    params = {
        "employees": [p[0] for p in wanted],
        "roles": [p[1] for p in wanted],
        **rules.params(),
    }
    found = (await db.execute(GAP_SQL, params)).all()
    grouped: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[Any, Any]]] = {}
    for r, competency in zip(found, GAP_COMPETENCY.rows(found), strict=True):
        grouped.setdefault((r.employee_id, r.role_id), []).append((r, competency))
    return [grouped.get(p, []) for p in pairs]


def gap_rank(weight: float, gap: float, core: bool) -> tuple[float, bool, float]:
    """The order of top gaps: largest weight × gap first, then core ones, then larger gap."""
    return (-weight * gap, not core, -gap)


def top_gaps(rows: Sequence[tuple[Any, Any]], limit: int) -> list[tuple[Any, Any]]:
    """The first ``limit`` expectations below their required level among one employee's
    ``gap_rows`` pairs, in ``gap_rank`` order (``GapAnalysis.topGaps``)."""
    below = [p for p in rows if p[0].status == GapStatus.BELOW]
    below.sort(key=lambda p: gap_rank(float(p[0].weight), float(p[0].gap), p[0].core))
    return below[:limit]


# --- moves ------------------------------------------------------------------------------

# For each role of `{roles}` (SQL yielding role_id), its first next role: the lowest-level
# active role it is promoted to (by an active track's order or an explicit promotion; an
# explicit lateral transition between the same roles wins), then by title, as `nextRoles`.
NEXT_ROLE_SQL = """
    select distinct on (m.src) m.src as from_role_id, m.dst as role_id
    from (
        select t.from_role_id as src, t.to_role_id as dst, t.kind
        from role_transitions t
        where t.archived_at is null
        union all
        select s1.role_id, s2.role_id, 'PROMOTION'
        from track_steps s1
        join track_steps s2 on s2.org_id = s1.org_id and s2.track_id = s1.track_id
             and s2.position = s1.position + 1
        join tracks tr on tr.org_id = s1.org_id and tr.id = s1.track_id
        where tr.archived_at is null
          and not exists (
              select 1 from role_transitions t2
              where t2.archived_at is null and t2.from_role_id = s1.role_id
                and t2.to_role_id = s2.role_id)
    ) m
    join roles nr on nr.id = m.dst and nr.archived_at is null
    join levels nl on nl.id = nr.level_id
    where m.kind = 'PROMOTION' and m.src in ({roles})
    order by m.src, nl.rank, nr.title, nr.id
"""


# --- the team skills matrix ---------------------------------------------------------------


@dataclass(frozen=True)
class TeamSelection:
    """Whose rows a matrix has: a manager's direct reports or everyone below them, or an
    org unit's people, directly or with its sub-units."""

    manager_id: uuid.UUID | None = None
    org_unit_id: uuid.UUID | None = None
    all_levels: bool = False


TEAM_SQL = {
    ("manager", False): "select id from employees where manager_id = :anchor",
    # Each level's reports by an index lookup per manager: the planner expects the
    # recursion to grow tenfold per level and would otherwise scan every employee at each
    # level (`offset 0` keeps the lateral subquery from being turned back into a join).
    ("manager", True): """
        select id from (
            with recursive below(id) as (
                select id from employees where manager_id = :anchor
                union
                select e.id from below b cross join lateral (
                    select id from employees where manager_id = b.id offset 0) e
            ) select id from below) t
    """,
    ("unit", False): "select id from employees where org_unit_id = :anchor",
    ("unit", True): """
        select id from employees where org_unit_id in (
            with recursive units(id) as (
                select id from org_units where id = :anchor
                union
                select u.id from org_units u join units on u.parent_id = units.id
            ) select id from units)
    """,
}

TARGET_ROLE = Embedded(roles, "r", "role__")

# A cell of the matrix (its competency, its expectation and the current level).
Cell = namedtuple(
    "Cell",
    "competency_id required_level weight current_level source_kind stale gap status",
)
# Each row's cells, one array per field of `Cell`, in the order of the columns.
CELL_ARRAYS = ",\n".join(
    f"array_agg({f} order by category nulls last, name, competency_id) as cell_{f}"
    for f in Cell._fields
)

MATRIX_SQL = """
    with team as (
        select e.*, row_number() over (order by e.name, e.id) as _rn, count(*) over () as _total
        from employees e
        where e.id in ({team}) and e.status <> 'TERMINATED'
    ),
    targets as (
        select t.id as employee_id, {target} as target_role_id
        from team t {target_join}
    ),
    columns as (
        select coalesce(array_agg(c.id order by c.category nulls last, c.name, c.id), '{{}}')
               as ids
        from competencies c
        where c.id in (
            select x.competency_id from role_expectations x
            where x.role_id = any(array(select target_role_id from targets)))
    ),
    page as (
        select * from team where _rn > :offset and _rn <= :offset + :limit
    ),
    cells as (
        select g.employee_id, x.competency_id, x.required_level, x.weight,
               cast(cur.level as float8) as current_level, cur.source_kind,
               coalesce(cur.stale, false) as stale,
               cast(x.required_level - cur.level as float8) as gap,
               {status} as status, {term} as term,
               c.category, c.name
        from targets g
        join role_expectations x on x.role_id = g.target_role_id
        join competencies c on c.id = x.competency_id
        left join {lateral} cur on true
        where g.employee_id in (select id from page)
    ),
    per_employee as (
        select employee_id, round(cast(sum(term) / sum(weight) as numeric), 4) as readiness,
               {cell_arrays}
        from cells group by employee_id
    )
    select page.*, g.target_role_id, pe.*, (select ids from columns) as _columns,
           {role_columns}
    from page
    join targets g on g.employee_id = page.id
    left join roles r on r.id = g.target_role_id
    left join per_employee pe on pe.employee_id = page.id
    order by page._rn
"""

TARGETS = {
    "CURRENT_ROLE": ("t.role_id", ""),
    "NEXT_ROLE": (
        "nx.role_id",
        "left join ("  # noqa: S608 (constant fragments only)
        + NEXT_ROLE_SQL.format(roles="select role_id from team")
        + ") nx "
        "on nx.from_role_id = t.role_id",
    ),
}

# Every variant built once, so SQLAlchemy compiles each once.
MATRIX_STATEMENTS = {
    (kind, all_levels, against): text(
        MATRIX_SQL.format(
            team=TEAM_SQL[(kind, all_levels)],
            target=target,
            target_join=target_join,
            status=STATUS_SQL,
            term=READINESS_TERM_SQL,
            lateral=resolved_lateral("g.employee_id", "x.competency_id"),
            role_columns=TARGET_ROLE.sql,
            cell_arrays=CELL_ARRAYS,
        )
    )
    for (kind, all_levels) in TEAM_SQL
    for against, (target, target_join) in TARGETS.items()
}


@dataclass
class MatrixRow:
    """One person of a matrix page: their employee row, target role (row), readiness and
    one cell per expectation of the role, in the order of the columns."""

    employee: Any
    role: Any | None
    readiness: float | None
    cells: list[Cell]


@dataclass
class MatrixPage:
    rows: list[MatrixRow]
    columns: list[uuid.UUID]
    total: int


def _team(scope: TeamSelection) -> tuple[str, uuid.UUID | None]:
    if scope.org_unit_id is not None:
        return "unit", scope.org_unit_id
    return "manager", scope.manager_id


async def team_matrix(
    db: Executor, rules: Rules, scope: TeamSelection, against: str, offset: int, limit: int
) -> MatrixPage:
    """One page of a team's skills matrix in one statement: the rows' employees, each with
    their target role, readiness and one cell per expectation of that role; the columns
    (every competency expected of anyone in the team) and the team's size ride along."""
    if not limit:
        return MatrixPage(rows=[], columns=[], total=0)
    kind, anchor = _team(scope)
    statement = MATRIX_STATEMENTS[(kind, scope.all_levels, against)]
    params = {"anchor": anchor, "offset": offset, "limit": limit, **rules.params()}
    found = (await db.execute(statement, params)).all()
    if not found:
        return MatrixPage(rows=[], columns=[], total=0)
    cell_arrays = itemgetter(*(f"cell_{f}" for f in Cell._fields))
    rows = [
        MatrixRow(
            employee=r,
            role=role,
            readiness=float(r.readiness) if r.readiness is not None else None,
            cells=[Cell._make(c) for c in zip(*cell_arrays(r._mapping), strict=True)]
            if r.cell_status is not None
            else [],
        )
        for r, role in zip(found, TARGET_ROLE.rows(found), strict=True)
    ]
    return MatrixPage(rows=rows, columns=list(found[0]._columns), total=found[0]._total)


COUNT_TEAM_SQL = """
    select count(*) from employees e where e.id in ({team}) and e.status <> 'TERMINATED'
"""


async def team_size(db: Executor, scope: TeamSelection) -> int:
    """How many rows the team's matrix has (for pages past the end)."""
    kind, anchor = _team(scope)
    sql = COUNT_TEAM_SQL.format(team=TEAM_SQL[(kind, scope.all_levels)])
    return int((await db.execute(text(sql), {"anchor": anchor})).scalar_one())


# --- organization patterns ----------------------------------------------------------------


@dataclass(frozen=True)
class SummaryFilter:
    org_unit_id: uuid.UUID | None = None  # with its sub-units
    job_family_id: uuid.UUID | None = None
    level_id: uuid.UUID | None = None
    competency_id: uuid.UUID | None = None


# People without the group key (no org unit) form one group, keyed by this stand-in so
# groups join on plain equality (hash joins) rather than IS NOT DISTINCT FROM.
NO_GROUP = uuid.UUID(int=0)

# Each grouping's key among the columns of `cells` (COMPETENCY: the cell's competency).
GROUP_KEYS = {
    "ORG_UNIT": "org_unit_key",
    "JOB_FAMILY": "family_key",
    "LEVEL": "level_key",
    "COMPETENCY": "competency_id",
}

# Every requested grouping in one statement: the cells (one per active employee and
# expectation of their role: the rows of `expectation_levels`, kept at write time, with the
# current level resolved per row) aggregated per group and competency by one GROUPING SETS
# pass, then per group; headcounts from the people with at least one expectation. Levels
# are counted in tenths (integers: the derived levels have one decimal), so the sums are
# exact and cheap. Roles are joined only when a grouping or filter needs their family or
# level.
SUMMARIES_SQL = """
    with population as not materialized (
        select e.id as employee_id, coalesce(e.org_unit_id, :no_group) as org_unit_key,
               r.id as role_id, coalesce(r.family_id, :no_group) as family_key,
               coalesce(r.level_id, :no_group) as level_key
        from employees e
        join roles r on r.id = e.role_id
        where e.status <> 'TERMINATED' {filters}
    ),
    by_competency as (
        select {tag} as grouped_by, {group_id} as group_id, competency_id,
               count(*) as n, count(current) as assessed,
               sum(greatest(required - current, 0)) as shortfall,
               count(*) filter (where current >= required) as met
        from (
            select coalesce(cl.org_unit_id, :no_group) as org_unit_key, {role_keys}
                   cl.competency_id, cl.required_level * 10 as required,
                   cast({current_level} * 10 as integer) as current
            from expectation_levels cl {roles_join}
            where true {cell_filters}
        ) cells
        group by {competency_sets}
    ),
    heads as ({heads}),
    groups as (
        select b.grouped_by, b.group_id, h.headcount,
               sum(b.assessed)::numeric / sum(b.n) as assessed_share,
               sum(b.shortfall)::numeric / 10 / nullif(sum(b.assessed), 0) as mean_gap,
               sum(b.met)::numeric / nullif(sum(b.assessed), 0) as met_share,
               (array_agg(b.competency_id
                          order by b.shortfall::numeric / nullif(b.assessed, 0) desc, k.name,
                                   b.competency_id)
                   filter (where b.shortfall > 0))[1:3] as weakest
        from by_competency b
        join competencies k on k.id = b.competency_id
        join heads h on h.grouped_by = b.grouped_by and h.group_id = b.group_id
        group by b.grouped_by, b.group_id, h.headcount
    )
    select g.grouped_by, nullif(g.group_id, :no_group) as group_id, g.headcount,
           u.id as unit_id, f.id as family_id, l.id as level_id, c.id as competency_id,
           {unit_columns},
           g.headcount < :min_group as suppressed,
           case when g.headcount >= :min_group then cast(g.assessed_share as float8) end
               as assessed_share,
           case when g.headcount >= :min_group then cast(round(g.mean_gap, 4) as float8) end
               as mean_gap,
           case when g.headcount >= :min_group then cast(g.met_share as float8) end
               as met_share,
           case when g.headcount >= :min_group then coalesce(g.weakest, '{{}}') end
               as weakest_ids
    from groups g
    left join org_units u on g.grouped_by = 'ORG_UNIT' and u.id = g.group_id
    left join job_families f on g.grouped_by = 'JOB_FAMILY' and f.id = g.group_id
    left join levels l on g.grouped_by = 'LEVEL' and l.id = g.group_id
    left join competencies c on g.grouped_by = 'COMPETENCY' and c.id = g.group_id
    order by g.grouped_by, l.rank nulls last, coalesce(u.name, f.name, c.name) nulls last,
             g.group_id
"""

# The org unit of each ORG_UNIT group, its whole row next to the group's columns.
GROUP_UNIT = Embedded(org_units, "u", "unit__")

UNIT_SUBTREE_SQL = """
    and {unit}.org_unit_id in (
        with recursive units(id) as (
            select id from org_units where id = :org_unit_id
            union
            select u.id from org_units u join units on u.parent_id = units.id
        ) select id from units)
"""


def summary_filters(f: SummaryFilter, params: dict[str, Any], unit: str = "e") -> list[str]:
    """The conditions on ``employees e`` (or the table aliased ``unit`` with the column
    ``org_unit_id``) and ``roles r`` that ``f`` asks for, its values added to ``params``
    (the competency's too: its condition is the statement's own)."""
    filters = []
    for value, name, condition in (
        (f.org_unit_id, "org_unit_id", UNIT_SUBTREE_SQL.format(unit=unit)),
        (f.job_family_id, "job_family_id", "and r.family_id = :job_family_id"),
        (f.level_id, "level_id", "and r.level_id = :level_id"),
        (f.competency_id, "competency_id", None),
    ):
        if value is not None:
            params[name] = value
            if condition is not None:
                filters.append(condition)
    return filters


def current_level_sql(order: Sequence[str], prefer_fresh: bool) -> str:
    """SQL of the resolution rule over one row of ``current_levels`` or
    ``expectation_levels`` (alias ``cl``, the same level columns): the
    level of the first kind in ``order`` with a rating (PEER: resting on at least
    ``:min_peers`` peers), fresh ones first with ``prefer_fresh`` (fresh: as of
    ``:stale_before`` or later); null without one. The kinds are checked names, never
    input."""
    usable = {}
    for kind in order:
        level, as_of = KIND_COLUMNS[AssessmentKind(kind).value]
        peers = " and cl.peer_count >= :min_peers" if kind == AssessmentKind.PEER else ""
        usable[kind] = (f"cl.{level} is not null{peers}", f"cl.{level}", f"cl.{as_of}")
    fresh = [
        f"case when {ok} and {as_of} >= :stale_before then {level} end"
        for ok, level, as_of in usable.values()
    ]
    every = [f"case when {ok} then {level} end" for ok, level, _ in usable.values()]
    terms = (fresh if prefer_fresh else []) + every
    return f"coalesce({', '.join(terms)})" if terms else "cast(null as numeric)"


@functools.lru_cache(maxsize=256)
def _summaries_statement(
    groupings: tuple[str, ...],
    filters: tuple[str, ...],
    cell_filters: tuple[str, ...],
    competency: bool,
    role_filter: bool,
    order: tuple[str, ...],
    prefer_fresh: bool,
) -> Any:
    """The statement of ``skill_gap_summaries`` for one shape of request, built once:
    ``filters`` on the people (``employees e``, ``roles r``), ``cell_filters`` the same on
    the cells (``expectation_levels cl``, ``roles r``; ``role_filter``: one of them is on
    the role)."""
    keys = [GROUP_KEYS[g] for g in groupings]
    if len(groupings) == 1:
        tag, group_id = f"'{groupings[0]}'", keys[0]
    else:
        whens = " ".join(
            f"when grouping({k}) = 0 then '{g}'" for g, k in zip(groupings, keys, strict=True)
        )
        tag, group_id = f"case {whens} end", f"coalesce({', '.join(keys)})"
    sets = ", ".join(
        "(competency_id)" if k == "competency_id" else f"({k}, competency_id)" for k in keys
    )
    people = [(g, k) for g, k in zip(groupings, keys, strict=True) if g != "COMPETENCY"]
    expected = "and x.competency_id = :competency_id" if competency else ""
    heads = [
        f"""select '{g}' as grouped_by, {k} as group_id, count(*) as headcount
            from population p
            where exists (select from role_expectations x where x.role_id = p.role_id {expected})
            group by {k}"""  # noqa: S608
        for g, k in people
    ]
    if "COMPETENCY" in groupings:  # (employee, competency) is unique among the cells
        heads.append(
            "select grouped_by, group_id, n as headcount from by_competency "
            "where grouped_by = 'COMPETENCY'"
        )
    by_role = role_filter or bool({"JOB_FAMILY", "LEVEL"} & set(groupings))
    competency_filter = ["and cl.competency_id = :competency_id"] if competency else []
    return text(
        SUMMARIES_SQL.format(
            filters=" ".join(filters),
            role_keys="coalesce(r.family_id, :no_group) as family_key, "
            "coalesce(r.level_id, :no_group) as level_key,"
            if by_role
            else "",
            roles_join="join roles r on r.id = cl.role_id" if by_role else "",
            cell_filters=" ".join([*cell_filters, *competency_filter]),
            current_level=current_level_sql(order, prefer_fresh),
            tag=tag,
            group_id=group_id,
            competency_sets=f"grouping sets ({sets})",
            heads=" union all ".join(heads),
            unit_columns=GROUP_UNIT.sql,
        )
    )


async def skill_gap_summaries(
    db: Executor, rules: Rules, groupings: Sequence[str], f: SummaryFilter
) -> dict[str, list[Any]]:
    """Aggregates of the current-role gaps of every active employee with a role, for each
    of ``groupings`` (``SkillGapGroupBy`` values), in one statement. Groups of fewer than
    ``rules.min_group_size`` people come back with ``suppressed`` set and no figures."""
    wanted = tuple(sorted(set(groupings), key=list(GROUP_KEYS).index))
    params: dict[str, Any] = {
        "min_group": rules.min_group_size,
        "no_group": NO_GROUP,
        "stale_before": rules.stale_before,
        "min_peers": rules.min_peer_count,
    }
    filters = summary_filters(f, params)
    statement = _summaries_statement(
        wanted,
        tuple(filters),
        tuple(summary_filters(f, params, unit="cl")),
        f.competency_id is not None,
        f.job_family_id is not None or f.level_id is not None,
        rules.order,
        rules.prefer_fresh,
    )
    found: dict[str, list[Any]] = {g: [] for g in wanted}
    for row in (await db.execute(statement, params)).all():
        found[row.grouped_by].append(row)
    return found


async def skill_gap_summary(
    db: Executor, rules: Rules, group_by: str, f: SummaryFilter
) -> list[Any]:
    """One grouping of ``skill_gap_summaries``."""
    return (await skill_gap_summaries(db, rules, [group_by], f))[group_by]
