"""The ``careerpath`` command line."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from service.config import Environment, Settings, get_settings

if TYPE_CHECKING:
    from service.auth.dev_issuer import DevIssuer
    from service.errors import UserInputError

app = typer.Typer(
    help="careerpath: a headless career-pathing service (GraphQL API, CLI and webhooks).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
T = TypeVar("T")

#: ``--org``: the organization a command acts in.
OrgOption = Annotated[str | None, typer.Option(help="Organization slug (default: the only one).")]

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
    if workers > 1 and not reload and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        from service.observability.metrics import share_between_workers

        # One scrape of /metrics then shows every worker's figures.
        share_between_workers(_data_dir(settings) / "metrics")
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
    if target.embedded:
        from service.db import EmbeddedWatchdog

        # Should the embedded PostgreSQL stop while serving, it is started again.
        EmbeddedWatchdog(settings.data_dir).start()
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        workers=None if reload else workers,
        # A worker still importing on a busy host answers the supervisor's ping late; the
        # default 5 s would have it killed and started again, over and over.
        timeout_worker_healthcheck=30,
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
        db = Database(target.app_url, pool_size=2)
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


# `-1` is a revision, not an option.
@app.command(context_settings={"ignore_unknown_options": True})
def migrate(
    revision: Annotated[
        str, typer.Argument(help="Target revision: head, base, or -1 to step back.")
    ] = "head",
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm `base`, which drops every table and its data.")
    ] = False,
) -> None:
    """Bring the database schema to a revision (runs as the owner role)."""
    if revision.startswith("-") and not re.fullmatch(r"-\d+", revision):
        raise fail(f"no such option: {revision}")
    if revision == "base" and not yes:
        raise fail("`migrate base` drops every table and all their data; add --yes to do it")
    from alembic.util import CommandError

    from service.db import migrate as run

    target = database_target(get_settings())
    try:
        run(target.owner_url, revision, app_role=_app_role(target.app_url))
    except CommandError as exc:
        raise fail(str(exc)) from None
    reached = asyncio.run(_revision(target.owner_url))
    print(f"Database at {reached or 'base (empty)'}.")


async def _revision(url: str) -> str | None:
    """The schema revision the database is at; None at base."""
    from sqlalchemy import text

    from service.db import Database

    db = Database(url, pool_size=2)
    try:
        async with db.engine.connect() as conn:
            exists = await conn.execute(text("select to_regclass('alembic_version')"))
            if exists.scalar() is None:
                return None
            found = await conn.execute(text("select version_num from alembic_version"))
            return found.scalar()
    finally:
        await db.dispose()


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(
            help="Deliveries in flight at once (default CAREERPATH_WEBHOOKS__CONCURRENCY).",
            min=1,
            max=1000,
        ),
    ] = None,
) -> None:
    """Migrate (as `serve` does), then deliver webhooks and apply due promotions until
    stopped (SIGTERM/SIGINT). Run as many workers as needed."""
    from service.db import Database
    from service.promotions.scheduler import run_scheduler
    from service.webhooks.dispatcher import run_dispatcher

    settings = get_settings()
    target = database_target(settings, keep_running=True)
    webhook_settings = settings.webhooks
    if concurrency is not None:
        webhook_settings = webhook_settings.model_copy(update={"concurrency": concurrency})
    # A worker started before `serve` (or after an upgrade) never works on an older schema;
    # migrations take a lock, so any number of processes may start at once.
    run_migrations(target)

    async def work() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        db = Database(target.app_url, pool_size=min(webhook_settings.concurrency, 20) + 2)
        try:
            await asyncio.gather(
                run_dispatcher(db, webhook_settings, stop),
                run_scheduler(db, stop, settings.promotion_schedule_seconds),
            )
        finally:
            await db.dispose()

    console.print(
        "careerpath worker is delivering webhooks and applying due promotions", highlight=False
    )
    asyncio.run(work())


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
    org: OrgOption = None,
    ttl: Annotated[str, typer.Option(help="Lifetime, e.g. 30m, 1h, 7d.")] = "1h",
) -> None:
    """Print a token from the dev issuer for an employee (dev mode only)."""
    settings = get_settings()
    issuer = _dev_issuer(settings)
    if issuer is None:
        raise fail("the dev issuer is off: tokens come from your identity provider")
    lifetime = parse_ttl(ttl)
    target = database_target(settings)
    run_migrations(target)
    subject, slug = asyncio.run(_find_subject(target.owner_url, employee, org))
    print(issuer.mint(subject, org=slug, scopes=scope.split(), ttl=lifetime))


def _dev_issuer(settings: Settings) -> DevIssuer | None:
    """The dev issuer, for the URL the server last announced; None when tokens come from an
    identity provider (production, or ``CAREERPATH_AUTH__ISSUER`` set)."""
    from service.auth.dev_issuer import DevIssuer

    if settings.is_production or settings.auth.issuer is not None:
        return None
    served = settings.data_dir / SERVED_URL_FILE
    public_url = settings.public_url
    if "CAREERPATH_PUBLIC_URL" not in os.environ and served.exists():
        public_url = served.read_text().strip()
    return DevIssuer.load_or_create(
        settings.data_dir, public_url, settings.auth.audience, org_claim=settings.auth.org_claim
    )


async def _find_subject(url: str, email: str, org: str | None) -> tuple[str, str]:
    from sqlalchemy import func, select

    from service.db import Database
    from service.people.models import employees

    db = Database(url, pool_size=2)
    try:
        async with db.transaction(None) as conn:
            chosen = await _enter_org(conn, org)
            row = (
                await conn.execute(
                    select(employees.c.auth_subject).where(
                        func.lower(employees.c.email) == email.lower(),
                        employees.c.org_id == chosen.id,
                    )
                )
            ).first()
    finally:
        await db.dispose()
    if row is None:
        raise fail(f"no employee with email {email!r} in {chosen.slug}")
    if not row.auth_subject:
        raise fail(f"{email} has no authSubject; set one with updateEmployee first")
    return row.auth_subject, chosen.slug


async def _enter_org(conn: Any, org: str | None) -> Any:
    """The organization ``org`` (or the only one), made the tenant of the transaction on
    ``conn``; its row (``id``, ``slug``)."""
    from sqlalchemy import select

    from service.db import set_tenant
    from service.people.models import organizations

    orgs = (await conn.execute(select(organizations.c.id, organizations.c.slug))).all()
    chosen = [o for o in orgs if org is None or o.slug == org]
    if not chosen:
        raise fail(
            f"no organization {org!r}" if org else "no organization yet; try `careerpath demo`"
        )
    if len(chosen) > 1:
        raise fail("several organizations exist; name one with --org")
    await set_tenant(conn, chosen[0].id)
    return chosen[0]


org_app = typer.Typer(help="Manage organizations (tenants).", no_args_is_help=True)
app.add_typer(org_app, name="org")


@org_app.command("create")
def org_create(
    slug: Annotated[str, typer.Argument(help="Short name used in tokens' org claim, e.g. acme.")],
    name: Annotated[str, typer.Argument(help="Display name.")],
    admin_email: Annotated[
        str | None,
        typer.Option(help="Work email of the first HR admin, created as its first employee."),
    ] = None,
    admin_name: Annotated[
        str | None,
        typer.Option(help="The first HR admin's full name (default: from the email)."),
    ] = None,
    admin_subject: Annotated[
        str | None,
        typer.Option(
            help="The first HR admin's subject at your identity provider (their tokens' `sub`, "
            "stored as authSubject)."
        ),
    ] = None,
) -> None:
    """Register an organization and, with --admin-email, its first employee, named an HR
    admin: one transaction, all or nothing."""
    from service.auth.principal import system_principal
    from service.db import ConnectionExecutor, Database, set_tenant
    from service.errors import UserInputError
    from service.people.service import EmployeeInput, create_organization

    if admin_email is None and (admin_name or admin_subject):
        raise fail("--admin-name and --admin-subject need --admin-email")
    target = database_target(get_settings())
    run_migrations(target)

    async def create() -> tuple[Any, Any]:
        db = Database(target.owner_url, pool_size=2)
        try:
            async with db.transaction(None) as conn:
                executor = ConnectionExecutor(conn)
                org_id = await create_organization(executor, slug, name)
                if admin_email is None:
                    return org_id, None
                await set_tenant(conn, org_id)
                data = EmployeeInput(
                    email=admin_email,
                    name=admin_name if admin_name is not None else _name_from(admin_email),
                    auth_subject=admin_subject,
                )
                admin = await _add_employee(executor, system_principal(org_id), data, True)
                return org_id, admin
        finally:
            await db.dispose()

    try:
        org_id, admin = asyncio.run(create())
    except UserInputError as exc:
        raise _input_failure(exc, ADMIN_OPTIONS) from None
    print(f"Organization {slug} created: {org_id}")
    if admin is not None:
        _print_employee(admin, slug)


#: Command-line names of employee fields, for error messages.
EMPLOYEE_OPTIONS = {
    "slug": "SLUG",
    "email": "EMAIL",
    "name": "NAME",
    "authSubject": "--subject",
    "title": "--title",
    "managerId": "--manager-email",
}
ADMIN_OPTIONS = {
    **EMPLOYEE_OPTIONS,
    "email": "--admin-email",
    "name": "--admin-name",
    "authSubject": "--admin-subject",
}


def _input_failure(exc: UserInputError, options: dict[str, str]) -> typer.Exit:
    """Print each problem on a line of its own, naming the argument or option at fault."""
    for e in exc.errors:
        where = options.get(e.field[-1], e.field[-1]) if e.field else None
        print(f"error: {where}: {e.message}" if where else f"error: {e.message}", file=sys.stderr)
    return typer.Exit(1)


def _name_from(email: str) -> str:
    """A display name from an email's local part: ``jane.doe@…`` → ``Jane Doe``."""
    local = email.partition("@")[0]
    return " ".join(w.capitalize() for w in re.split(r"[._+-]+", local) if w) or local


async def _add_employee(db: Any, principal: Any, data: Any, hr_admin: bool) -> Any:
    """Create an employee as the system and, with ``hr_admin``, name them an HR admin."""
    from service.auth import service as accounts
    from service.people.service import create_employee

    row = await create_employee(db, principal, data)
    if hr_admin:
        await accounts.grant_hr_admin(db, principal, row.id)
    return row


def _print_employee(row: Any, slug: str, *, hr_admin: bool = True) -> None:
    role = "HR admin" if hr_admin else "Employee"
    print(f"{role} {row.name} <{row.email}> created in {slug}: {row.id}")
    if row.auth_subject:
        print(f"Their tokens' subject (authSubject): {row.auth_subject}")
    else:
        print(
            "They have no authSubject yet: set it with updateEmployee (their identity "
            "provider's `sub`), or turn on CAREERPATH_AUTH__EMAIL_FALLBACK."
        )


employee_app = typer.Typer(
    help="Add employees by hand (a first setup; an HRIS sync keeps them up to date after).",
    no_args_is_help=True,
)
app.add_typer(employee_app, name="employee")


@employee_app.command("create")
def employee_create(
    email: Annotated[str, typer.Argument(help="Work email, unique in the organization.")],
    name: Annotated[str, typer.Argument(help="Full name.")],
    subject: Annotated[
        str | None,
        typer.Option(help="Subject at your identity provider (tokens' `sub`), as authSubject."),
    ] = None,
    title: Annotated[str | None, typer.Option(help="Job title.")] = None,
    manager_email: Annotated[
        str | None, typer.Option(help="Email of their manager, an existing employee.")
    ] = None,
    hr_admin: Annotated[
        bool, typer.Option("--hr-admin", help="Name them an HR admin as well.")
    ] = False,
    org: OrgOption = None,
) -> None:
    """Add an employee to an organization (recorded in the audit log as the system)."""
    from service.errors import UserInputError
    from service.people.service import EmployeeInput

    target = database_target(get_settings())
    run_migrations(target)

    async def work(db: Any, principal: Any) -> tuple[Any, str]:
        manager_id = None
        if manager_email is not None:
            manager_id = (await _employee_by_email(db, manager_email)).id
        data = EmployeeInput(
            email=email, name=name, auth_subject=subject, title=title, manager_id=manager_id
        )
        return await _add_employee(db, principal, data, hr_admin), await _slug(db, principal)

    try:
        row, slug = asyncio.run(_in_org(target.app_url, org, work))
    except UserInputError as exc:
        raise _input_failure(exc, EMPLOYEE_OPTIONS) from None
    _print_employee(row, slug, hr_admin=hr_admin)


async def _employee_by_email(db: Any, email: str) -> Any:
    from sqlalchemy import func, select

    from service.people.models import employees

    found = await db.execute(
        select(employees.c.id, employees.c.name, employees.c.email).where(
            func.lower(employees.c.email) == email.strip().lower()
        )
    )
    row = found.first()
    if row is None:
        raise fail(f"no employee with email {email!r}")
    return row


async def _slug(db: Any, principal: Any) -> str:
    from sqlalchemy import select

    from service.people.models import organizations

    found = await db.execute(
        select(organizations.c.slug).where(organizations.c.id == principal.org_id)
    )
    return str(found.scalar_one())


admin_app = typer.Typer(
    help="Name HR admins: an employee's career:admin tokens act as admin only for them.",
    no_args_is_help=True,
)
app.add_typer(admin_app, name="admin")


def _change_admin(email: str, org: str | None, *, grant: bool) -> None:
    from service.auth import service as accounts

    target = database_target(get_settings())
    run_migrations(target)
    change = accounts.grant_hr_admin if grant else accounts.revoke_hr_admin

    async def work(db: Any, principal: Any) -> Any:
        employee = await _employee_by_email(db, email)
        return await change(db, principal, employee.id)

    from service.errors import UserInputError

    try:
        row = asyncio.run(_in_org(target.app_url, org, work))
    except UserInputError as exc:
        raise _input_failure(exc, {"employeeId": "EMAIL"}) from None
    state = "is an HR admin" if grant else "is not an HR admin"
    print(f"{row.name} <{row.email}> {state}.")


@admin_app.command("grant")
def admin_grant(
    email: Annotated[str, typer.Argument(help="Email of the employee to name an HR admin.")],
    org: OrgOption = None,
) -> None:
    """Name an employee an HR admin (audited; granting again changes nothing)."""
    _change_admin(email, org, grant=True)


@admin_app.command("revoke")
def admin_revoke(
    email: Annotated[str, typer.Argument(help="Email of the employee to stop naming.")],
    org: OrgOption = None,
) -> None:
    """Stop naming an employee an HR admin (audited; effective from their next request)."""
    _change_admin(email, org, grant=False)


service_account_app = typer.Typer(
    help="Register integrations that call careerpath with client-credentials tokens.",
    no_args_is_help=True,
)
app.add_typer(service_account_app, name="service-account")


@service_account_app.command("create")
def service_account_create(
    client_id: Annotated[
        str, typer.Argument(help="The OAuth client ID your identity provider issues tokens to.")
    ],
    name: Annotated[str, typer.Argument(help="What the integration is, e.g. 'Workday sync'.")],
    scope: Annotated[
        list[str],
        typer.Option(
            help="A scope its tokens may use: career:hris, career:webhooks or career:admin "
            "(repeat, or separate with spaces)."
        ),
    ],
    org: OrgOption = None,
    ttl: Annotated[str, typer.Option(help="Lifetime of the dev token printed, e.g. 1h.")] = "1h",
) -> None:
    """Register an OAuth client as a service account. In dev mode, also print a
    client-credentials token for it from the dev issuer."""
    from service.auth import service as accounts
    from service.errors import UserInputError

    settings = get_settings()
    lifetime = parse_ttl(ttl)
    scopes = [s for value in scope for s in value.split()]
    target = database_target(settings)
    run_migrations(target)

    async def work(db: Any, principal: Any) -> tuple[Any, str]:
        data = accounts.ServiceAccountInput(client_id=client_id, name=name, scopes=scopes)
        row = await accounts.create_service_account(db, principal, data)
        return row, await _slug(db, principal)

    try:
        row, slug = asyncio.run(_in_org(target.app_url, org, work))
    except UserInputError as exc:
        options = {"clientId": "CLIENT_ID", "name": "NAME", "scopes": "--scope"}
        raise _input_failure(exc, options) from None
    print(
        f"Service account {row.name} created in {slug} for client ID {row.client_id}, "
        f"scopes {' '.join(row.scopes)}: {row.id}"
    )
    issuer = _dev_issuer(settings)
    if issuer is None:
        print(
            f"Its tokens come from your identity provider: client-credentials tokens issued to "
            f"{row.client_id} with the organization claim {slug!r} "
            "(see docs/identity-providers.md)."
        )
        return
    token = issuer.mint(
        row.client_id,
        org=slug,
        scopes=row.scopes,
        ttl=lifetime,
        extra={"client_id": row.client_id},
    )
    print(f"dev token ({' '.join(row.scopes)}): {token}")


framework_app = typer.Typer(
    help="Import and export the career framework as a framework document "
    "(docs/framework-format.md).",
    no_args_is_help=True,
)
app.add_typer(framework_app, name="framework")


async def _in_org(url: str, org: str | None, work: Callable[[Any, Any], Awaitable[T]]) -> T:
    """Run ``work(executor, principal)`` in one transaction of the organization ``org``
    (or the only one), as the system acting as an HR admin."""
    from service.auth.principal import system_principal
    from service.db import ConnectionExecutor, Database

    db = Database(url, pool_size=2)
    try:
        async with db.transaction(None) as conn:
            chosen = await _enter_org(conn, org)
            return await work(ConnectionExecutor(conn), system_principal(chosen.id))
    finally:
        await db.dispose()


@framework_app.command("import")
def framework_import(
    file: Annotated[Path, typer.Argument(help="A YAML or JSON framework document.")],
    org: OrgOption = None,
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
    org: OrgOption = None,
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


promotions_app = typer.Typer(help="Promotion cases.", no_args_is_help=True)
app.add_typer(promotions_app, name="promotions")


@promotions_app.command("apply-due")
def promotions_apply_due(
    on: Annotated[
        str | None,
        typer.Option(
            help="Apply cases due on or before this date, YYYY-MM-DD (default today, UTC)."
        ),
    ] = None,
) -> None:
    """Make approved promotions whose effective date has come effective, in every
    organization. Safe to run often and from several hosts at once (e.g. from cron)."""
    from service.db import Database
    from service.promotions import service as promotions

    try:
        day = dt.date.fromisoformat(on) if on else promotions.today()
    except ValueError:
        raise fail(f"not a date: {on!r}") from None
    target = database_target(get_settings())
    run_migrations(target)

    async def work() -> int:
        db = Database(target.app_url, pool_size=2)
        try:
            return await promotions.apply_due_everywhere(db, day)
        finally:
            await db.dispose()

    count = asyncio.run(work())
    console.print(f"{count} promotion(s) took effect (due on or before {day.isoformat()}).")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
