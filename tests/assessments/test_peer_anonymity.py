"""Peer feedback is anonymous to its subject, on every path the subject can take.

Two organizations are built alike, step for step, except for who wrote which peer
feedback: in one Bob rates 4 ("E-four") and Carol 2 ("E-two"), in the other the reverse.
Whatever the subject asks, both must answer the same (once each organization's IDs and
timestamps are replaced by what they stand for), or the answer ties a rating to a person.
Within one organization, every path that takes a person or an assessment answers the same
for the real author as for a colleague who wrote nothing, and no answer carries a peer's
evidence or the ID of a peer's assessment.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from service.assessments import service as assessments
from service.graphql.ids import encode_id, parse_global_id
from service.people import service as people
from tests.assessments.conftest import MANAGER, act, load_framework, r, rate
from tests.conftest import Org

EMPLOYEE = "career:employee"
PEERS = ("bob", "carol", "dave")
# Who wrote which feedback, per organization: Bob and Carol swap theirs.
ATTRIBUTIONS = (
    {"bob": (4, "E-four"), "carol": (2, "E-two"), "dave": (3, "E-three")},
    {"bob": (2, "E-two"), "carol": (4, "E-four"), "dave": (3, "E-three")},
)

PERSON = "id name"
ASSESSMENT = f"""
    id kind status source submittedAt createdAt updatedAt version
    subject {{ {PERSON} }} assessor {{ {PERSON} }} invitedBy {{ {PERSON} }}
    ratings {{ level levelName evidence updatedAt competency {{ key }} }}
"""
RATINGS = f"""ratings {{ level evidence updatedAt assessment {{
    id kind status submittedAt updatedAt assessor {{ {PERSON} }} invitedBy {{ {PERSON} }} }} }}"""
GAP = f"competency {{ key }} requiredLevel currentLevel gap status source stale asOf {RATINGS}"
#: What the subject reads of their own career data, in parts small enough for the cost limit.
PROFILES = (
    f"currentProficiencies {{ competency {{ key }} level levelName source stale asOf {RATINGS} }}",
    f"""gapAnalysis {{ relation readiness role {{ key }} expectations {{ {GAP} }}
        meetsCount belowCount exceedsCount unassessedCount staleCount }}""",
    f"gapAnalysis {{ topGaps(limit: 5) {{ {GAP} }} strengths(limit: 5) {{ {GAP} }} }}",
)
PROFILE = PROFILES[0]
LIST = f"""
query($f: AssessmentFilter, $first: Int, $last: Int, $after: String) {{
    assessments(filter: $f, first: $first, last: $last, after: $after) {{
        totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
        edges {{ cursor node {{ {ASSESSMENT} }} }} }} }}
"""
NODE = f"query($id: ID!) {{ node(id: $id) {{ id ... on Assessment {{ {ASSESSMENT} }} }} }}"
NODES = f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ id ... on Assessment {{ {ASSESSMENT} }} }} }}"
SAVE = """mutation($i: SaveRatingsInput!) { saveRatings(input: $i) {
    assessment { id } userErrors { field message code } } }"""
SUBMIT = """mutation($i: SubmitAssessmentInput!) { submitAssessment(input: $i) {
    assessment { id } userErrors { field message code } } }"""
INVITE = f"""mutation($i: InvitePeerAssessorInput!) {{ invitePeerAssessor(input: $i) {{
    assessment {{ {ASSESSMENT} }} userErrors {{ field message code }} }} }}"""


@dataclass
class World:
    org: Org
    competency: dict[str, uuid.UUID]
    peer_assessments: dict[str, uuid.UUID] = field(default_factory=dict)

    def person(self, key: str) -> str:
        return encode_id("Employee", self.org.people[key].id)

    def peer_assessment(self, key: str) -> str:
        return encode_id("Assessment", self.peer_assessments[key])

    async def ask(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The subject's answer."""
        return await self.org.gql(query, variables or {}, as_="alice", scopes=EMPLOYEE)

    def normalized(self, body: Any) -> Any:
        """The answer with this organization's IDs replaced by what they name (people by
        key, other objects by type) and timestamps by a placeholder."""
        names = {p.id: key for key, p in self.org.people.items()}
        if isinstance(body, dict):
            return {k: self.normalized(v) for k, v in body.items()}
        if isinstance(body, list):
            return [self.normalized(v) for v in body]
        if isinstance(body, str):
            if TIMESTAMP.fullmatch(body):
                return "<time>"
            parsed = parse_global_id(body)
            if parsed is not None:
                type_name, value = parsed
                return f"{type_name}:{names.get(value, '?')}"
        return body


TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)?")


async def build(org: Org, attribution: dict[str, tuple[int, str]]) -> World:
    """Alice (engineer) rated by herself, her manager and three peers; a fourth colleague
    (Mia) invited but not yet done."""
    for key, manager, name in (
        ("admin", None, "Ada Admin"),
        ("boss", None, "Bea Boss"),
        ("manager", "boss", "Max Manager"),
        ("alice", "manager", "Alice Anders"),
        ("bob", "manager", "Bob Brown"),
        ("manager2", "boss", "Mia Second"),
        ("carol", "manager2", "Carol Chen"),
        ("dave", "manager2", "Dave Doe"),
    ):
        await org.employee(key, manager=manager, name=name)
    fw = await load_framework(org)
    await org.run(
        people.update_employee,
        org.people["alice"].id,
        people.EmployeeInput(role_id=fw.role["engineer"]),
    )
    c = fw.competency
    world = World(org, c)
    await rate(org, "manager", "alice", "MANAGER", {c["coding"]: 2})
    await rate(org, "alice", "alice", "SELF", {c["design"]: 3, c["teamwork"]: 1})
    alice = org.people["alice"].id
    for peer in (*PEERS, "manager2"):
        row = await act(org, "alice", assessments.invite_peer, alice, org.people[peer].id)
        world.peer_assessments[peer] = row.id
    for peer in PEERS:
        level, evidence = attribution[peer]
        assessment_id = world.peer_assessments[peer]
        ratings = [r(c["teamwork"], level, evidence), r(c["delivery"], level, evidence)]
        await act(org, peer, assessments.save_ratings, assessment_id, ratings, scopes=EMPLOYEE)
        await act(org, peer, assessments.submit_assessment, assessment_id, scopes=EMPLOYEE)
    return world


def reads(w: World) -> list[tuple[str, str, dict[str, Any]]]:
    """Every read path of the subject, each as (name, query, variables)."""
    me = w.person("alice")
    filters: list[dict[str, Any] | None] = [
        None,
        {"kind": "PEER"},
        {"subjectId": me},
        {"subjectId": me, "kind": "PEER", "status": "SUBMITTED"},
        {"status": "DRAFT"},
    ]
    out = []
    for i, f in enumerate(filters):
        out.append((f"assessments filter {i}", LIST, {"f": f, "first": 50}))
        out.append((f"assessments filter {i}, last 1", LIST, {"f": f, "last": 1}))
        out.append(
            (f"assessments filter {i}, second page", LIST, {"f": f, "first": 1, "after": CUR0})
        )
    out += [(f"node of {p}'s feedback", NODE, {"id": w.peer_assessment(p)}) for p in PEERS]
    out += [
        ("nodes of the feedback", NODES, {"ids": [w.peer_assessment(p) for p in PEERS]}),
        *((f"me {i}", f"{{ me {{ {PERSON} {p} }} }}", {}) for i, p in enumerate(PROFILES)),
        *(
            (f"employee {i}", f"query($id: ID!) {{ employee(id: $id) {{ {p} }} }}", {"id": me})
            for i, p in enumerate(PROFILES)
        ),
        (
            "team matrix",
            "query($m: ID) { teamSkillsMatrix(managerId: $m) { rows { totalCount nodes { "
            "employee { name } cells { currentLevel source } } } } }",
            {"m": me},
        ),
        ("audit log", "{ auditEvents(first: 100) { nodes { action changes } } }", {}),
        (
            "skill gap summary",
            "{ skillGapSummary(groupBy: COMPETENCY) { groups { meanGap } } }",
            {},
        ),
    ]
    return out


CUR0 = "Y3Vyc29yOjA="  # position 0


def assert_answered(body: dict[str, Any], what: str) -> None:
    """The path answered: data, or a denial (never a refusal of the query itself)."""
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
    assert codes <= {"FORBIDDEN"}, (what, body)
    assert codes or body.get("data"), (what, body)


def assert_tells_nothing(w: World, body: dict[str, Any], what: str) -> None:
    """No peer's evidence, no peer assessment's ID, no peer's name or ID in an answer."""
    text = repr(body)
    for peer in PEERS:
        _, evidence = ATTRIBUTIONS[0][peer]
        assert evidence not in text, (what, peer, body)
        assert w.peer_assessment(peer) not in text, (what, peer, body)
        assert w.person(peer) not in text, (what, peer, body)
        assert w.org.people[peer].name not in text, (what, peer, body)


async def test_the_subject_learns_nothing_of_who_wrote_which_peer_feedback(
    org_factory: Any,
) -> None:
    worlds = [await build(await org_factory(), a) for a in ATTRIBUTIONS]
    one, other = worlds
    for (name, query, variables), (_, _, variables2) in zip(reads(one), reads(other), strict=True):
        first = await one.ask(query, variables)
        second = await other.ask(query, variables2)
        assert_answered(first, name)
        assert_tells_nothing(one, first, name)
        assert_tells_nothing(other, second, name)
        assert one.normalized(first) == other.normalized(second), name

    # The peer mean is there (three peers), and it is the mean only.
    body = await one.ask(f"{{ me {{ {PROFILE} }} }}")
    levels = {p["competency"]["key"]: p for p in body["data"]["me"]["currentProficiencies"]}
    assert (levels["teamwork"]["level"], levels["teamwork"]["source"]) == (3.0, "PEER")
    assert levels["teamwork"]["ratings"] == []


async def test_paths_taking_a_person_or_an_assessment_answer_alike_for_the_author(
    org_factory: Any,
) -> None:
    w = await build(await org_factory(), ATTRIBUTIONS[0])
    me = w.person("alice")
    nobody = encode_id("Assessment", uuid.uuid4())
    # Filters by assessor: the real author (Bob) and colleagues who wrote nothing.
    for f in (
        {"kind": "PEER", "subjectId": me},
        {"subjectId": me},
        {},
        {"status": "SUBMITTED"},
    ):
        answers = [
            await w.ask(LIST, {"f": {**f, "assessorId": w.person(who)}, "first": 50})
            for who in ("bob", "carol", "dave", "boss", "admin")
        ]
        for answer in answers:
            assert_tells_nothing(w, answer, f"assessorId with {f}")
        assert all(a == answers[0] for a in answers), f
    # By ID: a peer's assessment, submitted or pending, is as unknown as no assessment.
    targets = [w.peer_assessment(p) for p in (*PEERS, "manager2")] + [nobody]
    for query, variables in (
        (NODE, lambda t: {"id": t}),
        (NODES, lambda t: {"ids": [t]}),
        (SAVE, lambda t: {"i": {"assessmentId": t, "ratings": []}}),
        (SUBMIT, lambda t: {"i": {"assessmentId": t}}),
    ):
        answers = [await w.ask(query, variables(t)) for t in targets]
        assert all(a == answers[0] for a in answers), (query, answers)
    # Inviting: a peer who already wrote, one with a pending invitation and one never
    # invited get the same answer, which hands out no ID.
    answers = []
    for who in ("bob", "manager2", "boss", "manager2"):
        answers.append(await w.ask(INVITE, {"i": {"subjectId": me, "peerId": w.person(who)}}))
    assert all(a == answers[0] for a in answers), answers
    assert answers[0] == {"data": {"invitePeerAssessor": {"assessment": None, "userErrors": []}}}


async def test_managers_and_admins_keep_what_the_policy_gives_them(org_factory: Any) -> None:
    w = await build(await org_factory(), ATTRIBUTIONS[0])
    for who, scopes in (("manager", MANAGER), ("admin", "career:employee career:admin")):
        body = await w.org.gql(LIST, {"f": {"kind": "PEER"}, "first": 50}, as_=who, scopes=scopes)
        nodes = [e["node"] for e in body["data"]["assessments"]["edges"]]
        written = {
            n["assessor"]["name"]: n["ratings"][0]["evidence"]
            for n in nodes
            if n["status"] == "SUBMITTED"
        }
        assert written == {"Bob Brown": "E-four", "Carol Chen": "E-two", "Dave Doe": "E-three"}
