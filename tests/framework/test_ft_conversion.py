"""Converting the Financial Times engineering competencies into a framework document."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from service.framework.document import FrameworkDocument, dump_document, parse_document
from tests.conftest import Org

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ft_engineering_to_careerpath.py"
# The Financial Times engineering competencies (MIT licence, kept beside the file).
FT_DIR = Path(__file__).resolve().parent / "data"
FT_FILE = FT_DIR / "engineering.yml"


def load_converter() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ft_engineering_to_careerpath", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ft() -> dict[str, Any]:
    return yaml.safe_load(FT_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def doc(ft: dict[str, Any]) -> FrameworkDocument:
    return parse_document(load_converter().convert(ft))


def test_counts(doc: FrameworkDocument) -> None:
    assert len(doc.job_families) == 1
    assert len(doc.roles) == 8
    assert len(doc.competencies) == 9
    assert sum(len(role.expectations) for role in doc.roles) == 72
    assert all(len(role.expectations) == 9 for role in doc.roles)
    assert len(doc.scales) == 1
    assert [s.name for s in doc.scales[0].levels] == [
        "Awareness",
        "Foundational",
        "Working knowledge",
        "Practitioner",
        "Expert",
    ]


def test_ic_and_people_manager_variants_share_a_level(doc: FrameworkDocument) -> None:
    level_of = {role.key: role.level for role in doc.roles}
    assert level_of["senior-2-ic"] == level_of["senior-2-pm"] == "senior-2"
    assert level_of["principal-ic"] == level_of["principal-pm"] == "principal"
    ranks = [(level.key, level.rank) for level in doc.levels]
    assert ranks == [
        ("junior", 1),
        ("engineer", 2),
        ("senior-1", 3),
        ("senior-2", 4),
        ("principal", 5),
        ("tech-director", 6),
    ]


def test_two_tracks_share_their_first_three_roles(doc: FrameworkDocument) -> None:
    tracks = {track.kind: track.roles for track in doc.tracks}
    assert set(tracks) == {"IC", "MANAGEMENT"}
    assert tracks["IC"] == ["junior", "engineer", "senior-1", "senior-2-ic", "principal-ic"]
    assert tracks["MANAGEMENT"] == [
        "junior",
        "engineer",
        "senior-1",
        "senior-2-pm",
        "principal-pm",
        "tech-director",
    ]
    assert tracks["IC"][:3] == tracks["MANAGEMENT"][:3]
    assert tracks["IC"][3] != tracks["MANAGEMENT"][3]


def test_rows_become_expectations_with_the_summary_as_note(doc: FrameworkDocument) -> None:
    roles = {role.key: role for role in doc.roles}
    [technical] = [e for e in roles["principal-ic"].expectations if e.competency == "technical"]
    assert technical.required_level == 5  # Expert
    assert technical.core is True
    assert technical.note is not None
    assert technical.note.startswith("1. Hands-on solution delivery\n2. Leads the design")
    [planning] = [e for e in roles["junior"].expectations if e.competency == "planning-organising"]
    assert planning.required_level == 1  # Awareness
    assert planning.note == (
        "Aware of how the team delivers and the best practices they use. "
        "Plans and delivers own work tasks."
    )


def test_laterals_between_the_two_paths_and_licence_notice(ft: dict[str, Any]) -> None:
    licence = (FT_DIR / "LICENSE").read_text(encoding="utf-8")
    doc = parse_document(load_converter().convert(ft, license_text=licence))
    assert {(t.kind, t.from_role, t.to_role) for t in doc.transitions} == {
        ("LATERAL", "senior-2-ic", "senior-2-pm"),
        ("LATERAL", "senior-2-pm", "senior-2-ic"),
        ("LATERAL", "principal-ic", "principal-pm"),
        ("LATERAL", "principal-pm", "principal-ic"),
    }
    assert doc.notice is not None
    assert "Copyright (c) 2019 Financial Times" in doc.notice
    assert "Permission is hereby granted" in doc.notice


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_round_trip_is_byte_identical(doc: FrameworkDocument, fmt: str) -> None:
    first = dump_document(doc, fmt)  # type: ignore[arg-type]
    assert dump_document(parse_document(first, fmt=fmt), fmt) == first  # type: ignore[arg-type]


def test_unknown_proficiency_word_is_refused(ft: dict[str, Any]) -> None:
    broken = dict(ft, competencies=[dict(ft["competencies"][0], proficiency="Guru")])
    with pytest.raises(ValueError, match="unknown FT proficiency 'Guru'"):
        load_converter().convert(broken)


def test_command_line_prints_canonical_yaml() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(FT_FILE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    doc = parse_document(result.stdout, fmt="yaml")
    assert dump_document(doc, "yaml") == result.stdout
    assert doc.notice is not None
    assert "Permission is hereby granted" in doc.notice


IMPORT = """
mutation($i: ImportFrameworkInput!) {
  importFramework(input: $i) {
    summary { roles { created } competencies { created } transitions { created } }
    userErrors { field message }
  }
}
"""

READ = """
{
  roles(first: 100) { totalCount nodes { key expectations { requiredLevelName note } } }
  competencies(first: 100) { totalCount }
  proficiencyScales { levels { value name } }
  jobFamilies { key tracks { kind steps { role { key } } } }
}
"""


async def test_converted_framework_imports_and_exports_unchanged(
    team: Org, ft: dict[str, Any]
) -> None:
    licence = (FT_DIR / "LICENSE").read_text(encoding="utf-8")
    converted = dump_document(parse_document(load_converter().convert(ft, license_text=licence)))
    admin = {"as_": "admin", "scopes": "career:admin"}
    body = await team.gql(IMPORT, {"i": {"document": converted}}, **admin)
    result = body["data"]["importFramework"]
    assert result["userErrors"] == []
    assert result["summary"] == {
        "roles": {"created": 8},
        "competencies": {"created": 9},
        "transitions": {"created": 4},
    }

    read = (await team.gql(READ, as_="alice"))["data"]
    assert read["roles"]["totalCount"] == 8
    assert read["competencies"]["totalCount"] == 9
    expectations = [e for r in read["roles"]["nodes"] for e in r["expectations"]]
    assert len(expectations) == 72
    assert all(e["note"] for e in expectations)
    [scale] = read["proficiencyScales"]
    assert [lv["name"] for lv in scale["levels"]] == [
        "Awareness",
        "Foundational",
        "Working knowledge",
        "Practitioner",
        "Expert",
    ]
    [family] = read["jobFamilies"]
    ladders = {t["kind"]: [s["role"]["key"] for s in t["steps"]] for t in family["tracks"]}
    assert set(ladders) == {"IC", "MANAGEMENT"}
    assert ladders["IC"][:3] == ladders["MANAGEMENT"][:3] == ["junior", "engineer", "senior-1"]
    assert ladders["IC"][3] != ladders["MANAGEMENT"][3]

    exported = await team.gql("{ exportFramework }", **admin)
    assert exported["data"]["exportFramework"] == converted
    again = await team.gql(IMPORT, {"i": {"document": converted}}, **admin)
    assert again["data"]["importFramework"]["summary"]["roles"] == {"created": 0}
