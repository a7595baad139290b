"""Query and Mutation fields of promotions, the "passed over" view and succession plans."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from service.auth import policies
from service.auth.scopes import Scope
from service.errors import ErrorCode, UserInputError, Validator
from service.graphql.errors import UserError, run_mutation
from service.graphql.ids import decode_id
from service.graphql.pagination import Connection, PageArgs, paginate
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

INPUT = strawberry.argument(description="The change to make.")
VERSION_DESC = "The `version` you read; the change is refused if it changed since."
MAX_STATUSES = 5


class _Decoder(Validator):
    """Decodes global IDs of an input, collecting every malformed one."""

    def id(self, value: Any, type_name: str, *path: str) -> Any:
        if value is None:
            return None
        try:
            return decode_id(value, type_name, path)
        except UserInputError as exc:
            self.errors.extend(exc.errors)
            return None


# --- queries ------------------------------------------------------------------------------


@strawberry.input(description="Narrows `promotions`; all given conditions must hold.")
class PromotionFilter:
    status: list[PromotionStatus] | None = strawberry.field(
        default=None, description="In one of these statuses (at most 5)."
    )
    org_unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="About employees of this org unit or its sub-units."
    )
    employee_id: strawberry.ID | None = strawberry.field(
        default=None, description="About this employee."
    )
    proposed_from: dt.date | None = strawberry.field(
        default=None, description="Proposed on or after this day (UTC)."
    )
    proposed_to: dt.date | None = strawberry.field(
        default=None, description="Proposed on or before this day (UTC)."
    )
    effective_from: dt.date | None = strawberry.field(
        default=None, description="Effective on or after this day."
    )
    effective_to: dt.date | None = strawberry.field(
        default=None, description="Effective on or before this day."
    )


@strawberry.input(description="Who counts as passed over.")
class PassedOverFilter:
    min_readiness: float = strawberry.field(
        default=0.8, description="Readiness threshold in [0, 1] (default 0.8)."
    )
    min_months: int = strawberry.field(
        default=6, description="For at least this many months, 0 to 120 (default 6)."
    )
    org_unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only employees of this org unit or its sub-units."
    )


def _promotion_filter(f: PromotionFilter) -> queries.PromotionFilter:
    d = _Decoder()
    statuses = tuple(s.value for s in f.status or [])
    if len(statuses) > MAX_STATUSES:
        d.add(("filter", "status"), f"at most {MAX_STATUSES} statuses", ErrorCode.LIMIT_EXCEEDED)
    out = queries.PromotionFilter(
        statuses=statuses,
        org_unit_id=d.id(f.org_unit_id, "OrgUnit", "filter", "orgUnitId"),
        employee_id=d.id(f.employee_id, "Employee", "filter", "employeeId"),
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
    async def promotions(
        self,
        info: Info,
        filter: Annotated[
            PromotionFilter | None,
            strawberry.argument(description="Conditions the cases must meet."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Promotion]:
        principal = require_promotion_reader(await info.context.principal())
        criteria = _promotion_filter(filter or PromotionFilter())
        condition = queries.visible(
            principal, await info.context.reach(), await request_settings(info)
        )
        return await paginate(
            info,
            queries.promotions_select(condition, criteria),
            PageArgs(first, after, last, before),
            Promotion.from_row,
        )

    @strawberry.field(
        description="Employees whose readiness for their next role has stayed at or above "
        "`minReadiness` for at least `minMonths` months in their current role without a "
        "promotion, longest first (HR admins). Readiness history is recorded whenever "
        "someone's ratings or role change."
    )
    async def passed_over(
        self,
        info: Info,
        filter: Annotated[
            PassedOverFilter | None,
            strawberry.argument(description="The threshold, period and org unit."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PassedOverEntry]:
        policies.require_admin(await info.context.principal())
        f = filter or PassedOverFilter()
        d = _Decoder()
        if not 0 <= f.min_readiness <= 1:
            d.add(("filter", "minReadiness"), "must be between 0 and 1")
        if not 0 <= f.min_months <= 120:
            d.add(("filter", "minMonths"), "must be between 0 and 120")
        unit = d.id(f.org_unit_id, "OrgUnit", "filter", "orgUnitId")
        d.raise_if_any()
        today = promotions.today()
        criteria = queries.PassedOverFilter(f.min_readiness, f.min_months, unit)
        return await paginate(
            info,
            queries.passed_over_select(criteria, today),
            PageArgs(first, after, last, before),
            lambda r: PassedOverEntry.from_row(r, today),
        )

    @strawberry.field(
        description="Succession plans, most critical first (HR admins); archived plans "
        "only when asked."
    )
    async def succession_plans(
        self,
        info: Info,
        include_archived: Annotated[
            bool, strawberry.argument(description="List archived plans too.")
        ] = False,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[SuccessionPlan]:
        policies.require_admin(await info.context.principal())
        return await paginate(
            info,
            queries.plans_select(include_archived),
            PageArgs(first, after, last, before),
            SuccessionPlan.from_row,
        )

    @strawberry.field(description="The organization's rules for promotion cases.")
    async def promotion_settings(self, info: Info) -> PromotionSettings:
        policies.require_reader(await info.context.principal())
        return PromotionSettings.of(await request_settings(info))


# --- mutations ----------------------------------------------------------------------------


@strawberry.input(description="What supports a proposal besides the frozen gap analysis.")
class PromotionEvidenceInput:
    assessment_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Submitted assessments of the employee to refer to (at most 20).",
    )


@strawberry.input(
    description="A promotion proposal. The gap analysis against the target role is frozen "
    "into the case as evidence."
)
class ProposePromotionInput:
    employee_id: strawberry.ID = strawberry.field(description="The employee to promote.")
    to_role_id: strawberry.ID = strawberry.field(
        description="The role: a next role of their current role or an explicit transition "
        "from it (HR admins may override with `overrideReason`)."
    )
    justification: str = strawberry.field(description="Why (at most 4,000 characters).")
    effective_date: dt.date = strawberry.field(
        description="When the new role takes effect once approved: at once on approval if "
        "today or past. Not before the hire date, at most two years ahead."
    )
    evidence: PromotionEvidenceInput | None = strawberry.field(
        default=None, description="Assessments to refer to."
    )
    override_reason: str | None = strawberry.field(
        default=None,
        description="HR admins: why a role the framework does not lead to (at most 2,000 "
        "characters); recorded on the case.",
    )


@strawberry.input(description="Approve a proposed case (HR admins).")
class ApprovePromotionInput:
    id: strawberry.ID = strawberry.field(description="The case.")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)
    note: str | None = strawberry.field(default=None, description="A note for the record.")


@strawberry.input(description="Reject a proposed case (HR admins).")
class RejectPromotionInput:
    id: strawberry.ID = strawberry.field(description="The case.")
    note: str = strawberry.field(description="Why (required, at most 4,000 characters).")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)


@strawberry.input(
    description="Withdraw a case: its proposer while proposed, HR admins until effective."
)
class CancelPromotionInput:
    id: strawberry.ID = strawberry.field(description="The case.")
    note: str | None = strawberry.field(default=None, description="Why.")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)


@strawberry.type(description="Result of `proposePromotion`.")
class ProposePromotionPayload:
    promotion: Promotion | None = strawberry.field(description="The case; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `approvePromotion`.")
class ApprovePromotionPayload:
    promotion: Promotion | None = strawberry.field(
        description="The case (EFFECTIVE when its date had come); null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `rejectPromotion`.")
class RejectPromotionPayload:
    promotion: Promotion | None = strawberry.field(description="The case; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of `cancelPromotion`.")
class CancelPromotionPayload:
    promotion: Promotion | None = strawberry.field(description="The case; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Changes to the promotion settings; omitted ones stay.")
class UpdatePromotionSettingsInput:
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)
    require_second_approver: bool | None = strawberry.field(
        default=None, description="Require an approver other than the proposer."
    )
    show_open_cases_to_employee: bool | None = strawberry.field(
        default=None, description="Show employees the proposals about them before a decision."
    )


@strawberry.type(description="Result of `updatePromotionSettings`.")
class UpdatePromotionSettingsPayload:
    settings: PromotionSettings | None = strawberry.field(
        description="The settings after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="A new succession plan: a key role, an incumbent, or both.")
class CreateSuccessionPlanInput:
    role_id: strawberry.ID | None = strawberry.field(default=None, description="The key role.")
    incumbent_id: strawberry.ID | None = strawberry.field(
        default=None, description="The person whose succession is planned."
    )
    criticality: Criticality = strawberry.field(
        default=Criticality.MEDIUM,
        description="How critical the role is (default MEDIUM).",
    )
    note: str | None = strawberry.field(default=None, description="A note (at most 4,000).")


@strawberry.input(description="Changes to a succession plan; omitted fields stay.")
class UpdateSuccessionPlanInput:
    id: strawberry.ID = strawberry.field(description="The plan.")
    version: int | None = strawberry.field(default=None, description=VERSION_DESC)
    role_id: strawberry.ID | None = strawberry.field(default=None, description="New key role.")
    incumbent_id: strawberry.ID | None = strawberry.field(
        default=None, description="New incumbent."
    )
    criticality: Criticality | None = strawberry.field(default=None, description="New criticality.")
    note: str | None = strawberry.field(default=None, description="New note.")
    archived: bool | None = strawberry.field(
        default=None, description="Archive (true) or restore (false) the plan."
    )


@strawberry.input(description="Name a successor on a plan, or change their readiness.")
class SetSuccessorInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    employee_id: strawberry.ID = strawberry.field(description="The successor.")
    readiness: SuccessorReadiness = strawberry.field(description="When they could step in.")
    note: str | None = strawberry.field(default=None, description="A note (at most 2,000).")


@strawberry.input(description="Take a successor off a plan.")
class RemoveSuccessorInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    employee_id: strawberry.ID = strawberry.field(description="The successor to remove.")


@strawberry.type(description="Result of a succession plan mutation.")
class SuccessionPlanPayload:
    succession_plan: SuccessionPlan | None = strawberry.field(
        description="The plan after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


def _promotion(row: Any) -> Promotion | None:
    return Promotion.from_row(row) if row is not None else None


def _plan(row: Any) -> SuccessionPlan | None:
    return SuccessionPlan.from_row(row) if row is not None else None


@strawberry.type
class PromotionsMutation:
    @strawberry.mutation(
        description="Propose a promotion: by someone above the employee in the org chart "
        "(`career:manager`) or an HR admin. One open case per employee."
    )
    async def propose_promotion(
        self, info: Info, input: Annotated[ProposePromotionInput, INPUT]
    ) -> ProposePromotionPayload:
        async def act() -> Any:
            d = _Decoder()
            given = (input.evidence or PromotionEvidenceInput()).assessment_ids
            if len(given) > promotions.MAX_ASSESSMENTS:
                d.add(
                    ("input", "evidence", "assessmentIds"),
                    f"at most {promotions.MAX_ASSESSMENTS} assessments",
                    ErrorCode.LIMIT_EXCEEDED,
                )
                given = []
            ids = [
                d.id(a, "Assessment", "input", "evidence", "assessmentIds", str(i))
                for i, a in enumerate(given)
            ]
            data = promotions.ProposeInput(
                employee_id=d.id(input.employee_id, "Employee", "input", "employeeId"),
                to_role_id=d.id(input.to_role_id, "Role", "input", "toRoleId"),
                justification=input.justification,
                effective_date=input.effective_date,
                assessment_ids=[i for i in ids if i is not None],
                override_reason=input.override_reason,
            )
            return await promotions.propose_promotion(
                info.context, await info.context.principal(), data, input_errors=d.errors
            )

        row, errors = await run_mutation(info, act, authorize=promotions.require_proposer)
        return ProposePromotionPayload(promotion=_promotion(row), user_errors=errors)

    @strawberry.mutation(
        description="Approve a proposed case (HR admins). It takes effect at once when its "
        "date is today or past, else on its date."
    )
    async def approve_promotion(
        self, info: Info, input: Annotated[ApprovePromotionInput, INPUT]
    ) -> ApprovePromotionPayload:
        async def act() -> Any:
            promotion_id = decode_id(input.id, "Promotion", ("input", "id"))
            return await promotions.approve_promotion(
                info.context,
                await info.context.principal(),
                promotion_id,
                expected_version=input.version,
                note=input.note,
            )

        row, errors = await run_mutation(info, act, authorize=policies.require_admin)
        return ApprovePromotionPayload(promotion=_promotion(row), user_errors=errors)

    @strawberry.mutation(description="Reject a proposed case, with a note (HR admins).")
    async def reject_promotion(
        self, info: Info, input: Annotated[RejectPromotionInput, INPUT]
    ) -> RejectPromotionPayload:
        async def act() -> Any:
            promotion_id = decode_id(input.id, "Promotion", ("input", "id"))
            return await promotions.reject_promotion(
                info.context,
                await info.context.principal(),
                promotion_id,
                input.note,
                expected_version=input.version,
            )

        row, errors = await run_mutation(info, act, authorize=policies.require_admin)
        return RejectPromotionPayload(promotion=_promotion(row), user_errors=errors)

    @strawberry.mutation(
        description="Withdraw a case: its proposer while it is proposed, HR admins until it "
        "is effective."
    )
    async def cancel_promotion(
        self, info: Info, input: Annotated[CancelPromotionInput, INPUT]
    ) -> CancelPromotionPayload:
        async def act() -> Any:
            promotion_id = decode_id(input.id, "Promotion", ("input", "id"))
            return await promotions.cancel_promotion(
                info.context,
                await info.context.principal(),
                promotion_id,
                input.note,
                expected_version=input.version,
            )

        row, errors = await run_mutation(info, act, authorize=promotions.require_proposer)
        return CancelPromotionPayload(promotion=_promotion(row), user_errors=errors)

    @strawberry.mutation(description="Change the organization's promotion settings (HR admins).")
    async def update_promotion_settings(
        self, info: Info, input: Annotated[UpdatePromotionSettingsInput, INPUT]
    ) -> UpdatePromotionSettingsPayload:
        async def act() -> Any:
            return await promotions.update_settings(
                info.context,
                await info.context.principal(),
                promotions.SettingsInput(
                    require_second_approver=input.require_second_approver,
                    show_open_cases_to_employee=input.show_open_cases_to_employee,
                ),
                expected_version=input.version,
            )

        found, errors = await run_mutation(info, act, authorize=policies.require_admin)
        return UpdatePromotionSettingsPayload(
            settings=PromotionSettings.of(found) if found is not None else None,
            user_errors=errors,
        )

    @strawberry.mutation(description="Make a succession plan (HR admins).")
    async def create_succession_plan(
        self, info: Info, input: Annotated[CreateSuccessionPlanInput, INPUT]
    ) -> SuccessionPlanPayload:
        async def act() -> Any:
            d = _Decoder()
            data = promotions.PlanInput(
                role_id=d.id(input.role_id, "Role", "input", "roleId"),
                incumbent_id=d.id(input.incumbent_id, "Employee", "input", "incumbentId"),
                criticality=input.criticality.value,
                note=input.note,
            )
            return await promotions.create_succession_plan(
                info.context, await info.context.principal(), data, input_errors=d.errors
            )

        row, errors = await run_mutation(info, act, authorize=policies.require_admin)
        return SuccessionPlanPayload(succession_plan=_plan(row), user_errors=errors)

    @strawberry.mutation(description="Change or archive a succession plan (HR admins).")
    async def update_succession_plan(
        self, info: Info, input: Annotated[UpdateSuccessionPlanInput, INPUT]
    ) -> SuccessionPlanPayload:
        async def act() -> Any:
            d = _Decoder()
            plan_id = decode_id(input.id, "SuccessionPlan", ("input", "id"))
            data = promotions.PlanInput(
                role_id=d.id(input.role_id, "Role", "input", "roleId"),
                incumbent_id=d.id(input.incumbent_id, "Employee", "input", "incumbentId"),
                criticality=input.criticality.value if input.criticality else None,
                note=input.note,
            )
            return await promotions.update_succession_plan(
                info.context,
                await info.context.principal(),
                plan_id,
                data,
                archived=input.archived,
                expected_version=input.version,
                input_errors=d.errors,
            )

        row, errors = await run_mutation(info, act, authorize=policies.require_admin)
        return SuccessionPlanPayload(succession_plan=_plan(row), user_errors=errors)

    @strawberry.mutation(
        description="Name a successor on a plan with their readiness, or change it (HR admins)."
    )
    async def set_successor(
        self, info: Info, input: Annotated[SetSuccessorInput, INPUT]
    ) -> SuccessionPlanPayload:
        async def act() -> Any:
            d = _Decoder()
            plan_id = decode_id(input.plan_id, "SuccessionPlan", ("input", "planId"))
            data = promotions.SuccessorInput(
                employee_id=d.id(input.employee_id, "Employee", "input", "employeeId"),
                readiness=input.readiness.value,
                note=input.note,
            )
            return await promotions.set_successor(
                info.context, await info.context.principal(), plan_id, data, input_errors=d.errors
            )

        row, errors = await run_mutation(info, act, authorize=policies.require_admin)
        return SuccessionPlanPayload(succession_plan=_plan(row), user_errors=errors)

    @strawberry.mutation(description="Take a successor off a plan (HR admins).")
    async def remove_successor(
        self, info: Info, input: Annotated[RemoveSuccessorInput, INPUT]
    ) -> SuccessionPlanPayload:
        async def act() -> Any:
            plan_id = decode_id(input.plan_id, "SuccessionPlan", ("input", "planId"))
            employee_id = decode_id(input.employee_id, "Employee", ("input", "employeeId"))
            return await promotions.remove_successor(
                info.context, await info.context.principal(), plan_id, employee_id
            )

        row, errors = await run_mutation(info, act, authorize=policies.require_admin)
        return SuccessionPlanPayload(succession_plan=_plan(row), user_errors=errors)
