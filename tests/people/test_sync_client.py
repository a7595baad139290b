"""The worked HRIS client (examples/hris_sync.py) against the app: a CSV export in, a token
by OAuth client credentials from an OIDC provider, batches synced, a summary and an exit
code out."""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
from fastapi import FastAPI, HTTPException, Request
from rich.console import Console
from sqlalchemy import select

from service.app import create_app
from service.people.models import employees, org_units
from tests.auth.helpers import add_service_account
from tests.conftest import Org

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hris_sync.py"
IDP = "http://idp.test"
HEADER = [
    "Employee ID", "First Name", "Last Name", "Work Email", "Job Title", "Department ID",
    "Department", "Manager ID", "Job Profile", "Hire Date", "Status", "SSO Subject",
]  # fmt: skip


def load_client() -> Any:
    spec = importlib.util.spec_from_file_location("hris_sync_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def identity_provider(org: Org, client_id: str, secret: str) -> FastAPI:
    """A minimal OIDC provider: discovery and a client-credentials token endpoint that
    issues real tokens signed by the dev issuer's key (which careerpath trusts)."""
    idp = FastAPI()

    @idp.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, str]:
        return {"issuer": IDP, "token_endpoint": f"{IDP}/oauth/token"}

    @idp.post("/oauth/token")
    async def token(request: Request) -> dict[str, Any]:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        grant_type, scope = form.get("grant_type"), form.get("scope", "")
        auth = httpx.BasicAuth(client_id, secret)
        expected = next(auth.auth_flow(httpx.Request("POST", IDP))).headers["Authorization"]
        if grant_type != "client_credentials" or request.headers.get("authorization") != expected:
            raise HTTPException(401, "invalid_client")
        issuer = org.runtime.dev_issuer
        assert issuer is not None
        access = issuer.mint(
            client_id, org=org.slug, scopes=scope.split(), extra={"client_id": client_id}
        )
        return {"access_token": access, "token_type": "Bearer", "expires_in": 3600}

    return idp


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)


async def run_client(
    org: Org, argv: list[str], monkeypatch: Any, secret: str = "s3cret"
) -> tuple[int, str]:
    """Run the client against the app and the identity provider; its exit code and output."""
    monkeypatch.setenv("HRIS_CLIENT_SECRET", secret)
    monkeypatch.delenv("CAREERPATH_TOKEN", raising=False)
    app = create_app(runtime=org.runtime)
    mounts = {
        f"{IDP}/": httpx.ASGITransport(app=identity_provider(org, "payroll-sync", "s3cret")),
        "http://careerpath.test/": httpx.ASGITransport(app=app),
    }
    out = io.StringIO()
    async with httpx.AsyncClient(mounts=mounts) as http:
        code = await load_client().main(
            [
                *argv,
                "--url",
                "http://careerpath.test",
                "--issuer",
                IDP,
                "--client-id",
                "payroll-sync",
            ],
            http=http,
            console=Console(file=out, width=120),
        )
    return code, out.getvalue()


ROWS = [
    ["W3", "Cleo", "Report", "cleo@acme.example", "Engineer", "D-ENG", "Engineering", "W2", "", "2022-05-01", "Active", "idp|cleo"],
    ["W2", "Bo", "Lead", "bo@acme.example", "Lead", "D-ENG", "Engineering", "W1", "", "2019-01-10", "Active", ""],
    ["W1", "Ann", "Chief", "ann@acme.example", "CEO", "D-EXE", "Executive", "", "", "2015-03-01", "Active", ""],
    ["W4", "Dee", "Away", "dee@acme.example", "Engineer", "D-ENG", "Engineering", "W2", "", "2021-07-01", "Leave", ""],
]  # fmt: skip


async def test_the_worked_client_syncs_a_csv_export(
    org: Org, tmp_path: Path, monkeypatch: Any
) -> None:
    await add_service_account(org, "payroll-sync", "career:hris")
    export = tmp_path / "people.csv"
    write_csv(export, ROWS)
    code, output = await run_client(org, [str(export), "--batch-size", "2"], monkeypatch)
    assert code == 0, output
    assert "CREATED" in output
    async with org.runtime.db.transaction(org.id) as conn:
        people = {r.external_id: r for r in (await conn.execute(select(employees))).all()}
        units = {r.external_id for r in (await conn.execute(select(org_units))).all()}
    assert units == {"D-ENG", "D-EXE"}
    assert set(people) == {"W1", "W2", "W3", "W4"}
    assert people["W3"].manager_id == people["W2"].id  # listed before their manager in the export
    assert people["W3"].auth_subject == "idp|cleo"
    assert people["W4"].status == "ON_LEAVE"
    # A second run changes nothing; a bad row makes the run fail with a non-zero code.
    code, output = await run_client(org, [str(export)], monkeypatch)
    assert code == 0, output
    assert "UNCHANGED" in output
    write_csv(export, [*ROWS, ["W5", "Eve", "Bad", "not-an-email", "", "", "", "", "", "", "", ""]])
    code, output = await run_client(org, [str(export)], monkeypatch)
    assert code == 1, output
    assert "W5" in output
    assert "not an email" in output


async def test_the_worked_client_stops_without_a_token(
    org: Org, tmp_path: Path, monkeypatch: Any
) -> None:
    export = tmp_path / "people.csv"
    write_csv(export, ROWS)
    code, output = await run_client(org, [str(export)], monkeypatch, secret="wrong")
    assert code == 2
    assert "token endpoint answered 401" in output
