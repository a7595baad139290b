"""Every mutation input naming another person answers an ID that names no one and a person
the caller may not see identically: same errors (code, message, path), same userErrors
(code, message, field), nothing written. Otherwise a mutation is an oracle for who exists,
who has left and who is where.

The inputs are found by scanning the schema: ID inputs whose name names a person
(``subjectId``, ``peerId``, ``managerId``, ``employeeIds``, … and ``id`` of an input about
an employee). Each needs a ``PERSON_INPUTS`` entry in its domain's ``authz.py`` (see
``tests/authz_matrix.PersonInput``). "May not see" is computed from the caller's reach;
callers who see everyone (HR admins, HRIS) have no one to hide, and for another
organization everyone of this one is unknown.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

import httpx
import pytest
from graphql import GraphQLInputObjectType, get_named_type

from service.app import Runtime
from service.auth.policies import compute_reach
from service.auth.principal import ActorType, Principal
from service.graphql.ids import encode_id
from service.graphql.schema import schema
from service.people import service as people
from tests.auth.helpers import build_world
from tests.authz_matrix import (
    CALLERS,
    Op,
    Row,
    World,
    assert_entries_match,
    collect_person_inputs,
)

ENTRIES = collect_person_inputs()

#: Words that make an ID input name a person.
PERSON_WORDS = (
    "employee",
    "subject",
    "peer",
    "assessor",
    "manager",
    "person",
    "people",
    "proposer",
    "approver",
    "decider",
    "candidate",
    "successor",
    "member",
    "owner",
    "inviter",
    "reviewer",
    "mentor",
    "grantee",
    "incumbent",
    "user",
)


def _names_person(field: str, owner: str) -> bool:
    if field in ("id", "ids"):
        return "Employee" in owner
    stem = re.sub(r"Ids?$", "", field)
    return stem != field and any(word in stem.lower() for word in PERSON_WORDS)


def _walk(gql_type: Any, path: tuple[str, ...], owner: str, key: str, found: set[str]) -> None:
    named = get_named_type(gql_type)
    if isinstance(named, GraphQLInputObjectType):
        for name, field in named.fields.items():
            _walk(field.type, (*path, name), named.name, key, found)
    elif named.name == "ID" and _names_person(path[-1], owner):
        found.add(f"{key} {'.'.join(path)}")


def person_inputs() -> set[str]:
    """``"Mutation.field input.path"`` of every ID input of a mutation naming a person."""
    found: set[str] = set()
    mutation = schema._schema.mutation_type
    assert mutation is not None
    for name, field in mutation.fields.items():
        for arg_name, arg in field.args.items():
            _walk(arg.type, (arg_name,), "", f"Mutation.{name}", found)
    return found


def test_every_input_naming_a_person_has_an_entry() -> None:
    found = person_inputs()
    assert "Mutation.invitePeerAssessor input.peerId" in found  # the scan finds them
    assert_entries_match(found, ENTRIES, "PERSON_INPUTS")


@pytest.fixture(scope="module")
async def shared_world(runtime: Runtime, client: httpx.AsyncClient) -> World:
    """The matrix's world, with Lee, who worked for Mia and has left."""
    w = await build_world(runtime, client)
    leaver = await w.org.run(
        people.create_employee,
        people.EmployeeInput(
            email=f"lee@{w.org.slug}.example",
            name="Lee Leaver",
            auth_subject=f"sub-lee-{w.org.slug}",
            manager_id=w.org.people["manager2"].id,
        ),
    )
    w.org.people["leaver"] = await w.org.run(
        people.terminate_employee, leaver.id, dt.date(2026, 1, 31), "moved on", None
    )
    return w


async def hidden_people(w: World, row: Row, colleagues: bool) -> list[Any]:
    """People of organization A the row's caller may not see: one working here (unless any
    colleague is a fair target) and one who left, where there are such people."""
    everyone = list(w.org.people.values())
    if row in (Row.ANONYMOUS, Row.OTHER_ORG):
        hidden = everyone
    elif row not in CALLERS:
        return []  # the HRIS service account sees everyone
    else:
        _, key, scopes = CALLERS[row]
        principal = Principal(
            org_id=w.org.id,
            subject=w.org.people[key].auth_subject,
            scopes=frozenset(scopes.split()),
            actor_type=ActorType.EMPLOYEE,
            employee_id=w.org.people[key].id,
        )
        async with w.org.runtime.db.transaction(w.org.id) as conn:
            reach = await compute_reach(conn, principal)
        hidden = [p for p in everyone if not reach.sees_profile(p.id)]
    working = [p for p in hidden if p.status != "TERMINATED"][:1]
    left = [p for p in hidden if p.status == "TERMINATED"][:1]
    return left if colleagues else working + left


#: Where the person goes in an operation built once per input (``BUILT``).
SLOT = "person-slot"
BUILT: dict[tuple[str, int], Op] = {}

CASES = [(key, row) for key in sorted(ENTRIES) for row in Row]


@pytest.mark.parametrize(("key", "row"), CASES, ids=[f"{k}-{r.name}" for k, r in CASES])
async def test_an_unknown_id_and_a_hidden_person_answer_alike(
    shared_world: World, key: str, row: Row
) -> None:
    w = shared_world
    entry = ENTRIES[key]
    hidden = await hidden_people(w, row, entry.colleagues)
    if not hidden:
        pytest.skip(f"no one is hidden from {row}")
    token = w.token(row)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    unknown = encode_id("Employee", uuid.uuid4())
    for i, variant in enumerate(entry.variants):
        if (key, i) not in BUILT:  # built once: building may create framework objects
            BUILT[key, i] = await variant(w, SLOT)
        built = BUILT[key, i]
        answers = []
        for person in [unknown, *(w.gid("Employee", p) for p in hidden)]:
            op = Op(built.query, json.loads(json.dumps(built.variables).replace(SLOT, person)))
            before = await w.audit_count()
            response = await w.org.client.post(
                "/graphql", json={"query": op.query, "variables": op.variables}, headers=headers
            )
            assert response.status_code != 500, response.text
            assert await w.audit_count() == before, f"{key} as {row} wrote: {response.text}"
            answers.append((response.status_code, response.json()))
        assert all(a == answers[0] for a in answers), (key, row, answers)
