"""Query and Mutation fields of promotions, the "passed over" view and succession plans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from service.auth import policies
from service.auth.scopes import Scope
from service.errors import ErrorCode, FieldError, Validator
from service.graphql import kit
from service.graphql.pagination import Connection, PageArgs, paged, paginate
from service.kit import given
from service.promotions import queries
from service.promotions import service as promotions
from service.promotions.types import (
    Criticality,
    PassedOverEntry,
    Promotion,
    PromotionSettings,
    PromotionStatus,
    SuccessionPlan,
    SuccessorReadiness,
    request_settings,
)

MAX_STATUSES = 5


# --- queries ------------------------------------------------------------------------------


@strawberry.input(description="Narrows `promotions`; all given conditions must hold.")
class PromotionFilter:
    status: list[PromotionStatus] | None = kit.optional_input(
        "In one of these statuses (at most 5)."
    )
    org_unit_id: strawberry.ID | None = kit.optional_input(
        "About employees of this org unit or its sub-units."
    )
    employee_id: strawberry.ID | None = kit.optional_input("About this employee.")
    proposed_from: dt.date | None = kit.optional_input("Proposed on or after this day (UTC).")
    proposed_to: dt.date | None = kit.optional_input("Proposed on or before this day (UTC).")
    effective_from: dt.date | None = kit.optional_input("Effective on or after this day.")
    effective_to: dt.date | None = kit.optional_input("Effective on or before this day.")


@strawberry.input(description="Who counts as passed over.")
class PassedOverFilter:
    min_readiness: float = strawberry.field(
        default=0.8, description="Readiness threshold in [0, 1] (default 0.8)."
    )
    min_months: int = strawberry.field(
        default=6, description="For at least this many months, 0 to 120 (default 6)."
    )
    org_unit_id: strawberry.ID | None = kit.optional_input(
        "Only employees of this org unit or its sub-units."
    )


def _promotion_filter(f: PromotionFilter) -> queries.PromotionFilter:
    d = Validator()
    statuses = tuple(s.value for s in f.status or [])
    if len(statuses) > MAX_STATUSES:
        d.add(("filter", "status"), f"at most {MAX_STATUSES} statuses", ErrorCode.LIMIT_EXCEEDED)
    out = queries.PromotionFilter(
        statuses=statuses,
        org_unit_id=kit.filter_id(d.errors, f.org_unit_id, "OrgUnit", ("filter", "orgUnitId")),
        employee_id=kit.filter_id(d.errors, f.employee_id, "Employee", ("filter", "employeeId")),
        created_from=f.proposed_from,
        created_to=f.proposed_to,
        effective_from=f.effective_from,
        effective_to=f.effective_to,
    )
    d.raise_if_any()
    return out


def require_promotion_reader(principal: Any) -> Any:
    """`promotions` lists cases for HR admins, managers (their reports') and HRIS."""
    return policies.require_any(principal, Scope.MANAGER, Scope.ADMIN, Scope.HRIS)


@strawberry.type
class PromotionsQuery:
    @strawberry.field(
        description="Promotion cases, newest first: every case for HR admins and HRIS "
        "integrations, the cases of the people below them (and those they proposed) for "
        "managers. Employees read their own through `me { promotions }`."
    )
    @paged
    async def promotions(
        self,
        info: Info,
        paging: PageArgs,
        filter: Annotated[
            PromotionFilter | None,
            strawberry.argument(description="Conditions the cases must meet."),
        ] = None,
    ) -> Connection[Promotion]:
        principal = require_promotion_reader(await info.context.principal())
        criteria = _promotion_filter(filter or PromotionFilter())
        condition = queries.visible(
            principal, await info.context.reach(), await request_settings(info)
        )
        return await kit.paginate_nodes(
            info, queries.promotions_select(condition, criteria), paging, Promotion
        )

    @strawberry.field(
        description="Employees whose readiness for their next role has stayed at or above "
        "`minReadiness` for at least `minMonths` months in their current role without a "
        "promotion, longest first (HR admins). Readiness history is recorded whenever "
        "someone's ratings or role change."
    )
    @paged
    async def passed_over(
        self,
        info: Info,
        paging: PageArgs,
        filter: Annotated[
            PassedOverFilter | None,
            strawberry.argument(description="The threshold, period and org unit."),
        ] = None,
    ) -> Connection[PassedOverEntry]:
        policies.require_admin(await info.context.principal())
        f = filter or PassedOverFilter()
        d = Validator()
        if not 0 <= f.min_readiness <= 1:
            d.add(("filter", "minReadiness"), "must be between 0 and 1")
        if not 0 <= f.min_months <= 120:
            d.add(("filter", "minMonths"), "must be between 0 and 120")
        unit = kit.filter_id(d.errors, f.org_unit_id, "OrgUnit", ("filter", "orgUnitId"))
        d.raise_if_any()
        today = promotions.today()
        criteria = queries.PassedOverFilter(f.min_readiness, f.min_months, unit)
        # Known before the entries resolve, so their loads land in one batch each.
        await info.context.reach()
        await request_settings(info)
        return await paginate(
            info,
            queries.passed_over_select(criteria, today),
            paging,
            lambda r: PassedOverEntry.from_row(r, today),
        )

    @strawberry.field(
        description="Succession plans, most critical first (HR admins); archived plans "
        "only when asked."
    )
    @paged
    async def succession_plans(
        self,
        info: Info,
        paging: PageArgs,
        include_archived: Annotated[
            bool, strawberry.argument(description="List archived plans too.")
        ] = False,
    ) -> Connection[SuccessionPlan]:
        policies.require_admin(await info.context.principal())
        return await paginate(
            info,
            queries.plans_select(include_archived),
            paging,
            SuccessionPlan.from_row,
        )

    @strawberry.field(description="The organization's rules for promotion cases.")
    async def promotion_settings(self, info: Info) -> PromotionSettings:
        policies.require_reader(await info.context.principal())
        return PromotionSettings.of(await request_settings(info))


# --- mutations ----------------------------------------------------------------------------


@strawberry.input(description="What supports a proposal besides the frozen gap analysis.")
class PromotionEvidenceInput:
    assessment_ids: list[strawberry.ID] | None = kit.id_input(
        "Assessment",
        "Submitted assessments of the employee to refer to (at most 20).",
        default=None,
    )


@strawberry.input(
    description="A promotion proposal. The gap analysis against the target role is frozen "
    "into the case as evidence."
)
class ProposePromotionInput:
    employee_id: strawberry.ID = kit.id_input("Employee", "The employee to promote.")
    to_role_id: strawberry.ID = kit.id_input(
        "Role",
        "The role: a next role of their current role or an explicit transition from it (HR "
        "admins may override with `overrideReason`).",
    )
    justification: str = strawberry.field(description="Why (at most 4,000 characters).")
    effective_date: dt.date = strawberry.field(
        description="When the new role takes effect once approved: at once on approval if "
        "today or past. Not before the hire date, at most two years ahead."
    )
    evidence: PromotionEvidenceInput | None = kit.optional_input("Assessments to refer to.")
    override_reason: str | None = kit.optional_input(
        "HR admins: why a role the framework does not lead to (at most 2,000 "
        "characters); recorded on the case."
    )


@strawberry.input(description="Approve a proposed case (HR admins).")
class ApprovePromotionInput:
    id: strawberry.ID = kit.id_input("Promotion", "The case.", target=True)
    version: int | None = kit.version_input()
    note: str | None = kit.optional_input("A note for the record.")


@strawberry.input(description="Reject a proposed case (HR admins).")
class RejectPromotionInput:
    id: strawberry.ID = kit.id_input("Promotion", "The case.", target=True)
    note: str = strawberry.field(description="Why (required, at most 4,000 characters).")
    version: int | None = kit.version_input()


@strawberry.input(
    description="Withdraw a case: its proposer while proposed, HR admins until effective."
)
class CancelPromotionInput:
    id: strawberry.ID = kit.id_input("Promotion", "The case.", target=True)
    note: str | None = kit.optional_input("Why.")
    version: int | None = kit.version_input()


def _case_payload(verb: str, doc: str = "The case; null when refused.") -> Any:
    """``<Verb>PromotionPayload``: the case after ``<verb>Promotion``."""
    return kit.result_payload(f"{verb.lower()}Promotion", "promotion", Promotion, doc)


ProposePromotionPayload = _case_payload("Propose")
ApprovePromotionPayload = _case_payload(
    "Approve", "The case (EFFECTIVE when its date had come); null when refused."
)
RejectPromotionPayload = _case_payload("Reject")
CancelPromotionPayload = _case_payload("Cancel")


@strawberry.input(description="Changes to the promotion settings; omitted ones stay.")
class UpdatePromotionSettingsInput:
    version: int | None = kit.version_input()
    require_second_approver: bool | None = kit.optional_input(
        "Require an approver other than the proposer."
    )
    show_open_cases_to_employee: bool | None = kit.optional_input(
        "Show employees the proposals about them before a decision."
    )


UpdatePromotionSettingsPayload = kit.result_payload(
    "updatePromotionSettings", "settings", PromotionSettings
)


@strawberry.input(description="A new succession plan: a key role, an incumbent, or both.")
class CreateSuccessionPlanInput:
    role_id: strawberry.ID | None = kit.id_input("Role", "The key role.", default=None)
    incumbent_id: strawberry.ID | None = kit.id_input(
        "Employee", "The person whose succession is planned.", default=None
    )
    criticality: Criticality = strawberry.field(
        default=Criticality.MEDIUM,
        description="How critical the role is (default MEDIUM).",
    )
    note: str | None = kit.optional_input("A note (at most 4,000).")


@strawberry.input(description="Changes to a succession plan; omitted fields stay.")
class UpdateSuccessionPlanInput:
    id: strawberry.ID = kit.id_input("SuccessionPlan", "The plan.", target=True)
    version: int | None = kit.version_input()
    role_id: strawberry.ID | None = kit.id_input("Role", "New key role.", default=None)
    incumbent_id: strawberry.ID | None = kit.id_input("Employee", "New incumbent.", default=None)
    criticality: Criticality | None = kit.optional_input("New criticality.")
    note: str | None = kit.optional_input("New note.")
    archived: bool | None = kit.optional_input("Archive (true) or restore (false) the plan.")


@strawberry.input(description="Name a successor on a plan, or change their readiness.")
class SetSuccessorInput:
    plan_id: strawberry.ID = kit.id_input("SuccessionPlan", "The plan.", target=True)
    employee_id: strawberry.ID = kit.id_input("Employee", "The successor.")
    readiness: SuccessorReadiness = strawberry.field(description="When they could step in.")
    note: str | None = kit.optional_input("A note (at most 2,000).")


@strawberry.input(description="Take a successor off a plan.")
class RemoveSuccessorInput:
    plan_id: strawberry.ID = kit.id_input("SuccessionPlan", "The plan.", target=True)
    employee_id: strawberry.ID = kit.id_input("Employee", "The successor to remove.", target=True)


SuccessionPlanPayload = kit.change_payload(SuccessionPlan, "succession_plan", what="plan")


def _id(value: Any) -> Any:
    """A decoded ID, None for one that was malformed (already reported) or not given."""
    return value if given(value) else None


async def _propose(c: kit.Call) -> Any:
    evidence = c.input.evidence
    ids = list((evidence.assessment_ids if given(evidence) and evidence else None) or [])
    if len(ids) > promotions.MAX_ASSESSMENTS:
        c.errors.append(
            FieldError(
                ("input", "evidence", "assessmentIds"),
                f"at most {promotions.MAX_ASSESSMENTS} assessments",
                ErrorCode.LIMIT_EXCEEDED,
            )
        )
        ids = []
    data = promotions.ProposeInput(
        employee_id=_id(c.input.employee_id),
        to_role_id=_id(c.input.to_role_id),
        justification=c.input.justification,
        effective_date=c.input.effective_date,
        assessment_ids=[i for i in ids if given(i)],
        override_reason=c.input.override_reason,
    )
    return await promotions.propose_promotion(c.db, c.principal, data, input_errors=c.errors)


def _plan_input(i: Any) -> promotions.PlanInput:
    return promotions.PlanInput(
        role_id=_id(i.role_id),
        incumbent_id=_id(i.incumbent_id),
        criticality=i.criticality,
        note=i.note,
    )


def _with_note(
    decide: Callable[..., Awaitable[Any]],
) -> Callable[[kit.Call], Awaitable[Any]]:
    """The call of a decision on a case: ``decide(db, principal, <the case>,
    expected_version=<version>, note=<the note>)``."""

    async def call(c: kit.Call) -> Any:
        return await decide(
            c.db, c.principal, c.input.id, expected_version=c.input.version, note=c.input.note
        )

    return call


_proposer = partial(kit.mutation, permission=promotions.require_proposer)
_hr_admin = partial(kit.mutation, permission=policies.require_admin)


@strawberry.type
class PromotionsMutation:
    propose_promotion = _proposer(
        "Propose a promotion: by someone above the employee in the org chart "
        "(`career:manager`) or an HR admin. One open case per employee.",
        ProposePromotionInput,
        ProposePromotionPayload,
        call=_propose,
    )
    approve_promotion = _hr_admin(
        "Approve a proposed case (HR admins). It takes effect at once when its date is today "
        "or past, else on its date.",
        ApprovePromotionInput,
        ApprovePromotionPayload,
        call=_with_note(promotions.approve_promotion),
    )
    reject_promotion = _hr_admin(
        "Reject a proposed case, with a note (HR admins).",
        RejectPromotionInput,
        RejectPromotionPayload,
        call=_with_note(promotions.reject_promotion),
    )
    cancel_promotion = _proposer(
        "Withdraw a case: its proposer while it is proposed, HR admins until it is effective.",
        CancelPromotionInput,
        CancelPromotionPayload,
        call=_with_note(promotions.cancel_promotion),
    )
    update_promotion_settings = _hr_admin(
        "Change the organization's promotion settings (HR admins).",
        UpdatePromotionSettingsInput,
        UpdatePromotionSettingsPayload,
        call=lambda c: promotions.update_settings(
            c.db,
            c.principal,
            kit.service_input(promotions.SettingsInput, c.input),
            expected_version=c.input.version,
        ),
    )
    create_succession_plan = _hr_admin(
        "Make a succession plan (HR admins).",
        CreateSuccessionPlanInput,
        SuccessionPlanPayload,
        call=kit.create_call(promotions.create_succession_plan, _plan_input),
    )
    update_succession_plan = _hr_admin(
        "Change or archive a succession plan (HR admins).",
        UpdateSuccessionPlanInput,
        SuccessionPlanPayload,
        call=lambda c: promotions.update_succession_plan(
            c.db,
            c.principal,
            c.input.id,
            _plan_input(c.input),
            archived=c.input.archived,
            expected_version=c.input.version,
            input_errors=c.errors,
        ),
    )
    set_successor = _hr_admin(
        "Name a successor on a plan with their readiness, or change it (HR admins).",
        SetSuccessorInput,
        SuccessionPlanPayload,
        call=lambda c: promotions.set_successor(
            c.db,
            c.principal,
            c.input.plan_id,
            promotions.SuccessorInput(
                employee_id=_id(c.input.employee_id),
                readiness=c.input.readiness,
                note=c.input.note,
            ),
            input_errors=c.errors,
        ),
    )
    remove_successor = _hr_admin(
        "Take a successor off a plan (HR admins).",
        RemoveSuccessorInput,
        SuccessionPlanPayload,
        call=lambda c: promotions.remove_successor(
            c.db, c.principal, c.input.plan_id, c.input.employee_id
        ),
    )
