"""Rules of the framework's entities that need more than a field check: scale levels,
ranks, pay bands, descriptors, track steps and transitions (used by the hooks in
``service.framework.service``)."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select

from service.auth.principal import Principal
from service.db import Executor
from service.errors import ErrorCode, Validator
from service.framework import queries
from service.framework.document import (
    CURRENCY_PATTERN,
    MAX_DESCRIPTOR,
    MAX_DESCRIPTORS,
    MAX_LEVEL_NAME,
    MAX_PAY,
    MAX_RANK,
    MAX_SCALE_LEVELS,
    MAX_TEXT,
    MAX_TRACK_STEPS,
    MIN_SCALE_LEVELS,
)
from service.framework.models import (
    competencies,
    competency_descriptors,
    levels,
    role_expectations,
    role_transitions,
    roles,
    scale_levels,
    track_steps,
    tracks,
)
from service.kit import INVALID, active_row

CURRENCY_RE = re.compile(CURRENCY_PATTERN)
Path = tuple[str, ...]


def usable_competency(v: Validator, path: tuple[str, ...], comp: Any) -> Any:
    """A competency looked up for an input if it is there and active; otherwise None and
    the reason, at ``path``."""
    return active_row(v, path, comp, "competency")


def checked_scale_levels(v: Validator, items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not MIN_SCALE_LEVELS <= len(items) <= MAX_SCALE_LEVELS:
        v.add(
            ("input", "levels"),
            f"a scale needs between {MIN_SCALE_LEVELS} and {MAX_SCALE_LEVELS} levels",
            ErrorCode.LIMIT_EXCEEDED
            if isinstance(items, list) and len(items) > MAX_SCALE_LEVELS
            else ErrorCode.INVALID,
        )
        return []
    out: list[dict[str, Any]] = []
    names: dict[str, int] = {}
    for i, item in enumerate(items):
        prefix = ("input", "levels", str(i))
        name = v.text("name", item.name, required=True, max_length=MAX_LEVEL_NAME, prefix=prefix)
        if name and name.lower() in names:
            v.add(
                (*prefix, "name"),
                f'"{name}" is already the name of levels[{names[name.lower()]}]',
                ErrorCode.TAKEN,
            )
        if name:
            names.setdefault(name.lower(), i)
        description = v.text("description", item.description, max_length=MAX_TEXT, prefix=prefix)
        out.append({"value": i + 1, "name": name, "description": description or None})
    return out


async def levels_in_use(db: Executor, scale_id: uuid.UUID, size: int) -> list[str]:
    """Competencies of the scale whose descriptors or role expectations use a level above ``size``."""
    above_descriptor = select(competency_descriptors.c.competency_id).where(
        competency_descriptors.c.level > size
    )
    above_expectation = select(role_expectations.c.competency_id).where(
        role_expectations.c.required_level > size
    )
    return await queries.keys_where(
        db,
        competencies,
        competencies.c.scale_id == scale_id,
        or_(competencies.c.id.in_(above_descriptor), competencies.c.id.in_(above_expectation)),
    )


async def write_scale_levels(
    db: Executor, principal: Principal, scale_id: uuid.UUID, items: list[dict[str, Any]]
) -> None:
    await db.execute(delete(scale_levels).where(scale_levels.c.scale_id == scale_id))
    await db.execute(
        insert(scale_levels),
        [{"org_id": principal.org_id, "scale_id": scale_id, **item} for item in items],
    )


async def rank(db: Executor, v: Validator, value: Any, own_id: uuid.UUID | None) -> int | None:
    if value is None:
        v.add(("input", "rank"), "is required", ErrorCode.REQUIRED)
        return None
    if not 1 <= value <= MAX_RANK:
        v.add(("input", "rank"), f"must be between 1 and {MAX_RANK}")
        return int(value)
    stmt = select(levels.c.key).where(levels.c.rank == value, queries.active(levels))
    if own_id is not None:
        stmt = stmt.where(levels.c.id != own_id)
    other = (await db.execute(stmt)).scalar()
    if other is not None:
        v.add(
            ("input", "rank"), f'rank {value} is already used by level "{other}"', ErrorCode.TAKEN
        )
    return int(value)


def pay_band(v: Validator, band: Any) -> dict[str, Any]:
    if band is None:
        return {"pay_min": None, "pay_mid": None, "pay_max": None, "pay_currency": None}
    prefix = ("input", "payBand")
    for name in ("min", "mid", "max"):
        amount = getattr(band, name)
        if not 0 <= amount <= MAX_PAY:
            v.add((*prefix, name), f"must be between 0 and {MAX_PAY:,}")
    if not band.min <= band.mid <= band.max:
        v.add(
            prefix,
            f"must have min ≤ mid ≤ max, got min {band.min}, mid {band.mid}, max {band.max}",
        )
    currency = (band.currency or "").strip()
    if not CURRENCY_RE.match(currency):
        v.add((*prefix, "currency"), f'"{currency}" is not a three-letter currency code like "USD"')
    return {
        "pay_min": band.min,
        "pay_mid": band.mid,
        "pay_max": band.max,
        "pay_currency": currency,
    }


async def scale_size(db: Executor, scale_id: uuid.UUID) -> int:
    return int(
        (
            await db.execute(
                select(func.count())
                .select_from(scale_levels)
                .where(scale_levels.c.scale_id == scale_id)
            )
        ).scalar_one()
    )


def descriptors(v: Validator, items: Any, size: int | None) -> list[dict[str, Any]]:
    if items is None:
        return []
    if v.too_many(
        ("input", "descriptors"),
        len(items),
        MAX_DESCRIPTORS,
        f"at most {MAX_DESCRIPTORS} descriptors",
    ):
        return []
    out: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    for i, d in enumerate(items):
        prefix = ("input", "descriptors", str(i))
        if size is not None and not 1 <= d.level <= size:
            v.add(
                (*prefix, "level"), f"level {d.level} is outside the competency's scale (1..{size})"
            )
        elif d.level in seen:
            v.add(
                (*prefix, "level"),
                f"level {d.level} is already described (descriptors[{seen[d.level]}])",
                ErrorCode.TAKEN,
            )
        seen.setdefault(d.level, i)
        text = v.text(
            "description", d.description, required=True, max_length=MAX_DESCRIPTOR, prefix=prefix
        )
        out.append({"level": d.level, "description": text})
    return sorted(out, key=lambda d: d["level"])


async def write_descriptors(
    db: Executor, principal: Principal, competency_id: uuid.UUID, items: list[dict[str, Any]]
) -> None:
    await db.execute(
        delete(competency_descriptors).where(
            competency_descriptors.c.competency_id == competency_id
        )
    )
    if items:
        await db.execute(
            insert(competency_descriptors),
            [{"org_id": principal.org_id, "competency_id": competency_id, **d} for d in items],
        )


async def checked_track_steps(
    db: Executor,
    v: Validator,
    family_id: uuid.UUID | None,
    role_ids: Sequence[uuid.UUID],
    path: Path,
) -> list[uuid.UUID]:
    """Check a track's roles (lowest first): active roles of the family, each once, never
    stepping down in level, no step that is already an explicit transition."""
    if not 1 <= len(role_ids) <= MAX_TRACK_STEPS:
        v.add(
            path,
            f"a track has between 1 and {MAX_TRACK_STEPS} roles",
            ErrorCode.LIMIT_EXCEEDED if role_ids else ErrorCode.REQUIRED,
        )
        return []
    found = {
        r.id: r
        for r in (
            await db.execute(
                select(*roles.c, levels.c.rank, levels.c.key.label("level_key"))
                .join(levels, levels.c.id == roles.c.level_id)
                .where(roles.c.id.in_({r for r in role_ids if r is not INVALID}))
            )
        ).all()
    }
    seen: dict[uuid.UUID, int] = {}
    previous: Any = None
    for i, role_id in enumerate(role_ids):
        at = (*path, str(i))
        role = found.get(role_id)
        if role_id is INVALID:
            previous = None
            continue
        if role is None:
            v.add(at, "no such role", ErrorCode.NOT_FOUND)
            previous = None
            continue
        if role_id in seen:
            v.add(
                at,
                f'role "{role.key}" appears twice in this track (also at {seen[role_id]}); '
                "a track cannot loop back",
                ErrorCode.CYCLE,
            )
            previous = None
            continue
        seen[role_id] = i
        if role.archived_at is not None:
            v.add(at, f'the role "{role.key}" is archived', ErrorCode.INVALID_STATE)
        if family_id is not None and role.family_id != family_id:
            v.add(at, f'role "{role.key}" belongs to another job family', ErrorCode.INVALID)
        if previous is not None and role.rank < previous.rank:
            v.add(
                at,
                f'the track steps down from "{previous.key}" (level "{previous.level_key}", '
                f'rank {previous.rank}) to "{role.key}" (level "{role.level_key}", rank {role.rank})',
            )
        previous = role
    pairs = [(a, b) for a, b in itertools.pairwise(role_ids) if a in found and b in found]
    if pairs:
        explicit = (
            await db.execute(
                select(role_transitions.c.from_role_id, role_transitions.c.to_role_id).where(
                    queries.active(role_transitions),
                    or_(
                        *(
                            and_(
                                role_transitions.c.from_role_id == a,
                                role_transitions.c.to_role_id == b,
                            )
                            for a, b in pairs
                        )
                    ),
                )
            )
        ).all()
        for r in explicit:
            a, b = found[r.from_role_id], found[r.to_role_id]
            v.add(
                path,
                f'the step from "{a.key}" to "{b.key}" is already an explicit transition; '
                "archive the transition first",
                ErrorCode.CONFLICT,
            )
    return list(role_ids)


async def write_steps(
    db: Executor, principal: Principal, track_id: uuid.UUID, role_ids: Sequence[uuid.UUID]
) -> None:
    await db.execute(delete(track_steps).where(track_steps.c.track_id == track_id))
    await db.execute(
        insert(track_steps),
        [
            {"org_id": principal.org_id, "track_id": track_id, "position": i + 1, "role_id": r}
            for i, r in enumerate(role_ids)
        ],
    )


async def implied_by(db: Executor, from_id: uuid.UUID, to_id: uuid.UUID) -> list[str]:
    """Keys of active tracks on which ``to`` directly follows ``from``."""
    s1, s2 = track_steps.alias("s1"), track_steps.alias("s2")
    stmt = (
        select(tracks.c.key)
        .join(s1, s1.c.track_id == tracks.c.id)
        .join(s2, and_(s2.c.track_id == s1.c.track_id, s2.c.position == s1.c.position + 1))
        .where(s1.c.role_id == from_id, s2.c.role_id == to_id, queries.active(tracks))
        .order_by(tracks.c.key)
    )
    return list((await db.execute(stmt)).scalars().all())


async def rank_of(db: Executor, role_id: uuid.UUID) -> int:
    stmt = (
        select(levels.c.rank)
        .join(roles, roles.c.level_id == levels.c.id)
        .where(roles.c.id == role_id)
    )
    return int((await db.execute(stmt)).scalar_one())
