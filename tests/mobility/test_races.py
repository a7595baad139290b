"""Concurrency: one active application per employee and posting, one winner among writers of
the same version, and an offer accepted once."""

from __future__ import annotations

from sqlalchemy import func, select

from service.config import Settings
from service.mobility.models import applications
from service.people.models import position_history
from tests.mobility.conftest import MANAGER, Mobility, apply, create, move, open_role
from tests.race import WRITERS, audit_changes, only_winner, race, wide_client

APPLY = """
mutation($i: ApplyToPostingInput!) {
  applyToPosting(input: $i) { application { id } userErrors { field code } }
}
"""
MOVE = """
mutation($i: MoveApplicationInput!) {
  moveApplication(input: $i) { application { status version } userErrors { field code } }
}
"""
UPDATE = """
mutation($i: UpdatePostingInput!) {
  updatePosting(input: $i) { posting { title version } userErrors { field code } }
}
"""
ACCEPT = """
mutation($i: ApplicationActionInput!) {
  acceptOffer(input: $i) { application { status } userErrors { field code } }
}
"""


async def _count(m: Mobility, table: object, *conditions: object) -> int:
    async with m.org.runtime.db.transaction(m.org.id) as conn:
        stmt = select(func.count()).select_from(table).where(*conditions)  # type: ignore[arg-type]
        return int((await conn.execute(stmt)).scalar_one())


async def test_concurrent_applications_leave_one_active(mob: Mobility, settings: Settings) -> None:
    posting = await open_role(mob)
    variables = [{"i": {"postingId": posting["id"], "note": f"try {i}"}} for i in range(WRITERS)]
    async with wide_client(settings) as client:
        results = await race(client, mob.org.token("carol"), APPLY, variables)
    only_winner([r["applyToPosting"] for r in results], "CONFLICT")
    assert await _count(mob, applications, applications.c.posting_id.isnot(None)) == 1
    assert len(await audit_changes(mob.org, "application.submit")) == 1


async def test_same_version_one_writer_wins(mob: Mobility, settings: Settings) -> None:
    draft = (await create(mob))["posting"]
    variables = [
        {"i": {"id": draft["id"], "version": draft["version"], "title": f"Title {i}"}}
        for i in range(WRITERS)
    ]
    async with wide_client(settings) as client:
        results = await race(client, mob.org.token("manager", MANAGER), UPDATE, variables)
    won = only_winner([r["updatePosting"] for r in results])
    changes = await audit_changes(mob.org, "posting.update")
    assert changes == [{"title": {"from": "Senior Engineer, Platform", "to": f"Title {won}"}}]


async def test_concurrent_moves_of_an_application_one_wins(
    mob: Mobility, settings: Settings
) -> None:
    posting = await open_role(mob)
    app = (await apply(mob, posting["id"]))["application"]
    targets = ["IN_REVIEW", "INTERVIEWING", "OFFERED"]
    variables = [
        {"i": {"id": app["id"], "version": app["version"], "status": targets[i % 3]}}
        for i in range(WRITERS)
    ]
    async with wide_client(settings) as client:
        results = await race(client, mob.org.token("manager", MANAGER), MOVE, variables)
    won = only_winner([r["moveApplication"] for r in results])
    moved = results[won]["moveApplication"]["application"]
    assert moved == {"status": targets[won % 3], "version": 2}
    assert len(await audit_changes(mob.org, f"application.{targets[won % 3].lower()}")) == 1


async def test_an_offer_is_accepted_once(mob: Mobility, settings: Settings) -> None:
    posting = await open_role(mob)
    app = (await apply(mob, posting["id"]))["application"]
    offered = (await move(mob, app["id"], "OFFERED"))["application"]
    variables = [
        {"i": {"id": offered["id"], "version": offered["version"]}} for _ in range(WRITERS)
    ]
    async with wide_client(settings) as client:
        results = await race(client, mob.org.token("carol"), ACCEPT, variables)
    only_winner([r["acceptOffer"] for r in results])
    moves = await _count(mob, position_history, position_history.c.source_type == "Application")
    assert moves == 1
