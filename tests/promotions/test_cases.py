"""Promotion cases over GraphQL: proposing with frozen evidence, deciding, taking effect,
the rules (each a userError with nothing written) and who sees what."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from service.people import service as people
from service.people.models import employees, position_history
from tests.assessments.conftest import load_framework
from tests.conftest import Org, gid
from tests.promotions.conftest import (
    ADMIN_SCOPES,
    MANAGER,
    PROPOSE,
    SETTINGS,
    Framework,
    counts,
    data,
    decide,
    gid_of_role,
    proposal,
    propose,
    rate,
)

ME_PROMOTIONS = "{ me { promotions { id status } } }"


async def _history(org: Org, key: str) -> list[object]:
    async with org.runtime.db.transaction(org.id) as conn:
        return list(
            (
                await conn.execute(
                    select(position_history)
                    .where(position_history.c.employee_id == org.people[key].id)
                    .order_by(position_history.c.created_at)
                )
            ).all()
        )


async def _role_of(org: Org, key: str) -> object:
    async with org.runtime.db.transaction(org.id) as conn:
        return (
            await conn.execute(
                select(employees.c.role_id).where(employees.c.id == org.people[key].id)
            )
        ).scalar_one()


async def test_a_manager_proposes_with_the_gap_analysis_frozen_as_evidence(
    team: Org, fw: Framework
) -> None:
    c = fw.competency
    await rate(team, "manager", "alice", "MANAGER", {c["coding"]: 4, c["design"]: 3})
    result = await propose(team, fw)
    assert result["userErrors"] == []
    case = result["promotion"]
    assert case["status"] == "PROPOSED"
    assert case["fromRole"] == {"key": "engineer"}
    assert case["toRole"] == {"key": "senior"}
    assert case["proposer"] == {"id": gid("Employee", team.people["manager"])}
    evidence = case["evidence"]
    assert evidence["roleTitle"] == "Senior Engineer"
    by_name = {e["competencyName"]: e for e in evidence["expectations"]}
    assert by_name["Coding"]["currentLevel"] == 4.0
    assert by_name["Coding"]["status"] == "MEETS"
    assert by_name["Teamwork"]["status"] == "UNASSESSED"
    # (2·1 + 1·1 + 0 + 0) / 5 with coding 4/4 weight 2, design 3/3 weight 1
    assert evidence["readiness"] == 0.6

    # Later ratings do not change the frozen evidence.
    await rate(team, "manager", "alice", "MANAGER", {c["teamwork"]: 3, c["delivery"]: 3})
    body = await team.gql(
        "query($id: ID!) { node(id: $id) { ... on Promotion { evidence { readiness } } } }",
        {"id": case["id"]},
        as_="manager",
        scopes=MANAGER,
    )
    assert data(body)["node"]["evidence"]["readiness"] == 0.6


async def test_approving_a_case_dated_today_changes_the_role_with_a_history_entry(
    team: Org, fw: Framework
) -> None:
    case = (await propose(team, fw))["promotion"]
    approved = await decide(team, "approvePromotion", case["id"], note="Well deserved.")
    assert approved["userErrors"] == []
    assert approved["promotion"]["status"] == "EFFECTIVE"
    assert approved["promotion"]["decider"] == {"id": gid("Employee", team.people["admin"])}
    assert approved["promotion"]["effectiveAt"] is not None
    assert await _role_of(team, "alice") == fw.role["senior"]
    last = (await _history(team, "alice"))[-1]
    assert last.kind == "PROMOTION"  # type: ignore[attr-defined]
    assert last.source_type == "Promotion"  # type: ignore[attr-defined]
    assert gid("Promotion", type("R", (), {"id": last.source_id})) == case["id"]  # type: ignore[attr-defined]
    assert last.previous_role_id == fw.role["engineer"]  # type: ignore[attr-defined]
    # The case's date is the day it was proposed (not the module's import day: midnight).
    dated = dt.date.fromisoformat(case["effectiveDate"])
    assert last.effective_date == dated  # type: ignore[attr-defined]
    # The employee now sees the decided case, and their time in the new role starts today.
    body = await team.gql(
        "{ me { promotions { id status } timeInRole { since months } } }", as_="alice"
    )
    me = data(body)["me"]
    assert me["promotions"] == [{"id": case["id"], "status": "EFFECTIVE"}]
    assert me["timeInRole"] == {"since": dated.isoformat(), "months": 0}


async def test_a_future_case_waits_for_the_scheduler_which_applies_it_once(
    team: Org, fw: Framework
) -> None:
    from service.db import ConnectionExecutor
    from service.promotions import service as promotions_service

    due = dt.date.today() + dt.timedelta(days=10)
    case = (await propose(team, fw, effective=due))["promotion"]
    approved = await decide(team, "approvePromotion", case["id"])
    assert approved["promotion"]["status"] == "APPROVED"
    assert await _role_of(team, "alice") == fw.role["engineer"]

    async def run(on: dt.date) -> int:
        async with team.runtime.db.transaction(team.id) as conn:
            return len(await promotions_service.apply_due_promotions(ConnectionExecutor(conn), on))

    assert await run(due - dt.timedelta(days=1)) == 0
    assert await run(due) == 1
    assert await run(due) == 0
    assert await run(due + dt.timedelta(days=3)) == 0
    assert await _role_of(team, "alice") == fw.role["senior"]
    kinds = [h.kind for h in await _history(team, "alice")]  # type: ignore[attr-defined]
    assert kinds.count("PROMOTION") == 1
    assert (await _history(team, "alice"))[-1].effective_date == due  # type: ignore[attr-defined]


async def test_rejection_needs_a_note_and_frees_the_employee_for_a_new_case(
    team: Org, fw: Framework
) -> None:
    case = (await propose(team, fw))["promotion"]
    before = await counts(team)
    refused = await decide(team, "rejectPromotion", case["id"], note="  ")
    assert [e["code"] for e in refused["userErrors"]] == ["REQUIRED"]
    assert await counts(team) == before
    rejected = await decide(team, "rejectPromotion", case["id"], note="Not yet: delivery gaps.")
    assert rejected["promotion"]["status"] == "REJECTED"
    assert rejected["promotion"]["decisionNote"] == "Not yet: delivery gaps."
    again = await decide(team, "approvePromotion", case["id"])
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_STATE"]
    assert (await propose(team, fw))["userErrors"] == []


async def test_cancelling_by_the_proposer_or_an_admin_only(team: Org, fw: Framework) -> None:
    case = (await propose(team, fw, as_="boss"))["promotion"]
    body = await team.gql(
        "mutation($i: CancelPromotionInput!) { cancelPromotion(input: $i) { promotion { id } } }",
        {"i": {"id": case["id"]}},
        as_="manager",
        scopes=MANAGER,
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    # Someone who cannot see the case is told it does not exist.
    hidden = await decide(team, "cancelPromotion", case["id"], as_="manager2", scopes=MANAGER)
    assert [e["code"] for e in hidden["userErrors"]] == ["NOT_FOUND"]
    cancelled = await decide(team, "cancelPromotion", case["id"], as_="boss", scopes=MANAGER)
    assert cancelled["promotion"]["status"] == "CANCELLED"


async def test_an_admin_cancels_an_approved_case_before_its_date(team: Org, fw: Framework) -> None:
    case = (await propose(team, fw, effective=dt.date.today() + dt.timedelta(days=30)))["promotion"]
    await decide(team, "approvePromotion", case["id"])
    by_proposer = await decide(team, "cancelPromotion", case["id"], as_="manager", scopes=MANAGER)
    assert [e["code"] for e in by_proposer["userErrors"]] == ["INVALID_STATE"]
    by_admin = await decide(team, "cancelPromotion", case["id"])
    assert by_admin["promotion"]["status"] == "CANCELLED"


# --- rules: each a userError, nothing written ---------------------------------------------


async def _refused(
    org: Org, variables: dict, *, as_: str = "manager", scopes: str = MANAGER
) -> list:
    before = await counts(org)
    body = await org.gql(PROPOSE, variables, as_=as_, scopes=scopes)
    result = data(body)["proposePromotion"]
    assert result["promotion"] is None
    assert await counts(org) == before
    return [(e["field"], e["code"]) for e in result["userErrors"]]


async def test_proposing_for_someone_outside_the_managers_reach(team: Org, fw: Framework) -> None:
    errors = await _refused(team, proposal(team, fw), as_="manager2")
    assert errors == [(["input", "employeeId"], "NOT_FOUND")]


async def test_a_second_open_case_is_refused(team: Org, fw: Framework) -> None:
    assert (await propose(team, fw))["userErrors"] == []
    errors = await _refused(team, proposal(team, fw, role="staff"), as_="boss")
    assert (["input", "employeeId"], "CONFLICT") in errors


async def test_a_role_of_another_organization_is_unknown(
    team: Org, fw: Framework, org_factory: object
) -> None:
    other = await org_factory()  # type: ignore[operator]
    other_fw = await load_framework(other)
    variables = proposal(team, fw)
    variables["i"]["toRoleId"] = gid_of_role(other_fw.role["senior"])
    assert await _refused(team, variables) == [(["input", "toRoleId"], "NOT_FOUND")]


async def test_an_archived_role_is_refused(team: Org, fw: Framework) -> None:
    from service.framework.models import roles

    # Archived directly: the framework refuses to archive a role still on a track.
    async with team.runtime.db.transaction(team.id) as conn:
        await conn.execute(
            update(roles).where(roles.c.id == fw.role["senior"]).values(archived_at=func.now())
        )
    errors = await _refused(team, proposal(team, fw))
    assert errors == [(["input", "toRoleId"], "INVALID_STATE")]


async def test_a_role_the_framework_does_not_lead_to_needs_an_admins_override(
    team: Org, fw: Framework
) -> None:
    errors = await _refused(team, proposal(team, fw, role="operator"))
    assert errors == [(["input", "toRoleId"], "INVALID")]
    by_manager = proposal(team, fw, role="operator", overrideReason="Moves to run operations.")
    assert (["input", "overrideReason"], "INVALID") in await _refused(team, by_manager)
    body = await team.gql(PROPOSE, by_manager, as_="admin", scopes=ADMIN_SCOPES)
    result = data(body)["proposePromotion"]
    assert result["userErrors"] == []
    assert result["promotion"]["overrideReason"] == "Moves to run operations."


async def test_an_effective_date_before_the_hire_date_is_refused(team: Org, fw: Framework) -> None:
    await team.run(
        people.update_employee,
        team.people["alice"].id,
        people.EmployeeInput(hire_date=dt.date(2024, 3, 1)),
    )
    errors = await _refused(team, proposal(team, fw, effective=dt.date(2024, 2, 29)))
    assert errors == [(["input", "effectiveDate"], "INVALID")]


async def test_approving_your_own_proposal_when_a_second_approver_is_required(
    team: Org, fw: Framework
) -> None:
    body = await team.gql(
        SETTINGS, {"i": {"requireSecondApprover": True}}, as_="admin", scopes=ADMIN_SCOPES
    )
    assert data(body)["updatePromotionSettings"]["settings"]["requireSecondApprover"] is True
    await team.employee("admin2", name="Ari Admin", hr_admin=True)
    body = await team.gql(PROPOSE, proposal(team, fw), as_="admin", scopes=ADMIN_SCOPES)
    case = data(body)["proposePromotion"]["promotion"]
    before = await counts(team)
    own = await decide(team, "approvePromotion", case["id"])
    assert [e["code"] for e in own["userErrors"]] == ["INVALID_STATE"]
    assert await counts(team) == before
    other = await decide(team, "approvePromotion", case["id"], as_="admin2")
    assert other["promotion"]["status"] == "EFFECTIVE"


async def test_malformed_and_oversized_input(team: Org, fw: Framework) -> None:
    variables = proposal(team, fw, justification="x" * 4001)
    variables["i"]["employeeId"] = "not-an-id"
    variables["i"]["evidence"] = {"assessmentIds": ["bad"] * 21}
    errors = await _refused(team, variables, as_="admin", scopes=ADMIN_SCOPES)
    assert (["input", "employeeId"], "INVALID") in errors
    assert (["input", "justification"], "TOO_LONG") in errors
    assert (["input", "evidence", "assessmentIds"], "LIMIT_EXCEEDED") in errors


async def test_stale_versions_are_refused(team: Org, fw: Framework) -> None:
    case = (await propose(team, fw))["promotion"]
    stale = await decide(team, "approvePromotion", case["id"], version=case["version"] + 1)
    assert [e["code"] for e in stale["userErrors"]] == ["STALE_VERSION"]


# --- who sees what --------------------------------------------------------------------------


async def test_the_employee_sees_a_proposal_only_once_decided_unless_the_setting_says_so(
    team: Org, fw: Framework
) -> None:
    case = (await propose(team, fw, effective=dt.date.today() + dt.timedelta(days=5)))["promotion"]
    assert data(await team.gql(ME_PROMOTIONS, as_="alice"))["me"]["promotions"] == []
    node = await team.gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": case["id"]}, as_="alice"
    )
    assert data(node)["node"] is None
    await team.gql(
        SETTINGS, {"i": {"showOpenCasesToEmployee": True}}, as_="admin", scopes=ADMIN_SCOPES
    )
    seen = data(await team.gql(ME_PROMOTIONS, as_="alice"))["me"]["promotions"]
    assert seen == [{"id": case["id"], "status": "PROPOSED"}]
    # Bob, a peer, never sees it.
    peer = await team.gql("query($id: ID!) { node(id: $id) { id } }", {"id": case["id"]}, as_="bob")
    assert data(peer)["node"] is None


async def test_promotions_list_for_managers_is_limited_to_their_reach(
    team: Org, fw: Framework
) -> None:
    await team.run(
        people.update_employee,
        team.people["carol"].id,
        people.EmployeeInput(role_id=fw.role["engineer"]),
    )
    alice = (await propose(team, fw))["promotion"]
    carol = (await propose(team, fw, employee="carol", as_="manager2"))["promotion"]
    query = "query($f: PromotionFilter) { promotions(filter: $f) { totalCount nodes { id } } }"

    async def listed(as_: str, scopes: str, f: dict | None = None) -> list[str]:
        body = await team.gql(query, {"f": f}, as_=as_, scopes=scopes)
        return [n["id"] for n in data(body)["promotions"]["nodes"]]

    assert await listed("manager", MANAGER) == [alice["id"]]
    assert await listed("manager2", MANAGER) == [carol["id"]]
    assert set(await listed("boss", MANAGER)) == {alice["id"], carol["id"]}
    assert set(await listed("admin", ADMIN_SCOPES)) == {alice["id"], carol["id"]}
    unit = await team.run(people.create_org_unit, people.OrgUnitInput(name="Payments"))
    await team.run(
        people.update_employee, team.people["carol"].id, people.EmployeeInput(org_unit_id=unit.id)
    )
    by_unit = {"orgUnitId": gid("OrgUnit", unit)}
    assert await listed("admin", ADMIN_SCOPES, by_unit) == [carol["id"]]
    assert await listed("admin", ADMIN_SCOPES, {"status": ["EFFECTIVE"]}) == []
    # The first and last days there are bound a period like any other.
    everything = {"proposedFrom": "0001-01-01", "proposedTo": "9999-12-31"}
    assert set(await listed("admin", ADMIN_SCOPES, everything)) == {alice["id"], carol["id"]}
    assert await listed("admin", ADMIN_SCOPES, {"proposedTo": "0001-01-01"}) == []
    body = await team.gql(query, as_="alice")
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
