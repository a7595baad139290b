"""Events: every state change of a case, and every role change, is written to the outbox
in the same transaction, with data matching the documented schema."""

from __future__ import annotations

from typing import Any

import jsonschema
from sqlalchemy import select, text

from service.people import service as people
from service.webhooks.models import webhook_events
from service.webhooks.outbox import event_type
from tests.conftest import Org, gid
from tests.promotions.conftest import Framework, counts, decide, proposal, propose


async def events_of(org: Org) -> list[tuple[str, dict[str, Any]]]:
    async with org.runtime.db.transaction(org.id) as conn:
        rows = (
            await conn.execute(
                # Events of one transaction share a time; the heap keeps their order (the
                # table is only appended to).
                select(webhook_events.c.type, webhook_events.c.data).order_by(
                    webhook_events.c.occurred_at, text("ctid")
                )
            )
        ).all()
    found = [(r.type, r.data) for r in rows]
    for name, data in found:
        jsonschema.validate(data, dict(event_type(name).schema))
    return [(n, d) for n, d in found if n.startswith(("promotion.", "employee."))]


async def test_a_case_from_proposal_to_effective_tells_one_story(team: Org, fw: Framework) -> None:
    before = await events_of(team)
    case = (await propose(team, fw))["promotion"]
    await decide(team, "approvePromotion", case["id"])
    found = (await events_of(team))[len(before) :]
    assert [name for name, _ in found] == [
        "promotion.proposed",
        "promotion.approved",
        "promotion.effective",
        "employee.role_changed",
    ]
    alice = str(team.people["alice"].id)
    assert {d["employee_id"] for _, d in found} == {alice}
    changed = found[-1][1]
    assert changed["role_id"] == str(fw.role["senior"])
    assert changed["previous_role_id"] == str(fw.role["engineer"])
    assert changed["kind"] == "PROMOTION"
    assert changed["source_type"] == "Promotion"
    assert changed["source_id"] == found[0][1]["promotion_id"]
    assert [d["status"] for _, d in found[:3]] == ["PROPOSED", "APPROVED", "EFFECTIVE"]


async def test_rejections_and_cancellations_are_events_and_refusals_are_not(
    team: Org, fw: Framework
) -> None:
    first = (await propose(team, fw))["promotion"]
    await decide(team, "rejectPromotion", first["id"], note="Next cycle.")
    second = (await propose(team, fw))["promotion"]
    await decide(team, "cancelPromotion", second["id"], as_="manager", scopes="career:manager")
    names = [name for name, _ in await events_of(team)]
    assert names[-4:] == [
        "promotion.proposed",
        "promotion.rejected",
        "promotion.proposed",
        "promotion.cancelled",
    ]
    before = await counts(team)
    events_before = await events_of(team)
    body = await team.gql(
        "mutation($i: ProposePromotionInput!) { proposePromotion(input: $i) { userErrors { code } } }",
        proposal(team, fw, role="operator"),
        as_="manager",
        scopes="career:employee career:manager",
    )
    assert body["data"]["proposePromotion"]["userErrors"]
    assert await counts(team) == before
    assert await events_of(team) == events_before


async def test_a_role_change_by_update_employee_is_an_event_too(team: Org, fw: Framework) -> None:
    await team.run(
        people.update_employee,
        team.people["bob"].id,
        people.EmployeeInput(role_id=fw.role["operator"]),
    )
    name, data = (await events_of(team))[-1]
    assert name == "employee.role_changed"
    assert data["employee_id"] == str(team.people["bob"].id)
    assert data["kind"] == "LATERAL_MOVE"
    assert data["source_type"] is None
    assert gid("Employee", team.people["bob"])  # the employee still exists and is addressable
