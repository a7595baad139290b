"""Query and Mutation fields of identity and access (HR admins only): service accounts and
the employees careerpath names HR admins."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from service.auth import policies, queries
from service.auth import service as accounts
from service.auth.types import Scope, ServiceAccount
from service.graphql.errors import UserError, run_mutation
from service.graphql.ids import decode_id
from service.graphql.lookahead import connection_nodes
from service.graphql.pagination import Connection, PageArgs, paginate
from service.people.types import Employee, prefetch_employees


@strawberry.type
class IdentityQuery:
    @strawberry.field(
        description="The organization's service accounts, by name. Requires `career:admin`."
    )
    async def service_accounts(
        self,
        info: Info,
        active: Annotated[
            bool | None,
            strawberry.argument(description="Only active (true) or deactivated (false) accounts."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ServiceAccount]:
        policies.require_admin(await info.context.principal())
        return await paginate(
            info,
            queries.service_accounts_select(active),
            PageArgs(first, after, last, before),
            ServiceAccount.from_row,
        )

    @strawberry.field(
        description="The employees careerpath names HR admins, by name: a `career:admin` token "
        "acts as admin only for them (or for people the identity provider's configured admin "
        "claim names). Requires `career:admin`."
    )
    async def hr_admins(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Employee]:
        policies.require_admin(await info.context.principal())
        page = await paginate(
            info,
            queries.hr_admins_select(),
            PageArgs(first, after, last, before),
            Employee.from_row,
        )
        await prefetch_employees(info, page.nodes, connection_nodes(info))
        return page


@strawberry.input(description="Registers an OAuth client as a service account.")
class CreateServiceAccountInput:
    client_id: str = strawberry.field(
        description="The client ID the identity provider issues its tokens to (at most 255 characters)."
    )
    name: str = strawberry.field(description="What the integration is (at most 200 characters).")
    scopes: list[Scope] = strawberry.field(
        description="Scopes its tokens may use: HRIS, WEBHOOKS or ADMIN (the others need an employee)."
    )


@strawberry.input(description="Changes to a service account; omitted fields stay as they are.")
class UpdateServiceAccountInput:
    id: strawberry.ID = strawberry.field(description="The service account to change.")
    version: int | None = strawberry.field(
        default=None,
        description="The `version` you read; the update is refused if it changed since.",
    )
    name: str | None = strawberry.field(default=None, description="New name.")
    scopes: list[Scope] | None = strawberry.field(
        default=None, description="The scopes its tokens may use from now on."
    )
    active: bool | None = strawberry.field(
        default=None, description="false stops accepting its tokens; true accepts them again."
    )


@strawberry.input(description="Stops accepting a service account's tokens.")
class DeactivateServiceAccountInput:
    id: strawberry.ID = strawberry.field(description="The service account to deactivate.")


@strawberry.type(description="Result of a service account mutation.")
class ServiceAccountPayload:
    service_account: ServiceAccount | None = strawberry.field(
        description="The service account after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.input(description="Names an employee an HR admin.")
class GrantHrAdminInput:
    employee_id: strawberry.ID = strawberry.field(
        description="The employee (active) to name an HR admin."
    )


@strawberry.input(description="Stops naming an employee an HR admin.")
class RevokeHrAdminInput:
    employee_id: strawberry.ID = strawberry.field(description="The employee to stop naming.")


@strawberry.type(description="Result of granting or revoking HR admin powers.")
class HrAdminPayload:
    employee: Employee | None = strawberry.field(
        description="The employee concerned; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


def _scope_values(scopes: list[Any] | None) -> list[str] | None:
    return None if scopes is None else [s.value for s in scopes]


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(description="Register a service account. Requires `career:admin`.")
    async def create_service_account(
        self,
        info: Info,
        input: Annotated[
            CreateServiceAccountInput, strawberry.argument(description="The change to make.")
        ],
    ) -> ServiceAccountPayload:
        async def act() -> Any:
            data = accounts.ServiceAccountInput(
                client_id=input.client_id, name=input.name, scopes=_scope_values(input.scopes)
            )
            return await accounts.create_service_account(
                info.context, await info.context.principal(), data
            )

        row, errors = await run_mutation(info, act)
        return ServiceAccountPayload(
            service_account=ServiceAccount.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Rename a service account, change its scopes or (de)activate it. Requires `career:admin`."
    )
    async def update_service_account(
        self,
        info: Info,
        input: Annotated[
            UpdateServiceAccountInput, strawberry.argument(description="The change to make.")
        ],
    ) -> ServiceAccountPayload:
        async def act() -> Any:
            principal = policies.require_admin(await info.context.principal())
            account_id = decode_id(input.id, "ServiceAccount", ("input", "id"))
            data = accounts.ServiceAccountInput(
                name=input.name, scopes=_scope_values(input.scopes), active=input.active
            )
            return await accounts.update_service_account(
                info.context, principal, account_id, data, expected_version=input.version
            )

        row, errors = await run_mutation(info, act)
        return ServiceAccountPayload(
            service_account=ServiceAccount.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Deactivate a service account: its tokens are refused from the next request "
        "on. Deactivating an inactive account changes nothing. Requires `career:admin`."
    )
    async def deactivate_service_account(
        self,
        info: Info,
        input: Annotated[
            DeactivateServiceAccountInput, strawberry.argument(description="The change to make.")
        ],
    ) -> ServiceAccountPayload:
        async def act() -> Any:
            principal = policies.require_admin(await info.context.principal())
            account_id = decode_id(input.id, "ServiceAccount", ("input", "id"))
            return await accounts.deactivate_service_account(info.context, principal, account_id)

        row, errors = await run_mutation(info, act)
        return ServiceAccountPayload(
            service_account=ServiceAccount.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Name an employee an HR admin: their `career:admin` tokens act as admin "
        "from their next request on. Granting again changes nothing. Recorded in the audit "
        "log. Requires `career:admin`."
    )
    async def grant_hr_admin(
        self,
        info: Info,
        input: Annotated[GrantHrAdminInput, strawberry.argument(description="The change to make.")],
    ) -> HrAdminPayload:
        return await _hr_admin_change(info, input.employee_id, accounts.grant_hr_admin)

    @strawberry.mutation(
        description="Stop naming an employee an HR admin: their `career:admin` tokens act as a "
        "plain employee's from their next request on. Revoking someone not named changes "
        "nothing. Recorded in the audit log. Requires `career:admin`."
    )
    async def revoke_hr_admin(
        self,
        info: Info,
        input: Annotated[
            RevokeHrAdminInput, strawberry.argument(description="The change to make.")
        ],
    ) -> HrAdminPayload:
        return await _hr_admin_change(info, input.employee_id, accounts.revoke_hr_admin)


async def _hr_admin_change(
    info: Info, employee_id: strawberry.ID, change: Callable[..., Awaitable[Any]]
) -> HrAdminPayload:
    async def act() -> Any:
        decoded = decode_id(employee_id, "Employee", ("input", "employeeId"))
        return await change(info.context, await info.context.principal(), decoded)

    row, errors = await run_mutation(info, act, authorize=policies.require_admin)
    return HrAdminPayload(employee=Employee.from_row(row) if row else None, user_errors=errors)
