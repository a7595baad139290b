"""The operations the benchmark measures: GraphQL request, SQL floor, class and target.

Each ``Operation`` names the persona whose token it uses, the GraphQL document, a builder
for its variables (given the generated organization's facts and a page size) and a check
of the response. Its SQL floor is *replayed*: the runner captures the statements one
request ran, with their parameters, from the server log, and runs exactly those again
directly through asyncpg, one after the other on one connection. The overhead ratio is the
GraphQL request's p50 over the floor's p50.

Operations whose feature has not landed carry ``pending`` and are listed, not measured.
To make one measurable: fill in ``query``, ``variables`` and ``check``, and drop
``pending`` (the generator stage it needs goes in ``bench.generate.STAGES``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import asyncpg

from bench.pg import LoggedStatement

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


# --- small me -----------------------------------------------------------------------------

SMALL_ME = "query SmallMe { me { id name } }"


def _check_small_me(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    want = facts["personas"]["employee"]["name"]
    return None if data["me"]["name"] == want else f"me is {data['me']['name']}, not {want}"


# --- employees page -----------------------------------------------------------------------

EMPLOYEES_PAGE = """
query EmployeesPage($first: Int!) {
  employees(first: $first) {
    nodes { name manager { name } orgUnit { name } role { title } }
  }
}
"""


def _check_employees_page(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    nodes = data["employees"]["nodes"]
    if len(nodes) != min(page, facts["employees"]):
        return f"{len(nodes)} nodes on a page of {page}"
    if not any(n["manager"] for n in nodes) or not all(n["orgUnit"] for n in nodes):
        return "managers or org units missing"
    if not all(n["role"] for n in nodes):
        return "roles missing"
    return None


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


# --- career data: gaps, matrix, summary, paths, framework ---------------------------------


def global_id(type_name: str, value: str) -> str:
    from service.graphql.ids import encode_id

    return encode_id(type_name, uuid.UUID(value))


ME_HOME = """
query MeHome {
  me {
    id name
    role { id title level { name } family { name } }
    nextRoles { id title level { name } }
    gapAnalysis {
      relation readiness meetsCount belowCount exceedsCount unassessedCount
      role { title }
      topGaps(limit: 3) { requiredLevel currentLevel gap status competency { name } }
      expectations { requiredLevel currentLevel gap status core competency { name } }
    }
  }
}
"""


def _check_me_home(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    me = data["me"]
    if me["role"] is None or not me["gapAnalysis"]:
        return "no role or no gap analysis"
    if me["gapAnalysis"][0]["relation"] != "CURRENT_ROLE":
        return "the first gap analysis is not the current role's"
    if len(me["gapAnalysis"]) != 1 + len(me["nextRoles"]):
        return "not one gap analysis per current and next role"
    if not any(e["currentLevel"] is not None for e in me["gapAnalysis"][0]["expectations"]):
        return "nothing assessed"
    return None


TEAM_MATRIX = """
query TeamMatrix($manager: ID!, $first: Int!) {
  teamSkillsMatrix(managerId: $manager, scope: ALL, against: CURRENT_ROLE, first: $first) {
    competencies { id name }
    rows {
      totalCount
      nodes {
        readiness employee { name } role { title }
        cells { requiredLevel currentLevel gap status competency { id } }
      }
    }
  }
}
"""


def _check_team_matrix(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    rows = data["teamSkillsMatrix"]["rows"]
    if rows["totalCount"] < 10:
        return f"a team of {rows['totalCount']}"
    if len(rows["nodes"]) != min(page, rows["totalCount"]):
        return f"{len(rows['nodes'])} rows on a page of {page}"
    if not any(c["currentLevel"] is not None for r in rows["nodes"] for c in r["cells"]):
        return "no current levels"
    return None


ORG_SUMMARY = """
query OrgSummary {
  byUnit: skillGapSummary(groupBy: ORG_UNIT) {
    suppressedGroupCount
    groups { headcount assessedShare meanGap metShare orgUnit { name } weakestCompetencies { name } }
  }
  byCompetency: skillGapSummary(groupBy: COMPETENCY) {
    groups { headcount assessedShare meanGap metShare competency { name } }
  }
}
"""


def _check_org_summary(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    if not data["byUnit"]["groups"] or not data["byCompetency"]["groups"]:
        return "no groups"
    return None


CAREER_PATHS = """
query CareerPaths($from: ID!, $to: ID!) {
  careerPaths(fromRoleId: $from, toRoleId: $to, maxSteps: 4) {
    stepCount totalUplift
    roles { title }
    steps { kind uplift toRole { title } growth { fromLevel toLevel competency { name } } }
  }
}
"""


def _check_career_paths(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    paths = data["careerPaths"]
    if not paths or paths[0]["stepCount"] != 4:
        return f"expected a path of four steps, got {[p['stepCount'] for p in paths]}"
    return None


FRAMEWORK_PAGE = """
query FrameworkPage($first: Int!) {
  roles(first: $first) {
    nodes {
      title level { name } family { name }
      expectations { requiredLevel core competency { name } }
      nextRoles { title }
    }
  }
}
"""


def _check_framework_page(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    nodes = data["roles"]["nodes"]
    if len(nodes) != page:
        return f"{len(nodes)} roles on a page of {page}"
    if not all(n["expectations"] for n in nodes):
        return "roles without expectations"
    return None


PROMOTIONS_PAGE = """
query PromotionsPage($first: Int!) {
  promotions(first: $first) {
    totalCount
    nodes {
      id status effectiveDate
      employee { name role { title } }
      fromRole { title } toRole { title }
      proposer { name }
      evidence { readiness }
    }
  }
}
"""


def _check_promotions_page(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    nodes = data["promotions"]["nodes"]
    if len(nodes) != min(page, facts["promotions"]):
        return f"{len(nodes)} cases on a page of {page}"
    if not all(n["employee"] and n["toRole"] for n in nodes):
        return "cases without employee or target role"
    return None


PASSED_OVER = """
query PassedOver($first: Int!) {
  passedOver(filter: {minReadiness: 0.6, minMonths: 6}, first: $first) {
    totalCount
    nodes {
      readiness readySince monthsReady
      employee { name }
      targetRole { title }
      timeInRole { months }
      readinessHistory { readiness takenAt }
      promotions { status }
    }
  }
}
"""


def _check_passed_over(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    found = data["passedOver"]
    if len(found["nodes"]) != min(page, found["totalCount"]):
        return f"{len(found['nodes'])} people on a page of {page}"
    if not all(n["employee"] and n["readinessHistory"] for n in found["nodes"]):
        return "entries without employee or history"
    return None


ME_PLANS = """
query MePlans {
  me {
    developmentPlans {
      id title status progress goalCount overdueGoalCount startsOn endsOn
      targetRole { title }
      goals {
        title status progress dueOn overdue targetLevel competency { name }
        actions { kind title status dueOn resource { title url } mentor { name title } }
      }
      checkIns { heldOn note }
    }
  }
}
"""


def _check_me_plans(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    plans = data["me"]["developmentPlans"]
    if not plans:
        return "no development plans"
    if not any(p["status"] == "ACTIVE" and p["goals"] for p in plans):
        return "no active plan with goals"
    if not all(g["actions"] for p in plans for g in p["goals"]):
        return "a goal without actions"
    return None


# --- HRIS sync ----------------------------------------------------------------------------

SYNC_RESEND = """
mutation SyncResend($input: SyncEmployeesInput!) {
  syncEmployees(input: $input) {
    applied
    summary { created updated unchanged terminated failed }
    userErrors { code message }
  }
}
"""


def _check_sync_resend(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    found = data["syncEmployees"]
    want = len(facts["sync_batch"])
    if not found["applied"] or found["summary"]["unchanged"] != want:
        return f"not {want} records unchanged: {found}"
    return None


RECOMMENDED_POSTINGS = """
query RecommendedPostings($first: Int!) {
  me {
    recommendedPostings(first: $first) {
      totalCount
      nodes {
        score coverage aspirationFit mustHavesMet
        posting { id title kind }
        requirements { competency { name } requiredLevel currentLevel mustHave status }
      }
    }
  }
}
"""


def _check_recommended(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    found = data["me"]["recommendedPostings"]
    if found["totalCount"] < facts["mobility"]["open_postings"] * 0.9:
        return f"{found['totalCount']} postings ranked of {facts['mobility']['open_postings']}"
    if len(found["nodes"]) != page:
        return f"{len(found['nodes'])} matches on a page of {page}"
    scores = [n["score"] for n in found["nodes"]]
    if scores != sorted(scores, reverse=True):
        return "matches not ranked by score"
    return None


POSTING_CANDIDATES = """
query PostingCandidates($posting: ID!, $first: Int!) {
  node(id: $posting) {
    ... on Posting {
      candidates(first: $first) {
        totalCount
        nodes {
          score coverage aspirationFit mustHavesMet
          employee { name }
          application { status }
          requirements { competency { name } currentLevel status }
        }
      }
    }
  }
}
"""


def _check_candidates(data: dict[str, Any], facts: Facts, page: int) -> str | None:
    found = data["node"]["candidates"]
    if found["totalCount"] < facts["mobility"]["applicants"]:
        return f"{found['totalCount']} candidates, fewer than the applicants"
    if len(found["nodes"]) != min(page, found["totalCount"]):
        return f"{len(found['nodes'])} candidates on a page of {page}"
    if not all(n["employee"] for n in found["nodes"]):
        return "candidates without employee"
    return None


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
    ),
    Operation(
        name="employees_page",
        description="`employees(first: 100)` with manager, org unit and role, as an HR admin",
        kind="heavy",
        persona="admin",
        target=Target(p50_ms=40),
        query=EMPLOYEES_PAGE,
        variables=lambda facts, page: {"first": page},
        check=_check_employees_page,
        page_sizes=(10, 100),
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
        page_sizes=(5, 20),
    ),
    Operation(
        name="me_home",
        description="`me` with role, next roles and the gap analysis for current and next roles",
        kind="light",
        persona="employee",
        target=Target(p50_ms=15),
        query=ME_HOME,
        check=_check_me_home,
    ),
    Operation(
        name="team_matrix",
        description="`teamSkillsMatrix(scope: ALL, against: CURRENT_ROLE, first: 50)` for a "
        "manager of about 50 people",
        kind="heavy",
        persona="manager",
        target=Target(p50_ms=25),
        query=TEAM_MATRIX,
        variables=lambda facts, page: {
            "manager": global_id("Employee", facts["personas"]["manager"]["id"]),
            "first": page,
        },
        check=_check_team_matrix,
        page_sizes=(10, 50),
    ),
    Operation(
        name="org_summary",
        description="`skillGapSummary` by org unit and by competency over everyone, as an HR admin",
        kind="heavy",
        persona="admin",
        target=Target(p50_ms=150),
        query=ORG_SUMMARY,
        check=_check_org_summary,
    ),
    Operation(
        name="career_paths",
        description="`careerPaths` between two roles four steps apart",
        kind="light",
        persona="employee",
        target=Target(p50_ms=20),
        query=CAREER_PATHS,
        variables=lambda facts, page: {
            "from": global_id("Role", facts["career_path"]["from"]),
            "to": global_id("Role", facts["career_path"]["to"]),
        },
        check=_check_career_paths,
    ),
    Operation(
        name="framework_page",
        description="`roles(first: 100)` with level, family, expectations and next roles",
        kind="heavy",
        persona="employee",
        target=Target(p50_ms=40),
        query=FRAMEWORK_PAGE,
        variables=lambda facts, page: {"first": page},
        check=_check_framework_page,
        page_sizes=(10, 100),
    ),
    Operation(
        name="promotions_page",
        description="`promotions(first: 50)` with employee, roles, proposer and evidence, as "
        "an HR admin",
        kind="light",
        persona="admin",
        target=Target(),
        query=PROMOTIONS_PAGE,
        variables=lambda facts, page: {"first": page},
        check=_check_promotions_page,
        page_sizes=(10, 50),
    ),
    Operation(
        name="me_plans",
        description="`me { developmentPlans }` with goals, actions (resource, mentor), "
        "check-ins and progress, as an employee",
        kind="light",
        persona="employee",
        target=Target(),
        query=ME_PLANS,
        check=_check_me_plans,
    ),
    Operation(
        name="sync_resend",
        description="`syncEmployees` re-sending 1,000 records equal to what is stored (the "
        "nightly HRIS sync of unchanged people: every record UNCHANGED, nothing written), as "
        "an HR admin",
        kind="heavy",
        persona="admin",
        target=Target(p50_ms=500),
        query=SYNC_RESEND,
        variables=lambda facts, page: {"input": {"employees": facts["sync_batch"]}},
        check=_check_sync_resend,
    ),
    Operation(
        name="passed_over",
        description="`passedOver(minReadiness: 0.6, minMonths: 6, first: 50)` with readiness "
        "history, time in role and cases, as an HR admin",
        kind="heavy",
        persona="admin",
        target=Target(),
        query=PASSED_OVER,
        variables=lambda facts, page: {"first": page},
        check=_check_passed_over,
        page_sizes=(10, 50),
    ),
    Operation(
        name="recommended_postings",
        description="`me { recommendedPostings(first: 20) }` with the explanation, ranking "
        "every open posting (1,000 at 10,000 employees) for an employee",
        kind="heavy",
        persona="employee",
        target=Target(p50_ms=30),
        query=RECOMMENDED_POSTINGS,
        variables=lambda facts, page: {"first": page},
        check=_check_recommended,
        page_sizes=(5, 20),
    ),
    Operation(
        name="posting_candidates",
        description="`Posting.candidates(first: 20)` with the explanation, ranking applicants "
        "and discoverable people of the whole organization, as an HR admin",
        kind="heavy",
        persona="admin",
        target=Target(p50_ms=100),
        query=POSTING_CANDIDATES,
        variables=lambda facts, page: {
            "posting": global_id("Posting", facts["mobility"]["posting"]),
            "first": page,
        },
        check=_check_candidates,
        page_sizes=(5, 20),
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


# --- replayed floors ----------------------------------------------------------------------

ARRAY_ITEM = re.compile(r'"((?:[^"\\]|\\.)*)"|([^,{}]+)')


def from_text(value: str | None, type_name: str) -> Any:
    """A parameter as PostgreSQL printed it in the log, as the Python value asyncpg's
    binary codec for ``type_name`` expects."""
    if value is None:
        return None
    if type_name.endswith("[]"):
        element = type_name[:-2]
        items = []
        for m in ARRAY_ITEM.finditer(value.strip()[1:-1]):
            if m[1] is not None:
                items.append(from_text(re.sub(r"\\(.)", r"\1", m[1]), element))
            else:
                raw = m[2].strip()
                items.append(None if raw == "NULL" else from_text(raw, element))
        return items
    if type_name == "uuid":
        return uuid.UUID(value)
    if type_name in ("int2", "int4", "int8"):
        return int(value)
    if type_name in ("float4", "float8"):
        return float(value)
    if type_name == "numeric":
        return decimal.Decimal(value)
    if type_name == "bool":
        return value in ("t", "true", "on", "1")
    if type_name == "date":
        return dt.date.fromisoformat(value)
    if type_name in ("timestamptz", "timestamp"):
        if re.search(r"[+-]\d\d$", value):
            value += ":00"
        return dt.datetime.fromisoformat(value)
    return value


class Replay:
    """The statements one request ran (from the server log), prepared to run again."""

    def __init__(self, statements: Sequence[LoggedStatement]) -> None:
        self.statements = list(statements)
        self._prepared: list[tuple[Any, list[Any]] | str] = []

    async def prepare(self, conn: asyncpg.Connection) -> None:
        """Prepare every statement and convert its logged parameters, outside the timing."""
        self._prepared = []
        for statement in self.statements:
            if statement.simple:
                self._prepared.append(statement.sql)
                continue
            prepared = await conn.prepare(statement.sql)
            types = [t.name for t in prepared.get_parameters()]
            args = [from_text(v, t) for v, t in zip(statement.params, types, strict=True)]
            self._prepared.append((prepared, args))

    async def run(self, conn: asyncpg.Connection) -> None:
        for item in self._prepared:
            if isinstance(item, str):
                await conn.execute(item)
            else:
                prepared, args = item
                await prepared.fetch(*args)


async def time_replay(
    conn: asyncpg.Connection,
    replay: Replay,
    *,
    warmup: int,
    max_runs: int,
    max_seconds: float,
) -> tuple[list[int], float]:
    """Latencies (ns) of a replayed floor, and statements per run."""
    await replay.prepare(conn)
    warm_until = time.perf_counter() + max_seconds
    for _ in range(warmup):
        if time.perf_counter() > warm_until:  # slow statements: enough warming
            break
        await replay.run(conn)
    latencies: list[int] = []
    deadline = time.perf_counter() + max_seconds
    while len(latencies) < max_runs and time.perf_counter() < deadline:
        t = time.perf_counter_ns()
        await replay.run(conn)
        latencies.append(time.perf_counter_ns() - t)
    return latencies, float(len(replay.statements))
