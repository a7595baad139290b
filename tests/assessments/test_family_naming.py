"""One name for a role's job family: `family` / `familyId`, as on roles and tracks; the
skill gap summary's `jobFamily` / `jobFamilyId` remain as deprecated aliases."""

from __future__ import annotations

from tests.assessments.conftest import ADMIN, data, load_framework
from tests.assessments.test_summary import build
from tests.conftest import Org

QUERY = """
query($f: SkillGapFilter) { skillGapSummary(groupBy: JOB_FAMILY, filter: $f) {
    groups { headcount family { key } jobFamily { key } } } }
"""


async def _family_id(org: Org, key: str) -> str:
    body = await org.gql("query($k: String) { jobFamily(key: $k) { id } }", {"k": key}, **ADMIN)
    return data(body)["jobFamily"]["id"]  # type: ignore[no-any-return]


async def _groups(org: Org, f: dict[str, str] | None = None) -> list[dict[str, object]]:
    body = await org.gql(QUERY, {"f": f}, **ADMIN)
    return data(body)["skillGapSummary"]["groups"]  # type: ignore[no-any-return]


async def test_family_and_its_deprecated_alias_agree(org: Org) -> None:
    fw = await load_framework(org)
    await build(org, fw)
    eng, ops = await _family_id(org, "eng"), await _family_id(org, "ops")
    expected = [{"headcount": 9, "family": {"key": "eng"}, "jobFamily": {"key": "eng"}}]
    assert await _groups(org) == expected
    assert await _groups(org, {"familyId": eng}) == expected
    assert await _groups(org, {"jobFamilyId": eng}) == expected
    assert await _groups(org, {"familyId": ops}) == []
    assert await _groups(org, {"jobFamilyId": ops}) == []
