"""Concurrent framework changes with the same version: exactly one writer wins."""

from __future__ import annotations

from service.config import Settings
from tests.conftest import Org
from tests.framework.conftest import global_id
from tests.race import WRITERS, audit_changes, only_winner, race, wide_client

UPDATE_FAMILY = """
mutation($i: UpdateJobFamilyInput!) {
  updateJobFamily(input: $i) { jobFamily { name version } userErrors { field code } }
}
"""
ARCHIVE = """
mutation($i: ArchiveFrameworkEntityInput!) {
  archiveFrameworkEntity(input: $i) { entity { archived version } userErrors { field code } }
}
"""
ADMIN = "career:employee career:admin"


async def test_same_version_one_writer_wins(demo: Org, settings: Settings) -> None:
    family = await global_id(demo, "jobFamily", "engineering")
    variables = [{"i": {"id": family, "version": 1, "name": f"Eng {i}"}} for i in range(WRITERS)]
    async with wide_client(settings) as client:
        results = await race(client, demo.token("admin", ADMIN), UPDATE_FAMILY, variables)
    payloads = [r["updateJobFamily"] for r in results]
    won = only_winner(payloads)
    assert payloads[won]["jobFamily"] == {"name": f"Eng {won}", "version": 2}
    [changes] = await audit_changes(demo, "job_family.update")
    assert changes["name"]["to"] == f"Eng {won}"


async def test_same_version_one_archive_wins(demo: Org, settings: Settings) -> None:
    created = await demo.gql(
        'mutation { createJobFamily(input: {key: "design", name: "Design"}) '
        "{ jobFamily { id } userErrors { code } } }",
        as_="admin",
        scopes=ADMIN,
    )
    family = created["data"]["createJobFamily"]["jobFamily"]["id"]
    variables = [{"i": {"id": family, "version": 1}} for _ in range(WRITERS)]
    async with wide_client(settings) as client:
        results = await race(client, demo.token("admin", ADMIN), ARCHIVE, variables)
    payloads = [r["archiveFrameworkEntity"] for r in results]
    won = only_winner(payloads)
    assert payloads[won]["entity"] == {"archived": True, "version": 2}
    assert len(await audit_changes(demo, "job_family.archive")) == 1
