"""Authorization rules, in one place, for every service to call.

A scope is necessary, never sufficient: a manager token reaches the people below that
manager in the org chart, an employee token reaches its own employee.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from service.auth.principal import Principal
from service.errors import Forbidden, Unauthenticated

EMPLOYEE = "career:employee"
MANAGER = "career:manager"
ADMIN = "career:admin"
HRIS = "career:hris"
WEBHOOKS = "career:webhooks"


def require_any(principal: Principal | None, *scopes: str) -> Principal:
    """The caller, if authenticated and holding at least one of ``scopes``."""
    if principal is None:
        raise Unauthenticated()
    if not any(principal.has(s) for s in scopes):
        raise Forbidden()
    return principal


def is_admin(principal: Principal) -> bool:
    return principal.has(ADMIN)


def reads_whole_org(principal: Principal) -> bool:
    """Admins and HRIS integrations see every employee of the organization."""
    return principal.has(ADMIN) or principal.has(HRIS)


@dataclass(frozen=True)
class Reach:
    """The employees a caller may see, computed once per request.

    ``private``: the caller's own record and (with ``career:manager``) everyone below them
    in the org chart — full records. ``profile``: additionally the caller's management
    chain upward — name, title, org unit and role only.
    ``everyone``: admins and HRIS integrations.
    """

    everyone: bool
    private: frozenset[uuid.UUID]
    profile: frozenset[uuid.UUID]

    def sees_private(self, employee_id: uuid.UUID) -> bool:
        return self.everyone or employee_id in self.private

    def sees_profile(self, employee_id: uuid.UUID) -> bool:
        return self.everyone or employee_id in self.private or employee_id in self.profile

    @property
    def visible_ids(self) -> frozenset[uuid.UUID]:
        return self.private | self.profile


REACH_SQL = text(
    """
    with recursive below as (
        select id from employees where manager_id = :me
        union
        select e.id from employees e join below b on e.manager_id = b.id
    ), above as (
        select manager_id as id from employees where id = :me and manager_id is not null
        union
        select e.manager_id from employees e join above a on e.id = a.id
        where e.manager_id is not null
    )
    select 'below' as side, id from below where :include_below
    union all
    select 'above', id from above
    """
)


async def compute_reach(conn: AsyncConnection, principal: Principal) -> Reach:
    if reads_whole_org(principal):
        return Reach(everyone=True, private=frozenset(), profile=frozenset())
    me = principal.employee_id
    if me is None or not (principal.has(EMPLOYEE) or principal.has(MANAGER)):
        return Reach(everyone=False, private=frozenset(), profile=frozenset())
    rows = (
        await conn.execute(REACH_SQL, {"me": me, "include_below": principal.has(MANAGER)})
    ).all()
    below = {r.id for r in rows if r.side == "below"}
    above = {r.id for r in rows if r.side == "above"}
    return Reach(everyone=False, private=frozenset({me, *below}), profile=frozenset(above - below))
