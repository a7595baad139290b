"""Authorization matrix entries of identity and access: service accounts and the audit log."""

from __future__ import annotations

from sqlalchemy import select

from service.audit.models import audit_events as audit_events_table
from service.auth import service as accounts
from service.graphql.ids import encode_id
from tests.authz_matrix import (
    ADMIN_ONLY_WRITE,
    PERSON,
    Entry,
    Op,
    PersonInput,
    Result,
    World,
    admin_only_read,
    person_in,
)


def account_markers(w: World) -> set[str]:
    return w.markers("ServiceAccount", w.service_account)


def service_accounts(w: World) -> Op:
    return Op("{ serviceAccounts(first: 100) { nodes { id clientId name scopes active } } }")


def lists_the_account(result: Result) -> None:
    ids = [n["id"] for n in result.value["nodes"]]
    assert ids == [result.world.gid("ServiceAccount", result.world.service_account)]


def audit_events(w: World) -> Op:
    return Op(
        "query($f: AuditEventFilter) { auditEvents(filter: $f, first: 100) "
        "{ nodes { id action entityType entityId changes } } }",
        {"f": {"entityId": w.gid("Employee", w.subject)}},
    )


def lists_the_subjects_events(result: Result) -> None:
    actions = [n["action"] for n in result.value["nodes"]]
    assert "employee.create" in actions


def create_service_account(w: World) -> Op:
    return Op(
        "mutation($i: CreateServiceAccountInput!) { createServiceAccount(input: $i) "
        "{ serviceAccount { id clientId } userErrors { field code } } }",
        {"i": {"clientId": "payroll-export", "name": "Payroll export", "scopes": ["HRIS"]}},
    )


def update_service_account(w: World) -> Op:
    return Op(
        "mutation($i: UpdateServiceAccountInput!) { updateServiceAccount(input: $i) "
        "{ serviceAccount { id scopes } userErrors { field code } } }",
        {"i": {"id": w.gid("ServiceAccount", w.service_account), "scopes": ["HRIS", "WEBHOOKS"]}},
    )


def deactivate_service_account(w: World) -> Op:
    return Op(
        "mutation($i: DeactivateServiceAccountInput!) { deactivateServiceAccount(input: $i) "
        "{ serviceAccount { id active } userErrors { field code } } }",
        {"i": {"id": w.gid("ServiceAccount", w.service_account)}},
    )


def admin_markers(w: World) -> set[str]:
    return w.markers("Employee", w.org.people["admin"])


def hr_admins(w: World) -> Op:
    return Op("{ hrAdmins(first: 100) { nodes { id name } } }")


def lists_ada(result: Result) -> None:
    ids = [n["id"] for n in result.value["nodes"]]
    assert ids == [result.world.gid("Employee", result.world.org.people["admin"])]


def grant_hr_admin(w: World) -> Op:
    return Op(
        "mutation($i: GrantHrAdminInput!) { grantHrAdmin(input: $i) "
        "{ employee { id } userErrors { field code } } }",
        {"i": {"employeeId": w.gid("Employee", w.subject)}},
    )


async def revoke_hr_admin(w: World) -> Op:
    await w.org.run(accounts.grant_hr_admin, w.subject.id)
    return Op(
        "mutation($i: RevokeHrAdminInput!) { revokeHrAdmin(input: $i) "
        "{ employee { id } userErrors { field code } } }",
        {"i": {"employeeId": w.gid("Employee", w.subject)}},
    )


AUTHZ = {
    "Query.hrAdmins": Entry(hr_admins, admin_only_read(lists_ada), subject=admin_markers),
    "Mutation.grantHrAdmin": Entry(grant_hr_admin, ADMIN_ONLY_WRITE),
    "Mutation.revokeHrAdmin": Entry(revoke_hr_admin, ADMIN_ONLY_WRITE),
    "Query.serviceAccounts": Entry(
        service_accounts, admin_only_read(lists_the_account), subject=account_markers
    ),
    "Query.auditEvents": Entry(audit_events, admin_only_read(lists_the_subjects_events)),
    "Mutation.createServiceAccount": Entry(create_service_account, ADMIN_ONLY_WRITE),
    "Mutation.updateServiceAccount": Entry(
        update_service_account, ADMIN_ONLY_WRITE, subject=account_markers
    ),
    "Mutation.deactivateServiceAccount": Entry(
        deactivate_service_account, ADMIN_ONLY_WRITE, subject=account_markers
    ),
}


async def an_audit_event(w: World) -> str:
    async with w.org.runtime.db.transaction(w.org.id) as conn:
        event_id = (await conn.execute(select(audit_events_table.c.id).limit(1))).scalar_one()
    return encode_id("AuditEvent", event_id)


NODES = {
    "ServiceAccount": lambda w: w.gid("ServiceAccount", w.service_account),
    "AuditEvent": an_audit_event,
}

PERSON_INPUTS = {
    "Mutation.grantHrAdmin input.employeeId": PersonInput(
        (person_in(grant_hr_admin, employeeId=PERSON),)
    ),
    "Mutation.revokeHrAdmin input.employeeId": PersonInput(
        (person_in(revoke_hr_admin, employeeId=PERSON),)
    ),
}
