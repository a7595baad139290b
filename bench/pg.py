"""The benchmark's PostgreSQL: the embedded server (with pg_stat_statements) or a given one.

Each organization size gets a database of its own, ``careerpath_bench_<size>_s<seed>``, in
one server. A database comment records what was generated into it, so a later run reuses
it only when the size, seed, generator stages and schema revision all still match.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from service.db import asyncpg_dsn, provision, quote_ident, quote_literal, start_embedded

APP_ROLE = "careerpath_bench_app"
DEFAULT_DATA_DIR = Path(__file__).resolve().parent / ".data"
STAT_EXTENSION = "pg_stat_statements"


@dataclass(frozen=True)
class Server:
    """A PostgreSQL server the benchmark may create databases and roles in."""

    admin_url: str
    embedded: bool
    pgdata: Path | None = None  # the embedded server's data directory (its log is there)

    @property
    def log_path(self) -> Path | None:
        return self.pgdata / "log" if self.pgdata is not None else None

    def postmaster_pid(self) -> int | None:
        if self.pgdata is None:
            return None
        try:
            return int((self.pgdata / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


def database_name(employees: int, seed: int) -> str:
    return f"careerpath_bench_{employees}_s{seed}"


def start_server(data_dir: Path | None, database_url: str | None) -> Server:
    """The server at ``database_url`` (an admin URL), or the embedded one under ``data_dir``
    (started here, stopped when this process exits)."""
    if database_url:
        return Server(database_url, embedded=False)
    root = (data_dir or DEFAULT_DATA_DIR).expanduser().resolve()
    admin_url = start_embedded(root)
    return Server(admin_url, embedded=True, pgdata=root / "pg")


@dataclass(frozen=True)
class BenchDatabase:
    server: Server
    name: str
    owner_url: str
    app_url: str
    app_role: str


async def marker(server: Server, name: str) -> dict[str, Any] | None:
    """What was generated into database ``name``; None when it does not exist or is unfinished."""
    conn = await asyncpg.connect(asyncpg_dsn(server.admin_url))
    try:
        comment = await conn.fetchval(
            "select shobj_description(oid, 'pg_database') from pg_database where datname = $1",
            name,
        )
    finally:
        await conn.close()
    if not comment:
        return None
    try:
        found = json.loads(comment)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


async def set_marker(server: Server, name: str, value: dict[str, Any]) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(server.admin_url))
    try:
        await conn.execute(
            f"comment on database {quote_ident(name)} is {quote_literal(json.dumps(value))}"
        )
    finally:
        await conn.close()


async def drop(server: Server, name: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(server.admin_url))
    try:
        await conn.execute(f"drop database if exists {quote_ident(name)} with (force)")
    finally:
        await conn.close()


async def open_database(server: Server, name: str) -> BenchDatabase:
    """Create (if missing) the database and the app role; the app role gets a fresh password
    on a server of your own (the embedded one trusts its socket)."""
    password = None if server.embedded else secrets.token_urlsafe(18)
    provisioned = await provision(server.admin_url, name, APP_ROLE, password)
    return BenchDatabase(server, name, provisioned.owner_url, provisioned.app_url, APP_ROLE)


async def _admin(server: Server, sql: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(server.admin_url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


class StatementLog:
    """Every statement the app role's sessions execute, read from the server log.

    Exact: it sees what the server receives, including transaction control and
    statements re-executed from asyncpg's prepared-statement cache (which
    pg_stat_statements does not count for utility statements such as SET TRANSACTION).
    Needs the server's log file, so only for the embedded server. The setting is per
    role and applies to sessions opened after ``enable``: start the service after it.
    """

    def __init__(self, db: BenchDatabase) -> None:
        self.db = db
        self.path = db.server.log_path

    @property
    def available(self) -> bool:
        return self.path is not None and self.path.exists()

    async def enable(self) -> None:
        await _admin(
            self.db.server, f"alter role {quote_ident(self.db.app_role)} set log_statement = 'all'"
        )

    async def disable(self) -> None:
        await _admin(
            self.db.server, f"alter role {quote_ident(self.db.app_role)} reset log_statement"
        )

    def mark(self) -> int:
        assert self.path is not None
        return self.path.stat().st_size

    async def write_marker(self) -> str:
        """Log a marker statement and return its text. Every backend writes to the log
        through one pipe in order, so once the marker is in the file, so is everything
        logged before it was sent: a request's statements, once its response has come."""
        token = f"{MARKER}{secrets.token_hex(8)}"
        conn = await asyncpg.connect(asyncpg_dsn(self.db.server.admin_url))
        try:
            await conn.execute("set log_statement = 'all'")
            await conn.execute(f"select '{token}'")
        finally:
            await conn.close()
        return token

    def contains(self, mark: int, token: str) -> bool:
        assert self.path is not None
        with self.path.open("rb") as f:
            f.seek(mark)
            return token.encode() in f.read()

    def sequence_since(self, mark: int) -> list[LoggedStatement]:
        """The statements logged since ``mark``, in order, with their parameters."""
        assert self.path is not None
        with self.path.open("rb") as f:
            f.seek(mark)
            text = f.read().decode(errors="replace")
        found: list[LoggedStatement] = []
        current: LoggedStatement | None = None
        for line in text.splitlines():
            if MARKER in line:  # the end of what was asked for (see `write_marker`)
                break
            if line.startswith("\t") and current is not None:
                current.sql += "\n" + line[1:]
                continue
            at = line.find("DETAIL:  Parameters: ")
            if at >= 0 and current is not None and not current.simple:
                values = line[at + len("DETAIL:  Parameters: ") :]
                current.params = [
                    None if m["null"] else m["text"].replace("''", "'")
                    for m in PARAMETER.finditer(values)
                ]
                continue
            current = None
            for marker, simple in (("LOG:  statement: ", True), ("LOG:  execute ", False)):
                at = line.find(marker)
                if at >= 0:
                    rest = line[at + len(marker) :]
                    if not simple:
                        rest = rest.split(": ", 1)[1] if ": " in rest else rest
                    current = LoggedStatement(rest, simple, [])
                    found.append(current)
                    break
        return found

    def read_since(self, mark: int) -> list[tuple[str, int]]:
        """(statement, times) logged since ``mark``, most frequent first."""
        counts: dict[str, int] = {}
        for statement in self.sequence_since(mark):
            text = " ".join(statement.sql.split())
            counts[text] = counts.get(text, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


MARKER = "careerpath-bench-marker-"
PARAMETER = re.compile(r"\$\d+ = (?:(?P<null>NULL)|'(?P<text>(?:[^']|'')*)')")


@dataclass
class LoggedStatement:
    """A statement as the server received it: SQL, protocol, parameters as text."""

    sql: str
    simple: bool  # simple query protocol (no parameters)
    params: list[str | None]


class StatementStats:
    """Statements the app role ran, from pg_stat_statements: the fallback on a server of
    your own, where the log is out of reach. Needs the extension preloaded there, and
    undercounts: utility statements re-executed from a prepared statement (the service's
    SET TRANSACTION READ ONLY) are not recorded."""

    def __init__(self, db: BenchDatabase) -> None:
        self.db = db
        self.available = False

    async def setup(self) -> bool:
        conn = await asyncpg.connect(asyncpg_dsn(self.db.owner_url))
        try:
            await conn.execute(f"create extension if not exists {STAT_EXTENSION}")
            await conn.fetchval("select count(*) from pg_stat_statements")
            self.available = True
        except asyncpg.PostgresError:
            self.available = False
        finally:
            await conn.close()
        return self.available

    async def reset(self) -> None:
        if not self.available:
            return
        conn = await asyncpg.connect(asyncpg_dsn(self.db.owner_url))
        try:
            await conn.execute("select pg_stat_statements_reset()")
        finally:
            await conn.close()

    async def read(self) -> list[tuple[str, int]]:
        """(normalized query, calls) by the app role in this database since the last reset."""
        if not self.available:
            return []
        conn = await asyncpg.connect(asyncpg_dsn(self.db.owner_url))
        try:
            rows = await conn.fetch(
                """
                select s.query, s.calls from pg_stat_statements s
                join pg_roles r on r.oid = s.userid
                join pg_database d on d.oid = s.dbid
                where r.rolname = $1 and d.datname = $2
                order by s.calls desc, s.query
                """,
                self.db.app_role,
                self.db.name,
            )
        finally:
            await conn.close()
        return [(r["query"], int(r["calls"])) for r in rows]


async def server_version(url: str) -> str:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return str(await conn.fetchval("show server_version"))
    finally:
        await conn.close()
