"""GraphQL types of the career framework."""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any, NamedTuple

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from service.auth import policies
from service.errors import Forbidden
from service.framework import queries
from service.framework import service as framework
from service.framework.models import TrackKind as TrackKindValue
from service.framework.models import TransitionKind as TransitionKindValue
from service.graphql.enums import graphql_enum
from service.graphql.lookahead import children, named
from service.graphql.node import RowObject, VersionedNode, is_set
from service.graphql.pagination import Connection, PageArgs, paged
from service.graphql.relations import Relation, related, to_list, to_one
from service.people.refs import PEOPLE_TYPES, EmployeeRef

TrackKind = graphql_enum(
    TrackKindValue,
    "What kind of ladder a track is.",
    {
        "IC": "Individual contributor: growing in scope and expertise without managing people.",
        "MANAGEMENT": "People management: growing by leading people and teams.",
        "OTHER": "Any other ladder, e.g. a specialist or program track.",
    },
)
TransitionKind = graphql_enum(
    TransitionKindValue,
    "How a move between two roles counts.",
    {
        "PROMOTION": "A move up: to a role at the same or a higher level, with more scope.",
        "LATERAL": "A move sideways: another track or family at a similar level.",
    },
)


RoleWarningCode = graphql_enum(
    queries.RoleWarningCode,
    "A way a role departs from good framework practice.",
    {
        "TOO_FEW_CORE_COMPETENCIES": "Fewer than 4 core competencies: the role is vague.",
        "TOO_MANY_CORE_COMPETENCIES": "More than 6 core competencies: the role lacks focus.",
    },
)

MIN_CORE, MAX_CORE = 4, 6
_TRACK = "service.framework.types.Track"  # for relations declared before it


async def require_reader(info: Info) -> None:
    framework.require_reader(await info.context.principal())


async def _row(info: Info, batch: Any, row_id: uuid.UUID | None) -> Any | None:
    if row_id is None:
        return None
    return await info.context.loader(batch).load(row_id)


async def _objects(
    info: Info, batch: Any, ids: Iterable[uuid.UUID], make: Any
) -> dict[uuid.UUID, Any]:
    """One object per distinct ID found, by ID, through the request's loader."""
    rows = await info.context.loader(batch).load_many(list(set(ids)))
    return {r.id: make(r) for r in rows if r is not None}


# --- shared fields ------------------------------------------------------------------------


@strawberry.interface(
    description="An editable, archivable part of the framework (scale, level, job family, "
    "role, track, transition or competency)."
)
class FrameworkEntity(VersionedNode):
    """Each type names its batch function (``rows_by_id``); ``from_row`` fills the fields
    from the row's columns of the same names (``converters`` turn a column into a field's
    value, e.g. an enum). Readers only."""

    converters = {"archived": is_set}
    columns = {"archived": "archived_at"}

    archived: bool = strawberry.field(
        description="Archived entities are kept for history but not offered."
    )
    archived_at: dt.datetime | None = strawberry.field(
        description="When it was archived; null while active."
    )

    @classmethod
    async def readable(cls, info: Info) -> bool:
        await require_reader(info)
        return True


# --- scales -------------------------------------------------------------------------------


@strawberry.type(description="One step of a proficiency scale.")
class ScaleLevel(RowObject):
    value: int = strawberry.field(description="Position on the scale, 1 = lowest.")
    name: str = strawberry.field(description="Short label, e.g. Awareness or Expert.")
    description: str | None = strawberry.field(description="What this step means.")


@strawberry.type(
    description="A named, ordered scale competencies are rated on (e.g. 1 Awareness … 5 Expert)."
)
class ProficiencyScale(FrameworkEntity):
    key: str = strawberry.field(description="Stable key, unique among scales.")
    name: str = strawberry.field(description="Display name.")
    description: str | None = strawberry.field(description="What the scale measures.")

    levels: list[ScaleLevel] = related("The scale's steps, lowest first.")

    rows_by_id = queries.scales_by_id
    relations = (to_list(queries.scale_levels_by_scale, ScaleLevel, "levels"),)


# --- levels and families --------------------------------------------------------------------


@strawberry.type(
    description="A step of the organization's leveling scale (e.g. Junior < Senior < "
    "Principal); its rank compares roles across job families."
)
class Level(FrameworkEntity):
    key: str = strawberry.field(description="Stable key, unique among levels.")
    name: str = strawberry.field(description="Display name.")
    rank: int = strawberry.field(description="Higher is more senior; unique among active levels.")
    description: str | None = strawberry.field(description="What is expected at this level.")

    rows_by_id = queries.levels_by_id


@strawberry.type(
    description="A group of roles sharing a function and skills, e.g. Marketing or Engineering."
)
class JobFamily(FrameworkEntity):
    key: str = strawberry.field(description="Stable key, unique among job families.")
    name: str = strawberry.field(description="Display name.")
    description: str | None = strawberry.field(description="What the family does.")

    tracks: list[Track] = related(
        "The family's active career ladders: IC first, then management, then others. Each "
        "lists its roles in order, enough to draw the ladders."
    )

    rows_by_id = queries.job_families_by_id
    relations = (to_list(queries.tracks_by_family, _TRACK, "tracks"),)


# --- roles --------------------------------------------------------------------------------


@strawberry.type(description="Pay range of a role, in whole units of currency per year.")
class PayBand:
    min: int = strawberry.field(description="Bottom of the range.")
    mid: int = strawberry.field(description="Midpoint of the range.")
    max: int = strawberry.field(description="Top of the range.")
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. USD.")


@strawberry.type(description="Something about a role worth reviewing; the role is still valid.")
class RoleWarning:
    code: RoleWarningCode = strawberry.field(description="Machine-readable kind of warning.")  # type: ignore[valid-type]
    message: str = strawberry.field(description="The warning, in a sentence for a person.")


@strawberry.type(description="A competency a role requires, at a level of its scale.")
class RoleExpectation:
    row: strawberry.Private[Any]
    required_level: int = strawberry.field(
        description="Level of the competency's scale the role requires."
    )
    weight: float = strawberry.field(description="Relative weight in readiness (default 1).")
    core: bool = strawberry.field(
        description="A core competency of the role (the guidance is 4–6 per role)."
    )
    note: str | None = strawberry.field(description="What the expectation means for this role.")
    # Loaded with the expectations (they are rarely read without it).
    competency: Competency = strawberry.field(description="The competency expected.")

    @classmethod
    def from_row(cls, row: Any, competency: Competency) -> RoleExpectation:
        return cls(
            row=row,
            required_level=row.required_level,
            weight=float(row.weight),
            core=row.core,
            note=row.note,
            competency=competency,
        )

    @strawberry.field(description="Name of the required level on the competency's scale.")
    async def required_level_name(self, info: Info) -> str | None:
        scale_id = self.competency.row.scale_id
        steps = await info.context.loader(queries.scale_levels_by_scale).load(scale_id)
        return next((s.name for s in steps if s.value == self.row.required_level), None)

    @strawberry.field(
        description="What the competency looks like at the required level (its descriptor)."
    )
    async def descriptor(self, info: Info) -> str | None:
        found = await info.context.loader(queries.descriptors_by_competency).load(
            self.row.competency_id
        )
        return next((d.description for d in found if d.level == self.row.required_level), None)


async def _roles(info: Info, ids: Iterable[uuid.UUID]) -> list[Role]:
    rows = await info.context.loader(queries.roles_by_id).load_many(list(ids))
    return [Role.from_row(r) for r in rows if r is not None]


@strawberry.type(
    description="A move from one role to another: an explicit transition, or a promotion "
    "implied by the order of a track."
)
class CareerMove:
    move: strawberry.Private[queries.Move]
    kind: TransitionKind = strawberry.field(description="Promotion or lateral move.")  # type: ignore[valid-type]
    note: str | None = strawberry.field(description="Why or how people make this move.")

    @classmethod
    def from_move(cls, move: queries.Move) -> CareerMove:
        return cls(move=move, kind=TransitionKind(move.kind), note=move.note)

    @strawberry.field(description="Where the move starts.")
    async def from_role(self, info: Info) -> Role:
        return (await _roles(info, [self.move.from_role_id]))[0]

    @strawberry.field(description="Where the move leads.")
    async def to_role(self, info: Info) -> Role:
        return (await _roles(info, [self.move.to_role_id]))[0]

    @strawberry.field(description="Tracks on which the move is the next step; empty if none.")
    async def tracks(self, info: Info) -> list[Track]:
        rows = await info.context.loader(queries.tracks_by_id).load_many(self.move.track_ids)
        return [Track.from_row(r) for r in rows if r is not None]

    @strawberry.field(description="The explicit transition behind the move; null when implied.")
    async def transition(self, info: Info) -> RoleTransition | None:
        row = await _row(info, queries.transitions_by_id, self.move.transition_id)
        return RoleTransition.from_row(row) if row is not None else None


async def _competencies(info: Info, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Competency]:
    """The competencies of ``ids`` (each once), by ID, through the request's loader."""
    return await _objects(info, queries.competencies_by_id, ids, Competency.from_row)


# Lists of roles reached by the moves out of a role, by field: the kind of move they follow.
_MOVE_LISTS = {"nextRoles": "PROMOTION", "lateralMoves": "LATERAL"}


async def _load_expectations(info: Info, roles: Sequence[Role], wanted: list[Any]) -> None:
    """``Role.expectations`` of all ``roles``, with their competencies, in one batch each."""
    lists = await info.context.loader(queries.expectations_by_role).load_many([r.pk for r in roles])
    comps = await _competencies(info, (e.competency_id for rows in lists for e in rows))
    for role, rows in zip(roles, lists, strict=True):
        role.known["expectations"] = [
            RoleExpectation.from_row(e, comps[e.competency_id]) for e in rows
        ]


async def _load_moves(info: Info, roles: Sequence[Role], wanted: list[Any]) -> None:
    """``Role.nextRoles`` and ``lateralMoves`` of all ``roles`` (and, below them, what is
    selected on the roles reached) in one batch each."""
    kinds = {f.name: _MOVE_LISTS[f.name] for f in wanted}
    moves = await info.context.loader(queries.moves_from).load_many([r.pk for r in roles])
    targets = await _objects(
        info,
        queries.roles_by_id,
        (m.to_role_id for found in moves for m in found if m.kind in kinds.values()),
        Role.from_row,
    )
    await Role.prefetch(info, list(targets.values()), children(wanted))
    for role, found in zip(roles, moves, strict=True):
        for field, kind in kinds.items():
            role.known[field] = [
                targets[m.to_role_id] for m in found if m.kind == kind and m.to_role_id in targets
            ]


@strawberry.type(
    description="A position in a job family at a level, with the competencies it expects "
    "and the moves that lead to and from it."
)
class Role(FrameworkEntity):
    key: str = strawberry.field(description="Stable key, unique among roles.")
    title: str = strawberry.field(description="Job title.")
    description: str | None = strawberry.field(description="What the role is about.")

    family: JobFamily = related("The job family the role belongs to.")
    level: Level = related("The role's level.")

    rows_by_id = queries.roles_by_id
    relations = (
        to_one(queries.levels_by_id, Level, level="level_id"),
        to_one(queries.job_families_by_id, JobFamily, family="family_id"),
        Relation(("expectations",), _load_expectations),
        Relation(tuple(_MOVE_LISTS), _load_moves),
        to_list(queries.tracks_by_role, _TRACK, "tracks"),
    )

    @strawberry.field(description="Pay range. Visible to HR admins only; FORBIDDEN for others.")
    async def pay_band(self, info: Info) -> PayBand | None:
        if not policies.can_see_pay(await info.context.principal()):
            raise Forbidden("Pay bands are visible to HR admins only.")
        r = self.row
        if r.pay_currency is None:
            return None
        return PayBand(min=r.pay_min, mid=r.pay_mid, max=r.pay_max, currency=r.pay_currency)

    @strawberry.field(
        description="Competencies the role expects: core first, then by weight and name."
    )
    def expectations(self, info: Info) -> list[RoleExpectation]:
        return self.related(info, "expectations")

    @strawberry.field(
        description="Departures from good practice, e.g. fewer than 4 or more than 6 core "
        "competencies."
    )
    async def warnings(self, info: Info) -> list[RoleWarning]:
        rows = await info.context.loader(queries.expectations_by_role).load(self.pk)
        core = sum(1 for r in rows if r.core)
        if MIN_CORE <= core <= MAX_CORE:
            return []
        few = core < MIN_CORE
        return [
            RoleWarning(
                code=RoleWarningCode.TOO_FEW_CORE_COMPETENCIES
                if few
                else RoleWarningCode.TOO_MANY_CORE_COMPETENCIES,
                message=f"{core} core competencies; aim for {MIN_CORE} to {MAX_CORE}.",
            )
        ]

    @strawberry.field(
        description="Every move out of this role (promotions and lateral moves), lowest "
        "target level first."
    )
    async def moves(self, info: Info) -> list[CareerMove]:
        found = await info.context.loader(queries.moves_from).load(self.pk)
        return [CareerMove.from_move(m) for m in found]

    @strawberry.field(
        description="Roles this one is promoted to: the next step on its tracks and explicit "
        "promotions."
    )
    def next_roles(self, info: Info) -> list[Role]:
        return self.related(info, "nextRoles")

    @strawberry.field(description="Roles one can move to sideways (explicit lateral moves).")
    def lateral_moves(self, info: Info) -> list[Role]:
        return self.related(info, "lateralMoves")

    @strawberry.field(description="Roles promoted into this one.")
    async def previous_roles(self, info: Info) -> list[Role]:
        found = await info.context.loader(queries.moves_to).load(self.pk)
        return await _roles(info, [m.from_role_id for m in found if m.kind == "PROMOTION"])

    @strawberry.field(description="Active tracks the role sits on.")
    def tracks(self, info: Info) -> list[Track]:
        return self.related(info, "tracks")

    @strawberry.field(
        description="Who does this role today: the employees holding it (not terminated) "
        "whom the caller may see, by name. Everyone for HR admins and HRIS integrations; "
        "for employees, everyone while the organization's directory is open (the default; "
        "`peopleSettings`), else only themselves and (managers) their reports. Each shows "
        "what `Employee`'s rules give the caller: name, title, org unit, role and manager "
        "at least."
    )
    @paged
    async def holders(self, info: Info, paging: PageArgs) -> Connection[EmployeeRef]:
        # People hold roles: people's types import this module, so it loads theirs here.
        people = importlib.import_module(PEOPLE_TYPES)
        page: Connection[Any] = await people.role_holders(info, self.pk, paging)
        return page


@strawberry.type(description="A role at a position of a track.")
class TrackStep(RowObject):
    relations = (to_one(queries.roles_by_id, Role, role="role_id"),)

    position: int = strawberry.field(description="1 for the first (lowest) role of the track.")
    role: Role = related("The role at this step.")


@strawberry.type(
    description="An ordered ladder of roles within a job family; each step up is a promotion. "
    "A role may sit on several tracks (e.g. the entry role of an IC and a management track)."
)
class Track(FrameworkEntity):
    key: str = strawberry.field(description="Stable key, unique among tracks.")
    name: str = strawberry.field(description="Display name.")
    kind: TrackKind = strawberry.field(description="IC, management or other.")  # type: ignore[valid-type]
    description: str | None = strawberry.field(description="What the track is for.")

    family: JobFamily = related("The family the track belongs to.")

    steps: list[TrackStep] = related("The track's roles, lowest first.")

    rows_by_id = queries.tracks_by_id
    converters = {"kind": TrackKind}
    relations = (
        to_one(queries.job_families_by_id, JobFamily, family="family_id"),
        to_list(queries.steps_by_track, TrackStep, "steps"),
    )


@strawberry.type(
    description="An explicit move between two roles beyond those implied by track order: a "
    "lateral move, or a promotion across tracks or families."
)
class RoleTransition(FrameworkEntity):
    kind: TransitionKind = strawberry.field(description="Promotion or lateral move.")  # type: ignore[valid-type]
    note: str | None = strawberry.field(description="Why or how people make this move.")

    from_role: Role = related("Where the move starts.")
    to_role: Role = related("Where the move leads.")

    rows_by_id = queries.transitions_by_id
    converters = {"kind": TransitionKind}
    relations = (to_one(queries.roles_by_id, Role, fromRole="from_role_id", toRole="to_role_id"),)


# --- competencies -------------------------------------------------------------------------


@strawberry.type(description="What a competency looks like at one level of its scale.")
class CompetencyDescriptor:
    level: int = strawberry.field(description="Scale level value described.")
    level_name: str | None = strawberry.field(description="Name of that level on the scale.")
    description: str = strawberry.field(description="Observable behaviour at that level.")


@strawberry.type(
    description="A skill or behaviour rated on a proficiency scale, described at each level."
)
class Competency(FrameworkEntity):
    key: str = strawberry.field(description="Stable key, unique among competencies.")
    name: str = strawberry.field(description="Display name.")
    category: str | None = strawberry.field(
        description="Free-form grouping, e.g. Core, Leadership, Engineering."
    )
    description: str | None = strawberry.field(description="What the competency covers.")

    scale: ProficiencyScale = related("The scale the competency is rated on.")

    rows_by_id = queries.competencies_by_id
    relations = (to_one(queries.scales_by_id, ProficiencyScale, scale="scale_id"),)

    @strawberry.field(description="A descriptor per scale level, lowest first.")
    async def descriptors(self, info: Info) -> list[CompetencyDescriptor]:
        rows = await info.context.loader(queries.descriptors_by_competency).load(self.pk)
        steps = await info.context.loader(queries.scale_levels_by_scale).load(self.row.scale_id)
        names = {s.value: s.name for s in steps}
        return [
            CompetencyDescriptor(
                level=r.level, level_name=names.get(r.level), description=r.description
            )
            for r in rows
        ]


# --- career paths -------------------------------------------------------------------------


@strawberry.type(description="A competency that must grow for a move, from one level to another.")
class CompetencyGrowth:
    growth: strawberry.Private[queries.Growth]
    from_level: int | None = strawberry.field(
        description="Level the current role requires; null when it does not expect it."
    )
    to_level: int = strawberry.field(description="Level the next role requires.")
    increase: int = strawberry.field(
        description="Levels to grow (`toLevel` minus `fromLevel`, counting null as 0)."
    )
    core: bool = strawberry.field(description="Core competency of the next role.")
    weight: float = strawberry.field(description="Weight in the next role.")
    # Loaded with the growth (it is rarely read without it).
    competency: Competency = strawberry.field(description="The competency.")

    @classmethod
    def from_growth(cls, g: queries.Growth, competency: Competency) -> CompetencyGrowth:
        return cls(
            growth=g,
            from_level=g.from_level,
            to_level=g.to_level,
            increase=g.increase,
            core=g.core,
            weight=g.weight,
            competency=competency,
        )


class Ends(NamedTuple):
    """The roles at either end of a move of a career path."""

    from_role_id: uuid.UUID
    to_role_id: uuid.UUID


async def _load_step_moves(info: Info, steps: Sequence[Any], wanted: list[SelectedField]) -> None:
    """``kind``, ``note`` and ``tracks`` of all ``steps``: their moves in one batch (and
    the tracks, when selected, in another)."""
    lists = await info.context.loader(queries.moves_from).load_many(
        [s.row.from_role_id for s in steps]
    )
    moves = [
        next(m for m in found if m.to_role_id == s.row.to_role_id)
        for s, found in zip(steps, lists, strict=True)
    ]
    on_tracks = named(wanted, "tracks")
    if on_tracks:
        ids = (t for m in moves for t in m.track_ids)
        tracks = await _objects(info, queries.tracks_by_id, ids, Track.from_row)
        await Track.prefetch(info, list(tracks.values()), children(on_tracks))
    for step, move in zip(steps, moves, strict=True):
        step.known.update(kind=TransitionKind(move.kind), note=move.note)
        if on_tracks:
            step.known["tracks"] = [tracks[t] for t in move.track_ids if t in tracks]


async def _load_step_growth(info: Info, steps: Sequence[Any], wanted: list[SelectedField]) -> None:
    """``growth`` (with its competencies) and ``uplift`` of all ``steps`` in one batch each."""
    lists = await info.context.loader(queries.growth_by_move).load_many([s.row for s in steps])
    on_growth = named(wanted, "growth")
    if on_growth:
        comps = await _competencies(info, (g.competency_id for found in lists for g in found))
    for step, found in zip(steps, lists, strict=True):
        step.known["uplift"] = sum(g.increase for g in found)
        if on_growth:
            step.known["growth"] = [
                CompetencyGrowth.from_growth(g, comps[g.competency_id]) for g in found
            ]


async def _load_step_ends(info: Info, steps: Sequence[Any], wanted: list[SelectedField]) -> None:
    """``fromRole`` and ``toRole`` of all ``steps`` (with what is selected on them)."""
    ids = [i for s in steps for i in s.row]
    roles = await _objects(info, queries.roles_by_id, ids, Role.from_row)
    await Role.prefetch(info, list(roles.values()), children(wanted))
    for step in steps:
        step.known["fromRole"] = roles[step.row.from_role_id]
        step.known["toRole"] = roles[step.row.to_role_id]


@strawberry.type(description="One move of a career path.")
class CareerPathStep(RowObject):
    """``row``: the roles at either end (``Ends``). A list of paths loads the fields for
    all its steps at once (``prefetch_paths``)."""

    relations = (
        Relation(("kind", "note", "tracks"), _load_step_moves),
        Relation(("growth", "uplift"), _load_step_growth),
        Relation(("fromRole", "toRole"), _load_step_ends),
    )

    kind: TransitionKind = related("Promotion or lateral move.")  # type: ignore[valid-type]
    note: str | None = related("Note of the explicit transition, if any.")
    tracks: list[Track] = related("Tracks on which this move is the next step; empty if none.")
    from_role: Role = related("The role before the move.")
    to_role: Role = related("The role after the move.")
    growth: list[CompetencyGrowth] = related(
        "Competencies the next role requires at a higher level than the current one: core "
        "first, largest growth first."
    )
    uplift: int = related("Sum of the growth of this move, in scale levels.")


async def _load_path_roles(info: Info, paths: Sequence[Any], wanted: list[SelectedField]) -> None:
    """``roles`` of all ``paths`` (with what is selected on them) in one batch."""
    ids = (i for p in paths for i in p.row.role_ids)
    roles = await _objects(info, queries.roles_by_id, ids, Role.from_row)
    await Role.prefetch(info, list(roles.values()), children(wanted))
    for path in paths:
        path.known["roles"] = [roles[i] for i in path.row.role_ids if i in roles]


@strawberry.type(description="A way from one role to another through the framework's moves.")
class CareerPath(RowObject):
    """``row``: the path found (``queries.FoundPath``)."""

    relations = (Relation(("roles",), _load_path_roles),)

    step_count: int = strawberry.field(description="Number of moves.")
    total_uplift: int = strawberry.field(
        description="Competency levels to grow over the whole path (sum of the steps' uplift)."
    )
    steps: list[CareerPathStep] = strawberry.field(description="The moves, in order.")
    roles: list[Role] = related("Every role on the path, the starting role first.")

    @classmethod
    def from_found(cls, found: queries.FoundPath) -> CareerPath:
        return cls(
            row=found,
            step_count=found.steps,
            total_uplift=found.uplift,
            steps=[CareerPathStep(row=Ends(a, b)) for a, b in pairwise(found.role_ids)],
        )


async def prefetch_paths(
    info: Info, paths: Sequence[CareerPath], selected: list[SelectedField]
) -> None:
    """Load, for all ``paths`` at once, what ``selected`` (the fields selected on each of
    them) needs: their roles and what their steps need."""
    await CareerPath.prefetch(info, paths, selected)
    on_steps = children(named(selected, "steps"))
    if on_steps:
        await CareerPathStep.prefetch(info, [s for p in paths for s in p.steps], on_steps)
