"""The ``careerpath`` command line."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from service.config import Environment, Settings, get_settings

app = typer.Typer(
    help="careerpath: a headless career-pathing service (GraphQL API, CLI and webhooks).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
SERVED_URL_FILE = "public-url"


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one line on stderr; raise the returned exit."""
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code)


@dataclass(frozen=True)
class DatabaseTarget:
    owner_url: str
    app_url: str
    embedded: bool


def database_target(settings: Settings, *, keep_running: bool = False) -> DatabaseTarget:
    """The configured PostgreSQL, or the embedded one (started here) when none is."""
    from service.db import DATABASE_NAME, EmbeddedPostgresError, provision, start_embedded

    if settings.database_url:
        owner = settings.migration_database_url or settings.database_url
        return DatabaseTarget(owner, settings.database_url, embedded=False)
    try:
        admin_url = start_embedded(settings.data_dir, keep_running=keep_running)
    except EmbeddedPostgresError as exc:
        raise fail(str(exc)) from None
    provisioned = asyncio.run(provision(admin_url, DATABASE_NAME))
    return DatabaseTarget(provisioned.owner_url, provisioned.app_url, embedded=True)


def _data_dir(settings: Settings) -> Path:
    from service.db import EmbeddedPostgresError, ensure_writable

    try:
        return ensure_writable(settings.data_dir)
    except EmbeddedPostgresError as exc:
        raise fail(str(exc)) from None


def _app_role(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    return make_url(url).username


def run_migrations(target: DatabaseTarget) -> None:
    from service.db import migrate

    migrate(target.owner_url, app_role=_app_role(target.app_url))


def parse_ttl(value: str) -> dt.timedelta:
    match = re.fullmatch(r"(\d+)([smhd])", value.strip())
    if not match:
        raise typer.BadParameter("use a number and a unit, e.g. 30m, 1h, 7d")
    n, unit = int(match[1]), match[2]
    return dt.timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: n})


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise fail(f"cannot listen on {host}:{port}: {exc.strerror}") from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Load the demo organization and print tokens.")
    ] = False,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
) -> None:
    """Serve the API. Without CAREERPATH_DATABASE_URL, on an embedded PostgreSQL."""
    import uvicorn

    settings = get_settings()
    _check_port_free(host, port)
    if "CAREERPATH_PUBLIC_URL" not in os.environ:
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host  # noqa: S104
        settings = settings.model_copy(update={"public_url": f"http://{shown}:{port}"})
        # `careerpath token` mints for the issuer the server last announced.
        (_data_dir(settings) / SERVED_URL_FILE).write_text(settings.public_url)
    target = database_target(settings)
    run_migrations(target)
    if demo:
        _load_demo_and_print_tokens(settings, target)
    # Workers (and the reloader's child) read their settings from the environment.
    os.environ["CAREERPATH_DATABASE_URL"] = target.app_url
    os.environ["CAREERPATH_PUBLIC_URL"] = settings.public_url
    os.environ.setdefault("CAREERPATH_ENV", settings.env.value)
    get_settings.cache_clear()
    console.print(f"careerpath is serving on {settings.public_url}/graphql", highlight=False)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM and then re-raises the signal with the
    # handlers found at start; these make that a normal exit, so the embedded PostgreSQL is
    # stopped by its exit hook.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _exit_quietly)
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        workers=None if reload else workers,
        loop="uvloop",
        http="httptools",
        log_level="info" if settings.env == Environment.DEV else "warning",
        access_log=settings.env == Environment.DEV,
    )


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _load_demo_and_print_tokens(settings: Settings, target: DatabaseTarget) -> None:
    from service.auth.dev_issuer import DevIssuer
    from service.db import Database
    from service.demo.load import DEMO_SLUG, demo_subject, load_demo
    from service.demo.people import PERSONAS

    async def load() -> bool:
        db = Database(target.app_url, pool_size=1)
        try:
            return (await load_demo(db)).created
        finally:
            await db.dispose()

    created = asyncio.run(load())
    console.print("Demo organization " + ("loaded." if created else "already present."))
    if settings.auth.issuer is not None:
        console.print("Tokens come from your identity provider (CAREERPATH_AUTH__ISSUER is set).")
        return
    issuer = DevIssuer.load_or_create(
        settings.data_dir,
        settings.public_url,
        settings.auth.audience,
        org_claim=settings.auth.org_claim,
    )
    tokens = {}
    for persona, (key, scopes) in PERSONAS.items():
        tokens[persona] = issuer.mint(
            demo_subject(key), org=DEMO_SLUG, scopes=scopes.split(), ttl=dt.timedelta(hours=12)
        )
        print(f"{persona} token ({scopes}): {tokens[persona]}")
    print()
    print("Try it:")
    print(
        f"  curl -s {settings.public_url}/graphql -H 'Content-Type: application/json' "
        f"-H 'Authorization: Bearer {tokens['employee']}' "
        '-d \'{"query": "{ me { id name title manager { name } } }"}\''
    )
    print()
    sys.stdout.flush()


@app.command()
def migrate(
    revision: Annotated[
        str, typer.Argument(help="Target revision: head, base, or -1 to step back.")
    ] = "head",
) -> None:
    """Bring the database schema to a revision (runs as the owner role)."""
    target = database_target(get_settings())
    from service.db import migrate as run

    run(target.owner_url, revision, app_role=_app_role(target.app_url))
    console.print(f"Database at {revision}.")


@app.command()
def demo() -> None:
    """Load the demo organization (if missing) without serving."""
    settings = get_settings()
    target = database_target(settings)
    run_migrations(target)
    _load_demo_and_print_tokens(settings, target)


@app.command()
def token(
    employee: Annotated[str, typer.Option(help="Email of the employee the token is for.")],
    scope: Annotated[
        str, typer.Option(help="Space-separated scopes, e.g. 'career:employee career:manager'.")
    ] = "career:employee",
    org: Annotated[
        str | None, typer.Option(help="Organization slug (default: the only one).")
    ] = None,
    ttl: Annotated[str, typer.Option(help="Lifetime, e.g. 30m, 1h, 7d.")] = "1h",
) -> None:
    """Print a token from the dev issuer for an employee (dev mode only)."""
    from service.auth.dev_issuer import DevIssuer

    settings = get_settings()
    if settings.is_production or settings.auth.issuer is not None:
        raise fail("the dev issuer is off: tokens come from your identity provider")
    served = settings.data_dir / SERVED_URL_FILE
    if "CAREERPATH_PUBLIC_URL" not in os.environ and served.exists():
        settings = settings.model_copy(update={"public_url": served.read_text().strip()})
    lifetime = parse_ttl(ttl)
    target = database_target(settings)
    run_migrations(target)
    subject, slug = asyncio.run(_find_subject(target.owner_url, employee, org))
    issuer = DevIssuer.load_or_create(
        settings.data_dir,
        settings.public_url,
        settings.auth.audience,
        org_claim=settings.auth.org_claim,
    )
    print(issuer.mint(subject, org=slug, scopes=scope.split(), ttl=lifetime))


async def _find_subject(url: str, email: str, org: str | None) -> tuple[str, str]:
    from sqlalchemy import func, select

    from service.db import Database
    from service.people.models import employees, organizations

    db = Database(url, pool_size=1)
    try:
        async with db.transaction(None) as conn:
            orgs = (await conn.execute(select(organizations.c.id, organizations.c.slug))).all()
            chosen = [o for o in orgs if org is None or o.slug == org]
            if not chosen:
                raise fail(
                    f"no organization {org!r}"
                    if org
                    else "no organization yet; try `careerpath demo`"
                )
            if len(chosen) > 1:
                raise fail("several organizations exist; name one with --org")
            from service.db import set_tenant

            await set_tenant(conn, chosen[0].id)
            row = (
                await conn.execute(
                    select(employees.c.auth_subject).where(
                        func.lower(employees.c.email) == email.lower(),
                        employees.c.org_id == chosen[0].id,
                    )
                )
            ).first()
    finally:
        await db.dispose()
    if row is None:
        raise fail(f"no employee with email {email!r} in {chosen[0].slug}")
    if not row.auth_subject:
        raise fail(f"{email} has no authSubject; set one with updateEmployee first")
    return row.auth_subject, chosen[0].slug


org_app = typer.Typer(help="Manage organizations (tenants).", no_args_is_help=True)
app.add_typer(org_app, name="org")


@org_app.command("create")
def org_create(
    slug: Annotated[str, typer.Argument(help="Short name used in tokens' org claim, e.g. acme.")],
    name: Annotated[str, typer.Argument(help="Display name.")],
) -> None:
    """Register an organization."""
    from service.db import ConnectionExecutor, Database
    from service.errors import UserInputError
    from service.people.service import create_organization

    target = database_target(get_settings())
    run_migrations(target)

    async def create() -> object:
        db = Database(target.owner_url, pool_size=1)
        try:
            async with db.transaction(None) as conn:
                return await create_organization(ConnectionExecutor(conn), slug, name)
        finally:
            await db.dispose()

    try:
        org_id = asyncio.run(create())
    except UserInputError as exc:
        raise fail(str(exc)) from None
    console.print(f"Organization {slug} created: {org_id}")


framework_app = typer.Typer(
    help="Import and export the career framework as a framework document "
    "(docs/framework-format.md).",
    no_args_is_help=True,
)
app.add_typer(framework_app, name="framework")


async def _in_org(url: str, org: str | None, work: object) -> object:
    """Run ``work(executor, principal)`` in one transaction of the organization ``org``
    (or the only one), as the system acting as an HR admin."""
    from sqlalchemy import select

    from service.auth.principal import system_principal
    from service.db import ConnectionExecutor, Database, set_tenant
    from service.people.models import organizations

    db = Database(url, pool_size=1)
    try:
        async with db.transaction(None) as conn:
            orgs = (await conn.execute(select(organizations.c.id, organizations.c.slug))).all()
            chosen = [o for o in orgs if org is None or o.slug == org]
            if not chosen:
                raise fail(
                    f"no organization {org!r}"
                    if org
                    else "no organization yet; try `careerpath demo`"
                )
            if len(chosen) > 1:
                raise fail("several organizations exist; name one with --org")
            await set_tenant(conn, chosen[0].id)
            return await work(ConnectionExecutor(conn), system_principal(chosen[0].id))  # type: ignore[operator]
    finally:
        await db.dispose()


@framework_app.command("import")
def framework_import(
    file: Annotated[Path, typer.Argument(help="A YAML or JSON framework document.")],
    org: Annotated[
        str | None, typer.Option(help="Organization slug (default: the only one).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and count everything, write nothing.")
    ] = False,
) -> None:
    """Make an organization's framework what FILE says: new keys are created, changed ones
    updated, entities FILE does not name archived. Atomic; re-importing changes nothing."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
    from rich.table import Table

    from service.errors import UserInputError
    from service.framework import transfer

    fmt = "json" if file.suffix.lower() == ".json" else None
    if not file.is_file():
        raise fail(f"{file}: no such file")
    target = database_target(get_settings())
    run_migrations(target)
    err = Console(stderr=True)
    with Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        TaskProgressColumn(),
        console=err,
        transient=True,
    ) as progress:
        size = file.stat().st_size
        task = progress.add_task("reading", total=size + len(transfer.PHASES))
        chunks = []
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                chunks.append(chunk)
                progress.advance(task, len(chunk))
        data = b"".join(chunks)

        def report(phase: str) -> None:
            progress.update(task, advance=1, description=phase)

        async def work(db: object, principal: object) -> object:
            return await transfer.import_framework(
                db,  # type: ignore[arg-type]
                principal,  # type: ignore[arg-type]
                data,
                fmt=fmt,  # type: ignore[arg-type]
                dry_run=dry_run,
                progress=report,
            )

        try:
            summary = asyncio.run(_in_org(target.app_url, org, work))
        except UserInputError as exc:
            progress.stop()
            count = len(exc.errors)
            print(f"error: {file} has {count} problem{'s' if count != 1 else ''}:", file=sys.stderr)
            for e in exc.errors:
                print(f"  {e.message}", file=sys.stderr)
            raise typer.Exit(1) from None
    assert isinstance(summary, transfer.ImportSummary)
    table = Table(title="Dry run: nothing was written" if dry_run else "Framework imported")
    for column in ("", "created", "updated", "unchanged", "archived"):
        table.add_column(column, justify="left" if not column else "right")
    for section, c in summary.counts.items():
        table.add_row(section, str(c.created), str(c.updated), str(c.unchanged), str(c.archived))
    console.print(table)
    if summary.notice_changed:
        console.print("The notice changed.")


@framework_app.command("export")
def framework_export(
    file: Annotated[
        Path | None, typer.Argument(help="Where to write; standard output when omitted.")
    ] = None,
    org: Annotated[
        str | None, typer.Option(help="Organization slug (default: the only one).")
    ] = None,
    format: Annotated[
        str | None,
        typer.Option("--format", help="yaml or json (default: from FILE's extension, else yaml)."),
    ] = None,
) -> None:
    """Write an organization's active framework as a canonical framework document."""
    from service.framework import transfer

    fmt = (format or ("json" if file and file.suffix.lower() == ".json" else "yaml")).lower()
    if fmt not in ("yaml", "json"):
        raise fail(f"unknown format {format!r}; use yaml or json")
    target = database_target(get_settings())
    run_migrations(target)

    async def work(db: object, principal: object) -> object:
        return await transfer.export_framework(db, principal, fmt)  # type: ignore[arg-type]

    text = asyncio.run(_in_org(target.app_url, org, work))
    assert isinstance(text, str)
    if file is None:
        sys.stdout.write(text)
    else:
        file.write_text(text, encoding="utf-8")
        console.print(f"Framework written to {file}.", highlight=False)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
