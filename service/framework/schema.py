"""Query and Mutation fields of the career framework."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from service.errors import ErrorCode, UserInputError, Validator
from service.framework import models, queries, transfer
from service.framework import service as framework
from service.framework.document import MAX_EXPECTATIONS
from service.framework.models import TrackKind as TrackKindValue
from service.framework.models import TransitionKind as TransitionKindValue
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
    require_reader,
)
from service.graphql.enums import graphql_enum
from service.graphql.ids import decode_id, parse_global_id
from service.graphql.kit import (
    ADMIN,
    Call,
    entity_mutations,
    entity_payload,
    filter_id,
    id_input,
    input_type,
    mutation,
    optional_input,
    paginate_nodes,
    payload_type,
    result_payload,
    update_call,
    version_input,
)
from service.graphql.lookahead import selected_below
from service.graphql.pagination import Connection, PageArgs, paged, paginate

MAX_SEARCH = 100
MAX_PATHS = 20
ID_ARG = strawberry.argument(description="The global ID; give this or `key`.")
KEY_ARG = strawberry.argument(description="The stable key; give this or `id`.")
INCLUDE_ARCHIVED = strawberry.argument(description="Include archived ones.")


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


def _one_field(description: str, type_name: str, table: Any, batch: Any, node: Any) -> Any:
    """A field answering one ``node`` by global ID or key; null when there is none."""

    async def resolve(
        self: Any,
        info: Info,
        id: Annotated[strawberry.ID | None, ID_ARG] = None,
        key: Annotated[str | None, KEY_ARG] = None,
    ) -> Any:
        return await _one(info, id, key, type_name, table, batch, node.from_row)

    resolve.__annotations__ = {
        "info": Info,
        "id": Annotated[strawberry.ID | None, ID_ARG],
        "key": Annotated[str | None, KEY_ARG],
        "return": node | None,
    }
    return strawberry.field(resolver=resolve, description=description)


def _all_field(description: str, load: Callable[..., Awaitable[Any]], node: Any) -> Any:
    """A field listing every ``node`` as ``load`` reads them, archived ones on request."""

    async def resolve(self: Any, info: Info, include_archived: bool = False) -> Any:
        await require_reader(info)
        rows = await load(info.context, include_archived=include_archived)
        return [node.from_row(r) for r in rows]

    resolve.__annotations__ = {
        "info": Info,
        "include_archived": Annotated[bool, INCLUDE_ARCHIVED],
        "return": list[node],
    }
    return strawberry.field(resolver=resolve, description=description)


# --- queries ------------------------------------------------------------------------------


@strawberry.input(description="Narrows the `roles` list; all given conditions must hold.")
class RoleFilter:
    family_id: strawberry.ID | None = optional_input("In this job family.")
    level_id: strawberry.ID | None = optional_input("At this level.")
    track_id: strawberry.ID | None = optional_input("On this track.")
    search: str | None = optional_input(
        "Part of the title, key or description, case-insensitive (at most 100 characters)."
    )
    include_archived: bool = strawberry.field(default=False, description="Include archived roles.")


@strawberry.input(description="Narrows the `competencies` list; all given conditions must hold.")
class CompetencyFilter:
    category: str | None = optional_input("In this category (case-insensitive).")
    scale_id: strawberry.ID | None = optional_input("Rated on this proficiency scale.")
    search: str | None = optional_input(
        "Part of the name, key or description, case-insensitive (at most 100 characters)."
    )
    include_archived: bool = strawberry.field(
        default=False, description="Include archived competencies."
    )


@strawberry.type
class FrameworkQuery:
    job_families = _all_field(
        "The organization's job families, by name.", queries.all_job_families, JobFamily
    )
    job_family = _one_field(
        "One job family by ID or key; null when there is none.",
        "JobFamily",
        models.job_families,
        queries.job_families_by_id,
        JobFamily,
    )
    levels = _all_field(
        "The organization's leveling scale, lowest rank first.", queries.all_levels, Level
    )
    proficiency_scales = _all_field(
        "The proficiency scales competencies are rated on, by name.",
        queries.all_scales,
        ProficiencyScale,
    )

    @strawberry.field(description="Roles by level rank, then title.")
    @paged
    async def roles(
        self,
        info: Info,
        paging: PageArgs,
        filter: Annotated[
            RoleFilter | None, strawberry.argument(description="Conditions the roles must meet.")
        ] = None,
    ) -> Connection[Role]:
        await require_reader(info)
        f = filter or RoleFilter()
        v = Validator()
        criteria = queries.RoleFilter(
            family_id=filter_id(v.errors, f.family_id, "JobFamily", ("filter", "familyId")),
            level_id=filter_id(v.errors, f.level_id, "Level", ("filter", "levelId")),
            track_id=filter_id(v.errors, f.track_id, "Track", ("filter", "trackId")),
            search=_search(f.search, ("filter", "search")),
            include_archived=f.include_archived,
        )
        v.raise_if_any()
        return await paginate_nodes(info, queries.roles_select(criteria), paging, Role)

    role = _one_field(
        "One role by ID or key; null when there is none.",
        "Role",
        models.roles,
        queries.roles_by_id,
        Role,
    )
    track = _one_field(
        "One track by ID or key; null when there is none.",
        "Track",
        models.tracks,
        queries.tracks_by_id,
        Track,
    )

    @strawberry.field(description="Competencies by category (uncategorised last), then name.")
    @paged
    async def competencies(
        self,
        info: Info,
        paging: PageArgs,
        filter: Annotated[
            CompetencyFilter | None,
            strawberry.argument(description="Conditions the competencies must meet."),
        ] = None,
    ) -> Connection[Competency]:
        await require_reader(info)
        f = filter or CompetencyFilter()
        v = Validator()
        criteria = queries.CompetencyFilter(
            category=_search(f.category, ("filter", "category")),
            scale_id=filter_id(v.errors, f.scale_id, "ProficiencyScale", ("filter", "scaleId")),
            search=_search(f.search, ("filter", "search")),
            include_archived=f.include_archived,
        )
        v.raise_if_any()
        return await paginate(
            info,
            queries.competencies_select(criteria),
            paging,
            Competency.from_row,
        )

    competency = _one_field(
        "One competency by ID or key; null when there is none.",
        "Competency",
        models.competencies,
        queries.competencies_by_id,
        Competency,
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
        start = filter_id(v.errors, from_role_id, "Role", ("fromRoleId",))
        end = filter_id(v.errors, to_role_id, "Role", ("toRoleId",))
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


# --- mutations ----------------------------------------------------------------------------


@strawberry.input(description="One step of a proficiency scale; values follow list order.")
class ScaleLevelInput:
    name: str = strawberry.field(description="Short label, e.g. Awareness (at most 100).")
    description: str | None = optional_input("What the step means.")


@strawberry.input(description="A pay range in whole units of currency per year.")
class PayBandInput:
    min: int = strawberry.field(description="Bottom of the range.")
    mid: int = strawberry.field(description="Midpoint; min ≤ mid ≤ max.")
    max: int = strawberry.field(description="Top of the range.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. USD.")


@strawberry.input(description="What a competency looks like at one level of its scale.")
class CompetencyDescriptorInput:
    level: int = strawberry.field(description="Scale level value described.")
    description: str = strawberry.field(description="Observable behaviour (at most 2000).")


@strawberry.input(description="A competency a role requires.")
class RoleExpectationInput:
    competency_id: strawberry.ID = id_input("Competency", "The competency.", required=True)
    required_level: int = strawberry.field(description="Level of the competency's scale.")
    weight: float = strawberry.field(default=1.0, description="Relative weight, > 0 and ≤ 100.")
    core: bool = strawberry.field(default=True, description="A core competency of the role.")
    note: str | None = optional_input("Role-specific detail.")


@strawberry.input(description="All expectations of a role, replacing the current ones.")
class SetRoleExpectationsInput:
    role_id: strawberry.ID = id_input("Role", "The role.", target=True)
    version: int | None = version_input()
    expectations: list[RoleExpectationInput] = strawberry.field(
        description=f"The expectations (at most {MAX_EXPECTATIONS}); empty clears."
    )


@strawberry.input(description="A track's roles in their new order: add, remove or reorder steps.")
class SetTrackStepsInput:
    track_id: strawberry.ID = id_input("Track", "The track.", target=True)
    version: int | None = version_input()
    role_ids: list[strawberry.ID] = id_input("Role", "Its roles, lowest first.", required=True)


NODES: dict[str, Any] = {
    "ProficiencyScale": ProficiencyScale,
    "Level": Level,
    "JobFamily": JobFamily,
    "Role": Role,
    "Track": Track,
    "RoleTransition": RoleTransition,
    "Competency": Competency,
}
ENTITY_IDS = "Global ID of a scale, level, job family, role, track, transition or competency."


FrameworkEntityPayload = payload_type(
    "FrameworkEntityPayload",
    "Result of archiving or restoring a framework entity.",
    "entity",
    FrameworkEntity,
    "The entity after the change; null when refused.",
)


@strawberry.input(description="A framework document to import.")
class ImportFrameworkInput:
    document: str = strawberry.field(
        description="The document text (docs/framework-format.md). Larger documents than "
        "the request size limit go through `careerpath framework import`."
    )
    format: FrameworkFormat | None = optional_input(  # type: ignore[valid-type]
        "YAML or JSON; detected when omitted."
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


ImportFrameworkPayload = result_payload(
    "importFramework",
    "summary",
    FrameworkImportSummary,
    "Counts per entity type; null when the document was refused.",
)


def _expectations(i: Any) -> list[framework.ExpectationInput]:
    return [
        framework.ExpectationInput(e.competency_id, e.required_level, e.weight, e.core, e.note)
        for e in i.expectations
    ]


async def _set_track_steps(c: Call) -> Any:
    data = framework.Input(role_ids=c.input.role_ids)
    return await framework.update(
        c.db,
        c.principal,
        framework.TRACK,
        c.input.track_id,
        data,
        expected_version=c.input.version,
        input_errors=c.errors,
        path=("input", "trackId"),
    )


def _archiving(description: str, input_name: str, input_description: str, archived: bool) -> Any:
    """``archiveFrameworkEntity`` or ``unarchiveFrameworkEntity``, with its input: the
    entity's global ID (of any framework type) and the version read."""
    given = input_type(
        input_name,
        input_description,
        [
            ("id", strawberry.ID, strawberry.field(description=ENTITY_IDS)),
            ("version", int | None, version_input()),
        ],
    )
    return _admin(
        description,
        given,
        FrameworkEntityPayload,
        call=_set_archived(archived),
        make=lambda node: FrameworkEntityPayload(entity=node),
    )


def _set_archived(archived: bool) -> Callable[[Call], Awaitable[Any]]:
    async def call(c: Call) -> Any:
        parsed = parse_global_id(c.input.id)
        if parsed is None or parsed[0] not in NODES:
            raise UserInputError.one(
                ("input", "id"), "is not the ID of a framework entity", ErrorCode.INVALID
            )
        entity = framework.ENTITIES[parsed[0]]
        row = await framework.set_archived(
            c.db,
            c.principal,
            entity,
            parsed[1],
            archived=archived,
            expected_version=c.input.version,
        )
        return NODES[entity.type_name].from_row(row)

    return call


async def _import(c: Call) -> Any:
    return await transfer.import_framework(
        c.db, c.principal, c.input.document, fmt=c.input.format, dry_run=c.input.dry_run
    )


ARCHIVE = (
    "Archive a scale, level, job family, role, track, transition or competency: kept for "
    "history, no longer offered. Refused while active entities depend on it (e.g. a "
    "competency that active roles expect; the error lists them). Archiving a role also "
    "archives its transitions."
)
_admin = partial(mutation, permission=framework.require_admin, suffix=ADMIN)
FrameworkMutation = strawberry.type(
    type(
        "FrameworkMutation",
        (),
        {
            **entity_mutations(
                framework.ENTITIES.values(),
                NODES,
                {
                    "levels": list[ScaleLevelInput],
                    "rank": int,
                    "pay_band": PayBandInput,
                    "descriptors": list[CompetencyDescriptorInput],
                    TrackKindValue: TrackKind,
                    TransitionKindValue: TransitionKind,
                },
                permission=framework.require_admin,
                suffix=ADMIN,
            ),
            "set_role_expectations": _admin(
                "Replace all expectations of a role in one go (an empty list clears them).",
                SetRoleExpectationsInput,
                entity_payload(framework.ROLE, Role),
                call=update_call(framework.set_role_expectations, _expectations, "role_id"),
            ),
            "set_track_steps": _admin(
                "Set a track's roles in order: add, remove or reorder its steps.",
                SetTrackStepsInput,
                entity_payload(framework.TRACK, Track),
                call=_set_track_steps,
            ),
            "archive_framework_entity": _archiving(
                ARCHIVE,
                "ArchiveFrameworkEntityInput",
                "Which framework entity to archive.",
                archived=True,
            ),
            "unarchive_framework_entity": _archiving(
                "Restore an archived framework entity. Refused while what it refers to is "
                "archived.",
                "UnarchiveFrameworkEntityInput",
                "Which archived framework entity to restore.",
                archived=False,
            ),
            "import_framework": _admin(
                "Make the framework what a framework document says, in one transaction: new "
                "keys are created, changed ones updated, active entities the document does "
                "not name are archived. Importing the same document again changes nothing. "
                "Every problem of the document is reported at once.",
                ImportFrameworkInput,
                ImportFrameworkPayload,
                call=_import,
            ),
        },
    )
)
