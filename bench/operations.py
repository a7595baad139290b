"""The operations the benchmark measures: GraphQL request, SQL floor, class and target.

Each ``Operation`` names the persona whose token it uses, the GraphQL document, a builder
for its variables (given the generated organization's facts and a page size), a check of
the response, and ``floor``: the same SQL statements the service runs for that request,
executed directly through asyncpg, one after the other on one connection. The overhead
ratio is the GraphQL request's p50 over the floor's p50.

Operations whose feature has not landed carry ``pending`` and are listed, not measured.
To make one measurable: fill in ``query``, ``variables``, ``check`` and ``floor``, and
drop ``pending`` (the generator stage it needs goes in ``bench.generate.STAGES``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import asyncpg

Facts = dict[str, Any]
Kind = Literal["light", "heavy"]

#: Overhead-ratio targets (GraphQL p50 / SQL floor p50) by class.
RATIO_TARGET: dict[str, float] = {"light": 3.0, "heavy": 1.5}
RSS_TARGET_MB = 300.0


@dataclass(frozen=True)
class Target:
    """Budgets on a 2-core machine at 10,000 employees (issue 6)."""

    p50_ms: float | None = None
    rps_16: float | None = None
    p99_16_ms: float | None = None

    def describe(self) -> str:
        parts = []
        if self.p50_ms is not None:
            parts.append(f"p50 ≤ {self.p50_ms:g} ms")
        if self.rps_16 is not None:
            parts.append(f"≥ {self.rps_16:g} req/s @16")
        if self.p99_16_ms is not None:
            parts.append(f"p99@16 ≤ {self.p99_16_ms:g} ms")
        return ", ".join(parts) or "—"


class FloorDb:
    """An asyncpg connection that counts the statements a floor runs."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.statements = 0

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """A statement through the extended protocol, prepared once and cached (as the
        service's driver does)."""
        self.statements += 1
        return await self.conn.fetch(sql, *args)

    async def simple(self, sql: str) -> None:
        """A statement through the simple protocol (transaction control)."""
        self.statements += 1
        await self.conn.execute(sql)


FloorFn = Callable[[FloorDb, Facts, int], Awaitable[None]]
VariablesFn = Callable[[Facts, int], dict[str, Any]]
CheckFn = Callable[[dict[str, Any], Facts, int], str | None]


def _no_variables(facts: Facts, page: int) -> dict[str, Any]:
    return {}


def _no_check(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    return None


@dataclass(frozen=True)
class Operation:
    name: str
    description: str
    kind: Kind
    persona: str
    target: Target
    query: str = ""
    variables: VariablesFn = _no_variables
    check: CheckFn = _no_check
    floor: FloorFn | None = None
    #: Page sizes to count statements at (the count must not grow with the page); the
    #: last one is the page the latency and throughput are measured with.
    page_sizes: tuple[int, ...] = (0,)
    pending: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def page(self) -> int:
        return self.page_sizes[-1]

    @property
    def ratio_target(self) -> float:
        return RATIO_TARGET[self.kind]


# --- the SQL the service runs -------------------------------------------------------------

EMPLOYEE_COLUMNS = (
    "id, org_id, external_id, auth_subject, email, name, title, role_id, org_unit_id, "
    "manager_id, location, hire_date, status, termination_date, termination_reason, "
    "version, created_at, updated_at"
)
ORG_UNIT_COLUMNS = "id, org_id, external_id, name, parent_id, created_at, updated_at"

REACH_SQL = """
with recursive below as (
    select id from employees where manager_id = $1
    union
    select e.id from employees e join below b on e.manager_id = b.id
), above as (
    select manager_id as id from employees where id = $1 and manager_id is not null
    union
    select e.manager_id from employees e join above a on e.id = a.id
    where e.manager_id is not null
)
select 'below' as side, id from below where $2
union all
select 'above', id from above
"""


def placeholders(n: int, start: int = 1) -> str:
    """``$start, …, $start+n-1``: the service expands IN lists into one parameter each."""
    return ", ".join(f"${i}" for i in range(start, start + n))


async def begin_request(db: FloorDb, facts: Facts, persona: str) -> asyncpg.Record:
    """What every authenticated query request runs first: the read-only transaction,
    the organization from the token's claim, the tenant, the caller's employee."""
    await db.simple("BEGIN READ ONLY")
    await db.fetch(
        "select set_config('app.org_id', o.id::text, true) from "
        "(select id from organizations where slug = $1 order by slug = $1 desc limit 1) o",
        facts["org_slug"],
    )
    subject = facts["personas"][persona]["subject"]
    return (
        await db.fetch(f"select {EMPLOYEE_COLUMNS} from employees where auth_subject = $1", subject)
    )[0]


async def end_request(db: FloorDb) -> None:
    await db.simple("ROLLBACK")


async def employees_by_id(db: FloorDb, ids: Sequence[Any]) -> list[asyncpg.Record]:
    unique = list(dict.fromkeys(ids))
    return await db.fetch(
        f"select {EMPLOYEE_COLUMNS} from employees where id in ({placeholders(len(unique))})",
        *unique,
    )


async def reach(db: FloorDb, me: Any, *, below: bool) -> tuple[set[Any], set[Any]]:
    rows = await db.fetch(REACH_SQL, me, below)
    return (
        {r["id"] for r in rows if r["side"] == "below"},
        {r["id"] for r in rows if r["side"] == "above"},
    )


# --- small me -----------------------------------------------------------------------------

SMALL_ME = "query SmallMe { me { id name } }"


def _check_small_me(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    want = facts["personas"]["employee"]["name"]
    return None if data["me"]["name"] == want else f"me is {data['me']['name']}, not {want}"


async def _floor_small_me(db: FloorDb, facts: Facts, page: int) -> None:
    await begin_request(db, facts, "employee")  # the caller's row is all `me` needs
    await end_request(db)


# --- employees page -----------------------------------------------------------------------

EMPLOYEES_PAGE = """
query EmployeesPage($first: Int!) {
  employees(first: $first) {
    nodes { name manager { name } orgUnit { name } }
  }
}
"""


def _check_employees_page(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    nodes = data["employees"]["nodes"]
    if len(nodes) != min(page, facts["employees"]):
        return f"{len(nodes)} nodes on a page of {page}"
    if not any(n["manager"] for n in nodes) or not all(n["orgUnit"] for n in nodes):
        return "managers or org units missing"
    return None


async def _floor_employees_page(db: FloorDb, facts: Facts, page: int) -> None:
    await begin_request(db, facts, "admin")  # an admin reaches everyone: no reach query
    rows = await db.fetch(
        f"select {EMPLOYEE_COLUMNS}, count(*) over () as _total from employees "
        "where true order by name, id limit $1 offset $2",
        page,
        0,
    )
    managers = [r["manager_id"] for r in rows if r["manager_id"] is not None]
    units = list(dict.fromkeys(r["org_unit_id"] for r in rows if r["org_unit_id"] is not None))
    if managers:
        await employees_by_id(db, managers)
    if units:
        await db.fetch(
            f"select {ORG_UNIT_COLUMNS} from org_units where id in ({placeholders(len(units))})",
            *units,
        )
    await end_request(db)


# --- me with manager chain and direct reports ---------------------------------------------

ME_CHAIN = """
query MeWithChain($first: Int!) {
  me {
    id name title
    manager { name title manager { name title manager { name title
      manager { name title manager { name title } } } } }
    directReports(first: $first) { totalCount nodes { id name title } }
  }
}
"""


def _check_me_chain(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    persona = facts["personas"]["manager"]
    chain, node = 0, data["me"]["manager"]
    while node is not None:
        chain, node = chain + 1, node.get("manager")
    want_chain = min(persona["chain_length"], 5)
    if chain != want_chain:
        return f"manager chain of {chain}, expected {want_chain}"
    total = data["me"]["directReports"]["totalCount"]
    if total != persona["direct_reports"]:
        return f"{total} direct reports, expected {persona['direct_reports']}"
    return None


async def _floor_me_chain(db: FloorDb, facts: Facts, page: int) -> None:
    row = await begin_request(db, facts, "manager")
    me = row["id"]
    below, _ = await reach(db, me, below=True)
    private = [me, *below]
    # directReports: one page per parent, in one statement.
    await db.fetch(
        f"select sub.* from (select {EMPLOYEE_COLUMNS}, manager_id as _key, "
        "row_number() over (partition by manager_id order by name, id) as _rn, "
        "count(*) over (partition by manager_id) as _total from employees "
        f"where id in ({placeholders(len(private))}) and manager_id in (${len(private) + 1})) "
        f"as sub where sub._key = ${len(private) + 2} and sub._rn > ${len(private) + 3} "
        f"and sub._rn <= ${len(private) + 4} order by sub._key, sub._rn",
        *private,
        me,
        me,
        0,
        page,
    )
    # The manager chain, one level per statement (each needs the one before).
    manager = row["manager_id"]
    for _ in range(5):
        if manager is None:
            break
        manager = (await employees_by_id(db, [manager]))[0]["manager_id"]
    await end_request(db)


# --- the registry -------------------------------------------------------------------------

OPERATIONS: list[Operation] = [
    Operation(
        name="small_me",
        description="`{ me { id name } }` as an employee",
        kind="light",
        persona="employee",
        target=Target(rps_16=300, p99_16_ms=50),
        query=SMALL_ME,
        check=_check_small_me,
        floor=_floor_small_me,
    ),
    Operation(
        name="employees_page",
        description="`employees(first: 100)` with manager and org unit, as an HR admin",
        kind="heavy",
        persona="admin",
        target=Target(p50_ms=40),
        query=EMPLOYEES_PAGE,
        variables=lambda facts, page: {"first": page},
        check=_check_employees_page,
        floor=_floor_employees_page,
        page_sizes=(10, 100),
        notes=("add `role { title }` to the nodes when Employee.role lands",),
    ),
    Operation(
        name="me_chain",
        description="`me` with 5 levels of manager chain and `directReports(first: 20)`, "
        "as a manager of about 50 people",
        kind="light",
        persona="manager",
        target=Target(),
        query=ME_CHAIN,
        variables=lambda facts, page: {"first": page},
        check=_check_me_chain,
        floor=_floor_me_chain,
        page_sizes=(5, 20),
    ),
    Operation(
        name="me_home",
        description="`me` with role, next roles and the gap analysis for current and next roles",
        kind="light",
        persona="employee",
        target=Target(p50_ms=15),
        pending="needs the framework (Employee.role, Role.nextRoles) and gapAnalysis",
    ),
    Operation(
        name="team_matrix",
        description="team matrix for a manager with about 50 reports (all levels), "
        "against the current role",
        kind="heavy",
        persona="manager",
        target=Target(p50_ms=25),
        pending="needs assessments and the team matrix",
    ),
    Operation(
        name="org_summary",
        description="skillGapSummary by org unit and by competency over all employees",
        kind="heavy",
        persona="admin",
        target=Target(p50_ms=150),
        pending="needs assessments and skillGapSummary",
    ),
    Operation(
        name="career_paths",
        description="careerPaths between two roles four steps apart",
        kind="light",
        persona="employee",
        target=Target(p50_ms=20),
        pending="needs the framework (roles, tracks, careerPaths)",
    ),
    Operation(
        name="framework_page",
        description="`roles(first: 100)` with expectations and next roles",
        kind="heavy",
        persona="employee",
        target=Target(p50_ms=40),
        pending="needs the framework (roles, expectations, Role.nextRoles)",
    ),
]


def measurable() -> list[Operation]:
    return [op for op in OPERATIONS if op.pending is None]


def by_name(names: Sequence[str] | None) -> list[Operation]:
    """The measurable operations named (all when ``names`` is empty)."""
    ops = measurable()
    if not names:
        return ops
    known = {op.name: op for op in OPERATIONS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown operations: {', '.join(unknown)}; known: {', '.join(known)}")
    pending = [n for n in names if known[n].pending]
    if pending:
        raise SystemExit(f"not measurable yet: {', '.join(pending)}")
    return [known[n] for n in names]


async def time_floor(
    conn: asyncpg.Connection,
    op: Operation,
    facts: Facts,
    *,
    warmup: int,
    max_runs: int,
    max_seconds: float,
) -> tuple[list[int], float]:
    """Latencies (ns) of the operation's floor, and statements per run."""
    assert op.floor is not None
    db = FloorDb(conn)
    for _ in range(warmup):
        await op.floor(db, facts, op.page)
    db.statements = 0
    latencies: list[int] = []
    deadline = time.perf_counter() + max_seconds
    while len(latencies) < max_runs and time.perf_counter() < deadline:
        t = time.perf_counter_ns()
        await op.floor(db, facts, op.page)
        latencies.append(time.perf_counter_ns() - t)
    return latencies, db.statements / max(1, len(latencies))
