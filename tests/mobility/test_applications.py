"""Applications: applying, the pipeline, confidentiality toward the manager chain, and
filling a posting by accepting an offer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, update

from service.development.models import development_plans
from service.framework.models import roles
from service.graphql.ids import parse_global_id
from service.mobility.models import postings
from service.people import service as people
from service.people.models import employees, position_history
from service.webhooks.models import webhook_events
from tests.conftest import gid
from tests.mobility.conftest import (
    ACCEPT,
    ADMIN_SCOPES,
    MANAGER,
    WITHDRAW,
    Mobility,
    apply,
    codes,
    counts,
    create,
    data,
    days,
    move,
    open_posting,
    open_role,
)

MY_APPLICATIONS = """
query($id: ID!) { node(id: $id) { ... on Employee {
  applications { id status confidential feedback posting { title } } } } }
"""


async def _offered(m: Mobility, who: str = "carol", **posting: Any) -> tuple[dict[str, Any], Any]:
    p = await open_role(m, **posting)
    a = (await apply(m, p["id"], who))["application"]
    offered = await move(m, a["id"], "OFFERED")
    assert offered["userErrors"] == [], offered
    return p, offered["application"]


async def test_apply_and_move_through_the_pipeline(mob: Mobility) -> None:
    p = await open_role(mob)
    applied = await apply(mob, p["id"], note="I ran the ops platform for two years.")
    assert applied["userErrors"] == []
    a = applied["application"]
    assert a["status"] == "SUBMITTED"
    assert a["note"].startswith("I ran")
    assert a["applicant"]["id"] == gid("Employee", mob.org.people["carol"])
    reviewed = await move(mob, a["id"], "IN_REVIEW")
    assert reviewed["application"]["status"] == "IN_REVIEW"
    skipped = await move(mob, a["id"], "OFFERED")  # steps may be skipped
    assert skipped["application"]["status"] == "OFFERED"
    back = await move(mob, a["id"], "INTERVIEWING")
    assert [(e["field"], e["code"]) for e in back["userErrors"]] == [
        (["input", "status"], "INVALID_STATE")
    ]
    # Only the posting's owners and admins move applications.
    body = await mob.org.gql(
        "mutation($i: MoveApplicationInput!) { moveApplication(input: $i) { application { id } } }",
        {"i": {"id": a["id"], "status": "REJECTED", "feedback": "no"}},
        as_="manager2",
        scopes=MANAGER,
    )
    assert codes(body) == ["FORBIDDEN"] or data(body)["moveApplication"]["application"] is None


async def test_bad_applications_are_refused_with_nothing_written(mob: Mobility) -> None:
    p = await open_role(mob, applicationDeadline=days(3))
    first = await apply(mob, p["id"])
    assert first["userErrors"] == []
    draft = (await create(mob, title="Draft"))["posting"]
    late = await open_role(mob, title="Late")
    async with mob.org.runtime.db.transaction(mob.org.id) as conn:
        await conn.execute(
            update(postings)
            .where(postings.c.title == "Late")
            .values(application_deadline=postings.c.created_at.cast(postings.c.start_date.type) - 1)
        )
    before = await counts(mob.org)
    twice = await apply(mob, p["id"])
    own = await apply(mob, p["id"], "manager")
    closed = await apply(mob, draft["id"])
    past = await apply(mob, late["id"])
    too_long = await apply(mob, p["id"], "bob", note="x" * 2001)
    assert [e["code"] for e in twice["userErrors"]] == ["CONFLICT"]
    assert [e["code"] for e in own["userErrors"]] == ["INVALID_STATE"]
    assert [e["code"] for e in closed["userErrors"]] == ["NOT_FOUND"]  # a draft is not seen
    assert [e["message"] for e in past["userErrors"]] == ["the application deadline has passed"]
    assert [e["code"] for e in too_long["userErrors"]] == ["TOO_LONG"]
    assert await counts(mob.org) == before
    # A rejection without feedback, and a withdrawal by someone else.
    a = first["application"]
    no_feedback = await move(mob, a["id"], "REJECTED")
    assert [(e["field"], e["code"]) for e in no_feedback["userErrors"]] == [
        (["input", "feedback"], "REQUIRED")
    ]
    body = await mob.org.gql(WITHDRAW, {"i": {"id": a["id"]}}, as_="bob")
    assert data(body)["withdrawApplication"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert await counts(mob.org) == before


async def test_rejection_feedback_reaches_the_applicant_and_withdrawal(mob: Mobility) -> None:
    p = await open_role(mob)
    a = (await apply(mob, p["id"]))["application"]
    rejected = await move(
        mob, a["id"], "REJECTED", feedback="Needs deeper coding; try again in spring."
    )
    assert rejected["application"]["status"] == "REJECTED"
    mine = data(
        await mob.org.gql(
            MY_APPLICATIONS, {"id": gid("Employee", mob.org.people["carol"])}, as_="carol"
        )
    )
    assert mine["node"]["applications"][0]["feedback"].startswith("Needs deeper coding")
    # A new application after a rejection is allowed; then withdrawn by the applicant.
    again = (await apply(mob, p["id"]))["application"]
    withdrawn = data(await mob.org.gql(WITHDRAW, {"i": {"id": again["id"]}}, as_="carol"))
    assert withdrawn["withdrawApplication"]["application"]["status"] == "WITHDRAWN"
    twice = data(await mob.org.gql(WITHDRAW, {"i": {"id": again["id"]}}, as_="carol"))
    assert twice["withdrawApplication"]["userErrors"][0]["code"] == "INVALID_STATE"


async def test_confidential_applications_stay_hidden_from_the_manager_chain_until_offered(
    mob: Mobility,
) -> None:
    p = await open_role(mob)
    open_one = (await apply(mob, p["id"], "carol"))["application"]
    p2 = await open_role(mob, title="Second")
    secret = (await apply(mob, p2["id"], "carol", confidential=True))["application"]
    carol = {"id": gid("Employee", mob.org.people["carol"])}

    async def seen_by(who: str, scopes: str = MANAGER) -> set[str]:
        body = await mob.org.gql(MY_APPLICATIONS, carol, as_=who, scopes=scopes)
        found = (data(body)["node"] or {}).get("applications") if "errors" not in body else None
        return {a["id"] for a in found or []}

    node = "query($id: ID!) { node(id: $id) { id } }"
    # Mia (Carol's manager) sees the open application only, whatever the path.
    body = await mob.org.gql(
        "query($id: ID!) { node(id: $id) { ... on Employee { applications { id status } } } }",
        carol,
        as_="manager2",
        scopes=MANAGER,
    )
    assert {a["id"] for a in data(body)["node"]["applications"]} == {open_one["id"]}
    assert (
        data(await mob.org.gql(node, {"id": secret["id"]}, as_="manager2", scopes=MANAGER))["node"]
        is None
    )
    assert (
        secret["id"]
        not in (await mob.org.gql(node, {"id": secret["id"]}, as_="boss", scopes=MANAGER))[
            "data"
        ].__repr__()
    )
    # The applicant, the hiring manager and admins see it.
    assert data(await mob.org.gql(node, {"id": secret["id"]}, as_="carol"))["node"] == {
        "id": secret["id"]
    }
    assert data(await mob.org.gql(node, {"id": secret["id"]}, as_="manager", scopes=MANAGER))[
        "node"
    ]
    assert data(await mob.org.gql(node, {"id": secret["id"]}, as_="admin", scopes=ADMIN_SCOPES))[
        "node"
    ]
    # Once offered, Mia sees it (the organization's default stage) — not the note or feedback.
    await move(mob, secret["id"], "OFFERED")
    shown = await mob.org.gql(
        "query($id: ID!) { node(id: $id) { ... on Application { status note } } }",
        {"id": secret["id"]},
        as_="manager2",
        scopes=MANAGER,
    )
    assert shown["data"]["node"]["status"] == "OFFERED"
    assert codes(shown) == ["FORBIDDEN"]


async def test_confidentiality_stage_is_an_organization_setting(mob: Mobility) -> None:
    settings = """mutation($i: UpdateMobilitySettingsInput!) { updateMobilitySettings(input: $i) {
        settings { confidentialUntil version } userErrors { code } } }"""
    body = await mob.org.gql(
        settings, {"i": {"confidentialUntil": "ACCEPTED"}}, as_="admin", scopes=ADMIN_SCOPES
    )
    assert data(body)["updateMobilitySettings"]["settings"] == {
        "confidentialUntil": "ACCEPTED",
        "version": 1,
    }
    p = await open_role(mob)
    a = (await apply(mob, p["id"], "carol", confidential=True))["application"]
    await move(mob, a["id"], "OFFERED")
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert (
        data(await mob.org.gql(node, {"id": a["id"]}, as_="manager2", scopes=MANAGER))["node"]
        is None
    )
    bad = await mob.org.gql(
        settings, {"i": {"confidentialUntil": "SUBMITTED"}}, as_="admin", scopes=ADMIN_SCOPES
    )
    assert data(bad)["updateMobilitySettings"]["userErrors"][0]["code"] == "INVALID"


async def test_accepting_a_role_offer_moves_the_employee_in_one_transaction(mob: Mobility) -> None:
    carol = mob.org.people["carol"]
    assert carol.role_id is None
    other = await open_role(mob, title="Other role")
    other_app = (await apply(mob, other["id"], "carol"))["application"]
    p, offered = await _offered(mob)
    rival = (await apply(mob, p["id"], "bob"))["application"]
    accepted = data(
        await mob.org.gql(
            ACCEPT, {"i": {"id": offered["id"], "version": offered["version"]}}, as_="carol"
        )
    )["acceptOffer"]
    assert accepted["userErrors"] == []
    assert accepted["application"]["status"] == "ACCEPTED"
    assert accepted["application"]["posting"]["status"] == "FILLED"
    async with mob.org.runtime.db.transaction(mob.org.id) as conn:
        emp = (await conn.execute(select(employees).where(employees.c.id == carol.id))).one()
        history = (
            await conn.execute(
                select(position_history).where(
                    position_history.c.employee_id == carol.id,
                    position_history.c.source_type == "Application",
                )
            )
        ).all()
        posting = (
            await conn.execute(
                select(postings).where(postings.c.title == "Senior Engineer, Platform")
            )
        ).one()
        events = (await conn.execute(select(webhook_events.c.type, webhook_events.c.data))).all()
        plans = (
            await conn.execute(
                select(development_plans).where(development_plans.c.employee_id == carol.id)
            )
        ).all()
    assert emp.role_id == mob.fw.role["senior"]
    assert emp.org_unit_id == mob.platform.id
    assert emp.manager_id == mob.org.people["manager"].id
    assert len(history) == 1
    assert history[0].kind == "LATERAL_MOVE"
    app_id = parse_global_id(offered["id"])[1]  # type: ignore[index]
    assert history[0].source_id == app_id
    assert posting.filled_at is not None
    assert posting.filled_by_application_id == app_id
    by_type: dict[str, list[Any]] = {}
    for e in events:
        by_type.setdefault(e.type, []).append(e.data)
    assert [d["filled_by_application_id"] for d in by_type["posting.filled"]] == [str(app_id)]
    # Transition support: an onboarding plan toward the new role, drafted for review.
    assert [(p.title, p.status, p.target_role_id) for p in plans] == [
        ("Onboarding: Senior Engineer", "DRAFT", mob.fw.role["senior"])
    ]
    assert [d for d in by_type["employee.role_changed"] if d["source_type"]] == [
        {
            "employee_id": str(carol.id),
            "role_id": str(mob.fw.role["senior"]),
            "previous_role_id": None,
            "kind": "LATERAL_MOVE",
            "effective_date": history[0].effective_date.isoformat(),
            "source_type": "Application",
            "source_id": str(app_id),
        }
    ]
    moves = {
        (d["application_id"], d["previous_status"], d["status"])
        for d in by_type["application.status_changed"]
    }
    assert (str(app_id), "OFFERED", "ACCEPTED") in moves
    # Her other application is withdrawn, Bob's on the filled posting is rejected with a note.
    statuses = {}
    for who, app in (("carol", other_app), ("bob", rival)):
        body = await mob.org.gql(
            "query($id: ID!) { node(id: $id) { ... on Application { status feedback } } }",
            {"id": app["id"]},
            as_=who,
        )
        statuses[who] = data(body)["node"]
    assert statuses["carol"]["status"] == "WITHDRAWN"
    assert statuses["bob"] == {
        "status": "REJECTED",
        "feedback": "The posting was filled by another applicant.",
    }


async def test_an_upward_move_is_a_promotion(mob: Mobility) -> None:
    # Alice is an engineer (level 1); the senior role is level 2. Mia posts in Operations.
    created = await mob.org.gql(
        "mutation($i: CreatePostingInput!) { createPosting(input: $i) { posting { id } userErrors { code } } }",
        {
            "i": {
                "kind": "ROLE",
                "title": "Senior",
                "roleId": __import__("tests.mobility.conftest", fromlist=["gid_of"]).gid_of(
                    "Role", mob.fw.role["senior"]
                ),
                "orgUnitId": gid("OrgUnit", mob.ops),
            }
        },
        as_="manager2",
        scopes=MANAGER,
    )
    pid = data(created)["createPosting"]["posting"]["id"]
    await open_posting(mob, pid, as_="manager2")
    a = (await apply(mob, pid, "alice"))["application"]
    await move(mob, a["id"], "OFFERED", as_="manager2")
    done = data(await mob.org.gql(ACCEPT, {"i": {"id": a["id"]}}, as_="alice"))["acceptOffer"]
    assert done["userErrors"] == []
    async with mob.org.runtime.db.transaction(mob.org.id) as conn:
        kinds = (
            (
                await conn.execute(
                    select(position_history.c.kind).where(
                        position_history.c.employee_id == mob.org.people["alice"].id,
                        position_history.c.source_type == "Application",
                    )
                )
            )
            .scalars()
            .all()
        )
        alice = (
            await conn.execute(
                select(employees).where(employees.c.id == mob.org.people["alice"].id)
            )
        ).one()
    assert kinds == ["PROMOTION"]
    assert alice.manager_id == mob.org.people["manager2"].id
    assert alice.org_unit_id == mob.ops.id


async def test_an_offer_whose_role_or_hiring_manager_is_gone_is_refused_at_its_id(
    mob: Mobility,
) -> None:
    # The role was archived after the posting opened: the posting's state, not the
    # caller's input, so the refusal names the application, not a field they never sent.
    _p, offered = await _offered(mob)
    async with mob.org.runtime.db.transaction(mob.org.id) as conn:
        await conn.execute(
            update(roles).where(roles.c.id == mob.fw.role["senior"]).values(archived_at=func.now())
        )
    before = await counts(mob.org)
    body = data(await mob.org.gql(ACCEPT, {"i": {"id": offered["id"]}}, as_="carol"))
    refused = body["acceptOffer"]
    assert refused["application"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "id"], "INVALID_STATE")
    ]
    assert "archived" in refused["userErrors"][0]["message"]
    assert await counts(mob.org) == before
    async with mob.org.runtime.db.transaction(mob.org.id) as conn:
        await conn.execute(
            update(roles).where(roles.c.id == mob.fw.role["senior"]).values(archived_at=None)
        )
    # The hiring manager left: the applicant would report to someone who is gone.
    await mob.org.run(
        people.terminate_employee,
        mob.org.people["manager"].id,
        dt.date.today(),
        None,
        mob.org.people["boss"].id,
    )
    before = await counts(mob.org)
    refused = data(await mob.org.gql(ACCEPT, {"i": {"id": offered["id"]}}, as_="carol"))[
        "acceptOffer"
    ]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "id"], "INVALID_STATE")
    ]
    assert "hiring manager has left" in refused["userErrors"][0]["message"]
    assert await counts(mob.org) == before
    async with mob.org.runtime.db.transaction(mob.org.id) as conn:
        carol = (
            await conn.execute(
                select(employees).where(employees.c.id == mob.org.people["carol"].id)
            )
        ).one()
    assert carol.manager_id == mob.org.people["manager2"].id


async def test_other_kinds_record_participation_without_a_role_change(mob: Mobility) -> None:
    _p, offered = await _offered(
        mob, kind="ROTATION", roleId=None, commitment=0.5, startDate=days(7), endDate=days(97)
    )
    done = data(await mob.org.gql(ACCEPT, {"i": {"id": offered["id"]}}, as_="carol"))["acceptOffer"]
    assert done["userErrors"] == []
    assert done["application"]["participation"] == {
        "startDate": days(7),
        "endDate": days(97),
        "commitment": 0.5,
    }
    before = mob.org.people["carol"]
    async with mob.org.runtime.db.transaction(mob.org.id) as conn:
        emp = (await conn.execute(select(employees).where(employees.c.id == before.id))).one()
    assert (emp.role_id, emp.org_unit_id, emp.manager_id) == (
        before.role_id,
        before.org_unit_id,
        before.manager_id,
    )
    # Only an offer is accepted, and only by the applicant (or an admin).
    p2 = await open_role(mob, title="x")
    a2 = (await apply(mob, p2["id"], "carol"))["application"]
    early = data(await mob.org.gql(ACCEPT, {"i": {"id": a2["id"]}}, as_="carol"))["acceptOffer"]
    assert [e["code"] for e in early["userErrors"]] == ["INVALID_STATE"]


async def test_my_applications_cost_the_same_statements_for_any_number(
    mob: Mobility, count_statements: object
) -> None:
    query = (
        "query($id: ID!) { node(id: $id) { ... on Employee { applications { id status "
        "posting { title hiringManager { name } } applicant { name } } } } }"
    )
    carol = {"id": gid("Employee", mob.org.people["carol"])}
    seen = []
    for n in (1, 4):
        while True:
            body = data(await mob.org.gql(query, carol, as_="carol"))
            have = len(body["node"]["applications"])
            if have >= n:
                break
            p = await open_role(mob, title=f"Role {have}")
            await apply(mob, p["id"])
        with count_statements() as counter:  # type: ignore[operator]
            await mob.org.gql(query, carol, as_="carol")
        seen.append(counter.count)
    assert seen[0] == seen[1], seen
    p = await open_role(mob, title="Popular")
    for who in ("alice", "bob", "carol"):
        await apply(mob, p["id"], who)
    apps = "query($id: ID!, $n: Int) { node(id: $id) { ... on Posting { applications(first: $n) { nodes { id applicant { name } note } } } } }"
    seen = []
    for n in (1, 3):
        with count_statements() as counter:  # type: ignore[operator]
            body = data(
                await mob.org.gql(apps, {"id": p["id"], "n": n}, as_="manager", scopes=MANAGER)
            )
        assert len(body["node"]["applications"]["nodes"]) == n
        seen.append(counter.count)
    assert seen[0] == seen[1], seen
