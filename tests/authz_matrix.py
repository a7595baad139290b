"""The authorization matrix: what every kind of caller gets from every Query and Mutation field.

``tests/auth/test_authorization_matrix.py`` lists every field of the schema and fails
when one has no entry here, so no field can skip authorization. Each domain keeps its
entries next to its tests, in a module named ``authz.py`` or ``authz_<topic>.py`` in its
test package, as a dict ``AUTHZ`` of ``"Query.field"`` / ``"Mutation.field"`` → ``Entry``::

    # tests/framework/authz.py
    from tests.authz_matrix import ADMIN_ONLY_WRITE, Entry, Op, World, allowed

    async def create_role(w: World) -> Op:
        family = await w.org.run(framework.create_job_family, ...)   # set up what it needs
        return Op("mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id } userErrors { code } } }",
                  {"i": {"familyId": gid("JobFamily", family), "title": "Designer"}})

    AUTHZ = {"Mutation.createRole": Entry(create_role, ADMIN_ONLY_WRITE)}

The same modules name one object of organization A for each ``Node`` type they add, in a
dict ``NODES`` of type name → ``(world) -> global ID`` (it may be async and create the
object); the tenant isolation test fetches each through ``node(id:)`` from organization B.

Two more registries cover paths below the top level. ``RELATIONS``: for every field of the
schema that reaches an employee (``Assessment.assessor``, ``Employee.manager``, …), an
``Entry`` whose outcomes say whom each row sees there and how much (``shows``: everything,
or name, title, org unit and role only). ``PERSON_INPUTS``: for every mutation input
naming a person, how to call it (``PersonInput``), so that an unknown ID and a person the
caller may not see can be shown to answer alike.

Every entry runs once per row, each time in a fresh world (``World``): organization A
with a small org chart, and organization B with an admin. The *subject* is Alice, an
employee of A reporting to Max (manager of the subject); Bob is her peer (another
employee); Mia manages another team (manager not of the subject); Ada is an HR admin;
``hris-sync`` is a service account holding ``career:hris``; B's admin holds every scope.

Every entry states its outcomes twice over: ``expect`` with the organization's directory
open (the default: every employee sees everyone's name, title, org unit, role and manager)
and ``directory_off`` with it closed (``peopleSettings.directoryVisible`` false); an entry
without ``directory_off`` says the field does not depend on the directory. Queries and
relations run in both worlds (A's directory open in one, closed in the other);
mutations, authorized by scope and reach alone, in the open one.

Outcomes: ``UNAUTHENTICATED`` (401), ``FORBIDDEN`` (a FORBIDDEN error and no data),
``HIDDEN`` (no error and nothing of the subject in the response: exactly as if it did not
exist), ``allowed(check)`` (no error; for mutations, no userErrors and a write). On top of
the outcome, every row is checked for: no 500; for the other organization, nothing of A
anywhere in the response; for mutations that are not allowed, nothing written in A.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from service.audit.models import audit_events
from service.graphql.ids import encode_id


class Row(StrEnum):
    """The kinds of caller every field is tried with."""

    ANONYMOUS = "anonymous"
    SELF = "employee self"
    OTHER_EMPLOYEE = "another employee"
    MANAGER_OF = "manager of the subject"
    MANAGER_NOT_OF = "manager not of the subject"
    ADMIN = "admin"
    SERVICE_ACCOUNT = "service account"
    OTHER_ORG = "another organization"


#: Who each row is: (organization, person key, scopes); the service account is special.
CALLERS: dict[Row, tuple[str, str, str]] = {
    Row.SELF: ("org", "alice", "career:employee"),
    Row.OTHER_EMPLOYEE: ("org", "bob", "career:employee"),
    Row.MANAGER_OF: ("org", "manager", "career:employee career:manager"),
    Row.MANAGER_NOT_OF: ("org", "manager2", "career:employee career:manager"),
    Row.ADMIN: ("org", "admin", "career:employee career:admin"),
    Row.OTHER_ORG: (
        "other",
        "admin",
        "career:employee career:manager career:admin career:hris career:webhooks",
    ),
}
SERVICE_ACCOUNT_CLIENT_ID = "hris-sync"
SERVICE_ACCOUNT_SCOPES = "career:hris"


@dataclass
class Op:
    """A GraphQL operation to send."""

    query: str
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    """The organizations an entry runs against; see the module docstring."""

    org: Any  # tests.conftest.Org: A, with the people of the ``team`` fixture
    other: Any  # tests.conftest.Org: B, with an admin
    unit: Any  # an org unit of A; Alice belongs to it
    service_account: Any  # A's service account row (client ``hris-sync``, ``career:hris``)

    @property
    def subject(self) -> Any:
        """Alice's employee row."""
        return self.org.people["alice"]

    def gid(self, type_name: str, row: Any) -> str:
        return encode_id(type_name, row.id)

    def token(self, row: Row) -> str | None:
        """A real signed token for the row's caller; None for anonymous."""
        if row is Row.ANONYMOUS:
            return None
        if row is Row.SERVICE_ACCOUNT:
            issuer = self.org.runtime.dev_issuer
            return str(
                issuer.mint(
                    SERVICE_ACCOUNT_CLIENT_ID,
                    org=self.org.slug,
                    scopes=SERVICE_ACCOUNT_SCOPES.split(),
                    extra={"client_id": SERVICE_ACCOUNT_CLIENT_ID},
                )
            )
        which, key, scopes = CALLERS[row]
        return str(getattr(self, which).token(key, scopes))

    def email_of(self, row: Row) -> str | None:
        """The email of the row's caller (None for anonymous and the service account)."""
        if row not in CALLERS:
            return None
        which, key, _ = CALLERS[row]
        return str(getattr(self, which).people[key].email)

    def markers(self, type_name: str, row: Any) -> set[str]:
        """Strings that would give away ``row``: its global ID, and its email or name."""
        found = {self.gid(type_name, row)}
        for attr in ("email", "client_id"):
            if getattr(row, attr, None):
                found.add(str(getattr(row, attr)))
        if type_name == "OrgUnit":
            found.add(row.name)
        return found

    def subject_markers(self) -> set[str]:
        return self.markers("Employee", self.subject)

    def org_markers(self) -> set[str]:
        """Strings that would give away anything of organization A."""
        found = {str(self.org.id), self.org.slug}
        for person in self.org.people.values():
            found |= self.markers("Employee", person)
        found |= self.markers("OrgUnit", self.unit)
        found |= self.markers("ServiceAccount", self.service_account)
        return found

    async def audit_count(self) -> int:
        """How many audit events organization A has: every write leaves one."""
        async with self.org.runtime.db.transaction(self.org.id) as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(audit_events))).scalar_one()
            )


@dataclass(frozen=True)
class Result:
    """One response, with what the checks need."""

    response: httpx.Response
    body: dict[str, Any]
    field: str  # the GraphQL field name, e.g. ``employee``
    world: World
    row: Row

    @property
    def value(self) -> Any:
        data = self.body.get("data")
        return None if data is None else data.get(self.field)

    @property
    def codes(self) -> list[str | None]:
        return [(e.get("extensions") or {}).get("code") for e in self.body.get("errors") or []]

    def assert_hides(self, markers: set[str]) -> None:
        text = self.response.text
        leaked = sorted(m for m in markers if m in text)
        assert not leaked, f"{self.row}: response gives away {leaked}: {text[:500]}"


Check = Callable[[Result], None]


class Outcome:
    """What a row must get from a field."""

    #: Whether the operation, when it is a mutation, writes to organization A.
    writes = False

    def check(self, result: Result, subject: set[str]) -> None:
        raise NotImplementedError


class _Unauthenticated(Outcome):
    def __repr__(self) -> str:
        return "UNAUTHENTICATED"

    def check(self, result: Result, subject: set[str]) -> None:
        assert result.response.status_code == 401, result.response.text
        assert set(result.codes) == {"UNAUTHENTICATED"}, result.body
        assert result.value is None
        result.assert_hides(subject)


class _Forbidden(Outcome):
    def __repr__(self) -> str:
        return "FORBIDDEN"

    def check(self, result: Result, subject: set[str]) -> None:
        assert result.response.status_code == 200, result.response.text
        assert "FORBIDDEN" in result.codes, result.body
        assert result.value is None, result.body
        result.assert_hides(subject)


class _Hidden(Outcome):
    def __repr__(self) -> str:
        return "HIDDEN"

    def check(self, result: Result, subject: set[str]) -> None:
        assert result.response.status_code == 200, result.response.text
        assert not result.codes, result.body
        result.assert_hides(subject)


@dataclass(frozen=True)
class Allowed(Outcome):
    """No error; for mutations no userErrors, a result and a write; then ``extra``."""

    extra: Check | None = None
    writes: bool = True

    def check(self, result: Result, subject: set[str]) -> None:
        assert result.response.status_code == 200, result.response.text
        assert not result.codes, result.body
        assert result.value is not None, result.body
        if isinstance(result.value, dict) and "userErrors" in result.value:
            assert result.value["userErrors"] == [], result.body
        if self.extra is not None:
            self.extra(result)


UNAUTHENTICATED: Outcome = _Unauthenticated()
FORBIDDEN: Outcome = _Forbidden()
HIDDEN: Outcome = _Hidden()


def allowed(extra: Check | None = None) -> Outcome:
    """The row gets what it asked for; ``extra`` checks more of the result."""
    return Allowed(extra)


def shows_subject(result: Result) -> None:
    """The response includes the subject's global ID."""
    gid = result.world.gid("Employee", result.world.subject)
    assert gid in result.response.text, f"{result.row}: subject missing: {result.body}"


SHOWS_SUBJECT = allowed(shows_subject)

#: Reading the subject's record: self, their managers, admins and HRIS see it.
SUBJECT_READ: dict[Row, Outcome] = {
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.SELF: SHOWS_SUBJECT,
    Row.OTHER_EMPLOYEE: HIDDEN,
    Row.MANAGER_OF: SHOWS_SUBJECT,
    Row.MANAGER_NOT_OF: HIDDEN,
    Row.ADMIN: SHOWS_SUBJECT,
    Row.SERVICE_ACCOUNT: SHOWS_SUBJECT,
    Row.OTHER_ORG: HIDDEN,
}
#: Writes reserved to HR admins and HRIS integrations (org chart and people).
PEOPLE_WRITE: dict[Row, Outcome] = {
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.SELF: FORBIDDEN,
    Row.OTHER_EMPLOYEE: FORBIDDEN,
    Row.MANAGER_OF: FORBIDDEN,
    Row.MANAGER_NOT_OF: FORBIDDEN,
    Row.ADMIN: allowed(),
    Row.SERVICE_ACCOUNT: allowed(),
    Row.OTHER_ORG: HIDDEN,
}
#: Writes reserved to HR admins.
ADMIN_ONLY_WRITE: dict[Row, Outcome] = {**PEOPLE_WRITE, Row.SERVICE_ACCOUNT: FORBIDDEN}


#: Reads reserved to HR admins; ``admin_sees`` checks what the admin gets.
def admin_only_read(admin_sees: Check | None = None) -> dict[Row, Outcome]:
    return {
        Row.ANONYMOUS: UNAUTHENTICATED,
        Row.SELF: FORBIDDEN,
        Row.OTHER_EMPLOYEE: FORBIDDEN,
        Row.MANAGER_OF: FORBIDDEN,
        Row.MANAGER_NOT_OF: FORBIDDEN,
        Row.ADMIN: Allowed(admin_sees, writes=False),
        Row.SERVICE_ACCOUNT: FORBIDDEN,
        Row.OTHER_ORG: HIDDEN,
    }


OpBuilder = Callable[[World], "Op | Awaitable[Op]"]


@dataclass(frozen=True)
class Entry:
    """How to call one field, and what each row must get.

    ``op`` builds the operation (it may first create what it needs in ``world.org``);
    ``expect`` has an outcome for every ``Row``; ``subject`` gives the strings that must not
    appear in responses of rows that may not see the object (default: Alice's).
    """

    op: OpBuilder
    expect: Mapping[Row, Outcome]
    subject: Callable[[World], set[str]] = World.subject_markers
    #: The outcomes with the directory closed; None: the same as with it open.
    directory_off: Mapping[Row, Outcome] | None = None

    def outcomes(self, directory_open: bool) -> Mapping[Row, Outcome]:
        """What each row gets with the directory open or closed."""
        if directory_open or self.directory_off is None:
            return self.expect
        return self.directory_off

    async def build(self, world: World) -> Op:
        op = self.op(world)
        return await op if inspect.isawaitable(op) else op


#: Builds the global ID of one object of organization A, of a given ``Node`` type.
NodeSample = Callable[[World], "str | Awaitable[str]"]


def _modules() -> list[Any]:
    root = Path(__file__).parent
    found = []
    for module_info in pkgutil.walk_packages([str(root)], prefix="tests."):
        name = module_info.name.rsplit(".", 1)[-1]
        if name == "authz" or (name.startswith("authz_") and name != "authz_matrix"):
            found.append(importlib.import_module(module_info.name))
    return found


def _merged(attribute: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for module in _modules():
        for key, value in getattr(module, attribute, {}).items():
            if key in merged:
                raise ValueError(f"{key} is in {attribute} of two modules ({module.__name__})")
            merged[key] = value
    return merged


def collect() -> dict[str, Entry]:
    """Every ``AUTHZ`` entry of the test packages' ``authz.py`` / ``authz_*.py`` modules."""
    return _merged("AUTHZ")


def collect_nodes() -> dict[str, NodeSample]:
    """Every ``NODES`` sample (``Node`` type name → an object of A) of the same modules.

    ``tests/auth/test_tenant_isolation.py`` fetches each with ``node(id:)`` from the
    other organization, and fails for a ``Node`` type without a sample.
    """
    return _merged("NODES")


#: Builds a mutation with a person's global ID in one input, everything else valid.
PersonOp = Callable[[World, str], "Op | Awaitable[Op]"]


@dataclass(frozen=True)
class PersonInput:
    """A mutation input naming a person, for ``tests/auth/test_person_ids.py``: the
    mutation must answer an ID that names no one and a person the caller may not see
    identically (code, message, field), and write nothing for either.

    ``variants`` each build the mutation with a given person; ``colleagues`` marks inputs
    where any active colleague is a fair target whoever the caller sees (a peer to
    invite), so only people who left stand for "may not see" there.
    """

    variants: tuple[PersonOp, ...]
    colleagues: bool = False


def person_in(build: OpBuilder, **changes: Any) -> PersonOp:
    """A ``PersonOp`` from an entry's ``build``: the operation's ``input`` with the
    fields ``changes`` names set, ``PERSON`` standing for the person's global ID (a list
    ``[PERSON]`` for a list of people)."""

    async def make(world: World, person: str) -> Op:
        op = build(world)
        op = await op if inspect.isawaitable(op) else op
        values = {
            k: person if v is PERSON else [person] if v == [PERSON] else v
            for k, v in changes.items()
        }
        return Op(op.query, {**op.variables, "i": {**op.variables["i"], **values}})

    return make


#: Stands for the person's global ID in ``person_in``.
PERSON: Any = object()


def collect_person_inputs() -> dict[str, PersonInput]:
    """Every ``PERSON_INPUTS`` entry (``"Mutation.field input.path"`` → ``PersonInput``)
    of the test packages' ``authz.py`` / ``authz_*.py`` modules."""
    return _merged("PERSON_INPUTS")


# --- people shown through a relation ----------------------------------------------------

#: Fields of an employee beyond name, title, org unit and role: only for those who see the
#: person's record (``policies.sees_details``), whatever path reaches them.
DETAIL_FIELDS = ("email", "location", "status", "version", "createdAt", "updatedAt")
#: What relation entries select on every person they reach.
PERSON_FIELDS = "id name title orgUnit { name } role { title } " + " ".join(DETAIL_FIELDS)


class View(StrEnum):
    """How much of a person a caller sees."""

    FULL = "full"  # every field
    NAMED = "named"  # name, title, org unit and role; FORBIDDEN for the rest


DataPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Shows(Outcome):
    """The person ``people[path] = (key, view)`` of organization A at each path of the
    response data, as much as the view allows; no error but a FORBIDDEN for each detail
    field of each person seen by name only, and their email nowhere in the response."""

    people: Mapping[DataPath, tuple[str, View]]

    def __repr__(self) -> str:
        return f"Shows({dict(self.people)})"

    def check(self, result: Result, subject: set[str]) -> None:
        assert result.response.status_code == 200, result.response.text
        data = result.body.get("data")
        expected_errors: set[DataPath] = set()
        for path, (key, view) in self.people.items():
            person = result.world.org.people[key]
            found: Any = data
            for step in path:
                found = found[step] if found is not None else None
            assert found is not None, f"{result.row}: nobody at {path}: {result.body}"
            assert found["name"] == person.name, (path, found)
            if view is View.FULL:
                assert found["email"] == person.email, (path, found)
            else:
                assert all(found[f] is None for f in DETAIL_FIELDS), (path, found)
                assert person.email not in result.response.text, (path, result.body)
                expected_errors |= {(*path, f) for f in DETAIL_FIELDS}
        errors = result.body.get("errors") or []
        assert {(e.get("extensions") or {}).get("code") for e in errors} <= {"FORBIDDEN"}
        assert {tuple(e["path"]) for e in errors} == expected_errors, result.body


@dataclass(frozen=True)
class SeesSubject(Outcome):
    """The subject is in the response, with every field (``View.FULL``: her email too) or
    by name only (``View.NAMED``: her email nowhere); other people may be there too, and
    the only errors are FORBIDDEN for detail fields of people seen by name."""

    view: View

    def __repr__(self) -> str:
        return f"SeesSubject({self.view})"

    def check(self, result: Result, subject: set[str]) -> None:
        assert result.response.status_code == 200, result.response.text
        text = result.response.text
        alice = result.world.subject
        assert result.world.gid("Employee", alice) in text, f"{result.row}: {result.body}"
        assert (alice.email in text) == (self.view is View.FULL), (result.row, result.body)
        for error in result.body.get("errors") or []:
            assert (error.get("extensions") or {}).get("code") == "FORBIDDEN", result.body
            assert error["path"][-1] in DETAIL_FIELDS, result.body


def shows(people: Mapping[str, tuple[str, View]]) -> Outcome:
    """``Shows`` with paths written as ``"node.assessor"`` / ``"employees.0"``."""
    return Shows(
        {
            tuple(int(s) if s.isdigit() else s for s in path.split(".")): v
            for path, v in people.items()
        }
    )


def collect_relations() -> dict[str, Entry]:
    """Every ``RELATIONS`` entry (``"Type.field"`` of a field reaching an employee →
    ``Entry``) of the test packages' ``authz.py`` / ``authz_*.py`` modules: how a field
    reaching people shows them to each kind of caller."""
    return _merged("RELATIONS")


def assert_entries_match(found: set[str], entries: Mapping[str, Any], registry: str) -> None:
    """``entries`` (a merged registry) has an entry for each key ``found`` in the schema,
    none for keys the schema does not have, and an outcome for every row in each."""
    missing = sorted(found - entries.keys())
    assert not missing, (
        f"no {registry} entry for {missing}; add them to your domain's "
        "tests/<domain>/authz.py (see tests/authz_matrix.py)"
    )
    unknown = sorted(entries.keys() - found)
    assert not unknown, f"{registry} entries for what the schema does not have: {unknown}"
    for key, entry in entries.items():
        if isinstance(entry, Entry):
            absent = [row.value for row in Row if row not in entry.expect]
            assert not absent, f"{key} has no outcome for {absent}"
