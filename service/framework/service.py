"""Use cases of the career framework: creating, changing and archiving its entities.

Each entity type is declared once (``Entity``: its table, names and fields, ``Attr``),
and ``create``, ``update`` and ``set_archived`` work from the declaration; what is special
about an entity is a hook: rank order, pay bands, scale levels, descriptors, track steps,
transitions' rules, archive blockers. The GraphQL inputs and payloads follow from the same
declarations (``service.framework.schema``), and the limits are the framework document's.

Every function requires ``career:admin``, checks all of its input at once (raising
``UserInputError`` with every problem), writes, and records an audit event. Rules:

- keys are lowercase slugs, unique per organization among all rows, archived ones too;
- an entity cannot be archived while active entities depend on it (a competency that
  active roles expect, a level or family with active roles, a role on an active track,
  a scale used by active competencies); archiving a role also archives its transitions;
- after each change the framework must still export as a valid framework document: as a
  last line of defence the active framework is re-checked with the document's rules
  (``ensure_consistent``), so export → import always works.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, text
from sqlalchemy import update as sql_update

from service.audit import service as audit
from service.auth import policies
from service.auth.principal import Principal
from service.db import Executor
from service.entities import (
    Attr,
    Change,
    Entity,
    Errors,
    archived_refs,
    create,
    description,
    hook,
    key,
    listing,
    load,
    name,
    ref,
    set_archived,
    update,
    write,
)
from service.errors import ErrorCode, FieldError, UserInputError, Validator
from service.framework import queries, rules
from service.framework.document import (
    MAX_CATEGORY,
    MAX_DESCRIPTORS,
    MAX_EXPECTATIONS,
    MAX_RANK,
    MAX_SCALE_LEVELS,
    MAX_TEXT,
    MAX_TRACK_STEPS,
    MAX_WEIGHT,
    MIN_SCALE_LEVELS,
    DocumentError,
    parse_document,
)
from service.framework.models import (
    TrackKind,
    TransitionKind,
    competencies,
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
from service.kit import INVALID, active_row, check_version, given

__all__ = ["create", "set_archived", "update"]


def require_admin(principal: Principal) -> None:
    """Framework editing, import and export (pay bands included) are for HR admins."""
    policies.require_admin(principal)


FRAMEWORK_LOCK = 7_240_512  # with the organization: one framework writer at a time


async def lock_framework(db: Executor, principal: Principal) -> None:
    """Serialize framework changes within an organization until the transaction ends, so
    the consistency check of one change sees every change committed before it, and raise
    the organization's framework revision (``framework_changed()``) in the same statement:
    cached framework reads of the organization end with this transaction's commit."""
    await db.execute(LOCK_FRAMEWORK_SQL, {"k": FRAMEWORK_LOCK, "org": str(principal.org_id)})


LOCK_FRAMEWORK_SQL = text(
    """
    with locked as (select pg_advisory_xact_lock(:k, hashtext(:org)))
    select framework_changed() from locked
    """
)


async def _begin(db: Executor, principal: Principal) -> None:
    require_admin(principal)
    await lock_framework(db, principal)


def require_reader(principal: Principal) -> None:
    """Everyone in the organization with a career scope reads the published framework."""
    policies.require_reader(principal)


def read_visibility(principal: Principal) -> tuple[bool, bool]:
    """What of the framework the caller sees: all of it or nothing, pay bands or not.
    Callers alike in both see the same framework reads (the key of cached ones)."""
    return policies.is_reader(principal), policies.can_see_pay(principal)


# --- inputs -----------------------------------------------------------------------------


class Input(SimpleNamespace):
    """An entity's input by field name (``Input(key="x", name="X")``); a field left out
    is not given. The GraphQL layer builds the same from its decoded input."""


# Names kept for callers building inputs in Python.
ScaleInput = LevelInput = JobFamilyInput = RoleInput = TrackInput = Input
TransitionInput = CompetencyInput = Input


@dataclass
class ScaleLevelInput:
    name: str | None
    description: str | None = None


@dataclass
class PayBandInput:
    min: int
    mid: int
    max: int
    currency: str


@dataclass
class DescriptorInput:
    level: int
    description: str | None


@dataclass
class ExpectationInput:
    competency_id: uuid.UUID
    required_level: int
    weight: float = 1.0
    core: bool = True
    note: str | None = None


async def _tracks_with_role(db: Executor, role_id: uuid.UUID) -> list[str]:
    return await queries.keys_where(
        db,
        tracks,
        queries.active(tracks),
        tracks.c.id.in_(select(track_steps.c.track_id).where(track_steps.c.role_id == role_id)),
    )


async def ensure_consistent(db: Executor) -> None:
    """Refuse a change that leaves the active framework breaking the document rules (keys,
    references, track order, ranks, limits). Descriptor and expectation levels are checked
    by the changes that affect them."""
    snapshot = await queries.load_snapshot(db, details=False)
    try:
        parse_document(queries.snapshot_document(snapshot))
    except DocumentError as exc:
        raise UserInputError(
            [
                FieldError(
                    ("input",),
                    "the change would leave the framework inconsistent: "
                    f"{p.path or 'document'}: {p.message}",
                    ErrorCode.CONFLICT,
                )
                for p in exc.problems
            ]
        ) from None


# --- hooks: what is special about each entity ----------------------------------------------


async def _scale_levels_hook(ch: Change) -> None:
    if not ch.given("levels"):
        return
    items = rules.checked_scale_levels(ch.v, ch.get("levels"))
    if not ch.creating and items:
        in_use = await rules.levels_in_use(ch.db, ch.before.id, len(items))
        if in_use:
            ch.v.add(
                ("input", "levels"),
                f"competencies {listing(in_use)} use levels above {len(items)} in "
                "descriptors or role expectations; change those first",
                ErrorCode.CONFLICT,
            )
        current = await queries.scale_levels_by_scale(ch.db, [ch.before.id])
        old = [{"value": r.value, "name": r.name, "description": r.description} for r in current[0]]
        if old == items:
            return
        ch.extra["levels"] = {"from": old, "to": items}
    ch.writes.append(partial(rules.write_scale_levels, ch.db, ch.principal, items=items))


async def _rank_hook(ch: Change) -> None:
    if ch.given("rank"):
        ch.values["rank"] = await rules.rank(ch.db, ch.v, ch.get("rank"), ch.own_id)


async def _pay_band_hook(ch: Change) -> None:
    if ch.given("pay_band"):
        ch.values.update(rules.pay_band(ch.v, ch.get("pay_band")))


async def _role_off_tracks(ch: Change) -> None:
    """A role moves to another family only when it is on no track of its current one."""
    if ch.creating or "family_id" not in ch.values:
        return
    on_tracks = await _tracks_with_role(ch.db, ch.before.id)
    if on_tracks:
        ch.v.add(
            ("input", "familyId"),
            f"the role is on tracks {listing(on_tracks)} of its current family; "
            "take it off them first",
            ErrorCode.CONFLICT,
        )


async def _descriptors_hook(ch: Change) -> None:
    scale_id = ch.current("scale_id")
    if ch.creating:
        size = await rules.scale_size(ch.db, scale_id) if scale_id else None
        items = rules.descriptors(ch.v, ch.get("descriptors"), size)
        ch.writes.append(partial(rules.write_descriptors, ch.db, ch.principal, items=items))
        return
    competency_id = ch.before.id
    size = await rules.scale_size(ch.db, scale_id)
    current = (await queries.descriptors_by_competency(ch.db, [competency_id]))[0]
    old = [{"level": d.level, "description": d.description} for d in current]
    if ch.given("descriptors"):
        new = rules.descriptors(ch.v, ch.get("descriptors") or [], size)
        if new != old:
            ch.extra["descriptors"] = {"from": old, "to": new}
            ch.writes.append(partial(rules.write_descriptors, ch.db, ch.principal, items=new))
    elif "scale_id" in ch.values and any(d["level"] > size for d in old):
        ch.v.add(
            ("input", "scaleId"),
            f"the competency has descriptors above level {size}, the top of the new scale",
            ErrorCode.CONFLICT,
        )
    if "scale_id" in ch.values:
        above = await queries.keys_where(
            ch.db,
            roles,
            roles.c.id.in_(
                select(role_expectations.c.role_id).where(
                    role_expectations.c.competency_id == competency_id,
                    role_expectations.c.required_level > size,
                )
            ),
        )
        if above:
            ch.v.add(
                ("input", "scaleId"),
                f"roles {listing(above)} require levels above {size}, the top of the new scale",
                ErrorCode.CONFLICT,
            )


async def _steps_hook(ch: Change) -> None:
    """A track's roles, lowest first; given on update, they replace its steps."""
    path = ("input", "roleIds")
    family_id = ch.current("family_id")
    if ch.creating:
        steps = await rules.checked_track_steps(
            ch.db, ch.v, family_id, ch.get("role_ids") or [], path
        )
        ch.writes.append(partial(rules.write_steps, ch.db, ch.principal, role_ids=steps))
        return
    current = [s.role_id for s in (await queries.steps_by_track(ch.db, [ch.before.id]))[0]]
    if ch.given("role_ids"):
        steps = await rules.checked_track_steps(
            ch.db, ch.v, family_id, ch.get("role_ids") or [], path
        )
        if steps != current:
            ch.extra["roles"] = {"from": current, "to": steps}
            ch.writes.append(partial(rules.write_steps, ch.db, ch.principal, role_ids=steps))
    elif "family_id" in ch.values and current:
        ch.v.add(
            ("input", "familyId"),
            "the track's roles belong to its current family; give the new family's roles in "
            "`roleIds` as well",
            ErrorCode.CONFLICT,
        )


async def _transition_rules(ch: Change) -> None:
    """No loops, no duplicates, nothing a track already implies, no promotion downwards."""
    v, kind = ch.v, ch.values.get("kind")
    if not ch.creating:
        from_id, to_id = ch.before.from_role_id, ch.before.to_role_id
        if kind == TransitionKind.PROMOTION and await rules.rank_of(
            ch.db, to_id
        ) < await rules.rank_of(ch.db, from_id):
            v.add(("input", "kind"), "a promotion cannot lead to a lower level")
        return
    source, target = ch.refs.get("from_role_id"), ch.refs.get("to_role_id")
    if source is None or target is None:
        return
    if source.id == target.id:
        v.add(
            ("input", "toRoleId"), "a transition cannot lead from a role to itself", ErrorCode.CYCLE
        )
        return
    existing = (
        await ch.db.execute(
            select(role_transitions).where(
                role_transitions.c.from_role_id == source.id,
                role_transitions.c.to_role_id == target.id,
            )
        )
    ).first()
    implied = await rules.implied_by(ch.db, source.id, target.id)
    if existing is not None:
        state = "an archived" if existing.archived_at is not None else "a"
        v.add(
            ("input", "toRoleId"),
            f'there is already {state} transition from "{source.key}" to "{target.key}"',
            ErrorCode.TAKEN,
        )
    elif implied:
        v.add(
            ("input", "toRoleId"),
            f'the move from "{source.key}" to "{target.key}" is already implied by '
            f"track {listing(implied)}",
            ErrorCode.CONFLICT,
        )
    elif kind == TransitionKind.PROMOTION and await rules.rank_of(
        ch.db, target.id
    ) < await rules.rank_of(ch.db, source.id):
        v.add(("input", "kind"), "a promotion cannot lead to a lower level")


async def _blockers(
    db: Executor, entity: Entity, row: Any, archiving: bool, found: list[str]
) -> list[str]:
    """Archive and restore rules beyond dependents and references (``Entity.blockers``)."""
    if archiving and entity is COMPETENCY:
        expecting = await queries.active_roles_expecting(db, row.id)
        if expecting:
            keys = listing([r.key for r in expecting], None)
            return [
                f"active roles expect this competency: {keys}; "
                "remove it from their expectations first"
            ]
    if archiving and entity is ROLE:
        on = await _tracks_with_role(db, row.id)
        if on:
            return [f"the role is on active tracks {listing(on)}; take it off them first"]
    if archiving:
        return []
    out = []
    if entity is TRACK:
        steps = (await queries.steps_by_track(db, [row.id]))[0]
        out += await archived_refs(db, [(ROLE, s.role_id) for s in steps])
    if entity is LEVEL:
        other = (
            await db.execute(
                select(levels.c.key).where(
                    levels.c.rank == row.rank, queries.active(levels), levels.c.id != row.id
                )
            )
        ).scalar()
        if other is not None:
            out.append(f'its rank {row.rank} is now used by level "{other}"; change that first')
    if entity is TRANSITION and not found and not out:
        implied = await rules.implied_by(db, row.from_role_id, row.to_role_id)
        if implied:
            out.append(f"the move is now implied by track {listing(implied)}")
    return out


async def _archive_transitions_of(db: Executor, principal: Principal, role_id: uuid.UUID) -> None:
    archived = (
        (
            await db.execute(
                sql_update(role_transitions)
                .where(
                    queries.active(role_transitions),
                    or_(
                        role_transitions.c.from_role_id == role_id,
                        role_transitions.c.to_role_id == role_id,
                    ),
                )
                .values(
                    archived_at=func.now(),
                    version=role_transitions.c.version + 1,
                    updated_at=func.now(),
                )
                .returning(role_transitions.c.id)
            )
        )
        .scalars()
        .all()
    )
    for transition_id in archived:
        await audit.record(
            db,
            principal,
            "role_transition.archive",
            TRANSITION.type_name,
            transition_id,
            {"archived": {"from": False, "to": True}, "reason": "role archived"},
        )


# Every framework entity: admins only, one writer at a time, consistent after each change.
FRAMEWORK: dict[str, Any] = {"begin": _begin, "finish": ensure_consistent, "blockers": _blockers}

# --- the entities -------------------------------------------------------------------------

SCALE = Entity(
    proficiency_scales,
    "ProficiencyScale",
    "proficiency scale",
    "proficiency_scale",
    **FRAMEWORK,
    doc="A new proficiency scale.",
    attrs=(
        key(),
        name(),
        description("What it measures."),
        hook(
            "levels",
            f"The steps, lowest first ({MIN_SCALE_LEVELS} to {MAX_SCALE_LEVELS}); they get "
            "values 1, 2, 3, …",
            "New steps, replacing the old; refused when dropping levels in use.",
            _scale_levels_hook,
            required=True,
        ),
    ),
    dependents=((competencies, "scale_id", "active competencies use this scale"),),
)
LEVEL = Entity(
    levels,
    "Level",
    "level",
    "level",
    **FRAMEWORK,
    doc="A new level of the leveling scale.",
    attrs=(
        key(),
        name(),
        hook(
            "rank",
            f"1 to {MAX_RANK}, higher is more senior; unique.",
            "New rank.",
            _rank_hook,
            required=True,
        ),
        description("What it expects."),
    ),
    dependents=((roles, "level_id", "active roles are at this level"),),
)
FAMILY = Entity(
    job_families,
    "JobFamily",
    "job family",
    "job_family",
    "job families",
    **FRAMEWORK,
    doc="A new job family.",
    attrs=(key(), name(), description("What it does.")),
    dependents=(
        (roles, "family_id", "active roles belong to this family"),
        (tracks, "family_id", "active tracks belong to this family"),
    ),
)
ROLE = Entity(
    roles,
    "Role",
    "role",
    "role",
    **FRAMEWORK,
    archived=_archive_transitions_of,
    doc="A new role.",
    attrs=(
        key(),
        Attr(
            "family_id",
            "Its job family.",
            "New job family (not while the role is on a track).",
            kind="ref",
            required=True,
            ref=FAMILY,
            then=_role_off_tracks,
        ),
        ref("level_id", LEVEL, "Its level.", "New level."),
        name("title", "Job title (at most 200 characters)."),
        description("What the role does."),
        hook("pay_band", "Pay range.", "New pay range; null removes it.", _pay_band_hook),
    ),
)
TRACK = Entity(
    tracks,
    "Track",
    "track",
    "track",
    **FRAMEWORK,
    doc="A new track: an ordered ladder of roles of one job family.",
    attrs=(
        key(),
        ref(
            "family_id",
            FAMILY,
            "Its job family.",
            "New job family; give its roles in `roleIds` too.",
        ),
        name(),
        Attr("kind", "IC, management or other.", "New kind.", "enum", True, choices=TrackKind),
        description("What it is for."),
        Attr(
            "role_ids",
            f"Its roles, lowest first (1 to {MAX_TRACK_STEPS}): roles of the family, each "
            "once, never stepping down in level.",
            "New roles, lowest first, replacing the steps.",
            kind="hook",
            required=True,
            ids="Role",
            hook=_steps_hook,
        ),
    ),
)
TRANSITION = Entity(
    role_transitions,
    "RoleTransition",
    "transition",
    "role_transition",
    **FRAMEWORK,
    doc="A new explicit move between roles (one not implied by a track's order).",
    attrs=(
        ref("from_role_id", ROLE, "Where the move starts.", None),
        ref("to_role_id", ROLE, "Where it leads; not the same role.", None),
        Attr(
            "kind",
            "Promotion or lateral move.",
            "New kind.",
            "enum",
            True,
            choices=TransitionKind,
        ),
        Attr("note", "Why or how people move.", "New note; null clears."),
    ),
    check=_transition_rules,
)
COMPETENCY = Entity(
    competencies,
    "Competency",
    "competency",
    "competency",
    "competencies",
    **FRAMEWORK,
    doc="A new competency.",
    attrs=(
        key(),
        name(),
        Attr("category", "Grouping, e.g. Core.", "New category.", limit=MAX_CATEGORY),
        description("What it covers."),
        ref("scale_id", SCALE, "The scale it is rated on.", "New scale."),
        hook(
            "descriptors",
            f"A descriptor per scale level (at most {MAX_DESCRIPTORS}).",
            "New descriptors, replacing the old.",
            _descriptors_hook,
        ),
    ),
)
ENTITIES = {e.type_name: e for e in (SCALE, LEVEL, FAMILY, ROLE, TRACK, TRANSITION, COMPETENCY)}


async def create_scale(db: Executor, principal: Principal, data: Any) -> Any:
    return await create(db, principal, SCALE, data)


async def create_competency(db: Executor, principal: Principal, data: Any) -> Any:
    return await create(db, principal, COMPETENCY, data)


async def create_job_family(db: Executor, principal: Principal, data: Any) -> Any:
    return await create(db, principal, FAMILY, data)


async def set_role_expectations(
    db: Executor,
    principal: Principal,
    role_id: uuid.UUID,
    items: Sequence[ExpectationInput],
    *,
    expected_version: int | None = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Replace all expectations of a role."""
    await _begin(db, principal)
    role = await load(db, ROLE, role_id, ("input", "roleId"))
    check_version(role, expected_version, ROLE.label)
    v = Errors(input_errors)
    if v.too_many(
        ("input", "expectations"),
        len(items),
        MAX_EXPECTATIONS,
        f"at most {MAX_EXPECTATIONS} expectations per role",
    ):
        v.raise_if_any()
    wanted = {e.competency_id for e in items if e.competency_id is not INVALID}
    found = {
        r.id: r
        for r in (
            await db.execute(
                select(competencies, func.count(scale_levels.c.value).label("scale_size"))
                .join(scale_levels, scale_levels.c.scale_id == competencies.c.scale_id)
                .where(competencies.c.id.in_(wanted))
                .group_by(competencies.c.id)
            )
        ).all()
    }
    rows: list[dict[str, Any]] = []
    seen: dict[uuid.UUID, int] = {}
    for i, e in enumerate(items):
        prefix = ("input", "expectations", str(i))
        path = (*prefix, "competencyId")
        # A malformed ID was reported while reading the request.
        comp = None
        if e.competency_id is not INVALID:
            comp = rules.usable_competency(v, path, found.get(e.competency_id))
        if comp is None:
            pass
        elif e.competency_id in seen:
            v.add(
                path,
                f'competency "{comp.key}" is already expected (expectations[{seen[e.competency_id]}])',
                ErrorCode.TAKEN,
            )
        elif not 1 <= e.required_level <= comp.scale_size:
            v.add(
                (*prefix, "requiredLevel"),
                f"required level {e.required_level} is outside the scale of competency "
                f'"{comp.key}" (1..{comp.scale_size})',
            )
        seen.setdefault(e.competency_id, i)
        if not 0 < e.weight <= MAX_WEIGHT:
            v.add((*prefix, "weight"), f"must be greater than 0 and at most {MAX_WEIGHT:g}")
        note = v.text("note", e.note, max_length=MAX_TEXT, prefix=prefix) or None
        rows.append(
            {
                "org_id": principal.org_id,
                "role_id": role_id,
                "competency_id": e.competency_id,
                "required_level": e.required_level,
                "weight": float(e.weight),
                "core": e.core,
                "note": note,
            }
        )
    v.raise_if_any()
    current = (await queries.expectations_by_role(db, [role_id]))[0]

    def comparable(r: Any) -> tuple[Any, ...]:
        return (str(r["competency_id"]), r["required_level"], r["weight"], r["core"], r["note"])

    old = sorted(comparable(dict(r._mapping)) for r in current)
    new = sorted(comparable(r) for r in rows)
    if old == new:
        return role
    await db.execute(delete(role_expectations).where(role_expectations.c.role_id == role_id))
    if rows:
        await db.execute(insert(role_expectations), rows)
    return await write(
        db,
        principal,
        ROLE,
        role,
        {},
        action="set_expectations",
        extra_changes={
            "expectations": {"from": [list(o) for o in old], "to": [list(n) for n in new]}
        },
    )


# --- roles named by other domains --------------------------------------------------------


async def active_role(db: Executor, v: Validator, role_id: Any, path: tuple[str, ...]) -> Any:
    """The role a reference names, when one is given (not None, ``NOT_GIVEN`` or
    ``INVALID``) and it exists and is not archived; else None, with the problem in ``v``
    at ``path``."""
    if role_id is None or not given(role_id):
        return None
    return active_row(v, path, await queries.one_by_id(db, roles, role_id), "role", "title")
