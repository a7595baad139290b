"""Importing and exporting framework documents: counts, idempotence, dry runs, archiving
what a document leaves out, every problem reported with its path, nothing written on
refusal, byte-identical round trips, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from service.framework import transfer
from service.framework.document import dump_document, parse_document
from tests.conftest import Org
from tests.framework.conftest import (
    ADMIN,
    DEMO,
    DEMO_FILE,
    EMPLOYEE,
    data,
    error_codes,
    payload,
    table_counts,
)

IMPORT = """
mutation($i: ImportFrameworkInput!) {
  importFramework(input: $i) {
    summary {
      dryRun changed noticeChanged
      scales { created updated unchanged archived }
      levels { created updated unchanged archived }
      jobFamilies { created updated unchanged archived }
      competencies { created updated unchanged archived }
      roles { created updated unchanged archived }
      tracks { created updated unchanged archived }
      transitions { created updated unchanged archived }
    }
    userErrors { field message code }
  }
}
"""
EXPORT = "query($f: FrameworkFormat) { exportFramework(format: $f) }"
SECTIONS = ["scales", "levels", "jobFamilies", "competencies", "roles", "tracks", "transitions"]


def counts(summary: dict[str, Any], kind: str) -> dict[str, int]:
    return {s: summary[s][kind] for s in SECTIONS}


async def run_import(org: Org, document: str, **extra: Any) -> dict[str, Any]:
    body = await org.gql(IMPORT, {"i": {"document": document, **extra}}, **ADMIN)
    return payload(body, "importFramework")


async def test_import_creates_then_reimport_changes_nothing(team: Org) -> None:
    before = await table_counts(team)
    first = await run_import(team, DEMO)
    assert first["userErrors"] == []
    summary = first["summary"]
    assert (summary["dryRun"], summary["changed"], summary["noticeChanged"]) == (False, True, False)
    assert counts(summary, "created") == {
        "scales": 1,
        "levels": 7,
        "jobFamilies": 4,
        "competencies": 19,
        "roles": 27,
        "tracks": 7,
        "transitions": 8,
    }
    after_first = await table_counts(team)
    # one audit event per entity, and one for the import
    assert after_first["audit_events"] - before["audit_events"] == 1 + sum(
        counts(summary, "created").values()
    )
    assert after_first["role_expectations"] == 187
    assert after_first["track_steps"] == 32

    again = (await run_import(team, DEMO))["summary"]
    assert again["changed"] is False
    assert counts(again, "unchanged") == counts(summary, "created")
    assert await table_counts(team) == after_first


async def test_changes_update_create_and_archive(team: Org) -> None:
    await team.run(transfer.import_framework, DEMO)
    doc: dict[str, Any] = yaml.safe_load(DEMO)
    roles = {r["key"]: r for r in doc["roles"]}
    roles["staff-engineer"]["title"] = "Staff Software Engineer"
    roles["software-engineer"]["expectations"][0]["requiredLevel"] = 3
    doc["roles"].append(
        {
            "key": "data-engineer",
            "family": "engineering",
            "level": "senior",
            "title": "Data Engineer",
        }
    )
    # Dropping the principal product manager drops its track step and nothing else refers to it.
    doc["roles"] = [r for r in doc["roles"] if r["key"] != "principal-product-manager"]
    product = next(t for t in doc["tracks"] if t["key"] == "product-management")
    product["roles"].remove("principal-product-manager")
    doc["notice"] = "Adapted for Northwind."
    summary = (await run_import(team, yaml.safe_dump(doc, sort_keys=False)))["summary"]
    assert summary["noticeChanged"] is True
    assert summary["roles"] == {"created": 1, "updated": 2, "unchanged": 24, "archived": 1}
    assert summary["tracks"] == {"created": 0, "updated": 1, "unchanged": 6, "archived": 0}

    role = "query($k: String) { role(key: $k) { title archived version } }"
    archived = data(await team.gql(role, {"k": "principal-product-manager"}, **EMPLOYEE))
    assert archived["role"] == {
        "title": "Principal Product Manager",
        "archived": True,
        "version": 2,
    }
    staff = data(await team.gql(role, {"k": "staff-engineer"}, **EMPLOYEE))["role"]
    assert (staff["title"], staff["version"]) == ("Staff Software Engineer", 2)
    listed = data(await team.gql("{ roles(first: 100) { totalCount } }", **EMPLOYEE))
    assert listed["roles"]["totalCount"] == 27  # 27 + 1 new - 1 archived
    exported = data(await team.gql(EXPORT, **ADMIN))["exportFramework"]
    assert "principal-product-manager" not in exported
    assert "Adapted for Northwind." in exported

    # Importing the original restores the archived role.
    restored = (await run_import(team, DEMO))["summary"]
    assert restored["roles"] == {"created": 0, "updated": 3, "unchanged": 24, "archived": 1}
    again = data(await team.gql(role, {"k": "principal-product-manager"}, **EMPLOYEE))
    assert again["role"]["archived"] is False


async def test_level_ranks_can_be_swapped_and_archived_ranks_reused(team: Org) -> None:
    await team.run(transfer.import_framework, DEMO)
    doc: dict[str, Any] = yaml.safe_load(DEMO)
    levels = {lv["key"]: lv for lv in doc["levels"]}
    levels["director"]["rank"], levels["executive"]["rank"] = 7, 6
    # Now the CMO (executive) sits below the director (a track must not step down): swap
    # the roles' levels as well.
    roles = {r["key"]: r for r in doc["roles"]}
    for role in doc["roles"]:
        if role["level"] in ("director", "executive"):
            role["level"] = "executive" if role["level"] == "director" else "director"
    assert roles
    result = await run_import(team, yaml.safe_dump(doc))
    assert result["userErrors"] == []
    assert result["summary"]["levels"]["updated"] == 2
    body = data(await team.gql("{ levels { key rank } }", **EMPLOYEE))
    assert body["levels"][-2:] == [{"key": "executive", "rank": 6}, {"key": "director", "rank": 7}]


async def test_every_problem_is_reported_with_its_path_and_nothing_is_written(team: Org) -> None:
    await team.run(transfer.import_framework, DEMO)
    before = await table_counts(team)
    doc: dict[str, Any] = yaml.safe_load(DEMO)
    doc["roles"][3]["expectations"][1]["competency"] = "strategic-thinkng"
    doc["roles"][0]["payBand"]["currency"] = "usd"
    doc["tracks"][0]["roles"].append(doc["tracks"][0]["roles"][0])
    doc["levels"][1]["rank"] = "2"
    result = await run_import(team, yaml.safe_dump(doc, sort_keys=False))
    assert result["summary"] is None
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
        (["input", "document", "levels[1].rank"], "INVALID"),
        (["input", "document", "roles[0].payBand.currency"], "INVALID"),
        (["input", "document", "roles[3].expectations[1].competency"], "INVALID"),
        (["input", "document", "tracks[0].roles[4]"], "INVALID"),
    ]
    messages = [e["message"] for e in result["userErrors"]]
    assert messages[2] == (
        'roles[3].expectations[1].competency: unknown competency key "strategic-thinkng" '
        '(did you mean "strategic-thinking"?)'
    )
    assert await table_counts(team) == before


async def test_syntax_errors_and_bad_formats(team: Org) -> None:
    before = await table_counts(team)
    broken = await run_import(team, "version: 1\nlevels: [\n")
    [error] = broken["userErrors"]
    assert error["field"] == ["input", "document"]
    assert error["message"].startswith("invalid YAML at line 3")
    as_json = await run_import(team, "version: 1", format="JSON")
    assert as_json["userErrors"][0]["message"].startswith("invalid JSON at line 1")
    empty = await run_import(team, "")
    assert empty["userErrors"][0]["message"] == "document is empty"
    assert await table_counts(team) == before


async def test_text_the_database_cannot_store_is_a_user_error_at_its_path(team: Org) -> None:
    before = await table_counts(team)
    document = yaml.safe_load(DEMO)
    document["roles"][2]["title"] = "Staff\x00Engineer"
    for dry_run in (True, False):
        # JSON's \u0000 escape is plain text to GraphQL, a NUL once the document is read.
        refused = await run_import(team, json.dumps(document), format="JSON", dryRun=dry_run)
        assert refused["summary"] is None
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
            (["input", "document", "roles[2].title"], "INVALID")
        ]
        assert "NUL" in refused["userErrors"][0]["message"]
    dated = await run_import(team, DEMO.replace("version: 1", "version: 2024-02-30", 1))
    assert dated["userErrors"][0]["message"].startswith("invalid YAML: a value that cannot")
    assert await table_counts(team) == before


async def test_dry_run_reports_the_same_and_writes_nothing(team: Org) -> None:
    before = await table_counts(team)
    dry = (await run_import(team, DEMO, dryRun=True))["summary"]
    assert dry["dryRun"] is True
    assert await table_counts(team) == before
    real = (await run_import(team, DEMO))["summary"]
    assert {k: v for k, v in dry.items() if k != "dryRun"} == {
        k: v for k, v in real.items() if k != "dryRun"
    }
    # a dry run of a change against existing data, too
    doc: dict[str, Any] = yaml.safe_load(DEMO)
    doc["jobFamilies"] = doc["jobFamilies"][:3]
    doc["roles"] = [r for r in doc["roles"] if r["family"] != "product"]
    doc["tracks"] = [t for t in doc["tracks"] if t["family"] != "product"]
    doc["transitions"] = [
        t for t in doc["transitions"] if "product" not in t["toRole"] + t["fromRole"]
    ]
    after_real = await table_counts(team)
    dry = (await run_import(team, yaml.safe_dump(doc), dryRun=True))["summary"]
    assert dry["jobFamilies"]["archived"] == 1
    assert dry["roles"]["archived"] == 4
    assert await table_counts(team) == after_real


async def test_export_import_export_is_byte_identical(team: Org) -> None:
    canonical = dump_document(parse_document(DEMO))
    await run_import(team, DEMO)
    for fmt, expected in (
        ("YAML", canonical),
        ("JSON", dump_document(parse_document(DEMO), "json")),
    ):
        first = data(await team.gql(EXPORT, {"f": fmt}, **ADMIN))["exportFramework"]
        assert first == expected
        again = await run_import(team, first)
        assert again["summary"]["changed"] is False
        assert data(await team.gql(EXPORT, {"f": fmt}, **ADMIN))["exportFramework"] == first
    # JSON is detected without a format
    as_json = json.dumps(json.loads(dump_document(parse_document(DEMO), "json")))
    assert (await run_import(team, as_json))["summary"]["changed"] is False


async def test_import_and_export_are_for_admins(team: Org) -> None:
    before = await table_counts(team)
    for caller in (EMPLOYEE, {"as_": "manager", "scopes": "career:manager"}):
        body = await team.gql(IMPORT, {"i": {"document": DEMO}}, **caller)
        assert error_codes(body) == ["FORBIDDEN"]
        assert body["data"] is None
        body = await team.gql(EXPORT, **caller)
        assert error_codes(body) == ["FORBIDDEN"]
    body = await team.gql(IMPORT, {"i": {"document": DEMO}}, expect_status=401)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await table_counts(team) == before


async def test_an_empty_document_archives_everything(team: Org) -> None:
    await team.run(transfer.import_framework, DEMO)
    summary = (await run_import(team, "version: 1\n"))["summary"]
    assert counts(summary, "archived") == {
        "scales": 1,
        "levels": 7,
        "jobFamilies": 4,
        "competencies": 19,
        "roles": 27,
        "tracks": 7,
        "transitions": 8,
    }
    assert data(await team.gql(EXPORT, **ADMIN))["exportFramework"] == "version: 1\n"
    back = (await run_import(team, DEMO))["summary"]
    assert counts(back, "updated") == counts(summary, "archived")


def cli(*args: str, urls: tuple[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``careerpath`` against the test database (owner for migrations, app role else)."""
    from tests.test_cli import env_for

    env = env_for(tmp_path / "data")
    env["CAREERPATH_MIGRATION_DATABASE_URL"], env["CAREERPATH_DATABASE_URL"] = urls
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_command_line_import_and_export(
    org: Org, org_factory: Any, database_urls: tuple[str, str], tmp_path: Path
) -> None:
    await org_factory()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return cli(*args, urls=database_urls, tmp_path=tmp_path)

    slug = ("--org", org.slug)

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        DEMO.replace("competency: strategic-thinking", "competency: strategic-thinkng", 1)
    )
    refused = run("framework", "import", str(bad), *slug)
    assert refused.returncode == 1
    assert "has 1 problem" in refused.stderr
    assert 'unknown competency key "strategic-thinkng"' in refused.stderr

    before = await table_counts(org)
    dry = run("framework", "import", str(DEMO_FILE), "--dry-run", *slug)
    assert dry.returncode == 0, dry.stderr
    assert "Dry run: nothing was written" in dry.stdout
    assert await table_counts(org) == before

    done = run("framework", "import", str(DEMO_FILE), *slug)
    assert done.returncode == 0, done.stderr
    assert "Framework imported" in done.stdout
    assert "27" in done.stdout

    out = tmp_path / "framework.json"
    exported = run("framework", "export", str(out), *slug)
    assert exported.returncode == 0, exported.stderr
    assert out.read_text() == dump_document(parse_document(DEMO), "json")
    yaml_out = run("framework", "export", "--format", "yaml", *slug)
    assert yaml_out.stdout == dump_document(parse_document(DEMO))
    # several organizations and none named
    assert "name one with --org" in run("framework", "export").stderr


async def test_summary_counts_descriptors_and_expectations(team: Org) -> None:
    doc: dict[str, Any] = yaml.safe_load(DEMO)
    descriptors = sum(len(c.get("descriptors", [])) for c in doc["competencies"])
    first = await team.run(transfer.import_framework, DEMO)
    assert list(first.counts)[3:7] == ["competencies", "descriptors", "roles", "expectations"]
    assert (first.counts["descriptors"].created, first.counts["expectations"].created) == (
        descriptors,
        187,
    )
    again = await team.run(transfer.import_framework, DEMO)
    assert again.counts["descriptors"] == transfer.Counts(unchanged=descriptors)
    assert again.counts["expectations"] == transfer.Counts(unchanged=187)

    competency = doc["competencies"][0]
    competency["descriptors"][0]["description"] = "Reworded."
    removed_descriptor = competency["descriptors"].pop()
    role = doc["roles"][0]
    role["expectations"][0]["requiredLevel"] = 1 + role["expectations"][0]["requiredLevel"] % 2
    role["expectations"][1]["note"] = "Role-specific detail."
    role["expectations"].pop()
    changed = await team.run(transfer.import_framework, yaml.safe_dump(doc), dry_run=True)
    assert changed.counts["descriptors"] == transfer.Counts(
        updated=1, unchanged=descriptors - 2, removed=1
    )
    assert changed.counts["expectations"] == transfer.Counts(updated=2, unchanged=184, removed=1)
    assert changed.counts["competencies"].updated == 1
    assert changed.counts["roles"].updated == 1

    competency["descriptors"].append(removed_descriptor)
    role["expectations"] = []
    partial = await team.run(transfer.import_framework, yaml.safe_dump(doc))
    assert partial.counts["descriptors"] == transfer.Counts(updated=1, unchanged=descriptors - 1)
    removed = len(yaml.safe_load(DEMO)["roles"][0]["expectations"])
    assert partial.counts["expectations"] == transfer.Counts(
        unchanged=187 - removed, removed=removed
    )
    restored = await team.run(transfer.import_framework, DEMO)
    assert restored.counts["expectations"] == transfer.Counts(
        created=removed, unchanged=187 - removed
    )
