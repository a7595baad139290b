"""Assessments over GraphQL: writing, submitting, visibility, cycles, calibration, import,
and refused input leaving nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from service.assessments import service as assessments
from service.graphql.ids import encode_id
from tests.assessments.conftest import (
    ADMIN,
    MANAGER,
    Framework,
    act,
    codes,
    data,
    past,
    r,
    rate,
    row_counts,
)
from tests.conftest import Org, gid

START = """
mutation($i: StartAssessmentInput!) { startAssessment(input: $i) {
    assessment { id kind status version subject { name } assessor { name } cycle { name } }
    userErrors { field message code } } }
"""
SAVE = """
mutation($i: SaveRatingsInput!) { saveRatings(input: $i) {
    assessment { id version ratings { competency { key } level levelName evidence } }
    userErrors { field message code } } }
"""
SUBMIT = """
mutation($i: SubmitAssessmentInput!) { submitAssessment(input: $i) {
    assessment { id status submittedAt version } userErrors { field message code } } }
"""
INVITE = """
mutation($i: InvitePeerAssessorInput!) { invitePeerAssessor(input: $i) {
    assessment { id kind status assessor { name } invitedBy { name } }
    userErrors { field message code } } }
"""
LIST = """
query($f: AssessmentFilter) { assessments(first: 50, filter: $f) { totalCount nodes {
    id kind status assessor { name } subject { name } ratings { level evidence } } } }
"""


def cid(fw: Framework, key: str) -> str:
    return encode_id("Competency", fw.competency[key])


async def start(org: Org, who: str, subject: str, kind: str, **kw: Any) -> dict[str, Any]:
    body = await org.gql(
        START,
        {"i": {"subjectId": gid("Employee", org.people[subject]), "kind": kind, **kw}},
        as_=who,
        scopes=MANAGER,
    )
    return data(body)["startAssessment"]  # type: ignore[no-any-return]


async def save(org: Org, who: str, assessment: str, ratings: list[Any], **kw: Any) -> Any:
    body = await org.gql(
        SAVE, {"i": {"assessmentId": assessment, "ratings": ratings, **kw}}, as_=who, scopes=MANAGER
    )
    return body


async def submit(org: Org, who: str, assessment: str, **kw: Any) -> Any:
    return await org.gql(SUBMIT, {"i": {"assessmentId": assessment, **kw}}, as_=who, scopes=MANAGER)


async def listed(org: Org, who: str, scopes: str = MANAGER, **f: Any) -> list[dict[str, Any]]:
    body = await org.gql(LIST, {"f": f or None}, as_=who, scopes=scopes)
    return data(body)["assessments"]["nodes"]  # type: ignore[no-any-return]


async def test_self_assessment_from_draft_to_submitted(team: Org, fw: Framework) -> None:
    started = await start(team, "alice", "alice", "SELF")
    assert started["userErrors"] == []
    a = started["assessment"]
    assert (a["kind"], a["status"], a["subject"]["name"], a["assessor"]["name"]) == (
        "SELF",
        "DRAFT",
        "Alice Anders",
        "Alice Anders",
    )
    # Starting again returns the same draft.
    assert (await start(team, "alice", "alice", "SELF"))["assessment"]["id"] == a["id"]

    body = await save(
        team,
        "alice",
        a["id"],
        [
            {"competencyId": cid(fw, "coding"), "level": 3, "evidence": "Shipped the importer."},
            {"competencyId": cid(fw, "design"), "level": 2},
        ],
    )
    saved = data(body)["saveRatings"]
    assert saved["userErrors"] == []
    assert {x["competency"]["key"]: x["level"] for x in saved["assessment"]["ratings"]} == {
        "coding": 3,
        "design": 2,
    }
    # Replace one, remove the other, with the version read.
    body = await save(
        team,
        "alice",
        a["id"],
        [{"competencyId": cid(fw, "coding"), "level": 4}],
        removeCompetencyIds=[cid(fw, "design")],
        version=saved["assessment"]["version"],
    )
    saved = data(body)["saveRatings"]["assessment"]
    assert [(x["competency"]["key"], x["level"], x["levelName"]) for x in saved["ratings"]] == [
        ("coding", 4, "Advanced")
    ]
    # Her manager does not see the draft.
    assert await listed(team, "manager") == []

    body = await submit(team, "alice", a["id"])
    done = data(body)["submitAssessment"]
    assert done["userErrors"] == []
    assert done["assessment"]["status"] == "SUBMITTED"
    assert done["assessment"]["submittedAt"]
    # Now he does, and Bob (her peer) does not.
    assert [x["id"] for x in await listed(team, "manager")] == [a["id"]]
    assert await listed(team, "bob") == []
    assert await listed(team, "manager2") == []


async def test_manager_assessment_is_hidden_from_the_subject_until_submitted(
    team: Org, fw: Framework
) -> None:
    a = (await start(team, "manager", "alice", "MANAGER"))["assessment"]
    await save(team, "manager", a["id"], [{"competencyId": cid(fw, "coding"), "level": 2}])
    assert await listed(team, "alice") == []
    # The manager's own manager neither (a draft is its assessor's).
    assert await listed(team, "boss") == []
    data(await submit(team, "manager", a["id"]))
    seen = await listed(team, "alice")
    assert [(x["kind"], x["assessor"]["name"]) for x in seen] == [("MANAGER", "Max Manager")]
    assert [x["id"] for x in await listed(team, "boss")] == [a["id"]]
    # Filtering by assessor gives a manager his to-do list.
    mine = await listed(team, "manager", assessorId=gid("Employee", team.people["manager"]))
    assert [x["id"] for x in mine] == [a["id"]]


async def test_the_boss_of_a_manager_writes_manager_assessments_too(
    team: Org, fw: Framework
) -> None:
    started = await start(team, "boss", "alice", "MANAGER")
    assert started["userErrors"] == []


async def test_peers_see_only_what_they_wrote(team: Org, fw: Framework) -> None:
    await rate(team, "manager", "alice", "MANAGER", {fw.competency["coding"]: 3})
    invite = {
        "i": {
            "subjectId": gid("Employee", team.people["alice"]),
            "peerId": gid("Employee", team.people["carol"]),
        }
    }
    body = await team.gql(INVITE, invite, as_="alice")
    invited = data(body)["invitePeerAssessor"]
    # The subject is handed nothing that could later point at one peer's feedback...
    assert invited == {"assessment": None, "userErrors": []}
    # ...and inviting the same peer again answers the same, writing nothing.
    before = await row_counts(team)
    assert data(await team.gql(INVITE, invite, as_="alice")) == body["data"]
    assert await row_counts(team) == before
    # Her manager, who may see who writes her peer feedback, is told the peer is invited.
    again = data(await team.gql(INVITE, invite, as_="manager", scopes=MANAGER))
    assert [e["code"] for e in again["invitePeerAssessor"]["userErrors"]] == ["TAKEN"]

    # Carol sees her draft only, not the manager's assessment of Alice.
    carol_sees = await listed(team, "carol", "career:employee")
    assert [(x["kind"], x["status"]) for x in carol_sees] == [("PEER", "DRAFT")]
    draft = carol_sees[0]
    await save(team, "carol", draft["id"], [{"competencyId": cid(fw, "teamwork"), "level": 4}])
    data(await submit(team, "carol", draft["id"]))
    assert [x["id"] for x in await listed(team, "carol", "career:employee")] == [draft["id"]]
    # Alice does not see the peer assessment at all; her manager sees it and who wrote it.
    assert [x["kind"] for x in await listed(team, "alice")] == ["MANAGER"]
    peer = next(x for x in await listed(team, "manager") if x["kind"] == "PEER")
    assert peer["assessor"] == {"name": "Carol Chen"}
    assert peer["ratings"] == [{"level": 4, "evidence": None}]


async def test_subjects_and_managers_invite_peers_and_others_do_not(
    team: Org, fw: Framework
) -> None:
    variables = {
        "i": {
            "subjectId": gid("Employee", team.people["alice"]),
            "peerId": gid("Employee", team.people["bob"]),
        }
    }
    body = await team.gql(INVITE, variables, as_="carol")
    assert codes(body) == ["FORBIDDEN"]
    body = await team.gql(INVITE, variables, as_="manager2", scopes=MANAGER)
    assert codes(body) == ["FORBIDDEN"]
    body = await team.gql(INVITE, variables, as_="manager", scopes=MANAGER)
    assert data(body)["invitePeerAssessor"]["userErrors"] == []
    # A subject cannot be their own peer.
    body = await team.gql(
        INVITE,
        {"i": {**variables["i"], "peerId": gid("Employee", team.people["alice"])}},
        as_="alice",
    )
    assert [e["field"] for e in data(body)["invitePeerAssessor"]["userErrors"]] == [
        ["input", "peerId"]
    ]


# --- refused input ------------------------------------------------------------------------


async def test_ratings_off_the_scale_or_twice_are_refused_with_nothing_written(
    team: Org, fw: Framework
) -> None:
    a = (await start(team, "alice", "alice", "SELF"))["assessment"]
    before = await row_counts(team)
    body = await save(
        team,
        "alice",
        a["id"],
        [
            {"competencyId": cid(fw, "coding"), "level": 6},
            {"competencyId": cid(fw, "design"), "level": 0},
            {"competencyId": cid(fw, "teamwork"), "level": 3},
            {"competencyId": cid(fw, "teamwork"), "level": 4},
            {"competencyId": "not-an-id", "level": 3},
            {"competencyId": cid(fw, "delivery"), "level": 3, "evidence": "x" * 4001},
        ],
    )
    result = data(body)["saveRatings"]
    assert result["assessment"] is None
    errors = {tuple(e["field"]): e["code"] for e in result["userErrors"]}
    assert errors == {
        ("input", "ratings", "0", "level"): "INVALID",
        ("input", "ratings", "1", "level"): "INVALID",
        ("input", "ratings", "3", "competencyId"): "TAKEN",
        ("input", "ratings", "4", "competencyId"): "INVALID",
        ("input", "ratings", "5", "evidence"): "TOO_LONG",
    }
    messages = {tuple(e["field"]): e["message"] for e in result["userErrors"]}
    assert "outside the scale" in messages[("input", "ratings", "0", "level")]
    assert await row_counts(team) == before


async def test_submitted_assessments_are_immutable(team: Org, fw: Framework) -> None:
    a = (await start(team, "alice", "alice", "SELF"))["assessment"]
    await save(team, "alice", a["id"], [{"competencyId": cid(fw, "coding"), "level": 3}])
    data(await submit(team, "alice", a["id"]))
    before = await row_counts(team)
    again = data(await submit(team, "alice", a["id"]))["submitAssessment"]
    assert [(e["field"], e["code"]) for e in again["userErrors"]] == [
        (["input", "assessmentId"], "INVALID_STATE")
    ]
    edit = data(
        await save(team, "alice", a["id"], [{"competencyId": cid(fw, "coding"), "level": 5}])
    )["saveRatings"]
    assert [e["code"] for e in edit["userErrors"]] == ["INVALID_STATE"]
    assert await row_counts(team) == before
    # A new assessment supersedes it.
    newer = (await start(team, "alice", "alice", "SELF"))["assessment"]
    assert newer["id"] != a["id"]


async def test_an_empty_draft_cannot_be_submitted_and_versions_are_checked(
    team: Org, fw: Framework
) -> None:
    a = (await start(team, "alice", "alice", "SELF"))["assessment"]
    empty = data(await submit(team, "alice", a["id"]))["submitAssessment"]
    assert [e["code"] for e in empty["userErrors"]] == ["REQUIRED"]
    stale = data(
        await save(
            team,
            "alice",
            a["id"],
            [{"competencyId": cid(fw, "coding"), "level": 3}],
            version=a["version"] + 5,
        )
    )["saveRatings"]
    assert [e["code"] for e in stale["userErrors"]] == ["STALE_VERSION"]


@pytest.mark.parametrize(
    ("who", "subject", "kind", "scopes"),
    [
        ("bob", "alice", "SELF", "career:employee"),  # someone else's self assessment
        ("alice", "alice", "MANAGER", MANAGER),  # a manager assessment of oneself
        ("manager2", "alice", "MANAGER", MANAGER),  # not her manager
        ("manager", "alice", "MANAGER", "career:employee"),  # her manager, without the scope
        ("admin", "alice", "MANAGER", "career:employee career:admin"),  # admins calibrate
        ("alice", "manager", "MANAGER", MANAGER),  # upwards
    ],
)
async def test_assessing_someone_outside_your_reach_is_forbidden(
    team: Org, fw: Framework, who: str, subject: str, kind: str, scopes: str
) -> None:
    before = await row_counts(team)
    body = await team.gql(
        START,
        {"i": {"subjectId": gid("Employee", team.people[subject]), "kind": kind}},
        as_=who,
        scopes=scopes,
    )
    assert codes(body) == ["FORBIDDEN"]
    assert body["data"] is None
    assert await row_counts(team) == before


async def test_someone_elses_draft_is_out_of_reach(team: Org, fw: Framework) -> None:
    a = (await start(team, "manager", "alice", "MANAGER"))["assessment"]
    before = await row_counts(team)
    for who in ("alice", "boss", "bob"):
        body = await save(team, who, a["id"], [{"competencyId": cid(fw, "coding"), "level": 1}])
        assert codes(body) == ["FORBIDDEN"], who
        assert codes(await submit(team, who, a["id"])) == ["FORBIDDEN"], who
    assert await row_counts(team) == before


async def test_a_manager_who_lost_the_report_cannot_submit(team: Org, fw: Framework) -> None:
    from service.people import service as people

    draft = await act(
        team, "manager", assessments.start_assessment, team.people["alice"].id, "MANAGER"
    )
    await act(team, "manager", assessments.save_ratings, draft.id, [r(fw.competency["coding"], 2)])
    await team.run(
        people.update_employee,
        team.people["alice"].id,
        people.EmployeeInput(manager_id=team.people["manager2"].id),
    )
    body = await submit(team, "manager", encode_id("Assessment", draft.id))
    assert codes(body) == ["FORBIDDEN"]


async def test_peer_and_calibration_kinds_are_not_started(team: Org, fw: Framework) -> None:
    for kind in ("PEER", "CALIBRATION"):
        result = await start(team, "alice", "alice", kind)
        assert [e["field"] for e in result["userErrors"]] == [["input", "kind"]]


# --- cycles -------------------------------------------------------------------------------

CREATE_CYCLE = """
mutation($i: CreateAssessmentCycleInput!) { createAssessmentCycle(input: $i) {
    cycle { id name status kinds coverage startsOn endsOn version employees { name } orgUnit { name } }
    userErrors { field message code } } }
"""
MOVE = """
mutation($i: AssessmentCycleTransitionInput!) {
  open: openAssessmentCycle(input: $i) @include(if: %s) { cycle { status version } userErrors { code } }
  close: closeAssessmentCycle(input: $i) @skip(if: %s) { cycle { status version } userErrors { code } }
}
"""


async def create_cycle(org: Org, **fields: Any) -> dict[str, Any]:
    base = {
        "name": "2026 year-end review",
        "startsOn": "2026-12-01",
        "endsOn": "2026-12-31",
        "kinds": ["SELF", "MANAGER", "PEER"],
    }
    body = await org.gql(CREATE_CYCLE, {"i": {**base, **fields}}, **ADMIN)
    return data(body)["createAssessmentCycle"]  # type: ignore[no-any-return]


async def move(org: Org, cycle: str, *, open_it: bool) -> dict[str, Any]:
    flag = "true" if open_it else "false"
    body = await org.gql(MOVE % (flag, flag), {"i": {"id": cycle}}, **ADMIN)
    return data(body)["open" if open_it else "close"]  # type: ignore[no-any-return]


async def test_cycle_lifecycle_and_assessments_in_it(team: Org, fw: Framework) -> None:
    created = await create_cycle(team)
    assert created["userErrors"] == []
    cycle = created["cycle"]
    assert (cycle["status"], cycle["coverage"], cycle["kinds"]) == (
        "DRAFT",
        "ALL",
        ["SELF", "MANAGER", "PEER"],
    )
    # Not open yet.
    early = await start(team, "alice", "alice", "SELF", cycleId=cycle["id"])
    assert [(e["field"], e["code"]) for e in early["userErrors"]] == [
        (["input", "cycleId"], "INVALID_STATE")
    ]
    opened = await move(team, cycle["id"], open_it=True)
    assert opened["cycle"]["status"] == "OPEN"
    a = (await start(team, "alice", "alice", "SELF", cycleId=cycle["id"]))["assessment"]
    assert a["cycle"]["name"] == "2026 year-end review"
    await save(team, "alice", a["id"], [{"competencyId": cid(fw, "coding"), "level": 3}])
    data(await submit(team, "alice", a["id"]))
    # One per assessor, subject and kind in a cycle.
    twice = await start(team, "alice", "alice", "SELF", cycleId=cycle["id"])
    assert [e["code"] for e in twice["userErrors"]] == ["TAKEN"]
    # Calibrations are not collected by this cycle.
    with pytest.raises(Exception, match="does not collect CALIBRATION"):
        await team.run(
            assessments.calibrate,
            team.people["alice"].id,
            [r(fw.competency["coding"], 3)],
            cycle_id=_uuid(cycle["id"]),
        )
    # Close it: a draft left behind can no longer be submitted.
    m = (await start(team, "manager", "alice", "MANAGER", cycleId=cycle["id"]))["assessment"]
    await save(team, "manager", m["id"], [{"competencyId": cid(fw, "coding"), "level": 3}])
    closed = await move(team, cycle["id"], open_it=False)
    assert closed["cycle"]["status"] == "CLOSED"
    late = data(await submit(team, "manager", m["id"]))["submitAssessment"]
    assert [e["code"] for e in late["userErrors"]] == ["INVALID_STATE"]
    assert [e["code"] for e in (await move(team, cycle["id"], open_it=False))["userErrors"]] == [
        "INVALID_STATE"
    ]
    listing = await team.gql("{ assessmentCycles(status: CLOSED) { nodes { name } } }", as_="bob")
    assert data(listing)["assessmentCycles"]["nodes"] == [{"name": "2026 year-end review"}]


def _uuid(global_id: str) -> Any:
    from service.graphql.ids import parse_global_id

    parsed = parse_global_id(global_id)
    assert parsed is not None
    return parsed[1]


async def test_cycle_coverage_by_employees_and_by_org_unit(team: Org, fw: Framework) -> None:
    from service.people import service as people

    listed_cycle = (await create_cycle(team, employeeIds=[gid("Employee", team.people["bob"])]))[
        "cycle"
    ]
    assert listed_cycle["coverage"] == "EMPLOYEES"
    assert listed_cycle["employees"] == [{"name": "Bob Brown"}]
    await move(team, listed_cycle["id"], open_it=True)
    refused = await start(team, "alice", "alice", "SELF", cycleId=listed_cycle["id"])
    assert "does not cover" in refused["userErrors"][0]["message"]
    assert (await start(team, "bob", "bob", "SELF", cycleId=listed_cycle["id"]))["assessment"]

    top = await team.run(people.create_org_unit, people.OrgUnitInput(name="Engineering"))
    sub = await team.run(people.create_org_unit, people.OrgUnitInput(name="Apps", parent_id=top.id))
    await team.run(
        people.update_employee, team.people["alice"].id, people.EmployeeInput(org_unit_id=sub.id)
    )
    unit_cycle = (await create_cycle(team, orgUnitId=encode_id("OrgUnit", top.id)))["cycle"]
    assert (unit_cycle["coverage"], unit_cycle["orgUnit"]) == ("ORG_UNIT", {"name": "Engineering"})
    await move(team, unit_cycle["id"], open_it=True)
    assert (await start(team, "alice", "alice", "SELF", cycleId=unit_cycle["id"]))["assessment"]
    assert (await start(team, "bob", "bob", "SELF", cycleId=unit_cycle["id"]))["userErrors"]


async def test_bad_cycles_are_refused_with_nothing_written(team: Org, fw: Framework) -> None:
    before = await row_counts(team)
    result = await create_cycle(
        team,
        name=" ",
        startsOn="2026-12-31",
        endsOn="2026-12-01",
        kinds=[],
        orgUnitId=encode_id("OrgUnit", team.people["bob"].id),
    )
    assert {tuple(e["field"]): e["code"] for e in result["userErrors"]} == {
        ("input", "name"): "REQUIRED",
        ("input", "endsOn"): "INVALID",
        ("input", "kinds"): "REQUIRED",
        ("input", "orgUnitId"): "NOT_FOUND",
    }
    assert await row_counts(team) == before
    body = await team.gql(
        CREATE_CYCLE,
        {"i": {"name": "x", "startsOn": "2026-01-01", "endsOn": "2026-01-02", "kinds": ["SELF"]}},
        as_="manager",
        scopes=MANAGER,
    )
    assert codes(body) == ["FORBIDDEN"]


# --- calibration --------------------------------------------------------------------------

CALIBRATE = """
mutation($i: CalibrateRatingsInput!) { calibrateRatings(input: $i) {
    assessment { kind status assessor { name } ratings { level } } userErrors { field code } } }
"""


async def test_admins_calibrate(team: Org, fw: Framework) -> None:
    variables = {
        "i": {
            "subjectId": gid("Employee", team.people["alice"]),
            "ratings": [{"competencyId": cid(fw, "coding"), "level": 4}],
        }
    }
    body = await team.gql(CALIBRATE, variables, **ADMIN)
    done = data(body)["calibrateRatings"]
    assert done["userErrors"] == []
    assert (done["assessment"]["kind"], done["assessment"]["status"]) == (
        "CALIBRATION",
        "SUBMITTED",
    )
    assert done["assessment"]["assessor"] == {"name": "Ada Admin"}
    before = await row_counts(team)
    body = await team.gql(CALIBRATE, variables, as_="manager", scopes=MANAGER)
    assert codes(body) == ["FORBIDDEN"]
    bad = data(
        await team.gql(
            CALIBRATE,
            {"i": {"subjectId": gid("Employee", team.people["alice"]), "ratings": []}},
            **ADMIN,
        )
    )["calibrateRatings"]
    assert [e["code"] for e in bad["userErrors"]] == ["REQUIRED"]
    assert await row_counts(team) == before


# --- import -------------------------------------------------------------------------------

IMPORT = """
mutation($i: ImportRatingsInput!) { importRatings(input: $i) {
    importedCount assessmentCount employeeCount userErrors { field message code } } }
"""


def row(org: Org, fw: Framework, **over: Any) -> dict[str, Any]:
    base = {
        "subjectId": gid("Employee", org.people["alice"]),
        "competencyId": cid(fw, "coding"),
        "level": 3,
        "kind": "MANAGER",
        "assessorId": gid("Employee", org.people["manager"]),
        "ratedOn": "2025-06-30",
    }
    return {**base, **over}


async def test_import_of_past_ratings(team: Org, fw: Framework) -> None:
    rows = [
        row(team, fw),
        row(team, fw, competencyId=cid(fw, "design"), level=2, evidence="Design doc review"),
        row(team, fw, kind="SELF", assessorId=None, level=4),
        row(team, fw, subjectId=gid("Employee", team.people["bob"]), ratedOn="2024-12-15"),
    ]
    body = await team.gql(IMPORT, {"i": {"ratings": rows}}, **ADMIN)
    result = data(body)["importRatings"]
    assert result == {
        "importedCount": 4,
        "assessmentCount": 3,
        "employeeCount": 2,
        "userErrors": [],
    }
    imported = await listed(
        team, "admin", "career:admin", subjectId=gid("Employee", team.people["alice"])
    )
    assert sorted((x["kind"], len(x["ratings"])) for x in imported) == [("MANAGER", 2), ("SELF", 1)]


async def test_an_import_with_bad_rows_writes_nothing(team: Org, fw: Framework) -> None:
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    rows = [
        row(team, fw),  # fine
        row(team, fw, level=9),
        row(team, fw, subjectId=gid("Employee", team.people["alice"]) + "x"),
        row(team, fw, ratedOn=tomorrow),
        row(team, fw),  # the same rating as row 0
        row(team, fw, kind="SELF"),  # assessor is not the subject
        row(team, fw, competencyId=encode_id("Competency", team.people["bob"].id)),
        row(team, fw, evidence="e" * 4001, competencyId=cid(fw, "teamwork")),
    ]
    before = await row_counts(team)
    body = await team.gql(IMPORT, {"i": {"ratings": rows}}, **ADMIN)
    result = data(body)["importRatings"]
    assert result["importedCount"] == 0
    assert {tuple(e["field"]): e["code"] for e in result["userErrors"]} == {
        ("input", "ratings", "1", "level"): "INVALID",
        ("input", "ratings", "2", "subjectId"): "INVALID",
        ("input", "ratings", "3", "ratedOn"): "INVALID",
        ("input", "ratings", "4", "competencyId"): "TAKEN",
        ("input", "ratings", "5", "assessorId"): "INVALID",
        ("input", "ratings", "6", "competencyId"): "NOT_FOUND",
        ("input", "ratings", "7", "evidence"): "TOO_LONG",
    }
    assert await row_counts(team) == before


async def test_an_import_over_the_limit_is_refused(team: Org, fw: Framework) -> None:
    rows = [row(team, fw, ratedOn=f"2020-01-{1 + i % 28:02}", level=1 + i % 5) for i in range(1001)]
    before = await row_counts(team)
    body = await team.gql(IMPORT, {"i": {"ratings": rows}}, **ADMIN)
    result = data(body)["importRatings"]
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
        (["input", "ratings"], "LIMIT_EXCEEDED")
    ]
    assert await row_counts(team) == before
    body = await team.gql(IMPORT, {"i": {"ratings": rows[:1]}}, as_="manager", scopes=MANAGER)
    assert codes(body) == ["FORBIDDEN"]


async def test_a_peer_sees_whom_they_assess_and_who_asked(team: Org, fw: Framework) -> None:
    draft = await act(
        team,
        "manager",
        assessments.invite_peer,
        team.people["alice"].id,
        team.people["carol"].id,
    )
    body = await team.gql(
        "query($id: ID!) { node(id: $id) { ... on Assessment { kind subject { name } "
        "invitedBy { name } assessor { name } } } }",
        {"id": encode_id("Assessment", draft.id)},
        as_="carol",
    )
    assert data(body)["node"] == {
        "kind": "PEER",
        "subject": {"name": "Alice Anders"},
        "invitedBy": {"name": "Max Manager"},
        "assessor": {"name": "Carol Chen"},
    }
    # Alice's other data stays out of Carol's reach.
    body = await team.gql(
        "query($id: ID!) { node(id: $id) { ... on Assessment { subject { hireDate } } } }",
        {"id": encode_id("Assessment", draft.id)},
        as_="carol",
    )
    assert codes(body) == ["FORBIDDEN"]


async def test_submission_and_import_write_outbox_events(team: Org, fw: Framework) -> None:
    from sqlalchemy import select

    from service.webhooks.models import webhook_events

    submitted = await rate(team, "manager", "alice", "MANAGER", {fw.competency["coding"]: 3})
    await team.run(assessments.calibrate, team.people["bob"].id, [r(fw.competency["coding"], 2)])
    imported = await past(team, "bob", "SELF", {fw.competency["coding"]: 1}, dt.date(2025, 1, 2))
    async with team.runtime.db.transaction(team.id) as conn:
        seen = (
            await conn.execute(
                select(webhook_events.c.type, webhook_events.c.data)
                .where(webhook_events.c.type.like("assessment.%"))
                .order_by(webhook_events.c.occurred_at)
            )
        ).all()
    assert [e.type for e in seen] == [
        "assessment.submitted",
        "assessment.submitted",
        "assessment.imported",
    ]
    first = seen[0].data
    assert (first["assessment_id"], first["kind"]) == (str(submitted.id), "MANAGER")
    assert first["subject_id"] == str(team.people["alice"].id)
    assert first["assessor_id"] == str(team.people["manager"].id)
    assert first["submitted_at"]
    assert seen[1].data["kind"] == "CALIBRATION"
    assert seen[2].data == {
        "assessment_ids": [str(i) for i in imported.assessment_ids],
        "subject_ids": [str(team.people["bob"].id)],
        "rating_count": 1,
        "cycle_id": None,
    }


async def test_a_concurrent_duplicate_draft_is_a_conflict_not_a_crash(
    team: Org, fw: Framework
) -> None:
    import asyncio

    results = await asyncio.gather(
        *(start(team, "alice", "alice", "SELF") for _ in range(4)), return_exceptions=True
    )
    ids = {x["assessment"]["id"] for x in results if isinstance(x, dict) and x["assessment"]}
    assert len(ids) == 1
    for x in results:
        assert isinstance(x, dict), x
        assert x["assessment"] or [e["code"] for e in x["userErrors"]] == ["CONFLICT"]
