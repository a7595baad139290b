"""Use cases of identity and access: the service accounts of integrations, and the
employees careerpath names HR admins.

A service account stands for an OAuth client (an HRIS sync job, a webhook consumer's
setup script) that calls careerpath with client-credentials tokens. An admin registers
its client ID and the scopes it may use; a token's effective scopes are the scopes it
carries that the account also allows.

An employee's ``career:admin`` scope counts only if careerpath names them an HR admin
(``grant_hr_admin``; or the identity provider's admin claim, see ``callers``): many
identity providers let any user ask for any scope, so the scope alone proves nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from service.audit import service as audit
from service.auth import policies
from service.auth.models import hr_admins, service_accounts
from service.auth.principal import Principal
from service.db import Executor
from service.entities import insert_row, update_row
from service.errors import ErrorCode, UserInputError, Validator
from service.kit import check_version
from service.people import service as people

MAX_CLIENT_ID = 255


@dataclass
class ServiceAccountInput:
    """Fields of a service account; ``None`` means "not given" in updates."""

    client_id: str | None = None
    name: str | None = None
    scopes: Sequence[str] | None = None
    active: bool | None = None


def _scopes(v: Validator, scopes: Sequence[str] | None, *, required: bool) -> list[str] | None:
    if scopes is None:
        if required:
            v.add(("input", "scopes"), "is required", ErrorCode.REQUIRED)
        return None
    allowed = [str(s) for s in policies.SERVICE_ACCOUNT_SCOPES]
    cleaned = sorted(set(scopes))
    if not cleaned:
        v.add(("input", "scopes"), "must name at least one scope", ErrorCode.REQUIRED)
    for scope in cleaned:
        if scope not in allowed:
            v.add(
                ("input", "scopes"),
                f"{scope} needs an employee behind the token; a service account may hold "
                + ", ".join(allowed),
            )
    return cleaned


async def _get(db: Executor, account_id: uuid.UUID) -> Any:
    row = (
        await db.execute(select(service_accounts).where(service_accounts.c.id == account_id))
    ).first()
    if row is None:
        raise UserInputError.one(("input", "id"), "no such service account", ErrorCode.NOT_FOUND)
    return row


async def create_service_account(
    db: Executor, principal: Principal, data: ServiceAccountInput
) -> Any:
    """Register an OAuth client ID as a service account. Admins only."""
    policies.require_admin(principal)
    v = Validator()
    client_id = v.text("clientId", data.client_id, required=True, max_length=MAX_CLIENT_ID)
    if client_id and any(c.isspace() for c in client_id):
        v.add(("input", "clientId"), "must not contain spaces")
    name = v.text("name", data.name, required=True, max_length=200)
    scopes = _scopes(v, data.scopes, required=True)
    if client_id:
        taken = select(service_accounts.c.id).where(service_accounts.c.client_id == client_id)
        if (await db.execute(taken)).first() is not None:
            v.add(("input", "clientId"), f'"{client_id}" is already registered', ErrorCode.TAKEN)
    v.raise_if_any()
    values = {"client_id": client_id, "name": name, "scopes": scopes, "active": True}
    return await insert_row(
        db, principal, service_accounts, values, "service_account.create", "ServiceAccount"
    )


async def update_service_account(
    db: Executor,
    principal: Principal,
    account_id: uuid.UUID,
    data: ServiceAccountInput,
    *,
    expected_version: int | None = None,
    action: str = "service_account.update",
) -> Any:
    """Rename a service account, change its allowed scopes, or (de)activate it. Admins only."""
    policies.require_admin(principal)
    current = await _get(db, account_id)
    check_version(current, expected_version, "service account")
    v = Validator()
    changes: dict[str, Any] = {}
    if data.name is not None:
        changes["name"] = v.text("name", data.name, required=True, max_length=200)
    scopes = _scopes(v, data.scopes, required=False)
    if scopes is not None:
        changes["scopes"] = scopes
    if data.active is not None:
        changes["active"] = data.active
    v.raise_if_any()
    return await update_row(
        db,
        principal,
        service_accounts,
        current,
        {k: value for k, value in changes.items() if getattr(current, k) != value},
        expected_version=expected_version,
        what="service account",
        action=action,
        entity_type="ServiceAccount",
    )


async def deactivate_service_account(
    db: Executor, principal: Principal, account_id: uuid.UUID
) -> Any:
    """Stop accepting the account's tokens at once. Idempotent. Admins only."""
    return await update_service_account(
        db,
        principal,
        account_id,
        ServiceAccountInput(active=False),
        action="service_account.deactivate",
    )


# --- HR admins --------------------------------------------------------------------------


async def _grantee(db: Executor, employee_id: uuid.UUID) -> Any:
    row = await people.get_employee(db, employee_id)
    if row is None:
        raise UserInputError.one(("input", "employeeId"), "no such employee", ErrorCode.NOT_FOUND)
    return row


async def grant_hr_admin(db: Executor, principal: Principal, employee_id: uuid.UUID) -> Any:
    """Name an active employee an HR admin: their ``career:admin`` tokens act as admin from
    their next request on. Idempotent (granting again changes and records nothing). Admins
    (and the CLI) only."""
    policies.require_admin(principal)
    employee = await _grantee(db, employee_id)
    if employee.status == "TERMINATED":
        raise UserInputError.one(
            ("input", "employeeId"), "has left the organization; an HR admin must be active"
        )
    # A concurrent grant of the same employee waits on the key and then inserts nothing,
    # so exactly one grant is recorded.
    granted = (
        await db.execute(
            pg_insert(hr_admins)
            .values(org_id=principal.org_id, employee_id=employee_id)
            .on_conflict_do_nothing()
            .returning(hr_admins.c.employee_id)
        )
    ).first()
    if granted is not None:
        await _record_admin_change(db, principal, employee_id, granted=True)
    return employee


async def revoke_hr_admin(db: Executor, principal: Principal, employee_id: uuid.UUID) -> Any:
    """Stop naming an employee an HR admin: their ``career:admin`` tokens act as a plain
    employee's from their next request on. Idempotent. Admins (and the CLI) only. Revoking
    the last HR admin is allowed; ``careerpath admin grant`` names one again."""
    policies.require_admin(principal)
    employee = await _grantee(db, employee_id)
    revoked = (
        await db.execute(
            delete(hr_admins)
            .where(hr_admins.c.employee_id == employee_id)
            .returning(hr_admins.c.employee_id)
        )
    ).first()
    if revoked is not None:
        await _record_admin_change(db, principal, employee_id, granted=False)
    return employee


async def _record_admin_change(
    db: Executor, principal: Principal, employee_id: uuid.UUID, *, granted: bool
) -> None:
    action = "hr_admin.grant" if granted else "hr_admin.revoke"
    changes = audit.diff({"hr_admin": not granted}, {"hr_admin": granted})
    await audit.record(db, principal, action, "Employee", employee_id, changes)
