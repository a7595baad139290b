"""Organization patterns: skill gap summaries, small-group suppression, statement count."""

from __future__ import annotations

from typing import Any

import pytest

from service.people import service as people
from tests.assessments.conftest import ADMIN, MANAGER, Framework, codes, data, load_framework, rate
from tests.conftest import Org

SUMMARY = """
query($by: SkillGapGroupBy!, $f: SkillGapFilter) { skillGapSummary(groupBy: $by, filter: $f) {
    minGroupSize suppressedGroupCount
    groups { headcount assessedShare meanGap metShare
             orgUnit { name } jobFamily { key } level { key } competency { key }
             weakestCompetencies { key } }
} }
"""

# Unit A: six engineers rated by their manager on coding (required 3) and design (required 2).
CODING = [1, 2, 3, 3, 4, 2]  # shortfalls 2, 1, 0, 0, 0, 1
DESIGN = [2, 2, 1, 3, 2, 2]  # shortfalls 0, 0, 1, 0, 0, 0


async def build(org: Org, fw: Framework, *, a: int = 6, b: int = 3) -> None:
    unit_a = await org.run(people.create_org_unit, people.OrgUnitInput(name="Unit A"))
    unit_b = await org.run(people.create_org_unit, people.OrgUnitInput(name="Unit B"))
    await org.employee("admin")
    await org.employee("lead")
    c = fw.competency
    for i in range(a):
        key = f"a{i}"
        await org.employee(key, manager="lead", role_id=fw.role["engineer"], org_unit_id=unit_a.id)
        await rate(
            org,
            "lead",
            key,
            "MANAGER",
            {c["coding"]: CODING[i % 6], c["design"]: DESIGN[i % 6]},
        )
    for i in range(b):
        await org.employee(
            f"b{i}", manager="lead", role_id=fw.role["engineer"], org_unit_id=unit_b.id
        )


async def summary(org: Org, by: str, f: dict[str, Any] | None = None) -> dict[str, Any]:
    body = await org.gql(SUMMARY, {"by": by, "f": f}, **ADMIN)
    return data(body)["skillGapSummary"]  # type: ignore[no-any-return]


async def test_by_org_unit_with_a_small_unit_suppressed(org: Org) -> None:
    fw = await load_framework(org)
    await build(org, fw)
    result = await summary(org, "ORG_UNIT")
    assert result["minGroupSize"] == 5
    assert result["suppressedGroupCount"] == 1  # Unit B: three people
    (group,) = result["groups"]
    assert group["orgUnit"] == {"name": "Unit A"}
    assert group["headcount"] == 6
    # 24 expectations (6 people × 4), 12 of them assessed
    assert group["assessedShare"] == 0.5
    # shortfalls over assessed expectations: (2+1+0+0+0+1 + 0+0+1+0+0+0) / 12 = 5/12
    assert group["meanGap"] == pytest.approx(5 / 12, abs=1e-4)
    # met: coding 3, 3, 4 and design 2, 2, 3, 2, 2: 8 of 12
    assert group["metShare"] == pytest.approx(8 / 12, abs=1e-4)
    # coding: mean shortfall 4/6; design 1/6; teamwork and delivery unassessed
    assert [c["key"] for c in group["weakestCompetencies"]] == ["coding", "design"]
    # Nothing about the suppressed unit leaks.
    assert "Unit B" not in str(result)


async def test_people_without_an_org_unit_form_one_group(org: Org) -> None:
    fw = await load_framework(org)
    await build(org, fw)
    for i in range(5):
        await org.employee(f"n{i}", manager="lead", role_id=fw.role["engineer"])
    result = await summary(org, "ORG_UNIT")
    assert result["suppressedGroupCount"] == 1  # Unit B
    groups = [(g["orgUnit"], g["headcount"], g["assessedShare"]) for g in result["groups"]]
    # Named units first, the group without a unit last.
    assert groups == [({"name": "Unit A"}, 6, 0.5), (None, 5, 0.0)]


async def test_other_groupings_and_filters(org: Org) -> None:
    fw = await load_framework(org)
    await build(org, fw)
    (family,) = (await summary(org, "JOB_FAMILY"))["groups"]
    assert (family["jobFamily"], family["headcount"]) == ({"key": "eng"}, 9)
    # 36 expectations, 12 assessed
    assert family["assessedShare"] == pytest.approx(1 / 3, abs=1e-4)
    (level,) = (await summary(org, "LEVEL"))["groups"]
    assert (level["level"], level["headcount"]) == ({"key": "l1"}, 9)
    by_competency = {
        g["competency"]["key"]: g for g in (await summary(org, "COMPETENCY"))["groups"]
    }
    assert by_competency.keys() == {"coding", "design", "teamwork", "delivery"}
    coding = by_competency["coding"]
    assert (coding["headcount"], coding["assessedShare"]) == (9, pytest.approx(6 / 9, abs=1e-4))
    assert coding["meanGap"] == pytest.approx(4 / 6, abs=1e-4)
    assert coding["metShare"] == pytest.approx(3 / 6, abs=1e-4)
    assert by_competency["teamwork"]["meanGap"] is None  # nobody assessed
    assert by_competency["teamwork"]["weakestCompetencies"] == []
    # Filters: one competency, or the people of a unit.
    only = await summary(
        org, "JOB_FAMILY", {"competencyId": _gid("Competency", fw.competency["design"])}
    )
    assert only["groups"][0]["weakestCompetencies"] == [{"key": "design"}]
    assert only["groups"][0]["meanGap"] == pytest.approx(1 / 6, abs=1e-4)


def _gid(type_name: str, value: Any) -> str:
    from service.graphql.ids import encode_id

    return encode_id(type_name, value)


async def test_groups_below_the_minimum_show_no_figures(org: Org) -> None:
    fw = await load_framework(org)
    await build(org, fw, a=4, b=1)
    result = await summary(org, "ORG_UNIT")
    assert result == {"minGroupSize": 5, "suppressedGroupCount": 2, "groups": []}
    (family,) = (await summary(org, "JOB_FAMILY"))["groups"]
    assert family["headcount"] == 5


async def test_only_admins_see_organization_patterns(team: Org, fw: Framework) -> None:
    for who, scopes in (("manager", MANAGER), ("alice", "career:employee")):
        body = await team.gql(SUMMARY, {"by": "ORG_UNIT"}, as_=who, scopes=scopes)
        assert codes(body) == ["FORBIDDEN"]
        assert body["data"] is None


async def test_the_summary_is_one_statement_whatever_the_size(
    org_factory: Any, count_statements: Any
) -> None:
    counts = {}
    for size in (6, 24):
        org = await org_factory()
        fw = await load_framework(org)
        await build(org, fw, a=size, b=size // 3)
        token = org.token("admin", ADMIN["scopes"])
        with count_statements() as counter:
            body = await org.gql(SUMMARY, {"by": "ORG_UNIT"}, token=token)
        assert data(body)["skillGapSummary"]["groups"][0]["headcount"] == size
        counts[size] = counter.count
    assert counts[6] == counts[24], counts
    # caller, the summary, units, competencies, and BEGIN/ROLLBACK
    assert counts[24] <= 6, counts


BOTH = """
query { byUnit: skillGapSummary(groupBy: ORG_UNIT) { groups { headcount orgUnit { name } } }
        byCompetency: skillGapSummary(groupBy: COMPETENCY) {
            groups { headcount meanGap competency { key } } } }
"""


async def test_groupings_of_one_request_share_one_statement(
    org: Org, count_statements: Any
) -> None:
    fw = await load_framework(org)
    await build(org, fw)
    token = org.token("admin", ADMIN["scopes"])
    with count_statements() as counter:
        body = await org.gql(BOTH, token=token)
    found = data(body)
    assert [g["headcount"] for g in found["byUnit"]["groups"]] == [6]
    coding = {g["competency"]["key"]: g for g in found["byCompetency"]["groups"]}["coding"]
    assert (coding["headcount"], coding["meanGap"]) == (9, pytest.approx(4 / 6, abs=1e-4))
    summaries = [s for s in counter.statements if "role_expectations" in s]
    assert len(summaries) == 1, counter.statements
    # caller, the summaries, units, competencies, and BEGIN/ROLLBACK
    assert counter.count <= 6, counter.statements
