"""Service accounts: client-credentials tokens, effective scopes, admin mutations."""

from __future__ import annotations

from typing import Any

from tests.auth.helpers import add_service_account, client_token
from tests.conftest import Org, gid

EMPLOYEES = "{ employees(first: 100) { totalCount nodes { name } } }"
ACCOUNTS = "{ serviceAccounts { nodes { clientId name scopes active version } } }"

CREATE = """
mutation($i: CreateServiceAccountInput!) {
  createServiceAccount(input: $i) {
    serviceAccount { id clientId name scopes active version }
    userErrors { field message code }
  }
}
"""
UPDATE = """
mutation($i: UpdateServiceAccountInput!) {
  updateServiceAccount(input: $i) {
    serviceAccount { id scopes active version }
    userErrors { field message code }
  }
}
"""
DEACTIVATE = """
mutation($i: DeactivateServiceAccountInput!) {
  deactivateServiceAccount(input: $i) {
    serviceAccount { id active version }
    userErrors { field code }
  }
}
"""


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_client_token_reads_the_whole_org_with_hris(team: Org) -> None:
    await add_service_account(team, "hris-sync", "career:hris")
    token = client_token(team, "hris-sync", "career:hris")
    body = await team.gql(EMPLOYEES, token=token)
    assert body["data"]["employees"]["totalCount"] == 7


async def test_effective_scopes_are_token_scopes_the_account_allows(team: Org) -> None:
    await add_service_account(team, "sync", "career:hris")
    # The token asks for admin too, but the account only allows HRIS.
    token = client_token(team, "sync", "career:hris career:admin")
    assert codes(await team.gql(ACCOUNTS, token=token)) == ["FORBIDDEN"]
    assert (await team.gql(EMPLOYEES, token=token))["data"]["employees"]["totalCount"] == 7

    # An account allowing admin does not help a token that does not carry it.
    await add_service_account(team, "ops", "career:hris career:admin")
    assert codes(await team.gql(ACCOUNTS, token=client_token(team, "ops", "career:hris"))) == [
        "FORBIDDEN"
    ]
    body = await team.gql(ACCOUNTS, token=client_token(team, "ops", "career:admin"))
    assert [n["clientId"] for n in body["data"]["serviceAccounts"]["nodes"]] == ["ops", "sync"]


async def test_service_account_without_a_reading_scope_sees_nobody(team: Org) -> None:
    await add_service_account(team, "hooks", "career:webhooks")
    token = client_token(team, "hooks", "career:webhooks")
    assert codes(await team.gql(EMPLOYEES, token=token)) == ["FORBIDDEN"]
    body = await team.gql(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": gid("Employee", team.people["alice"])},
        token=token,
    )
    assert body == {"data": {"node": None}}


async def test_me_is_a_clear_error_for_a_service_account(team: Org) -> None:
    await add_service_account(team)
    body = await team.gql("{ me { id } }", token=client_token(team, "hris-sync", "career:hris"))
    assert body["data"] is None
    assert codes(body) == ["FORBIDDEN"]
    assert "service account" in body["errors"][0]["message"]


async def test_unknown_or_deactivated_client_is_unauthenticated(team: Org) -> None:
    unknown = client_token(team, "never-registered", "career:hris")
    body = await team.gql(EMPLOYEES, token=unknown, expect_status=401)
    assert codes(body) == ["UNAUTHENTICATED"]

    account = await add_service_account(team, "old-sync", "career:hris")
    token = client_token(team, "old-sync", "career:hris")
    assert (await team.gql(EMPLOYEES, token=token))["data"]["employees"]["totalCount"] == 7
    admin = team.token("admin", "career:admin")
    done = await team.gql(DEACTIVATE, {"i": {"id": gid("ServiceAccount", account)}}, token=admin)
    assert done["data"]["deactivateServiceAccount"]["serviceAccount"]["active"] is False
    # The same, still unexpired token is refused from the next request on.
    body = await team.gql(EMPLOYEES, token=token, expect_status=401)
    assert codes(body) == ["UNAUTHENTICATED"]

    again = await team.gql(
        UPDATE, {"i": {"id": gid("ServiceAccount", account), "active": True}}, token=admin
    )
    assert again["data"]["updateServiceAccount"]["serviceAccount"]["active"] is True
    assert (await team.gql(EMPLOYEES, token=token))["data"]["employees"]["totalCount"] == 7


async def test_client_of_another_org_is_not_a_service_account_here(
    team: Org, other_org: Org
) -> None:
    await add_service_account(other_org, "hris-sync", "career:hris")
    # Registered in the other organization only; a token naming this one gets nothing.
    body = await team.gql(
        EMPLOYEES, token=client_token(team, "hris-sync", "career:hris"), expect_status=401
    )
    assert codes(body) == ["UNAUTHENTICATED"]


async def test_user_token_is_never_taken_for_a_service_account(team: Org) -> None:
    # A registered client ID in `azp` of a user's token does not make the user the account.
    await add_service_account(team, "web-app", "career:admin")
    token = team.token("alice", "career:employee career:admin", extra={"azp": "web-app"})
    body = await team.gql("{ me { name } }", token=token)
    assert body["data"]["me"]["name"] == "Alice Anders"
    # Nor does the account's career:admin make her an admin: careerpath never named her one.
    assert codes(await team.gql(ACCOUNTS, token=token)) == ["FORBIDDEN"]


async def test_create_lists_and_audits(team: Org) -> None:
    admin = team.token("admin", "career:admin")
    body = await team.gql(
        CREATE,
        {"i": {"clientId": " payroll ", "name": "Payroll export", "scopes": ["HRIS", "WEBHOOKS"]}},
        token=admin,
    )
    payload = body["data"]["createServiceAccount"]
    assert payload["userErrors"] == []
    assert payload["serviceAccount"] == {
        "id": payload["serviceAccount"]["id"],
        "clientId": "payroll",
        "name": "Payroll export",
        "scopes": ["HRIS", "WEBHOOKS"],
        "active": True,
        "version": 1,
    }
    listed = await team.gql(ACCOUNTS, token=admin)
    assert [n["clientId"] for n in listed["data"]["serviceAccounts"]["nodes"]] == ["payroll"]
    events = await team.gql(
        "query($f: AuditEventFilter) { auditEvents(filter: $f) { nodes { action changes } } }",
        {"f": {"entityId": payload["serviceAccount"]["id"]}},
        token=admin,
    )
    (event,) = events["data"]["auditEvents"]["nodes"]
    assert event["action"] == "service_account.create"
    assert event["changes"]["scopes"] == {"from": None, "to": ["career:hris", "career:webhooks"]}


async def test_create_refuses_bad_input_and_writes_nothing(team: Org) -> None:
    await add_service_account(team, "taken")
    admin = team.token("admin", "career:admin")
    cases = [
        ({"clientId": "taken", "name": "Dup", "scopes": ["HRIS"]}, ["input", "clientId"], "TAKEN"),
        (
            {"clientId": "a b", "name": "Spaces", "scopes": ["HRIS"]},
            ["input", "clientId"],
            "INVALID",
        ),
        ({"clientId": "x", "name": " ", "scopes": ["HRIS"]}, ["input", "name"], "REQUIRED"),
        ({"clientId": "x", "name": "None", "scopes": []}, ["input", "scopes"], "REQUIRED"),
        ({"clientId": "x", "name": "Emp", "scopes": ["EMPLOYEE"]}, ["input", "scopes"], "INVALID"),
        (
            {"clientId": "x" * 256, "name": "Long", "scopes": ["HRIS"]},
            ["input", "clientId"],
            "TOO_LONG",
        ),
    ]
    for data, field, code in cases:
        body = await team.gql(CREATE, {"i": data}, token=admin)
        payload = body["data"]["createServiceAccount"]
        assert payload["serviceAccount"] is None, data
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, code)], data
    listed = await team.gql(ACCOUNTS, token=admin)
    assert [n["clientId"] for n in listed["data"]["serviceAccounts"]["nodes"]] == ["taken"]


async def test_update_scopes_applies_to_the_next_request(team: Org) -> None:
    account = await add_service_account(team, "sync", "career:webhooks")
    token = client_token(team, "sync", "career:hris career:webhooks")
    assert codes(await team.gql(EMPLOYEES, token=token)) == ["FORBIDDEN"]
    admin = team.token("admin", "career:admin")
    body = await team.gql(
        UPDATE,
        {"i": {"id": gid("ServiceAccount", account), "version": 1, "scopes": ["HRIS"]}},
        token=admin,
    )
    assert body["data"]["updateServiceAccount"]["serviceAccount"]["scopes"] == ["HRIS"]
    assert body["data"]["updateServiceAccount"]["serviceAccount"]["version"] == 2
    assert (await team.gql(EMPLOYEES, token=token))["data"]["employees"]["totalCount"] == 7

    stale = await team.gql(
        UPDATE,
        {"i": {"id": gid("ServiceAccount", account), "version": 1, "scopes": ["WEBHOOKS"]}},
        token=admin,
    )
    assert stale["data"]["updateServiceAccount"]["userErrors"][0]["code"] == "STALE_VERSION"


async def test_deactivate_is_idempotent(team: Org) -> None:
    account = await add_service_account(team)
    admin = team.token("admin", "career:admin")
    variables = {"i": {"id": gid("ServiceAccount", account)}}
    first = await team.gql(DEACTIVATE, variables, token=admin)
    second = await team.gql(DEACTIVATE, variables, token=admin)
    assert first["data"]["deactivateServiceAccount"]["serviceAccount"]["version"] == 2
    assert second["data"]["deactivateServiceAccount"] == first["data"]["deactivateServiceAccount"]
    events = await team.gql(
        "query($f: AuditEventFilter) { auditEvents(filter: $f) { nodes { action } } }",
        {"f": {"entityId": gid("ServiceAccount", account)}},
        token=admin,
    )
    assert [e["action"] for e in events["data"]["auditEvents"]["nodes"]] == [
        "service_account.deactivate",
        "service_account.create",
    ]


async def test_changes_by_a_service_account_are_audited_as_it(team: Org) -> None:
    account = await add_service_account(team)
    token = client_token(team, "hris-sync", "career:hris")
    body = await team.gql(
        'mutation { createOrgUnit(input: {name: "Sales"}) { orgUnit { id } userErrors { code } } }',
        token=token,
    )
    unit_id = body["data"]["createOrgUnit"]["orgUnit"]["id"]
    events = await team.gql(
        "query($f: AuditEventFilter) { auditEvents(filter: $f) "
        "{ nodes { actorType actorId actorSubject action } } }",
        {"f": {"entityId": unit_id}},
        token=team.token("admin", "career:admin"),
    )
    assert events["data"]["auditEvents"]["nodes"] == [
        {
            "actorType": "SERVICE_ACCOUNT",
            "actorId": gid("ServiceAccount", account),
            "actorSubject": "hris-sync",
            "action": "org_unit.create",
        }
    ]
