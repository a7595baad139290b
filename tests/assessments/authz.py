"""Authorization matrix entries of assessments (see tests/authz_matrix.py).

The subject is Alice; Max manages her, Mia manages another team, Bob is her peer, Ada is
an HR admin. Objects an operation needs are created in organization A while building it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from service.assessments import service as assessments
from service.db import ConnectionExecutor
from service.framework import service as framework
from tests.assessments.conftest import principal_of
from tests.authz_matrix import (
    ADMIN_ONLY_WRITE,
    FORBIDDEN,
    HIDDEN,
    PERSON,
    PERSON_FIELDS,
    UNAUTHENTICATED,
    Entry,
    Op,
    PersonInput,
    PersonOp,
    Result,
    Row,
    View,
    World,
    admin_only_read,
    allowed,
    person_in,
    shows,
    shows_subject,
)


def _state(w: World) -> dict[str, Any]:
    return w.__dict__.setdefault("_assessments", {})  # type: ignore[no-any-return]


async def _as(w: World, key: str, fn: Any, *args: Any, scopes: str = "career:employee") -> Any:
    async with w.org.runtime.db.transaction(w.org.id) as conn:
        return await fn(ConnectionExecutor(conn), principal_of(w.org, key, scopes), *args)


async def competency(w: World) -> Any:
    """A new competency on a new 3-step scale (other entries may rework the world's
    framework, so each operation makes its own)."""
    suffix = secrets.token_hex(4)
    scale = await w.org.run(
        framework.create_scale,
        framework.ScaleInput(
            key=f"scale-{suffix}",
            name=f"Scale {suffix}",
            levels=[framework.ScaleLevelInput(name) for name in ("Low", "Mid", "High")],
        ),
    )
    return await w.org.run(
        framework.create_competency,
        framework.CompetencyInput(
            key=f"coding-{suffix}", name=f"Coding {suffix}", scale_id=scale.id
        ),
    )


async def new_cycle(w: World, *, open_it: bool = False) -> Any:
    data = assessments.CycleInput(
        name=f"Review {secrets.token_hex(3)}",
        starts_on=dt.date(2026, 6, 1),
        ends_on=dt.date(2026, 6, 30),
        kinds=["SELF", "MANAGER", "PEER", "CALIBRATION"],
    )
    row = await w.org.run(assessments.create_cycle, data)
    if open_it:
        row = await w.org.run(assessments.open_cycle, row.id)
    _state(w)["cycle"] = row
    return row


async def self_draft(w: World, *, rated: bool = False) -> Any:
    """A draft SELF assessment of Alice, optionally with a rating."""
    row = await _as(w, "alice", assessments.start_assessment, w.subject.id, "SELF")
    if rated:
        comp = await competency(w)
        row = await _as(
            w, "alice", assessments.save_ratings, row.id, [assessments.RatingInput(comp.id, 2)]
        )
    _state(w)["assessment"] = row
    return row


async def submitted_self(w: World) -> Any:
    row = await self_draft(w, rated=True)
    return await _as(w, "alice", assessments.submit_assessment, row.id)


def cycle_markers(w: World) -> set[str]:
    cycle = _state(w)["cycle"]
    return {w.gid("AssessmentCycle", cycle), cycle.name}


def assessment_markers(w: World) -> set[str]:
    return w.subject_markers() | {w.gid("Assessment", _state(w)["assessment"])}


def shows_cycle(result: Result) -> None:
    assert (
        result.world.gid("AssessmentCycle", _state(result.world)["cycle"]) in result.response.text
    )


def shows_assessment(result: Result) -> None:
    gid = result.world.gid("Assessment", _state(result.world)["assessment"])
    assert gid in result.response.text, result.body


# --- queries ------------------------------------------------------------------------------


async def assessment_cycles(w: World) -> Op:
    await new_cycle(w)
    return Op("{ assessmentCycles(first: 100) { nodes { id name status kinds } } }")


async def assessments_list(w: World) -> Op:
    await submitted_self(w)
    return Op(
        "{ assessments(first: 100) { nodes { id kind status subject { id email } "
        "ratings { level evidence } } } }"
    )


async def team_skills_matrix(w: World) -> Op:
    await competency(w)
    return Op(
        "query($m: ID) { teamSkillsMatrix(managerId: $m, scope: ALL, first: 50) { "
        "competencies { key } rows { totalCount nodes { employee { id email } readiness "
        "cells { status } } } } }",
        {"m": w.gid("Employee", w.org.people["manager"])},
    )


async def skill_gap_summary(w: World) -> Op:
    await competency(w)
    return Op(
        "{ skillGapSummary(groupBy: ORG_UNIT) { suppressedGroupCount minGroupSize "
        "groups { headcount meanGap orgUnit { name } } } }"
    )


def summary_answers(result: Result) -> None:
    assert result.value["minGroupSize"] == 5


# --- mutations ----------------------------------------------------------------------------


def create_cycle(w: World) -> Op:
    return Op(
        "mutation($i: CreateAssessmentCycleInput!) { createAssessmentCycle(input: $i) "
        "{ cycle { id status } userErrors { field code } } }",
        {
            "i": {
                "name": "2026 year-end review",
                "startsOn": "2026-12-01",
                "endsOn": "2026-12-31",
                "kinds": ["SELF", "MANAGER"],
            }
        },
    )


async def open_cycle(w: World) -> Op:
    cycle = await new_cycle(w)
    return Op(
        "mutation($i: AssessmentCycleTransitionInput!) { openAssessmentCycle(input: $i) "
        "{ cycle { id status } userErrors { field code } } }",
        {"i": {"id": w.gid("AssessmentCycle", cycle)}},
    )


async def close_cycle(w: World) -> Op:
    cycle = await new_cycle(w, open_it=True)
    return Op(
        "mutation($i: AssessmentCycleTransitionInput!) { closeAssessmentCycle(input: $i) "
        "{ cycle { id status } userErrors { field code } } }",
        {"i": {"id": w.gid("AssessmentCycle", cycle)}},
    )


def start_assessment(w: World) -> Op:
    return Op(
        "mutation($i: StartAssessmentInput!) { startAssessment(input: $i) "
        "{ assessment { id kind subject { id } } userErrors { field code } } }",
        {"i": {"subjectId": w.gid("Employee", w.subject), "kind": "MANAGER"}},
    )


async def save_ratings(w: World) -> Op:
    draft = await self_draft(w)
    comp = await competency(w)
    return Op(
        "mutation($i: SaveRatingsInput!) { saveRatings(input: $i) "
        "{ assessment { id ratings { level } } userErrors { field code } } }",
        {
            "i": {
                "assessmentId": w.gid("Assessment", draft),
                "ratings": [{"competencyId": w.gid("Competency", comp), "level": 3}],
            }
        },
    )


async def submit_assessment(w: World) -> Op:
    draft = await self_draft(w, rated=True)
    return Op(
        "mutation($i: SubmitAssessmentInput!) { submitAssessment(input: $i) "
        "{ assessment { id status } userErrors { field code } } }",
        {"i": {"assessmentId": w.gid("Assessment", draft)}},
    )


def invite_peer(w: World) -> Op:
    return Op(
        "mutation($i: InvitePeerAssessorInput!) { invitePeerAssessor(input: $i) "
        "{ assessment { id kind } userErrors { field code } } }",
        {
            "i": {
                "subjectId": w.gid("Employee", w.subject),
                "peerId": w.gid("Employee", w.org.people["carol"]),
            }
        },
    )


async def calibrate(w: World) -> Op:
    comp = await competency(w)
    return Op(
        "mutation($i: CalibrateRatingsInput!) { calibrateRatings(input: $i) "
        "{ assessment { id kind status } userErrors { field code } } }",
        {
            "i": {
                "subjectId": w.gid("Employee", w.subject),
                "ratings": [{"competencyId": w.gid("Competency", comp), "level": 2}],
            }
        },
    )


async def import_ratings(w: World) -> Op:
    comp = await competency(w)
    return Op(
        "mutation($i: ImportRatingsInput!) { importRatings(input: $i) "
        "{ importedCount userErrors { field code } } }",
        {
            "i": {
                "ratings": [
                    {
                        "subjectId": w.gid("Employee", w.subject),
                        "competencyId": w.gid("Competency", comp),
                        "level": 2,
                        "kind": "MANAGER",
                        "ratedOn": "2025-06-30",
                    }
                ]
            }
        },
    )


#: Reads of private career data about the subject: self, their managers and admins.
PRIVATE_READ = {
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.SELF: allowed(shows_assessment),
    Row.OTHER_EMPLOYEE: HIDDEN,
    Row.MANAGER_OF: allowed(shows_assessment),
    Row.MANAGER_NOT_OF: HIDDEN,
    Row.ADMIN: allowed(shows_assessment),
    Row.SERVICE_ACCOUNT: FORBIDDEN,
    Row.OTHER_ORG: HIDDEN,
}


#: Writes by one kind of caller only (everyone else FORBIDDEN; B's admin finds nothing).
def only(*rows: Row) -> dict[Row, Any]:
    out: dict[Row, Any] = {row: FORBIDDEN for row in Row}
    out[Row.ANONYMOUS] = UNAUTHENTICATED
    out[Row.OTHER_ORG] = HIDDEN
    out.update({row: allowed() for row in rows})
    return out


AUTHZ = {
    "Query.assessmentCycles": Entry(
        assessment_cycles,
        {
            **{row: allowed(shows_cycle) for row in Row},
            Row.ANONYMOUS: UNAUTHENTICATED,
            Row.SERVICE_ACCOUNT: FORBIDDEN,
            Row.OTHER_ORG: HIDDEN,
        },
        subject=cycle_markers,
    ),
    "Query.assessments": Entry(assessments_list, PRIVATE_READ, subject=assessment_markers),
    "Query.teamSkillsMatrix": Entry(
        team_skills_matrix,
        {
            Row.ANONYMOUS: UNAUTHENTICATED,
            Row.SELF: FORBIDDEN,
            Row.OTHER_EMPLOYEE: FORBIDDEN,
            Row.MANAGER_OF: allowed(shows_subject),
            Row.MANAGER_NOT_OF: FORBIDDEN,
            Row.ADMIN: allowed(shows_subject),
            Row.SERVICE_ACCOUNT: FORBIDDEN,
            Row.OTHER_ORG: HIDDEN,
        },
    ),
    "Query.skillGapSummary": Entry(skill_gap_summary, admin_only_read(summary_answers)),
    "Mutation.createAssessmentCycle": Entry(create_cycle, ADMIN_ONLY_WRITE),
    "Mutation.openAssessmentCycle": Entry(open_cycle, ADMIN_ONLY_WRITE, subject=cycle_markers),
    "Mutation.closeAssessmentCycle": Entry(close_cycle, ADMIN_ONLY_WRITE, subject=cycle_markers),
    "Mutation.startAssessment": Entry(start_assessment, only(Row.MANAGER_OF)),
    "Mutation.saveRatings": Entry(save_ratings, only(Row.SELF), subject=assessment_markers),
    "Mutation.submitAssessment": Entry(
        submit_assessment, only(Row.SELF), subject=assessment_markers
    ),
    "Mutation.invitePeerAssessor": Entry(invite_peer, only(Row.SELF, Row.MANAGER_OF, Row.ADMIN)),
    "Mutation.calibrateRatings": Entry(calibrate, ADMIN_ONLY_WRITE),
    "Mutation.importRatings": Entry(import_ratings, ADMIN_ONLY_WRITE),
}


async def _assessment_node(w: World) -> str:
    return w.gid("Assessment", await submitted_self(w))


async def _cycle_node(w: World) -> str:
    return w.gid("AssessmentCycle", await new_cycle(w))


NODES = {"Assessment": _assessment_node, "AssessmentCycle": _cycle_node}


def _starts(kind: str) -> PersonOp:
    return person_in(start_assessment, subjectId=PERSON, kind=kind)


def _imported(field: str) -> PersonOp:
    async def make(w: World, person: str) -> Op:
        op = await import_ratings(w)
        (row,) = op.variables["i"]["ratings"]
        return Op(op.query, {"i": {"ratings": [{**row, field: person}]}})

    return make


PERSON_INPUTS = {
    "Mutation.createAssessmentCycle input.employeeIds": PersonInput(
        (person_in(create_cycle, employeeIds=[PERSON]),)
    ),
    "Mutation.startAssessment input.subjectId": PersonInput(
        tuple(_starts(kind) for kind in ("SELF", "MANAGER", "PEER", "CALIBRATION"))
    ),
    "Mutation.invitePeerAssessor input.subjectId": PersonInput(
        (person_in(invite_peer, subjectId=PERSON),)
    ),
    "Mutation.invitePeerAssessor input.peerId": PersonInput(
        (person_in(invite_peer, peerId=PERSON),), colleagues=True
    ),
    "Mutation.calibrateRatings input.subjectId": PersonInput(
        (person_in(calibrate, subjectId=PERSON),)
    ),
    "Mutation.importRatings input.ratings.subjectId": PersonInput((_imported("subjectId"),)),
    "Mutation.importRatings input.ratings.assessorId": PersonInput((_imported("assessorId"),)),
}


# --- people shown through assessments --------------------------------------------------


async def peer_feedback(w: World) -> Op:
    """A submitted PEER assessment of Alice, asked for by Max and written by Mia (one per
    world: every row reads the same)."""
    if "peer_feedback" not in _state(w):
        _state(w)["peer_feedback"] = await _peer_feedback(w)
    return _state(w)["peer_feedback"]  # type: ignore[no-any-return]


async def _peer_feedback(w: World) -> Op:
    alice, mia = w.subject.id, w.org.people["manager2"].id
    draft = await _as(
        w, "manager", assessments.invite_peer, alice, mia, scopes="career:employee career:manager"
    )
    comp = await competency(w)
    await _as(
        w, "manager2", assessments.save_ratings, draft.id, [assessments.RatingInput(comp.id, 2)]
    )
    await _as(w, "manager2", assessments.submit_assessment, draft.id)
    return Op(
        f"query($id: ID!) {{ node(id: $id) {{ ... on Assessment {{ subject {{ {PERSON_FIELDS} }} "
        f"assessor {{ {PERSON_FIELDS} }} invitedBy {{ {PERSON_FIELDS} }} }} }} }}",
        {"id": w.gid("Assessment", draft)},
    )


async def cycle_people(w: World) -> Op:
    """A cycle covering Alice, Max and Carol (one per world)."""
    if "cycle_people" not in _state(w):
        _state(w)["cycle_people"] = await _cycle_people(w)
    return _state(w)["cycle_people"]  # type: ignore[no-any-return]


async def _cycle_people(w: World) -> Op:
    data = assessments.CycleInput(
        name=f"Review {secrets.token_hex(3)}",
        starts_on=dt.date(2026, 6, 1),
        ends_on=dt.date(2026, 6, 30),
        kinds=["SELF"],
        employee_ids=[w.org.people[k].id for k in ("alice", "manager", "carol")],
    )
    cycle = await w.org.run(assessments.create_cycle, data)
    _state(w)["covering"] = cycle
    return Op(
        "query($id: ID!) { node(id: $id) { ... on AssessmentCycle { "
        f"employees {{ {PERSON_FIELDS} }} }} }} }}",
        {"id": w.gid("AssessmentCycle", cycle)},
    )


def team_rows(w: World) -> Op:
    return Op(
        "query($m: ID) { teamSkillsMatrix(managerId: $m) { rows { nodes { "
        f"employee {{ {PERSON_FIELDS} }} }} }} }} }}",
        {"m": w.gid("Employee", w.org.people["manager"])},
    )


FULL, NAMED = View.FULL, View.NAMED
SUBJECT, ASSESSOR, INVITER = "node.subject", "node.assessor", "node.invitedBy"
#: Alice's peer feedback by Mia, asked for by Max: Alice never sees it (peer feedback is
#: anonymous to its subject); Max sees Mia by name, Mia sees Alice and Max by name.
PEER_FEEDBACK = {
    **{row: HIDDEN for row in Row},
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.MANAGER_OF: shows(
        {SUBJECT: ("alice", FULL), ASSESSOR: ("manager2", NAMED), INVITER: ("manager", FULL)}
    ),
    Row.MANAGER_NOT_OF: shows(
        {SUBJECT: ("alice", NAMED), ASSESSOR: ("manager2", FULL), INVITER: ("manager", NAMED)}
    ),
    Row.ADMIN: shows(
        {SUBJECT: ("alice", FULL), ASSESSOR: ("manager2", FULL), INVITER: ("manager", FULL)}
    ),
}
#: The cycle's people as far as each row sees them, by name: Alice, Carol, Max.
COVERED = {
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.SELF: shows({"node.employees.0": ("alice", FULL), "node.employees.1": ("manager", NAMED)}),
    Row.OTHER_EMPLOYEE: shows({"node.employees.0": ("manager", NAMED)}),
    Row.MANAGER_OF: shows(
        {"node.employees.0": ("alice", FULL), "node.employees.1": ("manager", FULL)}
    ),
    Row.MANAGER_NOT_OF: shows({"node.employees.0": ("carol", FULL)}),
    Row.ADMIN: shows(
        {
            "node.employees.0": ("alice", FULL),
            "node.employees.1": ("carol", FULL),
            "node.employees.2": ("manager", FULL),
        }
    ),
    Row.SERVICE_ACCOUNT: HIDDEN,
    Row.OTHER_ORG: HIDDEN,
}
ROWS = "teamSkillsMatrix.rows.nodes"
TEAM = {
    **only(),
    Row.MANAGER_OF: shows(
        {f"{ROWS}.0.employee": ("alice", FULL), f"{ROWS}.1.employee": ("bob", FULL)}
    ),
    Row.ADMIN: shows({f"{ROWS}.0.employee": ("alice", FULL), f"{ROWS}.1.employee": ("bob", FULL)}),
}

RELATIONS = {
    "Assessment.subject": Entry(peer_feedback, PEER_FEEDBACK),
    "Assessment.assessor": Entry(peer_feedback, PEER_FEEDBACK),
    "Assessment.invitedBy": Entry(peer_feedback, PEER_FEEDBACK),
    "AssessmentCycle.employees": Entry(
        cycle_people,
        COVERED,
        subject=lambda w: {w.gid("AssessmentCycle", _state(w)["covering"])},
    ),
    "TeamSkillsRow.employee": Entry(team_rows, TEAM),
}
