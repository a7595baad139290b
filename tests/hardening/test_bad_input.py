"""Bad input is BAD_USER_INPUT before any SQL runs, never an internal error, and never
echoes SQL or its parameters."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.conftest import ALL_SCOPES, Org


def cursor(position: str) -> str:
    return base64.urlsafe_b64encode(f"cursor:{position}".encode()).decode()


CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("NUL in a literal", '{ role(key: "a\\u0000b") { key } }', {}),
    ("NUL in a variable", "query($k: String!) { role(key: $k) { key } }", {"k": "a\x00b"}),
    (
        "NUL in a nested input",
        "query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount } }",
        {"f": {"action": "employee.\x00update"}},
    ),
    (
        "NUL in a search",
        "query($f: EmployeeFilter) { employees(filter: $f) { totalCount } }",
        {"f": {"search": "\x00"}},
    ),
    (
        "a cursor past 64 bits",
        f'{{ employees(first: 1, after: "{cursor("9223372036854775807")}") {{ nodes {{ id }} }} }}',
        {},
    ),
    (
        "a cursor of 30 digits",
        f'{{ employees(before: "{cursor("9" * 30)}", last: 2) {{ nodes {{ id }} }} }}',
        {},
    ),
    ("a cursor of no digits", f'{{ employees(after: "{cursor("½")}") {{ totalCount }} }}', {}),
    (
        "a time before year 1 in UTC",
        "query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount } }",
        {"f": {"since": "0001-01-01T00:00:00+05:00"}},
    ),
    (
        "a time after year 9999 in UTC",
        "query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount } }",
        {"f": {"until": "9999-12-31T23:59:59-05:00"}},
    ),
    (
        "a malformed time",
        "query($f: AuditEventFilter) { auditEvents(filter: $f) { totalCount } }",
        {"f": {"since": "yesterday"}},
    ),
    (
        "a malformed time literal",
        '{ auditEvents(filter: {since: "99999-01-01T00:00:00"}) { totalCount } }',
        {},
    ),
]


@pytest.mark.parametrize(("case", "query", "variables"), CASES, ids=[c[0] for c in CASES])
async def test_bad_input_is_refused_as_bad_user_input(
    team: Org, case: str, query: str, variables: dict[str, Any]
) -> None:
    body = await team.gql(query, variables, as_="admin", scopes=ALL_SCOPES)
    codes = [e["extensions"]["code"] for e in body.get("errors", [])]
    assert codes, body
    assert set(codes) == {"BAD_USER_INPUT"}, body
    text = str(body)
    # Refused while checking the request, not by PostgreSQL (whose refusal of a value
    # the checks missed has this generic message).
    assert "out of range or malformed" not in text
    assert "SQL" not in text
    assert "select" not in text.lower()


async def test_an_unpaired_surrogate_is_refused(team: Org) -> None:
    response = await team.client.post(
        "/graphql",
        content=b'{"query": "query($k: String!) { role(key: $k) { key } }", '
        b'"variables": {"k": "a\\ud800b"}}',
        headers={
            "Authorization": f"Bearer {team.token('alice')}",
            "Content-Type": "application/json",
        },
    )
    # Not even JSON: refused with 400 before GraphQL runs.
    assert response.status_code == 400, response.text


async def test_an_infinite_float_literal_is_refused(team: Org) -> None:
    body = await team.gql(
        'mutation { setRoleExpectations(input: {roleId: "x", expectations: '
        '[{competencyId: "y", requiredLevel: 1, weight: 1e400}]}) { userErrors { code } } }',
        as_="admin",
        scopes=ALL_SCOPES,
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"], body


async def test_a_bad_argument_leaves_no_aborted_transaction_behind(team: Org) -> None:
    # Refused before execution: the request's transaction never sees the value.
    bad = await team.gql(
        "query($k: String!) { role(key: $k) { key } me { name } }",
        {"k": "\x00"},
        as_="alice",
    )
    assert bad["data"] is None
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    fine = await team.gql('{ role(key: "none") { key } me { name } }', as_="alice")
    assert fine == {"data": {"role": None, "me": {"name": "Alice Anders"}}}
