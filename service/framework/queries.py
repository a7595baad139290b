"""Read side of the career framework: filtered selects, DataLoader batch functions, the
graph of moves between roles and the career path search."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    func,
    literal,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from service.db import Executor
from service.framework.models import (
    competencies,
    competency_descriptors,
    framework_settings,
    job_families,
    levels,
    proficiency_scales,
    role_expectations,
    role_transitions,
    roles,
    scale_levels,
    track_steps,
    tracks,
)
from service.kit import (
    batch_grouped,
    grouped,
    in_ids,
    loader_by_id,
    loader_grouped,
    matching,
    uuid_array,
    where_given,
)

MAX_PATH_STEPS = 6


class RoleWarningCode(StrEnum):
    """Ways a role departs from good framework practice."""

    TOO_FEW_CORE_COMPETENCIES = "TOO_FEW_CORE_COMPETENCIES"
    TOO_MANY_CORE_COMPETENCIES = "TOO_MANY_CORE_COMPETENCIES"


def active(table: Any) -> ColumnElement[bool]:
    return table.c.archived_at.is_(None)


# --- lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleFilter:
    family_id: uuid.UUID | None = None
    level_id: uuid.UUID | None = None
    track_id: uuid.UUID | None = None
    search: str | None = None
    include_archived: bool = False


def roles_select(f: RoleFilter) -> Select[Any]:
    """Roles in ladder order: by level rank, then title."""
    stmt = select(*roles.c).join(levels, levels.c.id == roles.c.level_id)
    if not f.include_archived:
        stmt = stmt.where(active(roles))
    stmt = where_given(stmt, (roles.c.family_id, f.family_id), (roles.c.level_id, f.level_id))
    if f.track_id is not None:
        stmt = stmt.where(
            roles.c.id.in_(
                select(track_steps.c.role_id).where(track_steps.c.track_id == f.track_id)
            )
        )
    if f.search:
        stmt = stmt.where(matching(f.search, roles.c.title, roles.c.key, roles.c.description))
    return stmt.order_by(levels.c.rank, roles.c.title, roles.c.id)


@dataclass(frozen=True)
class CompetencyFilter:
    category: str | None = None
    search: str | None = None
    scale_id: uuid.UUID | None = None
    include_archived: bool = False


def competencies_select(f: CompetencyFilter) -> Select[Any]:
    """Competencies by category (uncategorised last), then name."""
    stmt = select(*competencies.c)
    if not f.include_archived:
        stmt = stmt.where(active(competencies))
    if f.category is not None:
        stmt = stmt.where(func.lower(competencies.c.category) == f.category.lower())
    if f.scale_id is not None:
        stmt = stmt.where(competencies.c.scale_id == f.scale_id)
    if f.search:
        c = competencies.c
        stmt = stmt.where(matching(f.search, c.name, c.key, c.description))
    return stmt.order_by(
        competencies.c.category.asc().nulls_last(), competencies.c.name, competencies.c.id
    )


async def all_levels(db: Executor, *, include_archived: bool) -> list[Any]:
    stmt = select(levels).order_by(levels.c.rank, levels.c.key)
    if not include_archived:
        stmt = stmt.where(active(levels))
    return list((await db.execute(stmt)).all())


async def all_job_families(db: Executor, *, include_archived: bool) -> list[Any]:
    stmt = select(job_families).order_by(job_families.c.name, job_families.c.id)
    if not include_archived:
        stmt = stmt.where(active(job_families))
    return list((await db.execute(stmt)).all())


async def all_scales(db: Executor, *, include_archived: bool) -> list[Any]:
    stmt = select(proficiency_scales).order_by(proficiency_scales.c.name, proficiency_scales.c.id)
    if not include_archived:
        stmt = stmt.where(active(proficiency_scales))
    return list((await db.execute(stmt)).all())


_ROLE_LEVEL_RANKS = (
    select(roles.c.id, levels.c.rank)
    .join(levels, levels.c.id == roles.c.level_id)
    .where(in_ids(roles.c.id))
)


async def role_level_ranks(db: Executor, role_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The rank of each role's level, by role ID."""
    rows = await db.execute(_ROLE_LEVEL_RANKS, {"ids": list(set(role_ids))})
    return {r.id: r.rank for r in rows}


async def one_by_key(db: Executor, table: Any, key: str) -> Any | None:
    return (await db.execute(select(table).where(table.c.key == key))).first()


async def one_by_id(db: Executor, table: Any, row_id: uuid.UUID) -> Any | None:
    return (await db.execute(select(table).where(table.c.id == row_id))).first()


async def framework_notice(db: Executor) -> str | None:
    return (await db.execute(select(framework_settings.c.notice))).scalar()


# --- batch functions ---------------------------------------------------------------------


# Batch statements are built once, with the keys as one array parameter.
roles_by_id = loader_by_id(roles)
levels_by_id = loader_by_id(levels)
job_families_by_id = loader_by_id(job_families)
competencies_by_id = loader_by_id(competencies)
scales_by_id = loader_by_id(proficiency_scales)
tracks_by_id = loader_by_id(tracks)
transitions_by_id = loader_by_id(role_transitions)


scale_levels_by_scale = loader_grouped(scale_levels.c.scale_id, scale_levels.c.value)
descriptors_by_competency = loader_grouped(
    competency_descriptors.c.competency_id, competency_descriptors.c.level
)


_EXPECTATIONS_BY_ROLE = (
    select(role_expectations)
    .join(competencies, competencies.c.id == role_expectations.c.competency_id)
    .where(in_ids(role_expectations.c.role_id))
    .order_by(
        role_expectations.c.core.desc(),
        role_expectations.c.weight.desc(),
        competencies.c.name,
        competencies.c.id,
    )
)


async def expectations_by_role(db: Executor, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    """Each role's expectations: core ones first, then by weight and competency name."""
    return await batch_grouped(db, _EXPECTATIONS_BY_ROLE, "role_id", ids)


steps_by_track = loader_grouped(track_steps.c.track_id, track_steps.c.position)
#: Each family's active tracks: IC first, then management, then others, by name.
tracks_by_family = loader_grouped(
    tracks.c.family_id,
    func.array_position(
        literal(["IC", "MANAGEMENT", "OTHER"], ARRAY(tracks.c.kind.type)), tracks.c.kind
    ),
    tracks.c.name,
    tracks.c.id,
    where=(active(tracks),),
)


_TRACKS_BY_ROLE = (
    select(*tracks.c, track_steps.c.role_id.label("step_role_id"), track_steps.c.position)
    .join(track_steps, track_steps.c.track_id == tracks.c.id)
    .where(in_ids(track_steps.c.role_id), active(tracks))
    .order_by(track_steps.c.role_id, tracks.c.name, tracks.c.id)
)


async def tracks_by_role(db: Executor, ids: Sequence[uuid.UUID]) -> list[list[Any]]:
    """The active tracks each role sits on, with the role's position on each."""
    return await batch_grouped(db, _TRACKS_BY_ROLE, "step_role_id", ids)


# --- the graph of moves ------------------------------------------------------------------


def edges_select() -> Subquery:
    """Every move between roles: explicit active transitions, plus one row per pair of
    consecutive steps on an active track (the promotions the track implies)."""
    s1, s2 = track_steps.alias("s1"), track_steps.alias("s2")
    implied = (
        select(
            s1.c.role_id.label("from_role_id"),
            s2.c.role_id.label("to_role_id"),
            literal("PROMOTION").label("kind"),
            null().label("note"),
            null().label("transition_id"),
            tracks.c.id.label("track_id"),
        )
        .select_from(
            s1.join(
                s2,
                and_(
                    s2.c.org_id == s1.c.org_id,
                    s2.c.track_id == s1.c.track_id,
                    s2.c.position == s1.c.position + 1,
                ),
            ).join(tracks, and_(tracks.c.org_id == s1.c.org_id, tracks.c.id == s1.c.track_id))
        )
        .where(active(tracks))
    )
    explicit = select(
        role_transitions.c.from_role_id,
        role_transitions.c.to_role_id,
        role_transitions.c.kind,
        role_transitions.c.note,
        role_transitions.c.id.label("transition_id"),
        null().label("track_id"),
    ).where(active(role_transitions))
    return union_all(explicit, implied).subquery("edges")


@dataclass
class Move:
    """A move from one role to another: an explicit transition, or implied by tracks."""

    from_role_id: uuid.UUID
    to_role_id: uuid.UUID
    kind: str
    note: str | None = None
    transition_id: uuid.UUID | None = None
    track_ids: list[uuid.UUID] = field(default_factory=list)


def _moves(rows: Sequence[Any]) -> list[Move]:
    by_pair: dict[tuple[uuid.UUID, uuid.UUID], Move] = {}
    for r in rows:
        pair = (r.from_role_id, r.to_role_id)
        move = by_pair.get(pair)
        if move is None:
            move = by_pair[pair] = Move(r.from_role_id, r.to_role_id, r.kind)
        if r.transition_id is not None:
            move.kind, move.note, move.transition_id = r.kind, r.note, r.transition_id
        if r.track_id is not None:
            move.track_ids.append(r.track_id)
    return list(by_pair.values())


def _edges_statement(column: str) -> Select[Any]:
    edges = edges_select()
    other = "to_role_id" if column == "from_role_id" else "from_role_id"
    target = roles.alias("target")
    levels_t = levels.alias("target_level")
    return (
        select(edges)
        .join(target, target.c.id == edges.c[other])
        .join(levels_t, levels_t.c.id == target.c.level_id)
        .where(in_ids(edges.c[column]), active(target))
        .order_by(edges.c[column], levels_t.c.rank, target.c.title, target.c.id, edges.c.track_id)
    )


_EDGES = {column: _edges_statement(column) for column in ("from_role_id", "to_role_id")}


async def _edges(db: Executor, column: str, ids: Sequence[uuid.UUID]) -> list[list[Move]]:
    rows = (await db.execute(_EDGES[column], {"ids": list(set(ids))})).all()
    return grouped(_moves(rows), column, ids)


async def moves_from(db: Executor, ids: Sequence[uuid.UUID]) -> list[list[Move]]:
    """Each role's outgoing moves to active roles, lowest target level first."""
    return await _edges(db, "from_role_id", ids)


async def moves_to(db: Executor, ids: Sequence[uuid.UUID]) -> list[list[Move]]:
    """Each role's incoming moves from active roles."""
    return await _edges(db, "to_role_id", ids)


@dataclass(frozen=True)
class Growth:
    """A competency that must grow between two roles: not required or lower before."""

    competency_id: uuid.UUID
    from_level: int | None
    to_level: int
    weight: float
    core: bool

    @property
    def increase(self) -> int:
        return self.to_level - (self.from_level or 0)


def _growth_statement() -> Select[Any]:
    to_e, from_e = role_expectations.alias("to_e"), role_expectations.alias("from_e")
    pairs = select(
        func.unnest(uuid_array("src")).label("src"), func.unnest(uuid_array("dst")).label("dst")
    ).subquery("pairs")
    return (
        select(
            pairs.c.src,
            pairs.c.dst,
            to_e.c.competency_id,
            from_e.c.required_level.label("from_level"),
            to_e.c.required_level.label("to_level"),
            to_e.c.weight,
            to_e.c.core,
        )
        .select_from(pairs)
        .join(to_e, to_e.c.role_id == pairs.c.dst)
        .join(competencies, competencies.c.id == to_e.c.competency_id)
        .outerjoin(
            from_e,
            and_(
                from_e.c.role_id == pairs.c.src,
                from_e.c.competency_id == to_e.c.competency_id,
            ),
        )
        .where(to_e.c.required_level > func.coalesce(from_e.c.required_level, 0))
        .order_by(
            to_e.c.core.desc(),
            (to_e.c.required_level - func.coalesce(from_e.c.required_level, 0)).desc(),
            competencies.c.name,
        )
    )


_GROWTH = _growth_statement()


async def growth_by_move(
    db: Executor, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> list[list[Growth]]:
    """For each (from role, to role): the to-role's expectations above the from-role's level
    (a competency the from-role does not expect starts at 0), core first, largest first."""
    wanted = list(set(pairs))
    if not wanted:
        return []
    params = {"src": [p[0] for p in wanted], "dst": [p[1] for p in wanted]}
    found: dict[tuple[uuid.UUID, uuid.UUID], list[Growth]] = {}
    for r in (await db.execute(_GROWTH, params)).all():
        found.setdefault((r.src, r.dst), []).append(
            Growth(r.competency_id, r.from_level, r.to_level, r.weight, r.core)
        )
    return [found.get(p, []) for p in pairs]


# --- career paths ------------------------------------------------------------------------

# A bounded search in one statement. `toward` walks the moves backwards from the target to
# find, for every role, the fewest steps to the target; the forward walk then only takes a
# move when the target stays within reach of the remaining steps, never revisits a role,
# and adds each move's uplift (the levels the next role requires above the current one's).
CAREER_PATHS_SQL = text(
    """
    with recursive
    edges as (
        select t.from_role_id as src, t.to_role_id as dst
        from role_transitions t
        where t.archived_at is null
        union
        select s1.role_id, s2.role_id
        from track_steps s1
        join track_steps s2
          on s2.org_id = s1.org_id and s2.track_id = s1.track_id
         and s2.position = s1.position + 1
        join tracks tr on tr.org_id = s1.org_id and tr.id = s1.track_id
        where tr.archived_at is null
    ),
    toward (role_id, dist) as (
        select cast(:to_role as uuid), 0
        union
        select e.src, w.dist + 1
        from toward w join edges e on e.dst = w.role_id
        where w.dist < :max_steps
    ),
    nearest as (
        select w.role_id, min(w.dist) as dist
        from toward w join roles r on r.id = w.role_id
        where r.archived_at is null
        group by w.role_id
    ),
    moves as (
        select e.src, e.dst, n.dist,
               coalesce(sum(greatest(te.required_level - coalesce(fe.required_level, 0), 0)), 0)
                   as uplift
        from edges e
        join nearest n on n.role_id = e.dst
        left join role_expectations te on te.role_id = e.dst
        left join role_expectations fe
          on fe.role_id = e.src and fe.competency_id = te.competency_id
        group by e.src, e.dst, n.dist
    ),
    paths (last_role, path, steps, uplift) as (
        select cast(:from_role as uuid), array[cast(:from_role as uuid)], 0, cast(0 as bigint)
        union all
        select m.dst, p.path || m.dst, p.steps + 1, p.uplift + m.uplift
        from paths p join moves m on m.src = p.last_role
        where p.last_role <> cast(:to_role as uuid)
          and p.steps + 1 + m.dist <= :max_steps
          and m.dst <> all(p.path)
    )
    select path, steps, uplift
    from paths
    where last_role = cast(:to_role as uuid)
    order by steps, uplift, path
    limit :limit
    """
)


@dataclass(frozen=True)
class FoundPath:
    role_ids: list[uuid.UUID]
    steps: int
    uplift: int


async def career_paths(
    db: Executor, from_role: uuid.UUID, to_role: uuid.UUID, max_steps: int, limit: int
) -> list[FoundPath]:
    """Simple paths of at most ``max_steps`` moves, fewest steps first, then least uplift."""
    rows = (
        await db.execute(
            CAREER_PATHS_SQL,
            {"from_role": from_role, "to_role": to_role, "max_steps": max_steps, "limit": limit},
        )
    ).all()
    return [FoundPath(list(r.path), r.steps, int(r.uplift)) for r in rows]


# --- references, for refusing archives that would leave dangling active references ------


async def active_roles_expecting(db: Executor, competency_id: uuid.UUID) -> list[Any]:
    stmt = (
        select(roles.c.key, roles.c.title)
        .join(role_expectations, role_expectations.c.role_id == roles.c.id)
        .where(role_expectations.c.competency_id == competency_id, active(roles))
        .order_by(roles.c.key)
    )
    return list((await db.execute(stmt)).all())


async def keys_where(db: Executor, table: Any, *conditions: Any) -> list[str]:
    stmt = select(table.c.key).where(*conditions).order_by(table.c.key)
    return list((await db.execute(stmt)).scalars().all())


# --- the whole framework, for export, import and consistency checks ---------------------


@dataclass
class Snapshot:
    """Every framework row of the organization, archived ones included."""

    notice: str | None
    scales: list[Any]
    scale_levels: dict[uuid.UUID, list[Any]]
    levels: list[Any]
    families: list[Any]
    competencies: list[Any]
    descriptors: dict[uuid.UUID, list[Any]]
    roles: list[Any]
    expectations: dict[uuid.UUID, list[Any]]
    tracks: list[Any]
    steps: dict[uuid.UUID, list[Any]]
    transitions: list[Any]


async def _rows(db: Executor, stmt: Any) -> list[Any]:
    return list((await db.execute(stmt)).all())


def _group_rows(rows: list[Any], attr: str) -> dict[uuid.UUID, list[Any]]:
    out: dict[uuid.UUID, list[Any]] = {}
    for r in rows:
        out.setdefault(getattr(r, attr), []).append(r)
    return out


async def _grouped_rows(db: Executor, column: Any, *order: Any) -> dict[uuid.UUID, list[Any]]:
    """Every row of ``column``'s table grouped by ``column``, each group in ``order``."""
    stmt = select(column.table).order_by(column, *order)
    return _group_rows(await _rows(db, stmt), column.name)


async def load_snapshot(db: Executor, *, details: bool = True) -> Snapshot:
    """The whole framework in a fixed number of statements. Without ``details``, descriptors
    and expectations are left out (enough to check keys, references and tracks)."""
    descriptors: dict[uuid.UUID, list[Any]] = {}
    expectations: dict[uuid.UUID, list[Any]] = {}
    if details:
        descriptors = await _grouped_rows(
            db, competency_descriptors.c.competency_id, competency_descriptors.c.level
        )
        expectations = _group_rows(await _rows(db, select(role_expectations)), "role_id")
    return Snapshot(
        notice=await framework_notice(db),
        scales=await _rows(db, select(proficiency_scales)),
        scale_levels=await _grouped_rows(db, scale_levels.c.scale_id, scale_levels.c.value),
        levels=await _rows(db, select(levels)),
        families=await _rows(db, select(job_families)),
        competencies=await _rows(db, select(competencies)),
        descriptors=descriptors,
        roles=await _rows(db, select(roles)),
        expectations=expectations,
        tracks=await _rows(db, select(tracks)),
        steps=await _grouped_rows(db, track_steps.c.track_id, track_steps.c.position),
        transitions=await _rows(db, select(role_transitions)),
    )


def _without_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _active_entries(
    rows: Iterable[Any], entry: Callable[[Any], dict[str, Any]]
) -> list[dict[str, Any]]:
    """The document entry of each active row (``entry(row)``), its empty fields left out."""
    return [_without_none(entry(r)) for r in rows if r.archived_at is None]


def snapshot_document(s: Snapshot) -> dict[str, Any]:
    """The active part of a snapshot as a framework document mapping (camelCase), ready for
    ``parse_document``. Archived entities are not part of the framework."""
    scale_key = {r.id: r.key for r in s.scales}
    level_key = {r.id: r.key for r in s.levels}
    family_key = {r.id: r.key for r in s.families}
    competency_key = {r.id: r.key for r in s.competencies}
    role_key = {r.id: r.key for r in s.roles}

    def scale(r: Any) -> dict[str, Any]:
        return {
            "key": r.key,
            "name": r.name,
            "description": r.description,
            "levels": [
                _without_none({"value": lv.value, "name": lv.name, "description": lv.description})
                for lv in s.scale_levels.get(r.id, [])
            ],
        }

    def competency(r: Any) -> dict[str, Any]:
        return {
            "key": r.key,
            "name": r.name,
            "category": r.category,
            "description": r.description,
            "scale": scale_key.get(r.scale_id),
            "descriptors": [
                {"level": d.level, "description": d.description}
                for d in s.descriptors.get(r.id, [])
            ],
        }

    def role(r: Any) -> dict[str, Any]:
        band = None
        if r.pay_currency is not None:
            band = {
                "min": r.pay_min,
                "mid": r.pay_mid,
                "max": r.pay_max,
                "currency": r.pay_currency,
            }
        return {
            "key": r.key,
            "family": family_key.get(r.family_id),
            "level": level_key.get(r.level_id),
            "title": r.title,
            "description": r.description,
            "payBand": band,
            "expectations": [
                _without_none(
                    {
                        "competency": competency_key.get(e.competency_id),
                        "requiredLevel": e.required_level,
                        "weight": float(e.weight),
                        "core": e.core,
                        "note": e.note,
                    }
                )
                for e in s.expectations.get(r.id, [])
            ],
        }

    def track(r: Any) -> dict[str, Any]:
        return {
            "key": r.key,
            "family": family_key.get(r.family_id),
            "name": r.name,
            "kind": r.kind,
            "description": r.description,
            "roles": [role_key.get(st.role_id) for st in s.steps.get(r.id, [])],
        }

    def transition(r: Any) -> dict[str, Any]:
        return {
            "kind": r.kind,
            "fromRole": role_key.get(r.from_role_id),
            "toRole": role_key.get(r.to_role_id),
            "note": r.note,
        }

    def level(r: Any) -> dict[str, Any]:
        return {"key": r.key, "name": r.name, "rank": r.rank, "description": r.description}

    def family(r: Any) -> dict[str, Any]:
        return {"key": r.key, "name": r.name, "description": r.description}

    return _without_none(
        {
            "version": 1,
            "notice": s.notice,
            "scales": _active_entries(s.scales, scale),
            "levels": _active_entries(s.levels, level),
            "jobFamilies": _active_entries(s.families, family),
            "competencies": _active_entries(s.competencies, competency),
            "roles": _active_entries(s.roles, role),
            "tracks": _active_entries(s.tracks, track),
            "transitions": _active_entries(s.transitions, transition),
        }
    )


async def roles_by_key(db: Executor, keys: Sequence[str]) -> dict[str, Any]:
    """Roles by key (archived ones too), each with its level's ``rank``, in one statement."""
    rows = await db.execute(
        select(roles.c.id, roles.c.key, roles.c.archived_at, levels.c.rank)
        .join(levels, levels.c.id == roles.c.level_id)
        .where(roles.c.key.in_(list(keys)))
    )
    return {r.key: r for r in rows}
