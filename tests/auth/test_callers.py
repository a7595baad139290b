"""Caller resolution is a service of its own: any surface (GraphQL today, REST or SCIM
tomorrow) turns validated claims into a tenant and a principal with one call."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from service.app import Runtime
from service.auth.callers import Caller, resolve_caller
from service.auth.principal import ActorType
from service.config import AuthSettings
from service.db import ConnectionExecutor
from service.errors import Unauthenticated
from tests.auth.helpers import add_service_account, client_token
from tests.conftest import Org


async def resolve(
    runtime: Runtime, token: str, auth: AuthSettings | None = None
) -> tuple[Caller, str | None]:
    claims = await runtime.validator.validate(token)
    async with runtime.db.engine.connect() as conn, conn.begin():
        caller = await resolve_caller(ConnectionExecutor(conn), claims, auth or AuthSettings())
        tenant = (await conn.execute(text("select current_setting('app.org_id')"))).scalar()
    return caller, tenant


async def test_an_employee_with_the_tenant_set(team: Org) -> None:
    caller, tenant = await resolve(team.runtime, team.token("alice", "career:employee"))
    assert tenant == str(team.id)
    assert caller.principal.actor_type is ActorType.EMPLOYEE
    assert caller.principal.employee_id == team.people["alice"].id
    assert caller.employee is not None
    assert caller.employee.name == "Alice Anders"


async def test_admin_scope_only_for_hr_admins(team: Org) -> None:
    scopes = "career:employee career:admin"
    ada, _ = await resolve(team.runtime, team.token("admin", scopes))
    alice, _ = await resolve(team.runtime, team.token("alice", scopes))
    assert ada.principal.scopes == {"career:employee", "career:admin"}
    assert alice.principal.scopes == {"career:employee"}
    by_claim = AuthSettings(admin_claim="groups", admin_claim_values=["hr"])
    token = team.token("alice", scopes, extra={"groups": ["hr"]})
    named, _ = await resolve(team.runtime, token, by_claim)
    assert named.principal.scopes == {"career:employee", "career:admin"}


async def test_a_service_account_keeps_what_its_account_allows(team: Org) -> None:
    await add_service_account(team, "ops", "career:hris career:admin")
    caller, _ = await resolve(
        team.runtime, client_token(team, "ops", "career:admin career:webhooks")
    )
    assert caller.principal.actor_type is ActorType.SERVICE_ACCOUNT
    assert caller.principal.scopes == {"career:admin"}
    assert caller.employee is None


async def test_unknown_organization_or_subject_is_unauthenticated(team: Org) -> None:
    issuer = team.runtime.dev_issuer
    assert issuer is not None
    for token in (
        issuer.mint("sub-alice", org="no-such-org", scopes=["career:employee"]),
        issuer.mint("nobody", org=team.slug, scopes=["career:employee"]),
    ):
        with pytest.raises(Unauthenticated):
            await resolve(team.runtime, token)
