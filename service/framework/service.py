"""Use cases of the career framework: creating, changing and archiving its entities.

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

import itertools
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, text, update
from sqlalchemy.sql.elements import ClauseElement

from service.audit import service as audit
from service.auth import policies
from service.auth.principal import Principal
from service.db import Executor
from service.errors import ErrorCode, FieldError, UserInputError, Validator
from service.framework import queries
from service.framework.document import (
    CURRENCY_PATTERN,
    SLUG_PATTERN,
    DocumentError,
    parse_document,
)
from service.framework.models import (
    TrackKind,
    TransitionKind,
    competencies,
    competency_descriptors,
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
from service.kit import INVALID, NOT_GIVEN, check_version, update_versioned

UNSET = NOT_GIVEN  # the kit's "not given" marker, under the name this module uses

KEY_RE = re.compile(SLUG_PATTERN)
CURRENCY_RE = re.compile(CURRENCY_PATTERN)
MAX_KEY = 64
MAX_NAME = 200
MAX_TEXT = 4000
MAX_DESCRIPTOR = 2000
MAX_CATEGORY = 100
MAX_SCALE_LEVELS = 10
MAX_DESCRIPTORS = 20
MAX_EXPECTATIONS = 100
MAX_TRACK_STEPS = 50
MAX_PAY = 1_000_000_000
MAX_RANK = 1000
MAX_WEIGHT = 100.0

Path = tuple[str, ...]


def require_admin(principal: Principal) -> None:
    """Framework editing, import and export (pay bands included) are for HR admins."""
    policies.require_admin(principal)


FRAMEWORK_LOCK = 7_240_512  # with the organization: one framework writer at a time


async def lock_framework(db: Executor, principal: Principal) -> None:
    """Serialize framework changes within an organization until the transaction ends, so
    the consistency check of one change sees every change committed before it."""
    await db.execute(
        text("select pg_advisory_xact_lock(:k, hashtext(:org))"),
        {"k": FRAMEWORK_LOCK, "org": str(principal.org_id)},
    )


async def _begin(db: Executor, principal: Principal) -> None:
    require_admin(principal)
    await lock_framework(db, principal)


def require_reader(principal: Principal) -> None:
    """Everyone in the organization with a career scope reads the published framework."""
    policies.require_reader(principal)


# --- inputs -----------------------------------------------------------------------------


@dataclass
class ScaleLevelInput:
    name: str | None
    description: str | None = None


@dataclass
class ScaleInput:
    key: Any = UNSET
    name: Any = UNSET
    description: Any = UNSET
    levels: Any = UNSET  # list[ScaleLevelInput], values 1..n in order


@dataclass
class LevelInput:
    key: Any = UNSET
    name: Any = UNSET
    rank: Any = UNSET
    description: Any = UNSET


@dataclass
class JobFamilyInput:
    key: Any = UNSET
    name: Any = UNSET
    description: Any = UNSET


@dataclass
class PayBandInput:
    min: int
    mid: int
    max: int
    currency: str


@dataclass
class RoleInput:
    key: Any = UNSET
    family_id: Any = UNSET
    level_id: Any = UNSET
    title: Any = UNSET
    description: Any = UNSET
    pay_band: Any = UNSET  # PayBandInput | None


@dataclass
class TrackInput:
    key: Any = UNSET
    family_id: Any = UNSET
    name: Any = UNSET
    kind: Any = UNSET
    description: Any = UNSET
    role_ids: Any = UNSET  # list[uuid.UUID], lowest first


@dataclass
class TransitionInput:
    from_role_id: Any = UNSET
    to_role_id: Any = UNSET
    kind: Any = UNSET
    note: Any = UNSET


@dataclass
class DescriptorInput:
    level: int
    description: str | None


@dataclass
class CompetencyInput:
    key: Any = UNSET
    name: Any = UNSET
    category: Any = UNSET
    description: Any = UNSET
    scale_id: Any = UNSET
    descriptors: Any = UNSET  # list[DescriptorInput]


@dataclass
class ExpectationInput:
    competency_id: uuid.UUID
    required_level: int
    weight: float = 1.0
    core: bool = True
    note: str | None = None


class Errors(Validator):
    """A Validator that also knows errors collected while parsing the request."""

    def __init__(self, input_errors: Sequence[FieldError] = ()) -> None:
        super().__init__()
        self.errors.extend(input_errors)


# --- entity descriptions ------------------------------------------------------------------


@dataclass(frozen=True)
class Entity:
    """How messages, audit events and archive rules name an entity type."""

    table: Any
    type_name: str  # GraphQL type, audit entity type
    label: str  # in messages
    action: str  # audit action prefix
    plural: str = ""

    @property
    def many(self) -> str:
        return self.plural or self.label + "s"


SCALE = Entity(proficiency_scales, "ProficiencyScale", "proficiency scale", "proficiency_scale")
LEVEL = Entity(levels, "Level", "level", "level")
FAMILY = Entity(job_families, "JobFamily", "job family", "job_family", "job families")
ROLE = Entity(roles, "Role", "role", "role")
TRACK = Entity(tracks, "Track", "track", "track")
TRANSITION = Entity(role_transitions, "RoleTransition", "transition", "role_transition")
COMPETENCY = Entity(competencies, "Competency", "competency", "competency", "competencies")
ENTITIES = {e.type_name: e for e in (SCALE, LEVEL, FAMILY, ROLE, TRACK, TRANSITION, COMPETENCY)}


# --- shared checks ------------------------------------------------------------------------


def _given(value: Any) -> bool:
    return value is not UNSET


async def _load(
    db: Executor, entity: Entity, row_id: uuid.UUID, path: Path = ("input", "id")
) -> Any:
    row = await queries.one_by_id(db, entity.table, row_id)
    if row is None:
        raise UserInputError.one(path, f"no such {entity.label}", ErrorCode.NOT_FOUND)
    return row


def _check_version(entity: Entity, row: Any, expected: int | None) -> None:
    check_version(row, expected, entity.label)


async def _key(
    db: Executor, v: Validator, entity: Entity, value: Any, own_id: uuid.UUID | None
) -> str | None:
    key = v.text("key", value, required=True, max_length=MAX_KEY)
    if not key:
        return key
    if not KEY_RE.match(key):
        v.add(
            ("input", "key"),
            f'"{key}" is not a valid key: use lowercase letters, digits and single hyphens, '
            'e.g. "senior-engineer"',
        )
        return key
    found = await queries.one_by_key(db, entity.table, key)
    if found is not None and found.id != own_id:
        archived = " (archived)" if found.archived_at is not None else ""
        v.add(
            ("input", "key"),
            f'"{key}" is already used by another {entity.label}{archived}',
            ErrorCode.TAKEN,
        )
    return key


async def _active_ref(
    db: Executor, v: Validator, entity: Entity, row_id: uuid.UUID | None, path: Path
) -> Any | None:
    """The referenced row if it exists and is active; otherwise an error at ``path``."""
    if row_id is INVALID:
        return None
    if row_id is None:
        v.add(path, "is required", ErrorCode.REQUIRED)
        return None
    row = await queries.one_by_id(db, entity.table, row_id)
    if row is None:
        v.add(path, f"no such {entity.label}", ErrorCode.NOT_FOUND)
        return None
    if row.archived_at is not None:
        v.add(path, f'the {entity.label} "{row.key}" is archived', ErrorCode.INVALID_STATE)
        return None
    return row


def _description(v: Validator, name: str, value: Any, limit: int = MAX_TEXT) -> str | None:
    return v.text(name, value, max_length=limit) or None


def _listing(keys: Sequence[str], limit: int | None = 10) -> str:
    """Keys for a message: all of them, or the first ``limit`` and how many more."""
    limit = len(keys) if limit is None else limit
    shown = ", ".join(f'"{k}"' for k in keys[:limit])
    more = len(keys) - limit
    return shown + (f" and {more} more" if more > 0 else "")


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


async def _insert(
    db: Executor, principal: Principal, entity: Entity, values: dict[str, Any]
) -> Any:
    row = (
        await db.execute(
            insert(entity.table)
            .values(org_id=principal.org_id, **values)
            .returning(*entity.table.c)
        )
    ).one()
    await audit.record(
        db, principal, f"{entity.action}.create", entity.type_name, row.id, audit.diff(None, values)
    )
    return row


async def _update(
    db: Executor,
    principal: Principal,
    entity: Entity,
    before: Any,
    values: dict[str, Any],
    *,
    action: str = "update",
    extra_changes: dict[str, Any] | None = None,
) -> Any:
    """Write ``values`` (bumping the version) and audit them; ``extra_changes`` are owned
    details (levels, steps, expectations) that changed without a column of their own."""
    plain = {k: v for k, v in values.items() if not isinstance(v, ClauseElement)}
    changes = audit.diff(dict(before._mapping), plain)
    if extra_changes:
        changes.update(extra_changes)
    if not changes:
        return before
    # Framework changes are serialized (``lock_framework``) and ``before`` was read under
    # that lock, so its version is the one to hold; the predicate makes it so regardless.
    written = await update_versioned(
        db, entity.table, before.id, values, expected_version=before.version, what=entity.label
    )
    await audit.record(
        db, principal, f"{entity.action}.{action}", entity.type_name, before.id, changes
    )
    return written.after


# --- proficiency scales --------------------------------------------------------------------


def _scale_levels(v: Validator, items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not 2 <= len(items) <= MAX_SCALE_LEVELS:
        v.add(
            ("input", "levels"),
            f"a scale needs between 2 and {MAX_SCALE_LEVELS} levels",
            ErrorCode.LIMIT_EXCEEDED
            if isinstance(items, list) and len(items) > MAX_SCALE_LEVELS
            else ErrorCode.INVALID,
        )
        return []
    out: list[dict[str, Any]] = []
    names: dict[str, int] = {}
    for i, item in enumerate(items):
        prefix = ("input", "levels", str(i))
        name = v.text("name", item.name, required=True, max_length=100, prefix=prefix)
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


async def _levels_in_use(db: Executor, scale_id: uuid.UUID, size: int) -> list[str]:
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


async def _write_scale_levels(
    db: Executor, principal: Principal, scale_id: uuid.UUID, items: list[dict[str, Any]]
) -> None:
    await db.execute(delete(scale_levels).where(scale_levels.c.scale_id == scale_id))
    await db.execute(
        insert(scale_levels),
        [{"org_id": principal.org_id, "scale_id": scale_id, **item} for item in items],
    )


async def create_scale(
    db: Executor, principal: Principal, data: ScaleInput, input_errors: Sequence[FieldError] = ()
) -> Any:
    await _begin(db, principal)
    v = Errors(input_errors)
    values = {
        "key": await _key(db, v, SCALE, data.key if _given(data.key) else None, None),
        "name": v.text("name", data.name if _given(data.name) else None, required=True),
        "description": _description(
            v, "description", data.description if _given(data.description) else None
        ),
    }
    items = _scale_levels(v, data.levels if _given(data.levels) else None)
    v.raise_if_any()
    row = await _insert(db, principal, SCALE, values)
    await _write_scale_levels(db, principal, row.id, items)
    await ensure_consistent(db)
    return row


async def update_scale(
    db: Executor,
    principal: Principal,
    scale_id: uuid.UUID,
    data: ScaleInput,
    *,
    expected_version: int | None = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    await _begin(db, principal)
    before = await _load(db, SCALE, scale_id)
    _check_version(SCALE, before, expected_version)
    v = Errors(input_errors)
    values: dict[str, Any] = {}
    if _given(data.key):
        values["key"] = await _key(db, v, SCALE, data.key, scale_id)
    if _given(data.name):
        values["name"] = v.text("name", data.name, required=True)
    if _given(data.description):
        values["description"] = _description(v, "description", data.description)
    extra: dict[str, Any] = {}
    if _given(data.levels):
        items = _scale_levels(v, data.levels)
        if items:
            in_use = await _levels_in_use(db, scale_id, len(items))
            if in_use:
                v.add(
                    ("input", "levels"),
                    f"competencies {_listing(in_use)} use levels above {len(items)} in "
                    "descriptors or role expectations; change those first",
                    ErrorCode.CONFLICT,
                )
            current = await queries.scale_levels_by_scale(db, [scale_id])
            old = [
                {"value": r.value, "name": r.name, "description": r.description} for r in current[0]
            ]
            if old != items:
                extra["levels"] = {"from": old, "to": items}
    v.raise_if_any()
    if "levels" in extra:
        await _write_scale_levels(db, principal, scale_id, extra["levels"]["to"])
    row = await _update(db, principal, SCALE, before, values, extra_changes=extra)
    await ensure_consistent(db)
    return row


# --- levels -----------------------------------------------------------------------------


async def _rank(db: Executor, v: Validator, value: Any, own_id: uuid.UUID | None) -> int | None:
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


async def create_level(
    db: Executor, principal: Principal, data: LevelInput, input_errors: Sequence[FieldError] = ()
) -> Any:
    await _begin(db, principal)
    v = Errors(input_errors)
    values = {
        "key": await _key(db, v, LEVEL, data.key if _given(data.key) else None, None),
        "name": v.text("name", data.name if _given(data.name) else None, required=True),
        "rank": await _rank(db, v, data.rank if _given(data.rank) else None, None),
        "description": _description(
            v, "description", data.description if _given(data.description) else None
        ),
    }
    v.raise_if_any()
    row = await _insert(db, principal, LEVEL, values)
    await ensure_consistent(db)
    return row


async def update_level(
    db: Executor,
    principal: Principal,
    level_id: uuid.UUID,
    data: LevelInput,
    *,
    expected_version: int | None = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    await _begin(db, principal)
    before = await _load(db, LEVEL, level_id)
    _check_version(LEVEL, before, expected_version)
    v = Errors(input_errors)
    values: dict[str, Any] = {}
    if _given(data.key):
        values["key"] = await _key(db, v, LEVEL, data.key, level_id)
    if _given(data.name):
        values["name"] = v.text("name", data.name, required=True)
    if _given(data.rank):
        values["rank"] = await _rank(
            db, v, data.rank, level_id if before.archived_at is None else None
        )
    if _given(data.description):
        values["description"] = _description(v, "description", data.description)
    v.raise_if_any()
    row = await _update(db, principal, LEVEL, before, values)
    await ensure_consistent(db)
    return row


# --- job families -----------------------------------------------------------------------


async def create_job_family(
    db: Executor,
    principal: Principal,
    data: JobFamilyInput,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    await _begin(db, principal)
    v = Errors(input_errors)
    values = {
        "key": await _key(db, v, FAMILY, data.key if _given(data.key) else None, None),
        "name": v.text("name", data.name if _given(data.name) else None, required=True),
        "description": _description(
            v, "description", data.description if _given(data.description) else None
        ),
    }
    v.raise_if_any()
    row = await _insert(db, principal, FAMILY, values)
    await ensure_consistent(db)
    return row


async def update_job_family(
    db: Executor,
    principal: Principal,
    family_id: uuid.UUID,
    data: JobFamilyInput,
    *,
    expected_version: int | None = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    await _begin(db, principal)
    before = await _load(db, FAMILY, family_id)
    _check_version(FAMILY, before, expected_version)
    v = Errors(input_errors)
    values: dict[str, Any] = {}
    if _given(data.key):
        values["key"] = await _key(db, v, FAMILY, data.key, family_id)
    if _given(data.name):
        values["name"] = v.text("name", data.name, required=True)
    if _given(data.description):
        values["description"] = _description(v, "description", data.description)
    v.raise_if_any()
    row = await _update(db, principal, FAMILY, before, values)
    await ensure_consistent(db)
    return row


# --- roles ------------------------------------------------------------------------------


def _pay_band(v: Validator, band: PayBandInput | None) -> dict[str, Any]:
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


async def create_role(
    db: Executor, principal: Principal, data: RoleInput, input_errors: Sequence[FieldError] = ()
) -> Any:
    await _begin(db, principal)
    v = Errors(input_errors)
    family = await _active_ref(
        db, v, FAMILY, data.family_id if _given(data.family_id) else None, ("input", "familyId")
    )
    level = await _active_ref(
        db, v, LEVEL, data.level_id if _given(data.level_id) else None, ("input", "levelId")
    )
    values = {
        "key": await _key(db, v, ROLE, data.key if _given(data.key) else None, None),
        "family_id": family.id if family else None,
        "level_id": level.id if level else None,
        "title": v.text("title", data.title if _given(data.title) else None, required=True),
        "description": _description(
            v, "description", data.description if _given(data.description) else None
        ),
        **_pay_band(v, data.pay_band if _given(data.pay_band) else None),
    }
    v.raise_if_any()
    row = await _insert(db, principal, ROLE, values)
    await ensure_consistent(db)
    return row


async def update_role(
    db: Executor,
    principal: Principal,
    role_id: uuid.UUID,
    data: RoleInput,
    *,
    expected_version: int | None = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    await _begin(db, principal)
    before = await _load(db, ROLE, role_id)
    _check_version(ROLE, before, expected_version)
    v = Errors(input_errors)
    values: dict[str, Any] = {}
    if _given(data.key):
        values["key"] = await _key(db, v, ROLE, data.key, role_id)
    if _given(data.family_id) and data.family_id != before.family_id:
        family = await _active_ref(db, v, FAMILY, data.family_id, ("input", "familyId"))
        if family is not None:
            on_tracks = await queries.keys_where(
                db,
                tracks,
                queries.active(tracks),
                tracks.c.id.in_(
                    select(track_steps.c.track_id).where(track_steps.c.role_id == role_id)
                ),
            )
            if on_tracks:
                v.add(
                    ("input", "familyId"),
                    f"the role is on tracks {_listing(on_tracks)} of its current family; "
                    "take it off them first",
                    ErrorCode.CONFLICT,
                )
            values["family_id"] = family.id
    if _given(data.level_id) and data.level_id != before.level_id:
        level = await _active_ref(db, v, LEVEL, data.level_id, ("input", "levelId"))
        if level is not None:
            values["level_id"] = level.id
    if _given(data.title):
        values["title"] = v.text("title", data.title, required=True)
    if _given(data.description):
        values["description"] = _description(v, "description", data.description)
    if _given(data.pay_band):
        values.update(_pay_band(v, data.pay_band))
    v.raise_if_any()
    row = await _update(db, principal, ROLE, before, values)
    await ensure_consistent(db)
    return row


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
    role = await _load(db, ROLE, role_id, ("input", "roleId"))
    _check_version(ROLE, role, expected_version)
    v = Errors(input_errors)
    if len(items) > MAX_EXPECTATIONS:
        v.add(
            ("input", "expectations"),
            f"at most {MAX_EXPECTATIONS} expectations per role",
            ErrorCode.LIMIT_EXCEEDED,
        )
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
        comp = found.get(e.competency_id)
        if e.competency_id is INVALID:
            pass  # reported while reading the request
        elif comp is None:
            v.add((*prefix, "competencyId"), "no such competency", ErrorCode.NOT_FOUND)
        elif comp.archived_at is not None:
            v.add(
                (*prefix, "competencyId"),
                f'the competency "{comp.key}" is archived',
                ErrorCode.INVALID_STATE,
            )
        elif e.competency_id in seen:
            v.add(
                (*prefix, "competencyId"),
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
    return await _update(
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


# --- competencies -------------------------------------------------------------------------


async def _scale_size(db: Executor, scale_id: uuid.UUID) -> int:
    return int(
        (
            await db.execute(
                select(func.count())
                .select_from(scale_levels)
                .where(scale_levels.c.scale_id == scale_id)
            )
        ).scalar_one()
    )


def _descriptors(v: Validator, items: Any, size: int | None) -> list[dict[str, Any]]:
    if items is None:
        return []
    if len(items) > MAX_DESCRIPTORS:
        v.add(
            ("input", "descriptors"),
            f"at most {MAX_DESCRIPTORS} descriptors",
            ErrorCode.LIMIT_EXCEEDED,
        )
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


async def _write_descriptors(
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


async def create_competency(
    db: Executor,
    principal: Principal,
    data: CompetencyInput,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    await _begin(db, principal)
    v = Errors(input_errors)
    scale = await _active_ref(
        db, v, SCALE, data.scale_id if _given(data.scale_id) else None, ("input", "scaleId")
    )
    size = await _scale_size(db, scale.id) if scale else None
    values = {
        "key": await _key(db, v, COMPETENCY, data.key if _given(data.key) else None, None),
        "name": v.text("name", data.name if _given(data.name) else None, required=True),
        "category": v.text(
            "category", data.category if _given(data.category) else None, max_length=MAX_CATEGORY
        )
        or None,
        "description": _description(
            v, "description", data.description if _given(data.description) else None
        ),
        "scale_id": scale.id if scale else None,
    }
    descriptors = _descriptors(v, data.descriptors if _given(data.descriptors) else None, size)
    v.raise_if_any()
    row = await _insert(db, principal, COMPETENCY, values)
    await _write_descriptors(db, principal, row.id, descriptors)
    await ensure_consistent(db)
    return row


async def update_competency(
    db: Executor,
    principal: Principal,
    competency_id: uuid.UUID,
    data: CompetencyInput,
    *,
    expected_version: int | None = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    await _begin(db, principal)
    before = await _load(db, COMPETENCY, competency_id)
    _check_version(COMPETENCY, before, expected_version)
    v = Errors(input_errors)
    values: dict[str, Any] = {}
    if _given(data.key):
        values["key"] = await _key(db, v, COMPETENCY, data.key, competency_id)
    if _given(data.name):
        values["name"] = v.text("name", data.name, required=True)
    if _given(data.category):
        values["category"] = v.text("category", data.category, max_length=MAX_CATEGORY) or None
    if _given(data.description):
        values["description"] = _description(v, "description", data.description)
    scale_id = before.scale_id
    if _given(data.scale_id) and data.scale_id != before.scale_id:
        scale = await _active_ref(db, v, SCALE, data.scale_id, ("input", "scaleId"))
        if scale is not None:
            scale_id = values["scale_id"] = scale.id
    size = await _scale_size(db, scale_id)
    extra: dict[str, Any] = {}
    current = (await queries.descriptors_by_competency(db, [competency_id]))[0]
    old = [{"level": d.level, "description": d.description} for d in current]
    if _given(data.descriptors):
        new = _descriptors(v, data.descriptors or [], size)
        if new != old:
            extra["descriptors"] = {"from": old, "to": new}
    elif "scale_id" in values and any(d["level"] > size for d in old):
        v.add(
            ("input", "scaleId"),
            f"the competency has descriptors above level {size}, the top of the new scale",
            ErrorCode.CONFLICT,
        )
    if "scale_id" in values:
        above = await queries.keys_where(
            db,
            roles,
            roles.c.id.in_(
                select(role_expectations.c.role_id).where(
                    role_expectations.c.competency_id == competency_id,
                    role_expectations.c.required_level > size,
                )
            ),
        )
        if above:
            v.add(
                ("input", "scaleId"),
                f"roles {_listing(above)} require levels above {size}, the top of the new scale",
                ErrorCode.CONFLICT,
            )
    v.raise_if_any()
    if "descriptors" in extra:
        await _write_descriptors(db, principal, competency_id, extra["descriptors"]["to"])
    row = await _update(db, principal, COMPETENCY, before, values, extra_changes=extra)
    await ensure_consistent(db)
    return row


# --- tracks -----------------------------------------------------------------------------


async def _track_steps(
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


async def _write_steps(
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


def _track_kind(v: Validator, value: Any) -> str | None:
    if value is None:
        v.add(("input", "kind"), "is required", ErrorCode.REQUIRED)
        return None
    try:
        return TrackKind(value).value
    except ValueError:
        v.add(("input", "kind"), f"must be one of {', '.join(TrackKind)}")
        return None


async def create_track(
    db: Executor, principal: Principal, data: TrackInput, input_errors: Sequence[FieldError] = ()
) -> Any:
    await _begin(db, principal)
    v = Errors(input_errors)
    family = await _active_ref(
        db, v, FAMILY, data.family_id if _given(data.family_id) else None, ("input", "familyId")
    )
    values = {
        "key": await _key(db, v, TRACK, data.key if _given(data.key) else None, None),
        "family_id": family.id if family else None,
        "name": v.text("name", data.name if _given(data.name) else None, required=True),
        "kind": _track_kind(v, data.kind if _given(data.kind) else None),
        "description": _description(
            v, "description", data.description if _given(data.description) else None
        ),
    }
    steps = await _track_steps(
        db,
        v,
        family.id if family else None,
        data.role_ids if _given(data.role_ids) else [],
        ("input", "roleIds"),
    )
    v.raise_if_any()
    row = await _insert(db, principal, TRACK, values)
    await _write_steps(db, principal, row.id, steps)
    await ensure_consistent(db)
    return row


async def update_track(
    db: Executor,
    principal: Principal,
    track_id: uuid.UUID,
    data: TrackInput,
    *,
    expected_version: int | None = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Change a track; ``data.role_ids``, when given, replaces its steps (add, remove, reorder)."""
    await _begin(db, principal)
    before = await _load(db, TRACK, track_id, ("input", "id"))
    _check_version(TRACK, before, expected_version)
    v = Errors(input_errors)
    values: dict[str, Any] = {}
    if _given(data.key):
        values["key"] = await _key(db, v, TRACK, data.key, track_id)
    family_id = before.family_id
    if _given(data.family_id) and data.family_id != before.family_id:
        family = await _active_ref(db, v, FAMILY, data.family_id, ("input", "familyId"))
        if family is not None:
            family_id = values["family_id"] = family.id
    if _given(data.name):
        values["name"] = v.text("name", data.name, required=True)
    if _given(data.kind):
        values["kind"] = _track_kind(v, data.kind)
    if _given(data.description):
        values["description"] = _description(v, "description", data.description)
    current = [s.role_id for s in (await queries.steps_by_track(db, [track_id]))[0]]
    extra: dict[str, Any] = {}
    if _given(data.role_ids):
        steps = await _track_steps(db, v, family_id, data.role_ids or [], ("input", "roleIds"))
        if steps != current:
            extra["roles"] = {"from": current, "to": steps}
    elif "family_id" in values and current:
        v.add(
            ("input", "familyId"),
            "the track's roles belong to its current family; give the new family's roles in "
            "`roleIds` as well",
            ErrorCode.CONFLICT,
        )
    v.raise_if_any()
    if "roles" in extra:
        await _write_steps(db, principal, track_id, extra["roles"]["to"])
    row = await _update(db, principal, TRACK, before, values, extra_changes=extra)
    await ensure_consistent(db)
    return row


# --- transitions --------------------------------------------------------------------------


async def _implied_by(db: Executor, from_id: uuid.UUID, to_id: uuid.UUID) -> list[str]:
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


async def _rank_of(db: Executor, role_id: uuid.UUID) -> int:
    stmt = (
        select(levels.c.rank)
        .join(roles, roles.c.level_id == levels.c.id)
        .where(roles.c.id == role_id)
    )
    return int((await db.execute(stmt)).scalar_one())


async def create_transition(
    db: Executor,
    principal: Principal,
    data: TransitionInput,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    await _begin(db, principal)
    v = Errors(input_errors)
    from_id = data.from_role_id if _given(data.from_role_id) else None
    to_id = data.to_role_id if _given(data.to_role_id) else None
    source = await _active_ref(db, v, ROLE, from_id, ("input", "fromRoleId"))
    target = await _active_ref(db, v, ROLE, to_id, ("input", "toRoleId"))
    kind = data.kind if _given(data.kind) and data.kind is not None else None
    if kind is None:
        v.add(("input", "kind"), "is required", ErrorCode.REQUIRED)
    note = _description(v, "note", data.note if _given(data.note) else None)
    if source is not None and target is not None:
        if source.id == target.id:
            v.add(
                ("input", "toRoleId"),
                "a transition cannot lead from a role to itself",
                ErrorCode.CYCLE,
            )
        else:
            existing = (
                await db.execute(
                    select(role_transitions).where(
                        role_transitions.c.from_role_id == source.id,
                        role_transitions.c.to_role_id == target.id,
                    )
                )
            ).first()
            implied = await _implied_by(db, source.id, target.id)
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
                    f"track {_listing(implied)}",
                    ErrorCode.CONFLICT,
                )
            elif kind == TransitionKind.PROMOTION and await _rank_of(
                db, target.id
            ) < await _rank_of(db, source.id):
                v.add(("input", "kind"), "a promotion cannot lead to a lower level")
    v.raise_if_any()
    assert source is not None
    assert target is not None
    assert kind is not None
    row = await _insert(
        db,
        principal,
        TRANSITION,
        {
            "from_role_id": source.id,
            "to_role_id": target.id,
            "kind": TransitionKind(kind).value,
            "note": note,
        },
    )
    await ensure_consistent(db)
    return row


async def update_transition(
    db: Executor,
    principal: Principal,
    transition_id: uuid.UUID,
    data: TransitionInput,
    *,
    expected_version: int | None = None,
    input_errors: Sequence[FieldError] = (),
) -> Any:
    """Change a transition's kind or note (its roles define it; create another instead)."""
    await _begin(db, principal)
    before = await _load(db, TRANSITION, transition_id)
    _check_version(TRANSITION, before, expected_version)
    v = Errors(input_errors)
    values: dict[str, Any] = {}
    if _given(data.kind) and data.kind is not None:
        values["kind"] = TransitionKind(data.kind).value
        if values["kind"] == TransitionKind.PROMOTION and await _rank_of(
            db, before.to_role_id
        ) < await _rank_of(db, before.from_role_id):
            v.add(("input", "kind"), "a promotion cannot lead to a lower level")
    if _given(data.note):
        values["note"] = _description(v, "note", data.note)
    v.raise_if_any()
    row = await _update(db, principal, TRANSITION, before, values)
    await ensure_consistent(db)
    return row


# --- archiving ----------------------------------------------------------------------------


async def _archive_blockers(db: Executor, entity: Entity, row: Any) -> list[str]:
    """Why an active entity cannot be archived: the active entities that depend on it."""
    if entity is COMPETENCY:
        expecting = await queries.active_roles_expecting(db, row.id)
        if expecting:
            return [
                "active roles expect this competency: "
                f"{_listing([r.key for r in expecting], None)}; "
                "remove it from their expectations first"
            ]
    if entity is SCALE:
        used = await queries.keys_where(
            db, competencies, competencies.c.scale_id == row.id, queries.active(competencies)
        )
        if used:
            return [f"active competencies use this scale: {_listing(used)}"]
    if entity is LEVEL:
        used = await queries.keys_where(
            db, roles, roles.c.level_id == row.id, queries.active(roles)
        )
        if used:
            return [f"active roles are at this level: {_listing(used)}"]
    if entity is FAMILY:
        out = []
        used = await queries.keys_where(
            db, roles, roles.c.family_id == row.id, queries.active(roles)
        )
        if used:
            out.append(f"active roles belong to this family: {_listing(used)}")
        on = await queries.keys_where(
            db, tracks, tracks.c.family_id == row.id, queries.active(tracks)
        )
        if on:
            out.append(f"active tracks belong to this family: {_listing(on)}")
        return out
    if entity is ROLE:
        on = await queries.keys_where(
            db,
            tracks,
            queries.active(tracks),
            tracks.c.id.in_(select(track_steps.c.track_id).where(track_steps.c.role_id == row.id)),
        )
        if on:
            return [f"the role is on active tracks {_listing(on)}; take it off them first"]
    return []


async def _restore_blockers(db: Executor, entity: Entity, row: Any) -> list[str]:
    """Why an archived entity cannot be restored: what it refers to is archived."""
    refs: list[tuple[Entity, uuid.UUID]] = []
    if entity is ROLE:
        refs = [(FAMILY, row.family_id), (LEVEL, row.level_id)]
    elif entity is COMPETENCY:
        refs = [(SCALE, row.scale_id)]
    elif entity is TRACK:
        refs = [(FAMILY, row.family_id)]
        step_roles = [s.role_id for s in (await queries.steps_by_track(db, [row.id]))[0]]
        refs += [(ROLE, r) for r in step_roles]
    elif entity is TRANSITION:
        refs = [(ROLE, row.from_role_id), (ROLE, row.to_role_id)]
    out = []
    for ref_entity, ref_id in refs:
        ref = await queries.one_by_id(db, ref_entity.table, ref_id)
        if ref is not None and ref.archived_at is not None:
            out.append(f'its {ref_entity.label} "{ref.key}" is archived; restore that first')
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
    if entity is TRANSITION and not out:
        implied = await _implied_by(db, row.from_role_id, row.to_role_id)
        if implied:
            out.append(f"the move is now implied by track {_listing(implied)}")
    return out


async def set_archived(
    db: Executor,
    principal: Principal,
    entity: Entity,
    row_id: uuid.UUID,
    *,
    archived: bool,
    expected_version: int | None = None,
) -> Any:
    """Archive (or restore) an entity. Archiving a role also archives its transitions."""
    await _begin(db, principal)
    before = await _load(db, entity, row_id)
    _check_version(entity, before, expected_version)
    if (before.archived_at is not None) == archived:
        return before
    blockers = await (_archive_blockers if archived else _restore_blockers)(db, entity, before)
    if blockers:
        raise UserInputError(
            [FieldError(("input", "id"), message, ErrorCode.INVALID_STATE) for message in blockers]
        )
    row = await _update(
        db,
        principal,
        entity,
        before,
        {"archived_at": func.now() if archived else None},
        action="archive" if archived else "restore",
        extra_changes={"archived": {"from": not archived, "to": archived}},
    )
    if entity is ROLE and archived:
        await _archive_transitions_of(db, principal, row_id)
    await ensure_consistent(db)
    return row


async def _archive_transitions_of(db: Executor, principal: Principal, role_id: uuid.UUID) -> None:
    archived = (
        (
            await db.execute(
                update(role_transitions)
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


# --- employees ----------------------------------------------------------------------------


async def assignable_role_error(db: Executor, role_id: uuid.UUID) -> str | None:
    """Why an employee cannot hold ``role_id`` (unknown or archived), or None."""
    row = await queries.one_by_id(db, roles, role_id)
    if row is None:
        return "no such role"
    if row.archived_at is not None:
        return f'the role "{row.key}" is archived'
    return None
