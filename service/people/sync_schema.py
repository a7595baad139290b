"""GraphQL of the HRIS sync: `syncOrgUnits` and `syncEmployees` (see ``service.people.sync``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from service.auth import policies
from service.errors import Forbidden
from service.graphql.enums import graphql_enum
from service.graphql.errors import UserError, UserErrorCode
from service.graphql.ids import encode_id
from service.graphql.kit import Call, Payload, mutation
from service.graphql.pagination import Connection, PageArgs, paginate_keyset
from service.people import sync
from service.people.models import position_history
from service.people.types import EmployeeStatus, PositionChange

IDEMPOTENCY_HEADER = "Idempotency-Key"
LIMITS = (
    f" At most {sync.MAX_RECORDS} records per call. Requires `career:admin` or `career:hris`."
    f" Send an `{IDEMPOTENCY_HEADER}` header to make a retried call return the first call's"
    " answer; the same key with a different request is refused."
)

SyncMode = graphql_enum(
    sync.SyncMode,
    "How a sync treats employees it is not sent.",
    {
        "PARTIAL": "Upsert the records sent; leave everyone else as they are.",
        "FULL": "The records are the complete snapshot: also terminate synced employees "
        "(those with an external ID) missing from it.",
    },
)
SyncRecordStatus = graphql_enum(
    sync.SyncRecordStatus,
    "What a sync did with one record (or would have done, when nothing was applied).",
    {
        "CREATED": "A new row was created.",
        "UPDATED": "The stored row differed and was changed.",
        "UNCHANGED": "The stored row already matched; nothing was written.",
        "TERMINATED": "The employee was terminated (status TERMINATED, or missing from a "
        "FULL snapshot).",
        "ERROR": "The record was refused; see its `errors`.",
    },
)


@strawberry.input(
    description="An org unit as the HRIS knows it. Omitted fields stay as they are; "
    "`name` is required for a new unit."
)
class OrgUnitSyncRecord:
    external_id: str = strawberry.field(
        description="The unit's ID in the HRIS: the key of the upsert (at most 255 characters)."
    )
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Display name (at most 200 characters)."
    )
    parent_external_id: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="External ID of the unit above (stored, or anywhere in this batch); "
        "null makes it a top unit.",
    )


@strawberry.input(
    description="An employee as the HRIS knows them. Only `externalId` is required to update; "
    "`name` and `email` also to create. Omitted fields stay as they are, null clears."
)
class EmployeeSyncRecord:
    external_id: str = strawberry.field(
        description="The person's ID in the HRIS: the key of the upsert (at most 255 characters)."
    )
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Full name (at most 200 characters)."
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="Work email, unique in the organization."
    )
    title: str | None = strawberry.field(
        default=strawberry.UNSET, description="Job title as shown in the HRIS."
    )
    org_unit_external_id: str | None = strawberry.field(
        default=strawberry.UNSET, description="External ID of the org unit (sync units first)."
    )
    manager_external_id: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="External ID of the manager: stored, or anywhere in this batch (before or "
        "after this record). Someone not synced yet is kept as pending (a PENDING notice; "
        "`Employee.pendingManagerExternalId`) and becomes the manager when a later call "
        "brings them; null clears.",
    )
    role_key: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Key of the role in the career framework; a change is recorded in the "
        "position history as a promotion, demotion or lateral move by level rank.",
    )
    hire_date: str | None = strawberry.field(
        default=strawberry.UNSET, description="First day of employment, `YYYY-MM-DD`."
    )
    status: EmployeeStatus | None = strawberry.field(
        default=strawberry.UNSET,
        description="ACTIVE, ON_LEAVE or TERMINATED (terminates today; cannot be undone).",
    )
    auth_subject: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Identity provider subject (`sub`) that signs in as this person, so "
        "tokens map to synced people without a manual step.",
    )


@strawberry.input(description="A batch of org units to upsert.")
class SyncOrgUnitsInput:
    units: list[OrgUnitSyncRecord] = strawberry.field(
        description=f"The units, at most {sync.MAX_RECORDS}, in any order."
    )
    atomic: bool = strawberry.field(
        default=True,
        description="Write nothing if any record fails (default); false writes the others.",
    )


@strawberry.input(description="A batch of employees to upsert.")
class SyncEmployeesInput:
    employees: list[EmployeeSyncRecord] = strawberry.field(
        description=f"The employees, at most {sync.MAX_RECORDS}, in any order."
    )
    mode: SyncMode = strawberry.field(  # type: ignore[valid-type]
        default=sync.SyncMode.PARTIAL.value,
        description="PARTIAL (default) or FULL (terminate synced employees not sent).",
    )
    atomic: bool = strawberry.field(
        default=True,
        description="Write nothing if any record fails (default); false writes the others.",
    )
    force: bool = strawberry.field(
        default=False,
        description="Let a FULL sync terminate more than the configured share of employees.",
    )


@strawberry.type(description="What a sync did with one record.")
class SyncRecordResult:
    external_id: str | None = strawberry.field(description="The record's external ID.")
    status: SyncRecordStatus = strawberry.field(description="What happened.")  # type: ignore[valid-type]
    id: strawberry.ID | None = strawberry.field(
        description="Global ID of the row; null for a refused record."
    )
    errors: list[UserError] = strawberry.field(
        description='Why the record was refused, with paths such as `["input", "employees", '
        '"3", "email"]`.'
    )
    notices: list[UserError] = strawberry.field(
        description="What did not refuse the record but is not done yet, e.g. a manager not "
        "synced yet (code PENDING): kept on the employee and set when they arrive."
    )


@strawberry.type(description="How many records ended in each status.")
class SyncSummary:
    created: int = strawberry.field(description="Records created.")
    updated: int = strawberry.field(description="Records updated.")
    unchanged: int = strawberry.field(description="Records already up to date.")
    terminated: int = strawberry.field(description="Employees terminated.")
    failed: int = strawberry.field(description="Records refused.")
    pending: int = strawberry.field(
        description="Records written whose manager is not synced yet (see `notices`)."
    )


@strawberry.type(description="Result of a sync call.")
class SyncPayload(Payload):
    results: list[SyncRecordResult] = strawberry.field(
        default_factory=list,
        description="One result per record, in input order; then the employees outside the "
        "batch whose pending manager it brought (UPDATED), and for a FULL sync the "
        "employees it terminates.",
    )
    applied: bool = strawberry.field(default=False, description="Whether the changes were written.")
    replayed: bool = strawberry.field(
        default=False,
        description=f"Whether this is the remembered answer of an earlier call with the same "
        f"`{IDEMPOTENCY_HEADER}`.",
    )
    summary: SyncSummary | None = strawberry.field(
        default=None, description="Counts by status; null when the call was refused whole."
    )


def _payload(type_name: str) -> Callable[[sync.SyncOutcome], SyncPayload]:
    def make(outcome: sync.SyncOutcome) -> SyncPayload:
        def errors(items: list[Any]) -> list[UserError]:
            return [
                UserError(field=list(e.field), message=e.message, code=UserErrorCode(e.code.value))
                for e in items
            ]

        s = sync.SyncRecordStatus
        return SyncPayload(
            user_errors=errors(outcome.errors),
            results=[
                SyncRecordResult(
                    external_id=r.external_id,
                    status=SyncRecordStatus(r.status.value),
                    id=strawberry.ID(encode_id(type_name, r.id)) if r.id else None,
                    errors=errors(r.errors),
                    notices=errors(r.notices),
                )
                for r in outcome.results
            ],
            applied=outcome.applied,
            replayed=outcome.replayed,
            summary=SyncSummary(
                created=outcome.count(s.CREATED),
                updated=outcome.count(s.UPDATED),
                unchanged=outcome.count(s.UNCHANGED),
                terminated=outcome.count(s.TERMINATED),
                failed=outcome.count(s.ERROR),
                pending=sum(1 for r in outcome.results if r.notices),
            ),
        )

    return make


def _idempotency(c: Call, operation: str) -> sync.Idempotency | None:
    request = getattr(c.info.context, "request", None)
    key = request.headers.get(IDEMPOTENCY_HEADER) if request is not None else None
    if key is None:
        return None
    return sync.Idempotency(
        key,
        sync.request_hash(operation, c.input),
        c.info.context.settings.hris.idempotency_hours,
    )


async def _sync_org_units(c: Call) -> sync.SyncOutcome:
    return await sync.sync_org_units(
        c.db,
        c.principal,
        c.input.units,
        atomic=c.input.atomic,
        idempotency=_idempotency(c, "syncOrgUnits"),
    )


async def _sync_employees(c: Call) -> sync.SyncOutcome:
    return await sync.sync_employees(
        c.db,
        c.principal,
        c.input.employees,
        mode=sync.SyncMode(c.input.mode),
        atomic=c.input.atomic,
        force=c.input.force,
        max_termination_share=c.info.context.settings.hris.max_termination_share,
        idempotency=_idempotency(c, "syncEmployees"),
    )


@strawberry.type
class SyncQuery:
    @strawberry.field(
        description="Every position history entry of the organization (hires, promotions, "
        "moves, transfers, manager changes, terminations), oldest first, so an HRIS or a "
        "warehouse can pull what changed: page with `after` (cursors hold the entry's "
        "`recordedAt` and ID, so entries written while you page are neither skipped nor "
        "repeated), keep the latest `recordedAt` you saw and pass it as `since` next time (re-reading a minute of overlap covers entries of transactions "
        "still running at the time). Requires `career:admin` or `career:hris`."
    )
    async def position_changes(
        self,
        info: Info,
        since: Annotated[
            dt.datetime | None,
            strawberry.argument(description="Only entries recorded at or after this time."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PositionChange]:
        principal = policies.require_reader(await info.context.principal())
        if not policies.reads_whole_org(principal):
            raise Forbidden()
        stmt = select(position_history)
        if since is not None:
            stmt = stmt.where(position_history.c.created_at >= since)
        return await paginate_keyset(
            info,
            stmt,
            (position_history.c.created_at, position_history.c.id),
            PageArgs(first, after, last, before),
            PositionChange.from_row,
        )


@strawberry.type
class SyncMutation:
    sync_org_units = mutation(
        "Upsert org units by `externalId`; a parent may come after its children." + LIMITS,
        SyncOrgUnitsInput,
        SyncPayload,
        permission=policies.require_people_writer,
        call=_sync_org_units,
        make=_payload("OrgUnit"),
        input_description="The units to upsert.",
    )
    sync_employees = mutation(
        "Upsert employees by `externalId`; a manager may come after their reports, and "
        "re-sending the same batch changes nothing; a manager not synced yet is kept as "
        "pending and set when a later call brings them. Role, unit and manager changes are "
        "recorded in the position history, role changes also as `employee.role_changed` "
        "events and terminations as `employee.terminated` events." + LIMITS,
        SyncEmployeesInput,
        SyncPayload,
        permission=policies.require_people_writer,
        call=_sync_employees,
        make=_payload("Employee"),
        input_description="The employees to upsert.",
    )
