"""Who is calling: validated token claims → organization → employee or service account.

Every surface (GraphQL today; REST, SCIM or a webhook receiver tomorrow) calls
``resolve_caller`` once per request, on the request's connection: it makes the token's
organization the transaction's tenant and returns the ``Principal`` every policy works on.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    Uuid,
    bindparam,
    cast,
    exists,
    func,
    or_,
    select,
    true,
)

from service.auth.models import hr_admins
from service.auth.principal import ActorType, Principal
from service.auth.queries import active_service_account
from service.auth.scopes import Scope
from service.db import DirectStatement
from service.errors import Unauthenticated
from service.kit import Record
from service.people.models import employees, organizations

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from service.auth.tokens import TokenClaims
    from service.config import AuthSettings
    from service.db import Executor


@dataclass(frozen=True)
class Caller:
    """The resolved caller: the principal, and the employee's row when the caller is one
    (so ``me`` needs no second read)."""

    principal: Principal
    employee: Any | None = None
    #: The organization's framework revision as this transaction sees it (read with the
    #: tenant): the key of cached framework reads.
    framework_revision: int = 0


# Statements of every request, built once: only their parameters change per request.
#
# The organization named by the token's claim, made the transaction's tenant in one round
# trip. The claim holds a slug or an organization's UUID; a slug may itself look like a
# UUID (an identity provider's tenant ID used as the slug), so a slug match comes first.
# The subquery picks one row first, so set_config runs exactly once.
_chosen_org = (
    select(organizations.c.id, organizations.c.framework_revision)
    .where(
        or_(
            organizations.c.slug == bindparam("org_key"),
            organizations.c.id == bindparam("org_uuid", type_=Uuid()),
        )
    )
    .order_by((organizations.c.slug == bindparam("org_key")).desc())
    .limit(1)
    .subquery()
)
SET_TENANT = select(
    func.set_config("app.org_id", cast(_chosen_org.c.id, Text), True).label("tenant"),
    _chosen_org.c.framework_revision,
).select_from(_chosen_org)
# The caller's employee row, and whether careerpath names them an HR admin (an index
# lookup riding on the same statement).
_EMPLOYEE_AND_GRANT = select(
    *employees.c,
    exists()
    .where(hr_admins.c.org_id == employees.c.org_id, hr_admins.c.employee_id == employees.c.id)
    .label("hr_admin"),
)


def _tenant_and_employee(match: ColumnElement[bool]) -> Select[Any]:
    """The organization made the tenant and the employee ``match`` finds in it, in one
    round trip that needs no transaction around it: the tenant is set first (a CTE with a
    volatile function runs once, before the lateral lookup that reads it), and the lookup
    also names the organization it set, so it finds no one rather than anyone else's row
    should the tenant not be in effect yet."""
    tenant = select(
        func.set_config("app.org_id", cast(_chosen_org.c.id, Text), True).label("tenant"),
        _chosen_org.c.framework_revision,
    ).cte("tenant")
    caller = (
        _EMPLOYEE_AND_GRANT.where(match, employees.c.org_id == cast(tenant.c.tenant, Uuid()))
        .offset(0)
        .lateral("caller")
    )
    return select(tenant.c.tenant, tenant.c.framework_revision, caller).select_from(
        tenant.outerjoin(caller, true())
    )


TENANT_AND_EMPLOYEE_BY_SUBJECT = _tenant_and_employee(
    employees.c.auth_subject == bindparam("subject")
)
TENANT_AND_EMPLOYEE_BY_EMAIL = _tenant_and_employee(employees.c.email.ilike(bindparam("email")))
#: The first, run directly on the request's connection (its columns need no conversion).
DIRECT_TENANT_AND_EMPLOYEE_BY_SUBJECT = DirectStatement(TENANT_AND_EMPLOYEE_BY_SUBJECT)


async def resolve_caller(
    db: Executor,
    claims: TokenClaims,
    auth: AuthSettings,
    *,
    direct: AsyncConnection | None = None,
) -> Caller:
    """Map validated token claims to an organization and an employee (or a service
    account), and set the tenant. Raises ``Unauthenticated`` when the token names no known
    organization, no active employee and no active service account.

    An employee's token is resolved by statements that each set the tenant themselves, so
    they need no transaction around them; a service account's needs ``db`` in a
    transaction (the tenant its first statement sets holds for the second). ``direct``: the
    connection under ``db``, where an employee's statement runs through the driver
    itself."""
    org_key = claims.org or auth.default_org
    if not org_key:
        raise Unauthenticated("The token names no organization.")
    org_uuid: uuid.UUID | None = None
    with contextlib.suppress(ValueError):
        org_uuid = uuid.UUID(org_key)
    org = {"org_key": org_key, "org_uuid": org_uuid}
    found: Any
    if claims.is_client_credentials:
        found = (await db.execute(SET_TENANT, org)).first()
    elif direct is not None:
        record = await DIRECT_TENANT_AND_EMPLOYEE_BY_SUBJECT.first(
            direct, {**org, "subject": claims.subject}
        )
        found = None if record is None else Record(record)
    else:
        found = (
            await db.execute(TENANT_AND_EMPLOYEE_BY_SUBJECT, {**org, "subject": claims.subject})
        ).first()
    if found is None:
        raise Unauthenticated("The token's organization is unknown.")
    org_id, revision = uuid.UUID(found.tenant), found.framework_revision

    if claims.is_client_credentials:
        return Caller(await _service_account_principal(db, claims, org_id), None, revision)
    row = found if found.id is not None else None
    if row is None and auth.email_fallback and claims.email and claims.email_verified:
        pattern = re.sub(r"([\\%_])", r"\\\1", claims.email)
        by_email = (
            await db.execute(TENANT_AND_EMPLOYEE_BY_EMAIL, {**org, "email": pattern})
        ).first()
        row = by_email if by_email is not None and by_email.id is not None else None
    if row is None or row.status == "TERMINATED":
        raise Unauthenticated("The token's subject is not an active employee.")
    principal = Principal(
        org_id=org_id,
        subject=claims.subject,
        scopes=employee_scopes(claims, auth, hr_admin=row.hr_admin),
        actor_type=ActorType.EMPLOYEE,
        employee_id=row.id,
    )
    return Caller(principal, row, revision)


def named_admin_by_claim(claims: TokenClaims, auth: AuthSettings) -> bool:
    """Whether the configured admin claim (``CAREERPATH_AUTH__ADMIN_CLAIM``) holds one of
    the configured values: a string equal to one, or a list containing one."""
    if not auth.admin_claim:
        return False
    value = claims.raw.get(auth.admin_claim)
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return any(isinstance(v, str) and v in auth.admin_claim_values for v in values)


def employee_scopes(claims: TokenClaims, auth: AuthSettings, *, hr_admin: bool) -> frozenset[str]:
    """The scopes an employee's token acts with. ``career:admin`` is necessary, never
    sufficient: it counts only for employees careerpath names HR admins (``hr_admin``, the
    in-app grant) or whom the configured admin claim names. For anyone else it is dropped,
    and the token acts with its other scopes, as a plain employee for admin purposes."""
    scopes = claims.scopes
    if Scope.ADMIN in scopes and not (hr_admin or named_admin_by_claim(claims, auth)):
        return scopes - {Scope.ADMIN.value}
    return scopes


async def _service_account_principal(
    db: Executor, claims: TokenClaims, org_id: uuid.UUID
) -> Principal:
    """The active service account registered for the token's client, with the scopes both allow."""
    client_id = claims.client_id or claims.subject.removesuffix("@clients")
    account = await active_service_account(db, client_id)
    if account is None:
        raise Unauthenticated("The token's client is not an active service account.")
    return Principal(
        org_id=org_id,
        subject=claims.subject,
        scopes=claims.scopes & frozenset(account.scopes),
        actor_type=ActorType.SERVICE_ACCOUNT,
        service_account_id=account.id,
        extra={"client_id": client_id},
    )
