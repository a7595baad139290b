"""Query and Mutation fields of identity and access (HR admins only): service accounts and
the employees careerpath names HR admins."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from service.auth import policies, queries
from service.auth import service as accounts
from service.auth.types import Scope, ServiceAccount
from service.graphql.kit import (
    Call,
    admin_mutation,
    change_payload,
    id_input,
    optional_input,
    paginate_nodes,
    payload_type,
    service_input,
    target_call,
    target_input,
    version_input,
)
from service.graphql.pagination import Connection, PageArgs, paged, paginate
from service.people.types import Employee


@strawberry.type
class IdentityQuery:
    @strawberry.field(
        description="The organization's service accounts, by name. Requires `career:admin`."
    )
    @paged
    async def service_accounts(
        self,
        info: Info,
        paging: PageArgs,
        active: Annotated[
            bool | None,
            strawberry.argument(description="Only active (true) or deactivated (false) accounts."),
        ] = None,
    ) -> Connection[ServiceAccount]:
        policies.require_admin(await info.context.principal())
        return await paginate(
            info,
            queries.service_accounts_select(active),
            paging,
            ServiceAccount.from_row,
        )

    @strawberry.field(
        description="The employees careerpath names HR admins, by name: a `career:admin` token "
        "acts as admin only for them (or for people the identity provider's configured admin "
        "claim names). Requires `career:admin`."
    )
    @paged
    async def hr_admins(
        self,
        info: Info,
        paging: PageArgs,
    ) -> Connection[Employee]:
        policies.require_admin(await info.context.principal())
        return await paginate_nodes(info, queries.hr_admins_select(), paging, Employee)


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
    id: strawberry.ID = id_input("ServiceAccount", "The service account to change.", target=True)
    version: int | None = version_input()
    name: str | None = optional_input("New name.")
    scopes: list[Scope] | None = optional_input("The scopes its tokens may use from now on.")
    active: bool | None = optional_input(
        "false stops accepting its tokens; true accepts them again."
    )


DeactivateServiceAccountInput = target_input(
    "DeactivateServiceAccountInput",
    "Stops accepting a service account's tokens.",
    "ServiceAccount",
    "The service account to deactivate.",
    versioned=False,
)
ServiceAccountPayload = change_payload(ServiceAccount, "service_account")
GrantHrAdminInput = target_input(
    "GrantHrAdminInput",
    "Names an employee an HR admin.",
    "Employee",
    "The employee (active) to name an HR admin.",
    field="employee_id",
    versioned=False,
)
RevokeHrAdminInput = target_input(
    "RevokeHrAdminInput",
    "Stops naming an employee an HR admin.",
    "Employee",
    "The employee to stop naming.",
    field="employee_id",
    versioned=False,
)
HrAdminPayload = payload_type(
    "HrAdminPayload",
    "Result of granting or revoking HR admin powers.",
    "employee",
    Employee,
    "The employee concerned; null when refused.",
)


async def _create(c: Call) -> Any:
    data = service_input(accounts.ServiceAccountInput, c.input)
    return await accounts.create_service_account(c.db, c.principal, data)


async def _update(c: Call) -> Any:
    data = service_input(accounts.ServiceAccountInput, c.input)
    return await accounts.update_service_account(
        c.db, c.principal, c.input.id, data, expected_version=c.input.version
    )


@strawberry.type
class IdentityMutation:
    create_service_account = admin_mutation(
        "Register a service account.",
        CreateServiceAccountInput,
        ServiceAccountPayload,
        call=_create,
    )
    update_service_account = admin_mutation(
        "Rename a service account, change its scopes or (de)activate it.",
        UpdateServiceAccountInput,
        ServiceAccountPayload,
        call=_update,
    )
    deactivate_service_account = admin_mutation(
        "Deactivate a service account: its tokens are refused from the next request on. "
        "Deactivating an inactive account changes nothing.",
        DeactivateServiceAccountInput,
        ServiceAccountPayload,
        call=target_call(accounts.deactivate_service_account),
    )
    grant_hr_admin = admin_mutation(
        "Name an employee an HR admin: their `career:admin` tokens act as admin from their "
        "next request on. Granting again changes nothing. Recorded in the audit log.",
        GrantHrAdminInput,
        HrAdminPayload,
        call=target_call(accounts.grant_hr_admin, "employee_id"),
    )
    revoke_hr_admin = admin_mutation(
        "Stop naming an employee an HR admin: their `career:admin` tokens act as a plain "
        "employee's from their next request on. Revoking someone not named changes nothing. "
        "Recorded in the audit log.",
        RevokeHrAdminInput,
        HrAdminPayload,
        call=target_call(accounts.revoke_hr_admin, "employee_id"),
    )
