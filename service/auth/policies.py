"""Authorization rules, in one place, for every service to call.

A scope is necessary, never sufficient: a manager token reaches the people below that
manager in the org chart, an employee token reaches its own employee, and an employee's
``career:admin`` counts only for people careerpath names HR admins (the in-app grant or the
configured admin claim; ``callers.employee_scopes`` drops it for anyone else, so every
admin rule below sees it only then). Services call these
functions before they read or write; GraphQL types call them for field-level rules. The
rules:

=========================================  ==============================================
what                                       who
=========================================  ==============================================
shared organization data (org chart,       ``career:employee``, ``career:manager``,
published framework)                       ``career:admin``, ``career:hris``
                                           (``require_reader``)
write org units and employees              ``career:admin``, ``career:hris``
                                           (``require_people_writer``)
service accounts, the audit log            ``career:admin`` (``require_admin``)
an employee's profile (name, title, unit)  their reach: themself, the people below them
                                           (managers), their management chain upward;
                                           everyone for admins and HRIS
                                           (``Reach.sees_profile``)
an employee's name, title, org unit and    also whoever is shown them through a
role                                       relation: an assessment's subject, assessor
                                           and inviter to those who see the assessment
the directory: name, title, org unit,      every employee and manager of the
role and manager of everyone employed      organization while its ``directory_visible``
(not terminated)                           setting is on (the default), also in lists
                                           and search by name or title
                                           (``Reach.sees_directory``); nothing more of
                                           anyone: details, HR record and private
                                           career data keep their own rules
an employee's details (email, location,    themself, managers above them, admins, HRIS
status, version, timestamps)               (``sees_details``); anyone else, whatever the
                                           path, gets ``Forbidden`` for these fields
an employee's HR record (external ID,      themself, managers above them, admins, HRIS
hire date, reports, position history)      (``Reach.sees_record``)
an employee's private career data          themself, managers above them, admins; *not*
(ratings, aspirations, development plans,  HRIS integrations (``can_see_private``)
conversation notes, confidential
applications)
termination reason, pay bands              admins (``can_see_termination_reason``,
                                           ``can_see_pay``)
assessment cycles: create, open, close     admins (``require_admin``)
write a SELF assessment                    the subject themself (``can_write_self``)
write a MANAGER assessment                 ``career:manager`` callers above the subject
                                           in the org chart (``can_write_manager``)
invite a peer to assess someone            the subject, their manager chain, admins
                                           (``can_invite_peer``)
write a PEER assessment                    only the invited peer, in the draft the
                                           invitation created (``is_assessor``)
calibrate, import past ratings             admins (``can_calibrate``)
see an assessment and its ratings          its assessor (drafts included), admins (all),
                                           and once submitted whoever sees the subject's
                                           private career data (``can_see_assessment``),
                                           except that the subject never sees a PEER
                                           assessment of themself: peer input reaches
                                           them only as a mean of at least
                                           ``min_peer_count`` peers (``can_see_assessor``)
team skills matrix                         ``career:manager`` callers for people below
                                           them, admins for anyone (``can_see_team``)
organization patterns (skill gap summary)  admins (``require_admin``)
=========================================  ==============================================

Denials raise ``Unauthenticated`` (no caller) or ``Forbidden`` (a caller without the
right); readers of a single object they may not see get ``None``, exactly as for an
object that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from service.auth.principal import Principal
from service.auth.scopes import Scope
from service.errors import Forbidden, Unauthenticated

#: Scopes that read the organization's shared data (org chart, published framework).
READER_SCOPES: tuple[Scope, ...] = (Scope.EMPLOYEE, Scope.MANAGER, Scope.ADMIN, Scope.HRIS)
#: Scopes a service account may be granted: the ones that need no employee behind them.
SERVICE_ACCOUNT_SCOPES: tuple[Scope, ...] = (Scope.HRIS, Scope.WEBHOOKS, Scope.ADMIN)


def require_any(principal: Principal | None, *scopes: Scope) -> Principal:
    """The caller, if authenticated and holding at least one of ``scopes``."""
    if principal is None:
        raise Unauthenticated()
    if not any(principal.has(s) for s in scopes):
        raise Forbidden()
    return principal


def is_reader(principal: Principal) -> bool:
    """Whether the caller may read the organization's shared data (``career:webhooks`` alone may not)."""
    return any(principal.has(s) for s in READER_SCOPES)


def require_reader(principal: Principal | None) -> Principal:
    """The caller, if they may read the organization's shared data; see ``is_reader``."""
    return require_any(principal, *READER_SCOPES)


def require_people_writer(principal: Principal | None) -> Principal:
    """Callers who may create and change org units and employees: HR admins and HRIS."""
    return require_any(principal, Scope.ADMIN, Scope.HRIS)


def require_admin(principal: Principal | None) -> Principal:
    """HR admins only (service accounts, the audit log, framework editing, approvals)."""
    return require_any(principal, Scope.ADMIN)


def is_admin(principal: Principal) -> bool:
    """Whether the caller holds ``career:admin``."""
    return principal.has(Scope.ADMIN)


def reads_whole_org(principal: Principal) -> bool:
    """Admins and HRIS integrations see every employee's profile and HR record."""
    return principal.has(Scope.ADMIN) or principal.has(Scope.HRIS)


@dataclass(frozen=True)
class Reach:
    """The employees a caller may see, computed once per request.

    ``private``: the caller's own employee and (with ``career:manager``) everyone below
    them in the org chart. ``profile``: additionally the caller's management chain upward,
    whose name, title, org unit and role only are visible. ``everyone``: admins and HRIS
    integrations see every profile and HR record. ``admin``: the caller holds
    ``career:admin`` and also sees everyone's private career data. ``directory``: the
    organization's directory is open to employees, so the caller sees the name, title,
    org unit, role and manager of everyone still employed (``sees_directory``).
    """

    everyone: bool
    private: frozenset[uuid.UUID]
    profile: frozenset[uuid.UUID]
    admin: bool = False
    directory: bool = False

    def sees_record(self, employee_id: uuid.UUID) -> bool:
        """Whether the employee's HR record (external ID, dates, reports, history) is visible."""
        return self.everyone or employee_id in self.private

    def sees_profile(self, employee_id: uuid.UUID) -> bool:
        """Whether the employee is visible at all (name, title, org unit, role)."""
        return self.everyone or employee_id in self.private or employee_id in self.profile

    def sees_directory(self, employee_id: uuid.UUID) -> bool:
        """Whether the employee may be shown by name, title, org unit, role and manager:
        their profile is visible, or the directory is open (then only while they are
        employed: callers check the status of those seen through the directory alone)."""
        return self.directory or self.sees_profile(employee_id)

    def in_directory_view(self, employee_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Those of ``employee_ids`` that ``sees_directory`` holds for, at once (all of
        them when the directory is open or the caller sees everyone)."""
        if self.directory or self.everyone:
            return set(employee_ids)
        return {i for i in employee_ids if self.sees_directory(i)}

    @property
    def visible_ids(self) -> frozenset[uuid.UUID]:
        """Every employee visible to a caller without ``everyone``."""
        return self.private | self.profile


def sees_details(reach: Reach, employee_id: uuid.UUID) -> bool:
    """Whether the caller sees more of an employee than name, title, org unit and role:
    their email, location, status, version and timestamps. Those who see the HR record
    do; the management chain upward and people shown through a relation (an assessment's
    subject, assessor, inviter) show the four fields only, whatever path reaches them."""
    return reach.sees_record(employee_id)


def can_see_private(reach: Reach, employee_id: uuid.UUID) -> bool:
    """Whether the caller may see the employee's private career data.

    Private career data is what a person shares with their management chain and HR, not
    with colleagues or integrations: ratings and assessments, aspirations, development
    plans and check-in notes, conversation notes, confidential applications. Visible to
    the employee themself, to managers above them (with ``career:manager``) and to HR
    admins; never to HRIS integrations or other employees. Callers that may not see it get
    ``None`` or an empty list for single objects and lists, ``Forbidden`` for a field.
    """
    return reach.admin or employee_id in reach.private


def can_see_own_private(principal: Principal, employee_id: uuid.UUID) -> bool:
    """Whether ``employee_id`` is the caller's own employee and ``can_see_private`` holds
    for it, known without computing reach (``compute_reach`` puts the caller's own
    employee in ``private`` for the employee and manager scopes, except for HRIS callers;
    admins see everyone's). False means: ask ``can_see_private``."""
    if employee_id != principal.employee_id:
        return False
    if is_admin(principal):
        return True
    return not principal.has(Scope.HRIS) and (
        principal.has(Scope.EMPLOYEE) or principal.has(Scope.MANAGER)
    )


def can_see_termination_reason(reach: Reach) -> bool:
    """Only HR admins see why someone's employment ended."""
    return reach.admin


def can_see_pay(principal: Principal) -> bool:
    """Only HR admins see pay bands."""
    return is_admin(principal)


# --- assessments ------------------------------------------------------------------------


def is_private_reader(principal: Principal) -> bool:
    """Whether the caller may read any private career data at all (assessments, gaps): the
    employee, manager and admin scopes; never HRIS or webhooks integrations."""
    return any(principal.has(s) for s in (Scope.EMPLOYEE, Scope.MANAGER, Scope.ADMIN))


def require_private_reader(principal: Principal | None) -> Principal:
    """The caller, if they may read private career data; see ``is_private_reader``."""
    return require_any(principal, Scope.EMPLOYEE, Scope.MANAGER, Scope.ADMIN)


def can_write_self(principal: Principal, subject_id: uuid.UUID) -> bool:
    """Employees write their own SELF assessment, and only their own."""
    return (
        principal.employee_id == subject_id
        and principal.employee_id is not None
        and (principal.has(Scope.EMPLOYEE) or principal.has(Scope.MANAGER))
    )


def can_write_manager(principal: Principal, *, above_subject: bool) -> bool:
    """MANAGER assessments are written by ``career:manager`` callers who are above the
    subject in the org chart (``above_subject``, from ``manages``); admins calibrate instead."""
    return principal.has(Scope.MANAGER) and principal.employee_id is not None and above_subject


def can_invite_peer(principal: Principal, subject_id: uuid.UUID, *, above_subject: bool) -> bool:
    """A peer is invited by the subject, by someone in their manager chain, or by an admin."""
    return (
        is_admin(principal)
        or can_write_self(principal, subject_id)
        or can_write_manager(principal, above_subject=above_subject)
    )


def is_assessor(principal: Principal, assessor_id: uuid.UUID | None) -> bool:
    """Whether the caller is the assessor of an assessment (who alone edits its draft)."""
    return principal.employee_id is not None and principal.employee_id == assessor_id


def can_calibrate(principal: Principal) -> bool:
    """CALIBRATION assessments and imports of past ratings are for HR admins."""
    return is_admin(principal)


def can_see_assessment(
    principal: Principal,
    reach: Reach,
    *,
    subject_id: uuid.UUID,
    assessor_id: uuid.UUID | None,
    kind: str,
    submitted: bool,
) -> bool:
    """Whether the caller may see an assessment and its ratings.

    The assessor always sees their own (a peer sees only what they wrote); admins see all,
    drafts included; once submitted, whoever sees the subject's private career data sees
    it: the subject (their manager's rating too) and the managers above them. Peer
    feedback is anonymous to its subject: the subject never sees a PEER assessment of
    themself, only the aggregate of at least ``min_peer_count`` peers in their current
    levels. Everyone else who sees a PEER assessment may also see who wrote it.
    """
    if reach.admin or is_assessor(principal, assessor_id):
        return True
    if not submitted or not can_see_private(reach, subject_id):
        return False
    return kind != "PEER" or subject_id != principal.employee_id


def can_see_assessor(
    principal: Principal,
    reach: Reach,
    *,
    kind: str,
    subject_id: uuid.UUID,
    assessor_id: uuid.UUID | None,
) -> bool:
    """Whether the caller may see who wrote a visible assessment. Peer feedback is
    anonymous to its subject: a PEER assessor is shown only to themself, the managers
    above the subject, and admins."""
    if kind != "PEER" or reach.admin or is_assessor(principal, assessor_id):
        return True
    return subject_id in reach.private and subject_id != principal.employee_id


def can_see_team(principal: Principal, reach: Reach, manager_id: uuid.UUID) -> bool:
    """A team's skills matrix: admins for any manager; ``career:manager`` callers for
    themselves and the managers below them."""
    if reach.admin:
        return True
    return principal.has(Scope.MANAGER) and manager_id in reach.private


MANAGES_SQL = text(
    """
    with recursive up as (
        select manager_id from employees where id = :emp
        union
        select e.manager_id from employees e join up on e.id = up.manager_id
    )
    select exists (select 1 from up where manager_id = :mgr)
    """
)


async def is_above(db: Any, manager_id: uuid.UUID, employee_id: uuid.UUID) -> bool:
    """Whether ``manager_id`` is somewhere above ``employee_id`` in the org chart."""
    result = await db.execute(MANAGES_SQL, {"emp": employee_id, "mgr": manager_id})
    return bool(result.scalar())


async def manages(db: Any, principal: Principal, employee_id: uuid.UUID) -> bool:
    """Whether the caller's employee is above ``employee_id`` in the org chart (whatever
    their scopes; combine with ``can_write_manager``)."""
    if principal.employee_id is None or principal.employee_id == employee_id:
        return False
    return await is_above(db, principal.employee_id, employee_id)


# Each level of the recursion is an index lookup per person (a lateral subquery; `offset 0`
# keeps the planner from turning it back into a join): the planner cannot know how many
# people a level holds, and joining would scan every employee at each level.
REACH_SQL = text(
    """
    with recursive below as (
        select id from employees where manager_id = :me
        union
        select e.id from below b cross join lateral (
            select id from employees where manager_id = b.id offset 0) e
    ), above as (
        select manager_id as id from employees where id = :me and manager_id is not null
        union
        select e.manager_id from above a cross join lateral (
            select manager_id from employees where id = a.id offset 0) e
        where e.manager_id is not null
    )
    select 'below' as side, id from below where :include_below
    union all
    select 'above', id from above
    union all
    select 'directory closed', null from people_settings where not directory_visible
    """
)


async def reach_of(db: Any, principal: Principal) -> Reach:
    """The caller's reach as services need it: the request's (the GraphQL context computes
    it once per request), else computed now (the CLI, the scheduler, tests)."""
    cached = getattr(db, "reach", None)
    if cached is not None:
        return await cached()
    return await compute_reach(db, principal)


async def compute_reach(conn: AsyncConnection, principal: Principal) -> Reach:
    """The caller's reach: one recursive query over the org chart for employees, which
    also reads whether the organization's directory is open."""
    admin = is_admin(principal)
    if reads_whole_org(principal):
        return Reach(everyone=True, private=frozenset(), profile=frozenset(), admin=admin)
    me = principal.employee_id
    if me is None or not (principal.has(Scope.EMPLOYEE) or principal.has(Scope.MANAGER)):
        return Reach(everyone=False, private=frozenset(), profile=frozenset())
    rows = (
        await conn.execute(REACH_SQL, {"me": me, "include_below": principal.has(Scope.MANAGER)})
    ).all()
    below = {r.id for r in rows if r.side == "below"}
    above = {r.id for r in rows if r.side == "above"}
    return Reach(
        everyone=False,
        private=frozenset({me, *below}),
        profile=frozenset(above - below),
        directory=not any(r.side == "directory closed" for r in rows),
    )
