"""HR admins: ``career:admin`` is necessary, never sufficient. An employee's token acts as
admin only when careerpath names them an HR admin (the in-app grant) or the identity
provider's configured admin claim does; anyone else is a plain employee for admin purposes."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from service.auth.models import hr_admins
from service.config import AuthSettings, Settings
from service.people import service as people
from tests.auth.helpers import ExternalIssuer, add_service_account, client_token, production_app
from tests.conftest import Org, gid

EMPLOYEES = "{ employees(first: 100) { totalCount nodes { name } } }"
AUDIT = "{ auditEvents(first: 100) { totalCount } }"
CREATE_ACCOUNT = """
mutation($i: CreateServiceAccountInput!) {
  createServiceAccount(input: $i) { serviceAccount { id } userErrors { code } }
}
"""
ACCOUNT = {"i": {"clientId": "backdoor", "name": "Backdoor", "scopes": ["ADMIN"]}}
GRANT = """
mutation($i: GrantHrAdminInput!) {
  grantHrAdmin(input: $i) { employee { id name } userErrors { field message code } }
}
"""
REVOKE = """
mutation($i: RevokeHrAdminInput!) {
  revokeHrAdmin(input: $i) { employee { id name } userErrors { field message code } }
}
"""
HR_ADMINS = "{ hrAdmins(first: 100) { totalCount nodes { name } } }"
EVENTS = """
query($f: AuditEventFilter) {
  auditEvents(filter: $f, first: 100) { nodes { action actorId entityId changes } }
}
"""


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def of(employee: Any) -> dict[str, Any]:
    return {"i": {"employeeId": gid("Employee", employee)}}


async def assert_not_admin(org: Org, token: str) -> None:
    """Every admin operation is FORBIDDEN, and nothing is written."""
    for query, variables in ((AUDIT, None), (HR_ADMINS, None), (CREATE_ACCOUNT, ACCOUNT)):
        body = await org.gql(query, variables, token=token)
        assert codes(body) == ["FORBIDDEN"], body
        assert body["data"] is None
    body = await org.gql(GRANT, of(org.people["alice"]), token=token)
    assert codes(body) == ["FORBIDDEN"], body


async def assert_admin(org: Org, token: str) -> None:
    """The admin operations answer."""
    assert (await org.gql(EMPLOYEES, token=token))["data"]["employees"]["totalCount"] == len(
        org.people
    )
    assert "errors" not in await org.gql(AUDIT, token=token)
    assert "errors" not in await org.gql(HR_ADMINS, token=token)


async def test_the_admin_scope_alone_makes_no_admin(team: Org) -> None:
    await team.close_directory()  # what each caller reaches without the directory
    # Alice asked her identity provider for career:admin; careerpath never named her.
    only_admin = team.token("alice", "career:admin")
    assert codes(await team.gql(EMPLOYEES, token=only_admin)) == ["FORBIDDEN"]
    await assert_not_admin(team, only_admin)
    # With career:employee too, she is the plain employee she is: herself only.
    both = team.token("alice", "career:employee career:admin")
    body = await team.gql(EMPLOYEES, token=both)
    assert body["data"]["employees"] == {"totalCount": 1, "nodes": [{"name": "Alice Anders"}]}
    await assert_not_admin(team, both)
    async with team.runtime.db.transaction(team.id) as conn:
        names = (await conn.execute(select(func.count()).select_from(hr_admins))).scalar_one()
    assert names == 1  # Ada only: nothing was granted or created by the attempts


async def test_a_granted_admin_acts_as_admin_and_revoking_takes_effect_next_request(
    team: Org,
) -> None:
    await team.close_directory()  # what each caller reaches without the directory
    ada = team.token("admin", "career:employee career:admin")
    await assert_admin(team, ada)
    alice = team.token("alice", "career:employee career:admin")
    await assert_not_admin(team, alice)

    granted = await team.gql(GRANT, of(team.people["alice"]), token=ada)
    assert granted["data"]["grantHrAdmin"] == {
        "employee": {"id": gid("Employee", team.people["alice"]), "name": "Alice Anders"},
        "userErrors": [],
    }
    # The same, unexpired token is an admin's from the next request on.
    await assert_admin(team, alice)
    body = await team.gql(CREATE_ACCOUNT, ACCOUNT, token=alice)
    assert body["data"]["createServiceAccount"]["userErrors"] == []
    listed = await team.gql(HR_ADMINS, token=alice)
    assert listed["data"]["hrAdmins"] == {
        "totalCount": 2,
        "nodes": [{"name": "Ada Admin"}, {"name": "Alice Anders"}],
    }

    revoked = await team.gql(REVOKE, of(team.people["alice"]), token=ada)
    assert revoked["data"]["revokeHrAdmin"]["userErrors"] == []
    await assert_not_admin(team, alice)
    assert (await team.gql(EMPLOYEES, token=alice))["data"]["employees"]["totalCount"] == 1


async def test_grant_and_revoke_are_audited_once(team: Org) -> None:
    ada = team.token("admin", "career:admin")
    alice = team.people["alice"]
    for mutation in (GRANT, GRANT, REVOKE, REVOKE):
        body = await team.gql(mutation, of(alice), token=ada)
        assert "errors" not in body, body
    body = await team.gql(EVENTS, {"f": {"entityId": gid("Employee", alice)}}, token=ada)
    events = body["data"]["auditEvents"]["nodes"]
    # Newest first; granting or revoking a second time changes, and records, nothing.
    assert [e["action"] for e in events[2:]] == ["employee.create"]
    assert events[:2] == [
        {
            "action": "hr_admin.revoke",
            "actorId": gid("Employee", team.people["admin"]),
            "entityId": gid("Employee", alice),
            "changes": {"hr_admin": {"from": True, "to": False}},
        },
        {
            "action": "hr_admin.grant",
            "actorId": gid("Employee", team.people["admin"]),
            "entityId": gid("Employee", alice),
            "changes": {"hr_admin": {"from": False, "to": True}},
        },
    ]


async def test_concurrent_grants_record_one_grant(team: Org) -> None:
    ada = team.token("admin", "career:admin")
    bodies = await asyncio.gather(
        *(team.gql(GRANT, of(team.people["bob"]), token=ada) for _ in range(5))
    )
    assert all(b["data"]["grantHrAdmin"]["userErrors"] == [] for b in bodies), bodies
    body = await team.gql(
        EVENTS, {"f": {"entityId": gid("Employee", team.people["bob"])}}, token=ada
    )
    actions = [e["action"] for e in body["data"]["auditEvents"]["nodes"]]
    assert actions == ["hr_admin.grant", "employee.create"]
    listed = await team.gql(HR_ADMINS, token=ada)
    assert listed["data"]["hrAdmins"]["totalCount"] == 2


async def test_concurrent_revokes_record_one_revocation(team: Org) -> None:
    ada = team.token("admin", "career:admin")
    await team.gql(GRANT, of(team.people["bob"]), token=ada)
    bodies = await asyncio.gather(
        *(team.gql(REVOKE, of(team.people["bob"]), token=ada) for _ in range(5))
    )
    assert all(b["data"]["revokeHrAdmin"]["userErrors"] == [] for b in bodies), bodies
    body = await team.gql(
        EVENTS, {"f": {"entityId": gid("Employee", team.people["bob"])}}, token=ada
    )
    actions = [e["action"] for e in body["data"]["auditEvents"]["nodes"]]
    assert actions == ["hr_admin.revoke", "hr_admin.grant", "employee.create"]


async def test_bad_grants_are_user_errors_and_write_nothing(team: Org, other_org: Org) -> None:
    ada = team.token("admin", "career:admin")
    gone = await team.employee("gone")
    await team.run(people.terminate_employee, gone.id, dt.date.today(), None, None)
    cases = [
        (GRANT, of(team.people["gone"]), "employeeId", None),
        (GRANT, of(other_org.people["admin"]), "employeeId", "NOT_FOUND"),
        (REVOKE, of(other_org.people["admin"]), "employeeId", "NOT_FOUND"),
        (GRANT, {"i": {"employeeId": gid("OrgUnit", team.people["bob"])}}, "employeeId", None),
        (GRANT, {"i": {"employeeId": "not an id"}}, "employeeId", None),
    ]
    for mutation, variables, field, code in cases:
        body = await team.gql(mutation, variables, token=ada)
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        assert payload["employee"] is None
        (error,) = payload["userErrors"]
        assert error["field"] == ["input", field], body
        if code is not None:
            assert error["code"] == code
    listed = await team.gql(HR_ADMINS, token=ada)
    assert listed["data"]["hrAdmins"]["nodes"] == [{"name": "Ada Admin"}]
    body = await team.gql(
        EVENTS, {"f": {"entityId": gid("Employee", team.people["gone"])}}, token=ada
    )
    actions = [e["action"] for e in body["data"]["auditEvents"]["nodes"]]
    assert actions == ["employee.terminate", "employee.create"]


async def test_service_accounts_keep_the_scopes_an_admin_gave_them(team: Org) -> None:
    await add_service_account(team, "ops", "career:admin")
    await assert_admin(team, client_token(team, "ops", "career:admin"))
    body = await team.gql(
        GRANT, of(team.people["bob"]), token=client_token(team, "ops", "career:admin")
    )
    assert body["data"]["grantHrAdmin"]["userErrors"] == []


async def test_me_needs_a_careerpath_scope(team: Org) -> None:
    for scopes in ("openid", "openid profile email", "career:webhooks"):
        body = await team.gql("{ me { name } }", token=team.token("alice", scopes))
        assert codes(body) == ["FORBIDDEN"], (scopes, body)
        assert body["data"] is None
    for scopes in ("career:employee", "career:manager", "openid career:employee"):
        body = await team.gql("{ me { name } }", token=team.token("alice", scopes))
        assert body == {"data": {"me": {"name": "Alice Anders"}}}, scopes
    body = await team.gql("{ me { name } }", token=team.token("admin", "career:admin"))
    assert body == {"data": {"me": {"name": "Ada Admin"}}}


async def test_hr_admins_list_costs_the_same_for_one_or_many(
    team: Org, count_statements: Any
) -> None:
    ada = team.token("admin", "career:admin")
    query = (
        "{ hrAdmins(first: 100) { nodes { name manager { name } orgUnit { name } role { key } } } }"
    )

    async def statements() -> int:
        with count_statements() as counter:
            body = await team.gql(query, token=ada)
        assert "errors" not in body, body
        return counter.count

    await team.gql(GRANT, of(team.people["alice"]), token=ada)  # one with a manager
    few = await statements()
    for key in ("bob", "carol", "manager", "manager2"):
        await team.gql(GRANT, of(team.people[key]), token=ada)
    many = await statements()
    assert many == few


async def test_admin_claim_names_admins_from_the_identity_provider(
    team: Org, settings: Settings, external_issuer: ExternalIssuer
) -> None:
    auth = {"admin_claim": "groups", "admin_claim_values": ["careerpath-hr", "hr-leads"]}
    async with production_app(settings, external_issuer, **auth) as app:

        async def answers(key: str, scopes: str, **claims: Any) -> list[str]:
            token = await app.token(team, key, scopes, **claims)
            response = await app.gql(AUDIT, token)
            assert response.status_code == 200, response.text
            return codes(response.json())

        # Bob is not granted in careerpath; the identity provider names him.
        assert await answers("bob", "career:admin", groups=["staff", "careerpath-hr"]) == []
        assert await answers("bob", "career:admin", groups="hr-leads") == []
        # The claim without the scope, or the scope without the claim, is no admin.
        assert await answers("bob", "career:employee", groups=["careerpath-hr"]) == ["FORBIDDEN"]
        assert await answers("bob", "career:admin", groups=["staff"]) == ["FORBIDDEN"]
        assert await answers("bob", "career:admin", groups="careerpath-hr-x") == ["FORBIDDEN"]
        assert await answers("bob", "career:admin", groups={"careerpath-hr": True}) == ["FORBIDDEN"]
        assert await answers("bob", "career:admin") == ["FORBIDDEN"]
        # The in-app grant still counts where a claim is configured.
        assert await answers("admin", "career:admin") == []


async def test_without_an_admin_claim_setting_no_claim_makes_an_admin(
    team: Org, settings: Settings, external_issuer: ExternalIssuer
) -> None:
    async with production_app(settings, external_issuer) as app:
        token = await app.token(team, "bob", "career:admin", groups=["careerpath-hr"])
        response = await app.gql(AUDIT, token)
        assert codes(response.json()) == ["FORBIDDEN"]


def test_the_admin_claim_and_its_values_go_together() -> None:
    for partial in ({"admin_claim": "groups"}, {"admin_claim_values": ["hr"]}):
        with pytest.raises(ValidationError, match="go together"):
            AuthSettings(**partial)  # type: ignore[arg-type]
    assert AuthSettings(admin_claim="roles", admin_claim_values=["hr"]).admin_claim == "roles"
