"""Query and Mutation fields of the career framework."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from service.errors import ErrorCode, UserInputError, Validator
from service.framework import queries, transfer
from service.framework import service as framework
from service.framework.models import (
    competencies,
    job_families,
    roles,
    tracks,
)
from service.framework.transfer import FrameworkFormat as FrameworkFormatValue
from service.framework.types import (
    CareerPath,
    Competency,
    FrameworkEntity,
    JobFamily,
    Level,
    ProficiencyScale,
    Role,
    RoleTransition,
    Track,
    TrackKind,
    TransitionKind,
    prefetch_paths,
    prefetch_roles,
    require_reader,
)
from service.graphql.enums import graphql_enum
from service.graphql.errors import UserError, run_mutation
from service.graphql.ids import decode_id, parse_global_id
from service.graphql.lookahead import connection_nodes, selected_below
from service.graphql.pagination import Connection, PageArgs, paginate

MAX_SEARCH = 100
MAX_PATHS = 20
ID_ARG = strawberry.argument(description="The global ID; give this or `key`.")
KEY_ARG = strawberry.argument(description="The stable key; give this or `id`.")


FrameworkFormat = graphql_enum(
    FrameworkFormatValue,
    "Text format of a framework document (docs/framework-format.md).",
    {"YAML": "YAML (the default).", "JSON": "JSON."},
)


def _search(value: str | None, path: tuple[str, ...]) -> str | None:
    if value is not None and len(value) > MAX_SEARCH:
        raise UserInputError.one(path, f"is longer than {MAX_SEARCH} characters")
    return value.strip() or None if value else None


async def _one(
    info: Info,
    id: strawberry.ID | None,
    key: str | None,
    type_name: str,
    table: Any,
    batch: Any,
    make: Callable[[Any], Any],
) -> Any | None:
    """One entity by global ID or key; null when there is none."""
    await require_reader(info)
    if (id is None) == (key is None):
        raise UserInputError.one("id", "give either `id` or `key`")
    if id is not None:
        row = await info.context.loader(batch).load(decode_id(id, type_name, "id"))
    else:
        row = await queries.one_by_key(info.context, table, (key or "").strip())
    return make(row) if row is not None else None


# --- queries ------------------------------------------------------------------------------


@strawberry.input(description="Narrows the `roles` list; all given conditions must hold.")
class RoleFilter:
    family_id: strawberry.ID | None = strawberry.field(
        default=None, description="In this job family."
    )
    level_id: strawberry.ID | None = strawberry.field(default=None, description="At this level.")
    track_id: strawberry.ID | None = strawberry.field(default=None, description="On this track.")
    search: str | None = strawberry.field(
        default=None,
        description="Part of the title, key or description, case-insensitive (at most 100 "
        "characters).",
    )
    include_archived: bool = strawberry.field(default=False, description="Include archived roles.")


@strawberry.input(description="Narrows the `competencies` list; all given conditions must hold.")
class CompetencyFilter:
    category: str | None = strawberry.field(
        default=None, description="In this category (case-insensitive)."
    )
    scale_id: strawberry.ID | None = strawberry.field(
        default=None, description="Rated on this proficiency scale."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Part of the name, key or description, case-insensitive (at most 100 "
        "characters).",
    )
    include_archived: bool = strawberry.field(
        default=False, description="Include archived competencies."
    )


def _filter_id(
    v: Validator, value: strawberry.ID | None, type_name: str, path: tuple[str, ...]
) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return decode_id(value, type_name, path)
    except UserInputError as exc:
        v.errors.extend(exc.errors)
        return None


INCLUDE_ARCHIVED = strawberry.argument(description="Include archived ones.")


@strawberry.type
class FrameworkQuery:
    @strawberry.field(description="The organization's job families, by name.")
    async def job_families(
        self,
        info: Info,
        include_archived: Annotated[bool, INCLUDE_ARCHIVED] = False,
    ) -> list[JobFamily]:
        await require_reader(info)
        rows = await queries.all_job_families(info.context, include_archived=include_archived)
        return [JobFamily.from_row(r) for r in rows]

    @strawberry.field(description="One job family by ID or key; null when there is none.")
    async def job_family(
        self,
        info: Info,
        id: Annotated[strawberry.ID | None, ID_ARG] = None,
        key: Annotated[str | None, KEY_ARG] = None,
    ) -> JobFamily | None:
        return await _one(
            info, id, key, "JobFamily", job_families, queries.job_families_by_id, JobFamily.from_row
        )

    @strawberry.field(description="The organization's leveling scale, lowest rank first.")
    async def levels(
        self,
        info: Info,
        include_archived: Annotated[bool, INCLUDE_ARCHIVED] = False,
    ) -> list[Level]:
        await require_reader(info)
        rows = await queries.all_levels(info.context, include_archived=include_archived)
        return [Level.from_row(r) for r in rows]

    @strawberry.field(description="The proficiency scales competencies are rated on, by name.")
    async def proficiency_scales(
        self,
        info: Info,
        include_archived: Annotated[bool, INCLUDE_ARCHIVED] = False,
    ) -> list[ProficiencyScale]:
        await require_reader(info)
        rows = await queries.all_scales(info.context, include_archived=include_archived)
        return [ProficiencyScale.from_row(r) for r in rows]

    @strawberry.field(description="Roles by level rank, then title.")
    async def roles(
        self,
        info: Info,
        filter: Annotated[
            RoleFilter | None, strawberry.argument(description="Conditions the roles must meet.")
        ] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Role]:
        await require_reader(info)
        f = filter or RoleFilter()
        v = Validator()
        criteria = queries.RoleFilter(
            family_id=_filter_id(v, f.family_id, "JobFamily", ("filter", "familyId")),
            level_id=_filter_id(v, f.level_id, "Level", ("filter", "levelId")),
            track_id=_filter_id(v, f.track_id, "Track", ("filter", "trackId")),
            search=_search(f.search, ("filter", "search")),
            include_archived=f.include_archived,
        )
        v.raise_if_any()
        page = await paginate(
            info,
            queries.roles_select(criteria),
            PageArgs(first, after, last, before),
            Role.from_row,
        )
        await prefetch_roles(info, page.nodes, connection_nodes(info))
        return page

    @strawberry.field(description="One role by ID or key; null when there is none.")
    async def role(
        self,
        info: Info,
        id: Annotated[strawberry.ID | None, ID_ARG] = None,
        key: Annotated[str | None, KEY_ARG] = None,
    ) -> Role | None:
        return await _one(info, id, key, "Role", roles, queries.roles_by_id, Role.from_row)

    @strawberry.field(description="One track by ID or key; null when there is none.")
    async def track(
        self,
        info: Info,
        id: Annotated[strawberry.ID | None, ID_ARG] = None,
        key: Annotated[str | None, KEY_ARG] = None,
    ) -> Track | None:
        return await _one(info, id, key, "Track", tracks, queries.tracks_by_id, Track.from_row)

    @strawberry.field(description="Competencies by category (uncategorised last), then name.")
    async def competencies(
        self,
        info: Info,
        filter: Annotated[
            CompetencyFilter | None,
            strawberry.argument(description="Conditions the competencies must meet."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Competency]:
        await require_reader(info)
        f = filter or CompetencyFilter()
        v = Validator()
        criteria = queries.CompetencyFilter(
            category=_search(f.category, ("filter", "category")),
            scale_id=_filter_id(v, f.scale_id, "ProficiencyScale", ("filter", "scaleId")),
            search=_search(f.search, ("filter", "search")),
            include_archived=f.include_archived,
        )
        v.raise_if_any()
        return await paginate(
            info,
            queries.competencies_select(criteria),
            PageArgs(first, after, last, before),
            Competency.from_row,
        )

    @strawberry.field(description="One competency by ID or key; null when there is none.")
    async def competency(
        self,
        info: Info,
        id: Annotated[strawberry.ID | None, ID_ARG] = None,
        key: Annotated[str | None, KEY_ARG] = None,
    ) -> Competency | None:
        return await _one(
            info,
            id,
            key,
            "Competency",
            competencies,
            queries.competencies_by_id,
            Competency.from_row,
        )

    @strawberry.field(
        description="Ways from one role to another through promotions (explicit and along "
        "tracks) and lateral moves, never visiting a role twice. Ranked by fewest steps, "
        "then by the least total competency uplift (the levels the roles on the way require "
        "above the ones before them)."
    )
    async def career_paths(
        self,
        info: Info,
        from_role_id: Annotated[strawberry.ID, strawberry.argument(description="Where to start.")],
        to_role_id: Annotated[strawberry.ID, strawberry.argument(description="Where to arrive.")],
        max_steps: Annotated[
            int,
            strawberry.argument(
                description=f"Longest path considered, 1 to {queries.MAX_PATH_STEPS} moves."
            ),
        ] = 4,
        limit: Annotated[
            int, strawberry.argument(description=f"How many paths to return, 1 to {MAX_PATHS}.")
        ] = 5,
    ) -> list[CareerPath]:
        await require_reader(info)
        v = Validator()
        start = _filter_id(v, from_role_id, "Role", ("fromRoleId",))
        end = _filter_id(v, to_role_id, "Role", ("toRoleId",))
        if not 1 <= max_steps <= queries.MAX_PATH_STEPS:
            v.add("maxSteps", f"must be between 1 and {queries.MAX_PATH_STEPS}")
        if not 1 <= limit <= MAX_PATHS:
            v.add("limit", f"must be between 1 and {MAX_PATHS}")
        if start is not None and start == end:
            v.add("toRoleId", "is the starting role")
        v.raise_if_any()
        assert start is not None
        assert end is not None
        found = await queries.career_paths(info.context, start, end, max_steps, limit)
        paths = [CareerPath.from_found(p) for p in found]
        await prefetch_paths(info, paths, selected_below(info))
        return paths

    @strawberry.field(
        description="The active framework as a canonical framework document "
        "(docs/framework-format.md). Requires `career:admin`: it includes pay bands."
    )
    async def export_framework(
        self,
        info: Info,
        format: Annotated[
            FrameworkFormat | None,  # type: ignore[valid-type]
            strawberry.argument(description="YAML (default) or JSON."),
        ] = None,
    ) -> str:
        fmt = FrameworkFormatValue(format.value) if format is not None else "yaml"
        return await transfer.export_framework(
            info.context,
            await info.context.principal(),
            fmt,  # type: ignore[arg-type]
        )


# --- mutation inputs ------------------------------------------------------------------------

UNSET = strawberry.UNSET
VERSION_DESC = "The `version` you read; the change is refused if it changed since."


def _value(value: Any) -> Any:
    return framework.UNSET if value is UNSET else value


class _Decoder(Validator):
    """Decodes global IDs of an input, collecting every malformed one."""

    def id(self, value: Any, type_name: str, *path: str) -> Any:
        """The UUID of a global ID at ``input.<path>``; ``framework.INVALID`` when malformed
        (the error is collected; the service then skips its own checks of the field)."""
        if value is UNSET:
            return framework.UNSET
        if value is None:
            return None
        try:
            return decode_id(value, type_name, ("input", *path))
        except UserInputError as exc:
            self.errors.extend(exc.errors)
            return framework.INVALID

    def ids(self, values: Any, type_name: str, name: str) -> Any:
        if values is UNSET or values is None:
            return framework.UNSET if values is UNSET else []
        return [self.id(value, type_name, name, str(i)) for i, value in enumerate(values)]


@strawberry.input(description="One step of a proficiency scale; values follow list order.")
class ScaleLevelInput:
    name: str = strawberry.field(description="Short label, e.g. Awareness (at most 100).")
    description: str | None = strawberry.field(default=None, description="What the step means.")


@strawberry.input(description="A new proficiency scale.")
class CreateProficiencyScaleInput:
    key: str = strawberry.field(description="Stable key: lowercase letters, digits, hyphens.")
    name: str = strawberry.field(description="Display name (at most 200 characters).")
    description: str | None = strawberry.field(default=None, description="What it measures.")
    levels: list[ScaleLevelInput] = strawberry.field(
        description="The steps, lowest first (2 to 10); they get values 1, 2, 3, …"
    )


@strawberry.input(description="Changes to a proficiency scale; omitted fields stay as they are.")
class UpdateProficiencyScaleInput:
    id: strawberry.ID = strawberry.field(description="The scale to change.")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)
    key: str | None = strawberry.field(default=UNSET, description="New key.")
    name: str | None = strawberry.field(default=UNSET, description="New name.")
    description: str | None = strawberry.field(default=UNSET, description="New description.")
    levels: list[ScaleLevelInput] | None = strawberry.field(
        default=UNSET,
        description="New steps, replacing the old; refused when dropping levels in use.",
    )


@strawberry.type(description="Result of a proficiency scale mutation.")
class ProficiencyScalePayload:
    proficiency_scale: ProficiencyScale | None = strawberry.field(
        description="The scale after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="A new level of the leveling scale.")
class CreateLevelInput:
    key: str = strawberry.field(description="Stable key: lowercase letters, digits, hyphens.")
    name: str = strawberry.field(description="Display name (at most 200 characters).")
    rank: int = strawberry.field(description="1 to 1000, higher is more senior; unique.")
    description: str | None = strawberry.field(default=None, description="What it expects.")


@strawberry.input(description="Changes to a level; omitted fields stay as they are.")
class UpdateLevelInput:
    id: strawberry.ID = strawberry.field(description="The level to change.")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)
    key: str | None = strawberry.field(default=UNSET, description="New key.")
    name: str | None = strawberry.field(default=UNSET, description="New name.")
    rank: int | None = strawberry.field(default=UNSET, description="New rank.")
    description: str | None = strawberry.field(default=UNSET, description="New description.")


@strawberry.type(description="Result of a level mutation.")
class LevelPayload:
    level: Level | None = strawberry.field(description="The level after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="A new job family.")
class CreateJobFamilyInput:
    key: str = strawberry.field(description="Stable key: lowercase letters, digits, hyphens.")
    name: str = strawberry.field(description="Display name (at most 200 characters).")
    description: str | None = strawberry.field(default=None, description="What it does.")


@strawberry.input(description="Changes to a job family; omitted fields stay as they are.")
class UpdateJobFamilyInput:
    id: strawberry.ID = strawberry.field(description="The family to change.")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)
    key: str | None = strawberry.field(default=UNSET, description="New key.")
    name: str | None = strawberry.field(default=UNSET, description="New name.")
    description: str | None = strawberry.field(default=UNSET, description="New description.")


@strawberry.type(description="Result of a job family mutation.")
class JobFamilyPayload:
    job_family: JobFamily | None = strawberry.field(description="The family after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="A pay range in whole units of currency per year.")
class PayBandInput:
    min: int = strawberry.field(description="Bottom of the range.")
    mid: int = strawberry.field(description="Midpoint; min ≤ mid ≤ max.")
    max: int = strawberry.field(description="Top of the range.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. USD.")


def _band(value: Any) -> Any:
    if value is UNSET:
        return framework.UNSET
    if value is None:
        return None
    return framework.PayBandInput(value.min, value.mid, value.max, value.currency)


@strawberry.input(description="A new role.")
class CreateRoleInput:
    key: str = strawberry.field(description="Stable key: lowercase letters, digits, hyphens.")
    family_id: strawberry.ID = strawberry.field(description="Its job family.")
    level_id: strawberry.ID = strawberry.field(description="Its level.")
    title: str = strawberry.field(description="Job title (at most 200 characters).")
    description: str | None = strawberry.field(default=None, description="What the role does.")
    pay_band: PayBandInput | None = strawberry.field(default=None, description="Pay range.")


@strawberry.input(description="Changes to a role; omitted fields stay as they are, null clears.")
class UpdateRoleInput:
    id: strawberry.ID = strawberry.field(description="The role to change.")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)
    key: str | None = strawberry.field(default=UNSET, description="New key.")
    family_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="New job family (not while the role is on a track)."
    )
    level_id: strawberry.ID | None = strawberry.field(default=UNSET, description="New level.")
    title: str | None = strawberry.field(default=UNSET, description="New title.")
    description: str | None = strawberry.field(default=UNSET, description="New description.")
    pay_band: PayBandInput | None = strawberry.field(
        default=UNSET, description="New pay range; null removes it."
    )


@strawberry.type(description="Result of a role mutation.")
class RolePayload:
    role: Role | None = strawberry.field(description="The role after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="A competency a role requires.")
class RoleExpectationInput:
    competency_id: strawberry.ID = strawberry.field(description="The competency.")
    required_level: int = strawberry.field(description="Level of the competency's scale.")
    weight: float = strawberry.field(default=1.0, description="Relative weight, > 0 and ≤ 100.")
    core: bool = strawberry.field(default=True, description="A core competency of the role.")
    note: str | None = strawberry.field(default=None, description="Role-specific detail.")


@strawberry.input(description="All expectations of a role, replacing the current ones.")
class SetRoleExpectationsInput:
    role_id: strawberry.ID = strawberry.field(description="The role.")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)
    expectations: list[RoleExpectationInput] = strawberry.field(
        description=f"The expectations (at most {framework.MAX_EXPECTATIONS}); empty clears."
    )


@strawberry.input(description="A new track: an ordered ladder of roles of one job family.")
class CreateTrackInput:
    key: str = strawberry.field(description="Stable key: lowercase letters, digits, hyphens.")
    family_id: strawberry.ID = strawberry.field(description="Its job family.")
    name: str = strawberry.field(description="Display name (at most 200 characters).")
    kind: TrackKind = strawberry.field(description="IC, management or other.")
    description: str | None = strawberry.field(default=None, description="What it is for.")
    role_ids: list[strawberry.ID] = strawberry.field(
        description="Its roles, lowest first (1 to 50): roles of the family, each once, "
        "never stepping down in level."
    )


@strawberry.input(description="Changes to a track; omitted fields stay as they are.")
class UpdateTrackInput:
    id: strawberry.ID = strawberry.field(description="The track to change.")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)
    key: str | None = strawberry.field(default=UNSET, description="New key.")
    family_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="New job family; give its roles in `roleIds` too."
    )
    name: str | None = strawberry.field(default=UNSET, description="New name.")
    kind: TrackKind | None = strawberry.field(default=UNSET, description="New kind.")
    description: str | None = strawberry.field(default=UNSET, description="New description.")
    role_ids: list[strawberry.ID] | None = strawberry.field(
        default=UNSET, description="New roles, lowest first, replacing the steps."
    )


@strawberry.input(description="A track's roles in their new order: add, remove or reorder steps.")
class SetTrackStepsInput:
    track_id: strawberry.ID = strawberry.field(description="The track.")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)
    role_ids: list[strawberry.ID] = strawberry.field(description="Its roles, lowest first.")


@strawberry.type(description="Result of a track mutation.")
class TrackPayload:
    track: Track | None = strawberry.field(description="The track after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(
    description="A new explicit move between roles (one not implied by a track's order)."
)
class CreateRoleTransitionInput:
    from_role_id: strawberry.ID = strawberry.field(description="Where the move starts.")
    to_role_id: strawberry.ID = strawberry.field(description="Where it leads; not the same role.")
    kind: TransitionKind = strawberry.field(description="Promotion or lateral move.")
    note: str | None = strawberry.field(default=None, description="Why or how people move.")


@strawberry.input(description="Changes to a transition; omitted fields stay as they are.")
class UpdateRoleTransitionInput:
    id: strawberry.ID = strawberry.field(description="The transition to change.")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)
    kind: TransitionKind | None = strawberry.field(default=UNSET, description="New kind.")
    note: str | None = strawberry.field(default=UNSET, description="New note; null clears.")


@strawberry.type(description="Result of a transition mutation.")
class RoleTransitionPayload:
    role_transition: RoleTransition | None = strawberry.field(
        description="The transition after the change."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="What a competency looks like at one level of its scale.")
class CompetencyDescriptorInput:
    level: int = strawberry.field(description="Scale level value described.")
    description: str = strawberry.field(description="Observable behaviour (at most 2000).")


@strawberry.input(description="A new competency.")
class CreateCompetencyInput:
    key: str = strawberry.field(description="Stable key: lowercase letters, digits, hyphens.")
    name: str = strawberry.field(description="Display name (at most 200 characters).")
    scale_id: strawberry.ID = strawberry.field(description="The scale it is rated on.")
    category: str | None = strawberry.field(default=None, description="Grouping, e.g. Core.")
    description: str | None = strawberry.field(default=None, description="What it covers.")
    descriptors: list[CompetencyDescriptorInput] | None = strawberry.field(
        default=None, description="A descriptor per scale level (at most 20)."
    )


@strawberry.input(description="Changes to a competency; omitted fields stay as they are.")
class UpdateCompetencyInput:
    id: strawberry.ID = strawberry.field(description="The competency to change.")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)
    key: str | None = strawberry.field(default=UNSET, description="New key.")
    name: str | None = strawberry.field(default=UNSET, description="New name.")
    scale_id: strawberry.ID | None = strawberry.field(default=UNSET, description="New scale.")
    category: str | None = strawberry.field(default=UNSET, description="New category.")
    description: str | None = strawberry.field(default=UNSET, description="New description.")
    descriptors: list[CompetencyDescriptorInput] | None = strawberry.field(
        default=UNSET, description="New descriptors, replacing the old."
    )


@strawberry.type(description="Result of a competency mutation.")
class CompetencyPayload:
    competency: Competency | None = strawberry.field(description="The competency after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


ARCHIVABLE = {
    "ProficiencyScale": (framework.SCALE, ProficiencyScale.from_row),
    "Level": (framework.LEVEL, Level.from_row),
    "JobFamily": (framework.FAMILY, JobFamily.from_row),
    "Role": (framework.ROLE, Role.from_row),
    "Track": (framework.TRACK, Track.from_row),
    "RoleTransition": (framework.TRANSITION, RoleTransition.from_row),
    "Competency": (framework.COMPETENCY, Competency.from_row),
}


@strawberry.input(description="Which framework entity to archive.")
class ArchiveFrameworkEntityInput:
    id: strawberry.ID = strawberry.field(
        description="Global ID of a scale, level, job family, role, track, transition or "
        "competency."
    )
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)


@strawberry.input(description="Which archived framework entity to restore.")
class UnarchiveFrameworkEntityInput:
    id: strawberry.ID = strawberry.field(
        description="Global ID of a scale, level, job family, role, track, transition or "
        "competency."
    )
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)


@strawberry.type(description="Result of archiving or restoring a framework entity.")
class FrameworkEntityPayload:
    entity: FrameworkEntity | None = strawberry.field(
        description="The entity after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="A framework document to import.")
class ImportFrameworkInput:
    document: str = strawberry.field(
        description="The document text (docs/framework-format.md). Larger documents than "
        "the request size limit go through `careerpath framework import`."
    )
    format: FrameworkFormat | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="YAML or JSON; detected when omitted."
    )
    dry_run: bool = strawberry.field(
        default=False,
        description="Check and count everything, then write nothing.",
    )


@strawberry.type(description="What an import did, or would do, to one kind of entity.")
class ImportCounts:
    created: int = strawberry.field(description="New keys.")
    updated: int = strawberry.field(
        description="Existing keys whose content changed or that were restored."
    )
    unchanged: int = strawberry.field(description="Existing keys left as they were.")
    archived: int = strawberry.field(
        description="Active entities the document does not name, archived (never deleted)."
    )

    @classmethod
    def of(cls, counts: transfer.Counts) -> ImportCounts:
        return cls(
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged,
            archived=counts.archived,
        )


@strawberry.type(
    description="What an import did. The organization's framework becomes what the document "
    "says: new keys are created, changed ones updated, missing ones archived."
)
class FrameworkImportSummary:
    dry_run: bool = strawberry.field(description="Nothing was written.")
    changed: bool = strawberry.field(description="Anything was (or would be) changed.")
    notice_changed: bool = strawberry.field(description="The document's notice changed.")
    scales: ImportCounts = strawberry.field(description="Proficiency scales.")
    levels: ImportCounts = strawberry.field(description="Levels.")
    job_families: ImportCounts = strawberry.field(description="Job families.")
    competencies: ImportCounts = strawberry.field(description="Competencies.")
    roles: ImportCounts = strawberry.field(description="Roles (with their expectations).")
    tracks: ImportCounts = strawberry.field(description="Tracks (with their steps).")
    transitions: ImportCounts = strawberry.field(description="Explicit transitions.")

    @classmethod
    def of(cls, s: transfer.ImportSummary) -> FrameworkImportSummary:
        c = {k: ImportCounts.of(v) for k, v in s.counts.items()}
        return cls(
            dry_run=s.dry_run,
            changed=s.changed,
            notice_changed=s.notice_changed,
            scales=c["scales"],
            levels=c["levels"],
            job_families=c["jobFamilies"],
            competencies=c["competencies"],
            roles=c["roles"],
            tracks=c["tracks"],
            transitions=c["transitions"],
        )


@strawberry.type(description="Result of `importFramework`.")
class ImportFrameworkPayload:
    summary: FrameworkImportSummary | None = strawberry.field(
        description="Counts per entity type; null when the document was refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Every problem of the document, each at `input.document.<path>`."
    )


# --- mutations ----------------------------------------------------------------------------

Change = Callable[[_Decoder], Awaitable[Any]]


async def _run(info: Info, change: Change) -> tuple[Any, list[UserError]]:
    async def act() -> Any:
        return await change(_Decoder())

    return await run_mutation(info, act)


def _kind(value: Any) -> Any:
    if value is UNSET:
        return framework.UNSET
    return None if value is None else value.value


INPUT = strawberry.argument(description="The change to make.")
ADMIN = " Requires `career:admin`."


@strawberry.type
class FrameworkMutation:
    @strawberry.mutation(description="Create a proficiency scale." + ADMIN)
    async def create_proficiency_scale(
        self, info: Info, input: Annotated[CreateProficiencyScaleInput, INPUT]
    ) -> ProficiencyScalePayload:
        async def change(d: _Decoder) -> Any:
            data = framework.ScaleInput(
                key=input.key,
                name=input.name,
                description=input.description,
                levels=[framework.ScaleLevelInput(lv.name, lv.description) for lv in input.levels],
            )
            return await framework.create_scale(
                info.context, await info.context.principal(), data, d.errors
            )

        row, errors = await _run(info, change)
        return ProficiencyScalePayload(
            proficiency_scale=ProficiencyScale.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Change a proficiency scale." + ADMIN)
    async def update_proficiency_scale(
        self, info: Info, input: Annotated[UpdateProficiencyScaleInput, INPUT]
    ) -> ProficiencyScalePayload:
        async def change(d: _Decoder) -> Any:
            scale_id = decode_id(input.id, "ProficiencyScale", ("input", "id"))
            levels = _value(input.levels)
            if levels is not framework.UNSET:
                levels = [framework.ScaleLevelInput(lv.name, lv.description) for lv in levels or []]
            data = framework.ScaleInput(
                key=_value(input.key),
                name=_value(input.name),
                description=_value(input.description),
                levels=levels,
            )
            return await framework.update_scale(
                info.context,
                await info.context.principal(),
                scale_id,
                data,
                expected_version=input.version,
                input_errors=d.errors,
            )

        row, errors = await _run(info, change)
        return ProficiencyScalePayload(
            proficiency_scale=ProficiencyScale.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Create a level of the leveling scale." + ADMIN)
    async def create_level(
        self, info: Info, input: Annotated[CreateLevelInput, INPUT]
    ) -> LevelPayload:
        async def change(d: _Decoder) -> Any:
            data = framework.LevelInput(
                key=input.key, name=input.name, rank=input.rank, description=input.description
            )
            return await framework.create_level(
                info.context, await info.context.principal(), data, d.errors
            )

        row, errors = await _run(info, change)
        return LevelPayload(level=Level.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Change a level." + ADMIN)
    async def update_level(
        self, info: Info, input: Annotated[UpdateLevelInput, INPUT]
    ) -> LevelPayload:
        async def change(d: _Decoder) -> Any:
            level_id = decode_id(input.id, "Level", ("input", "id"))
            data = framework.LevelInput(
                key=_value(input.key),
                name=_value(input.name),
                rank=_value(input.rank),
                description=_value(input.description),
            )
            return await framework.update_level(
                info.context,
                await info.context.principal(),
                level_id,
                data,
                expected_version=input.version,
                input_errors=d.errors,
            )

        row, errors = await _run(info, change)
        return LevelPayload(level=Level.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Create a job family." + ADMIN)
    async def create_job_family(
        self, info: Info, input: Annotated[CreateJobFamilyInput, INPUT]
    ) -> JobFamilyPayload:
        async def change(d: _Decoder) -> Any:
            data = framework.JobFamilyInput(
                key=input.key, name=input.name, description=input.description
            )
            return await framework.create_job_family(
                info.context, await info.context.principal(), data, d.errors
            )

        row, errors = await _run(info, change)
        return JobFamilyPayload(
            job_family=JobFamily.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Change a job family." + ADMIN)
    async def update_job_family(
        self, info: Info, input: Annotated[UpdateJobFamilyInput, INPUT]
    ) -> JobFamilyPayload:
        async def change(d: _Decoder) -> Any:
            family_id = decode_id(input.id, "JobFamily", ("input", "id"))
            data = framework.JobFamilyInput(
                key=_value(input.key),
                name=_value(input.name),
                description=_value(input.description),
            )
            return await framework.update_job_family(
                info.context,
                await info.context.principal(),
                family_id,
                data,
                expected_version=input.version,
                input_errors=d.errors,
            )

        row, errors = await _run(info, change)
        return JobFamilyPayload(
            job_family=JobFamily.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Create a role." + ADMIN)
    async def create_role(
        self, info: Info, input: Annotated[CreateRoleInput, INPUT]
    ) -> RolePayload:
        async def change(d: _Decoder) -> Any:
            data = framework.RoleInput(
                key=input.key,
                family_id=d.id(input.family_id, "JobFamily", "familyId"),
                level_id=d.id(input.level_id, "Level", "levelId"),
                title=input.title,
                description=input.description,
                pay_band=_band(input.pay_band),
            )
            return await framework.create_role(
                info.context, await info.context.principal(), data, d.errors
            )

        row, errors = await _run(info, change)
        return RolePayload(role=Role.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Change a role." + ADMIN)
    async def update_role(
        self, info: Info, input: Annotated[UpdateRoleInput, INPUT]
    ) -> RolePayload:
        async def change(d: _Decoder) -> Any:
            role_id = decode_id(input.id, "Role", ("input", "id"))
            data = framework.RoleInput(
                key=_value(input.key),
                family_id=d.id(input.family_id, "JobFamily", "familyId"),
                level_id=d.id(input.level_id, "Level", "levelId"),
                title=_value(input.title),
                description=_value(input.description),
                pay_band=_band(input.pay_band),
            )
            return await framework.update_role(
                info.context,
                await info.context.principal(),
                role_id,
                data,
                expected_version=input.version,
                input_errors=d.errors,
            )

        row, errors = await _run(info, change)
        return RolePayload(role=Role.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(
        description="Replace all expectations of a role in one go (an empty list clears them)."
        + ADMIN
    )
    async def set_role_expectations(
        self, info: Info, input: Annotated[SetRoleExpectationsInput, INPUT]
    ) -> RolePayload:
        async def change(d: _Decoder) -> Any:
            role_id = decode_id(input.role_id, "Role", ("input", "roleId"))
            if len(input.expectations) > framework.MAX_EXPECTATIONS:
                raise UserInputError.one(
                    ("input", "expectations"),
                    f"at most {framework.MAX_EXPECTATIONS} expectations per role",
                    ErrorCode.LIMIT_EXCEEDED,
                )
            items = []
            for i, e in enumerate(input.expectations):
                competency = d.id(
                    e.competency_id, "Competency", "expectations", str(i), "competencyId"
                )
                items.append(
                    framework.ExpectationInput(
                        competency, e.required_level, e.weight, e.core, e.note
                    )
                )
            return await framework.set_role_expectations(
                info.context,
                await info.context.principal(),
                role_id,
                items,
                expected_version=input.version,
                input_errors=d.errors,
            )

        row, errors = await _run(info, change)
        return RolePayload(role=Role.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Create a track with its roles in order." + ADMIN)
    async def create_track(
        self, info: Info, input: Annotated[CreateTrackInput, INPUT]
    ) -> TrackPayload:
        async def change(d: _Decoder) -> Any:
            data = framework.TrackInput(
                key=input.key,
                family_id=d.id(input.family_id, "JobFamily", "familyId"),
                name=input.name,
                kind=_kind(input.kind),
                description=input.description,
                role_ids=d.ids(input.role_ids, "Role", "roleIds"),
            )
            return await framework.create_track(
                info.context, await info.context.principal(), data, d.errors
            )

        row, errors = await _run(info, change)
        return TrackPayload(track=Track.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Change a track." + ADMIN)
    async def update_track(
        self, info: Info, input: Annotated[UpdateTrackInput, INPUT]
    ) -> TrackPayload:
        async def change(d: _Decoder) -> Any:
            track_id = decode_id(input.id, "Track", ("input", "id"))
            data = framework.TrackInput(
                key=_value(input.key),
                family_id=d.id(input.family_id, "JobFamily", "familyId"),
                name=_value(input.name),
                kind=_kind(input.kind),
                description=_value(input.description),
                role_ids=d.ids(input.role_ids, "Role", "roleIds"),
            )
            return await framework.update_track(
                info.context,
                await info.context.principal(),
                track_id,
                data,
                expected_version=input.version,
                input_errors=d.errors,
            )

        row, errors = await _run(info, change)
        return TrackPayload(track=Track.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(
        description="Set a track's roles in order: add, remove or reorder its steps." + ADMIN
    )
    async def set_track_steps(
        self, info: Info, input: Annotated[SetTrackStepsInput, INPUT]
    ) -> TrackPayload:
        async def change(d: _Decoder) -> Any:
            track_id = decode_id(input.track_id, "Track", ("input", "trackId"))
            data = framework.TrackInput(role_ids=d.ids(input.role_ids, "Role", "roleIds"))
            return await framework.update_track(
                info.context,
                await info.context.principal(),
                track_id,
                data,
                expected_version=input.version,
                input_errors=d.errors,
            )

        row, errors = await _run(info, change)
        return TrackPayload(track=Track.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Create an explicit transition between two roles." + ADMIN)
    async def create_role_transition(
        self, info: Info, input: Annotated[CreateRoleTransitionInput, INPUT]
    ) -> RoleTransitionPayload:
        async def change(d: _Decoder) -> Any:
            data = framework.TransitionInput(
                from_role_id=d.id(input.from_role_id, "Role", "fromRoleId"),
                to_role_id=d.id(input.to_role_id, "Role", "toRoleId"),
                kind=_kind(input.kind),
                note=input.note,
            )
            return await framework.create_transition(
                info.context, await info.context.principal(), data, d.errors
            )

        row, errors = await _run(info, change)
        return RoleTransitionPayload(
            role_transition=RoleTransition.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Change a transition's kind or note." + ADMIN)
    async def update_role_transition(
        self, info: Info, input: Annotated[UpdateRoleTransitionInput, INPUT]
    ) -> RoleTransitionPayload:
        async def change(d: _Decoder) -> Any:
            transition_id = decode_id(input.id, "RoleTransition", ("input", "id"))
            data = framework.TransitionInput(kind=_kind(input.kind), note=_value(input.note))
            return await framework.update_transition(
                info.context,
                await info.context.principal(),
                transition_id,
                data,
                expected_version=input.version,
                input_errors=d.errors,
            )

        row, errors = await _run(info, change)
        return RoleTransitionPayload(
            role_transition=RoleTransition.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Create a competency." + ADMIN)
    async def create_competency(
        self, info: Info, input: Annotated[CreateCompetencyInput, INPUT]
    ) -> CompetencyPayload:
        async def change(d: _Decoder) -> Any:
            data = framework.CompetencyInput(
                key=input.key,
                name=input.name,
                category=input.category,
                description=input.description,
                scale_id=d.id(input.scale_id, "ProficiencyScale", "scaleId"),
                descriptors=[
                    framework.DescriptorInput(x.level, x.description)
                    for x in input.descriptors or []
                ],
            )
            return await framework.create_competency(
                info.context, await info.context.principal(), data, d.errors
            )

        row, errors = await _run(info, change)
        return CompetencyPayload(
            competency=Competency.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="Change a competency." + ADMIN)
    async def update_competency(
        self, info: Info, input: Annotated[UpdateCompetencyInput, INPUT]
    ) -> CompetencyPayload:
        async def change(d: _Decoder) -> Any:
            competency_id = decode_id(input.id, "Competency", ("input", "id"))
            descriptors = _value(input.descriptors)
            if descriptors is not framework.UNSET:
                descriptors = [
                    framework.DescriptorInput(x.level, x.description) for x in descriptors or []
                ]
            data = framework.CompetencyInput(
                key=_value(input.key),
                name=_value(input.name),
                category=_value(input.category),
                description=_value(input.description),
                scale_id=d.id(input.scale_id, "ProficiencyScale", "scaleId"),
                descriptors=descriptors,
            )
            return await framework.update_competency(
                info.context,
                await info.context.principal(),
                competency_id,
                data,
                expected_version=input.version,
                input_errors=d.errors,
            )

        row, errors = await _run(info, change)
        return CompetencyPayload(
            competency=Competency.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Archive a scale, level, job family, role, track, transition or competency: "
        "kept for history, no longer offered. Refused while active entities depend on it "
        "(e.g. a competency that active roles expect; the error lists them). Archiving a role "
        "also archives its transitions." + ADMIN
    )
    async def archive_framework_entity(
        self, info: Info, input: Annotated[ArchiveFrameworkEntityInput, INPUT]
    ) -> FrameworkEntityPayload:
        return await _set_archived(info, input, archived=True)

    @strawberry.mutation(
        description="Restore an archived framework entity. Refused while what it refers to "
        "is archived." + ADMIN
    )
    async def unarchive_framework_entity(
        self, info: Info, input: Annotated[UnarchiveFrameworkEntityInput, INPUT]
    ) -> FrameworkEntityPayload:
        return await _set_archived(info, input, archived=False)

    @strawberry.mutation(
        description="Make the framework what a framework document says, in one transaction: "
        "new keys are created, changed ones updated, active entities the document does not "
        "name are archived. Importing the same document again changes nothing. Every "
        "problem of the document is reported at once." + ADMIN
    )
    async def import_framework(
        self, info: Info, input: Annotated[ImportFrameworkInput, INPUT]
    ) -> ImportFrameworkPayload:
        async def act() -> Any:
            fmt = FrameworkFormatValue(input.format.value).value if input.format else None
            return await transfer.import_framework(
                info.context,
                await info.context.principal(),
                input.document,
                fmt=fmt,
                dry_run=input.dry_run,
            )

        summary, errors = await run_mutation(info, act)
        return ImportFrameworkPayload(
            summary=FrameworkImportSummary.of(summary) if summary else None, user_errors=errors
        )


async def _set_archived(
    info: Info,
    input: ArchiveFrameworkEntityInput | UnarchiveFrameworkEntityInput,
    *,
    archived: bool,
) -> FrameworkEntityPayload:
    async def act() -> Any:
        parsed = parse_global_id(input.id)
        if parsed is None or parsed[0] not in ARCHIVABLE:
            raise UserInputError.one(
                ("input", "id"), "is not the ID of a framework entity", ErrorCode.INVALID
            )
        entity, make = ARCHIVABLE[parsed[0]]
        row = await framework.set_archived(
            info.context,
            await info.context.principal(),
            entity,
            parsed[1],
            archived=archived,
            expected_version=input.version,
        )
        return make(row)

    node, errors = await run_mutation(info, act)
    return FrameworkEntityPayload(entity=node, user_errors=errors)
