"""Sync people from an HRIS export (CSV) into careerpath — a worked client to adapt.

    python examples/hris_sync.py people.csv \\
        --url https://careerpath.example.com \\
        --issuer https://login.example.com --client-id hris-sync   # secret in HRIS_CLIENT_SECRET

1. gets an access token with OAuth 2.0 client credentials from any OIDC provider (the
   token endpoint comes from the issuer's discovery document, or give ``--token-url``);
2. reads the CSV (columns as in ``COLUMNS`` below: change them to your export's);
3. syncs the departments as org units, then the people in batches (``syncOrgUnits``,
   ``syncEmployees``), each batch with an ``Idempotency-Key`` derived from its content, so a
   retried batch returns the first answer instead of being applied twice;
4. prints a progress bar and a summary, lists every refused record, and exits 1 when any
   record was refused (2 when the run could not start).

It needs ``httpx`` and ``rich``. Only the standard library and those two are used, so
the file can be copied out of this repository as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

#: careerpath field → the column of your export that holds it.
COLUMNS = {
    "externalId": "Employee ID",
    "firstName": "First Name",
    "lastName": "Last Name",
    "email": "Work Email",
    "title": "Job Title",
    "orgUnitExternalId": "Department ID",
    "orgUnitName": "Department",
    "managerExternalId": "Manager ID",
    "roleKey": "Job Profile",
    "hireDate": "Hire Date",
    "status": "Status",
    "authSubject": "SSO Subject",
}
#: Your export's statuses → careerpath's.
STATUSES = {
    "active": "ACTIVE",
    "leave": "ON_LEAVE",
    "on leave": "ON_LEAVE",
    "terminated": "TERMINATED",
}
MAX_BATCH = 1000  # careerpath's limit per call

RESULT = "results { externalId status errors { field message code } } applied userErrors { field message code }"
SYNC_UNITS = f"mutation($i: SyncOrgUnitsInput!) {{ syncOrgUnits(input: $i) {{ {RESULT} }} }}"
SYNC_EMPLOYEES = f"mutation($i: SyncEmployeesInput!) {{ syncEmployees(input: $i) {{ {RESULT} }} }}"


class SyncFailed(Exception):
    """The run cannot go on (no token, a refused call, the server unreachable)."""


def read_csv(path: str) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def to_records(rows: Sequence[dict[str, str]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The org units and employee records of the export's rows."""

    def col(row: dict[str, str], name: str) -> str | None:
        value = (row.get(COLUMNS[name]) or "").strip()
        return value or None

    units: dict[str, dict[str, Any]] = {}
    people = []
    for row in rows:
        unit = col(row, "orgUnitExternalId")
        if unit and unit not in units:
            units[unit] = {"externalId": unit, "name": col(row, "orgUnitName") or unit}
        record = {
            "externalId": col(row, "externalId"),
            "name": " ".join(p for p in (col(row, "firstName"), col(row, "lastName")) if p),
            "email": col(row, "email"),
            "title": col(row, "title"),
            "orgUnitExternalId": unit,
            "managerExternalId": col(row, "managerExternalId"),
            "roleKey": col(row, "roleKey"),
            "hireDate": col(row, "hireDate"),
            "authSubject": col(row, "authSubject"),
        }
        status = col(row, "status")
        if status:
            record["status"] = STATUSES.get(status.lower(), status.upper())
        # Send only what the export has: an empty cell leaves careerpath's value as it is,
        # except the manager, where an empty cell means "reports to no one".
        people.append(
            {k: v for k, v in record.items() if v is not None or k == "managerExternalId"}
        )
    return list(units.values()), managers_first(people)


def managers_first(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """People ordered by depth in the reporting tree, so that when the export spans several
    batches a manager is never in a later batch than their reports (within one batch the
    order does not matter). People in cycles or with unknown managers go last; careerpath
    reports them per record."""
    manager_of = {p["externalId"]: p.get("managerExternalId") for p in people}

    def depth(external_id: str) -> int:
        seen: set[str] = set()
        node, n = manager_of.get(external_id), 0
        while node is not None and node in manager_of and node not in seen:
            seen.add(node)
            node, n = manager_of[node], n + 1
        return n if node is None or node not in manager_of else len(people)

    return sorted(people, key=lambda p: depth(p["externalId"]))


async def get_token(http: httpx.AsyncClient, args: argparse.Namespace) -> str:
    """An access token by OAuth 2.0 client credentials (RFC 6749 §4.4)."""
    if os.environ.get("CAREERPATH_TOKEN"):
        return os.environ["CAREERPATH_TOKEN"]
    token_url = args.token_url
    if token_url is None:
        if not args.issuer:
            raise SyncFailed("give --issuer or --token-url (or a token in CAREERPATH_TOKEN)")
        discovery = await http.get(args.issuer.rstrip("/") + "/.well-known/openid-configuration")
        discovery.raise_for_status()
        token_url = discovery.json()["token_endpoint"]
    form = {"grant_type": "client_credentials", "scope": args.scope}
    if args.audience:
        form["audience"] = args.audience
    secret = os.environ.get("HRIS_CLIENT_SECRET", "")
    response = await http.post(token_url, data=form, auth=(args.client_id, secret))
    if response.status_code != 200:
        raise SyncFailed(f"token endpoint answered {response.status_code}: {response.text[:200]}")
    return str(response.json()["access_token"])


async def call(
    http: httpx.AsyncClient, url: str, token: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """One GraphQL call, retried on network errors and 5xx with the same Idempotency-Key."""
    body = json.dumps({"query": query, "variables": variables}, sort_keys=True)
    key = hashlib.sha256(body.encode()).hexdigest()
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Idempotency-Key": key,
    }
    for attempt in range(4):
        try:
            response = await http.post(url.rstrip("/") + "/graphql", content=body, headers=headers)
        except httpx.TransportError:
            if attempt == 3:
                raise
        else:
            if response.status_code < 500 or attempt == 3:
                break
        await asyncio.sleep(2**attempt)
    if response.status_code != 200:
        raise SyncFailed(f"careerpath answered {response.status_code}: {response.text[:200]}")
    payload = response.json()
    if payload.get("errors"):
        raise SyncFailed(f"careerpath refused the call: {payload['errors'][0]['message']}")
    (result,) = payload["data"].values()
    return result  # type: ignore[no-any-return]


async def run(args: argparse.Namespace, http: httpx.AsyncClient, console: Console) -> int:
    units, people = to_records(read_csv(args.csv))
    if args.mode == "FULL" and len(people) > MAX_BATCH:
        raise SyncFailed(f"a FULL sync must fit one call ({MAX_BATCH} people); use PARTIAL")
    size = len(people) if args.mode == "FULL" else min(args.batch_size, MAX_BATCH)
    token = await get_token(http, args)
    totals: Counter[str] = Counter()
    refused: list[tuple[str, str]] = []
    batches = [("units", units[i : i + MAX_BATCH]) for i in range(0, len(units), MAX_BATCH)]
    batches += [("employees", people[i : i + size]) for i in range(0, len(people), size)]
    with Progress(console=console, transient=not console.is_terminal) as progress:
        task = progress.add_task("Syncing", total=len(units) + len(people))
        for kind, batch in batches:
            if kind == "units":
                variables: dict[str, Any] = {"i": {"units": batch}}
                result = await call(http, args.url, token, SYNC_UNITS, variables)
            else:
                variables = {"i": {"employees": batch, "mode": args.mode, "force": args.force}}
                result = await call(http, args.url, token, SYNC_EMPLOYEES, variables)
            for error in result["userErrors"]:
                refused.append(("(batch)", f"{'.'.join(error['field'] or [])}: {error['message']}"))
            for r in result["results"]:
                totals[r["status"] if result["applied"] else "NOT_APPLIED"] += 1
                for error in r["errors"]:
                    refused.append((r["externalId"], f"{error['field'][-1]}: {error['message']}"))
            progress.advance(task, len(batch))
    table = Table(title="careerpath sync")
    table.add_column("status")
    table.add_column("records", justify="right")
    for status, count in sorted(totals.items()):
        table.add_row(status, str(count))
    console.print(table)
    for external_id, message in refused:
        console.print(f"[red]refused[/red] {external_id}: {message}")
    return 1 if refused else 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Sync an HRIS CSV export into careerpath.")
    parser.add_argument("csv", help="the export, one person per row")
    parser.add_argument("--url", default=os.environ.get("CAREERPATH_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--issuer", help="your identity provider's issuer URL (OIDC discovery)")
    parser.add_argument("--token-url", help="the token endpoint, instead of discovery")
    parser.add_argument("--client-id", default=os.environ.get("HRIS_CLIENT_ID", "hris-sync"))
    parser.add_argument("--scope", default="career:hris")
    parser.add_argument("--audience", help="an `audience` for providers that need one")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--mode", choices=["PARTIAL", "FULL"], default="PARTIAL")
    parser.add_argument("--force", action="store_true", help="let FULL terminate many people")
    return parser.parse_args(argv)


async def main(
    argv: Sequence[str] | None = None,
    http: httpx.AsyncClient | None = None,
    console: Console | None = None,
) -> int:
    args = parse_args(argv)
    console = console or Console()
    try:
        if http is not None:
            return await run(args, http, console)
        async with httpx.AsyncClient(timeout=60) as own:
            return await run(args, own, console)
    except (SyncFailed, httpx.HTTPError, OSError, KeyError) as exc:
        console.print(f"[red]sync failed:[/red] {exc}")
        return 2


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
