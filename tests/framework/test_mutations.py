"""Admin mutations of the framework: happy paths, every problem reported at once with
nothing written, optimistic versions, archive rules, employees' roles, and denials."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from service.graphql.ids import encode_id
from tests.conftest import Org, gid
from tests.framework.conftest import ADMIN, EMPLOYEE, data, error_codes, global_id, table_counts

SELECTIONS = {
    "createProficiencyScale": "proficiencyScale { id key version levels { value name } }",
    "updateProficiencyScale": "proficiencyScale { id key version levels { value name } }",
    "createLevel": "level { id key rank version }",
    "updateLevel": "level { id key rank version }",
    "createJobFamily": "jobFamily { id key name version }",
    "updateJobFamily": "jobFamily { id key name version }",
    "createRole": "role { id key title version payBand { min mid max currency } }",
    "updateRole": "role { id key title version level { key } payBand { min } }",
    "setRoleExpectations": "role { id version warnings { code } expectations "
    "{ competency { key } requiredLevel weight core note } }",
    "createTrack": "track { id key version steps { position role { key } } }",
    "updateTrack": "track { id key name version steps { role { key } } }",
    "setTrackSteps": "track { id version steps { position role { key } } }",
    "createRoleTransition": "roleTransition { id kind note version fromRole { key } }",
    "updateRoleTransition": "roleTransition { id kind note version }",
    "createCompetency": "competency { id key version descriptors { level levelName } }",
    "updateCompetency": "competency { id key version scale { key } descriptors { level } }",
    "archiveFrameworkEntity": "entity { id archived version }",
    "unarchiveFrameworkEntity": "entity { id archived version }",
}


def _type(name: str) -> str:
    return name[0].upper() + name[1:] + "Input"


async def mutate(
    org: Org, name: str, input: dict[str, Any], caller: dict[str, Any] | None = None
) -> dict[str, Any]:
    query = (
        f"mutation($i: {_type(name)}!) {{ {name}(input: $i) "
        f"{{ {SELECTIONS[name]} userErrors {{ field message code }} }} }}"
    )
    body = await org.gql(query, {"i": input}, **(caller or ADMIN))
    assert "errors" not in body, body
    return body["data"][name]  # type: ignore[no-any-return]


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert result["userErrors"] == [], result
    return next(v for k, v in result.items() if k != "userErrors")  # type: ignore[no-any-return]


def problems(result: dict[str, Any]) -> list[tuple[str, str]]:
    """(field path, code) of each userError; the object must be null."""
    assert next(v for k, v in result.items() if k != "userErrors") is None, result
    return [(".".join(e["field"]), e["code"]) for e in result["userErrors"]]


def message(result: dict[str, Any], index: int = 0) -> str:
    return result["userErrors"][index]["message"]  # type: ignore[no-any-return]


# --- job families and levels ---------------------------------------------------------------


async def test_job_family_create_update_and_refusals(demo: Org) -> None:
    before = await table_counts(demo)
    family = ok(await mutate(demo, "createJobFamily", {"key": "design", "name": " Design "}))
    assert (family["key"], family["name"], family["version"]) == ("design", "Design", 1)
    after = await table_counts(demo)
    assert after["job_families"] == before["job_families"] + 1
    assert after["audit_events"] == before["audit_events"] + 1

    refused = await mutate(
        demo, "createJobFamily", {"key": "Marketing Team", "name": " ", "description": "x" * 4001}
    )
    assert problems(refused) == [
        ("input.key", "INVALID"),
        ("input.name", "REQUIRED"),
        ("input.description", "TOO_LONG"),
    ]
    taken = await mutate(demo, "createJobFamily", {"key": "marketing", "name": "Marketing"})
    assert problems(taken) == [("input.key", "TAKEN")]
    assert message(taken) == '"marketing" is already used by another job family'
    assert await table_counts(demo) == after

    renamed = ok(
        await mutate(demo, "updateJobFamily", {"id": family["id"], "name": "Design", "version": 1})
    )
    assert renamed["version"] == 1  # nothing changed, nothing written
    renamed = ok(
        await mutate(demo, "updateJobFamily", {"id": family["id"], "name": "UX", "version": 1})
    )
    assert (renamed["name"], renamed["version"]) == ("UX", 2)
    stale = await mutate(demo, "updateJobFamily", {"id": family["id"], "name": "X", "version": 1})
    assert problems(stale) == [("input.version", "STALE_VERSION")]
    missing = await mutate(demo, "updateJobFamily", {"id": family["id"][:-3] + "AAA", "name": "X"})
    assert problems(missing)[0][0] == "input.id"


async def test_levels_keep_ranks_unique(demo: Org) -> None:
    level = ok(await mutate(demo, "createLevel", {"key": "fellow", "name": "Fellow", "rank": 8}))
    assert level["rank"] == 8
    taken = await mutate(demo, "createLevel", {"key": "distinguished", "name": "D", "rank": 8})
    assert problems(taken) == [("input.rank", "TAKEN")]
    assert message(taken) == 'rank 8 is already used by level "fellow"'
    assert problems(await mutate(demo, "createLevel", {"key": "x", "name": "X", "rank": 0})) == [
        ("input.rank", "INVALID")
    ]
    moved = await mutate(demo, "updateLevel", {"id": level["id"], "rank": 1})
    assert problems(moved) == [("input.rank", "TAKEN")]
    # Moving a level below the ones before it on a ladder breaks the track order.
    senior = await global_id(demo, "Role", "senior-software-engineer")
    assert senior
    levels = data(await demo.gql("{ levels { id key } }", **ADMIN))["levels"]
    senior_level = next(lv["id"] for lv in levels if lv["key"] == "senior")
    down = await mutate(demo, "updateLevel", {"id": senior_level, "rank": 9})
    assert problems(down)[0] == ("input", "CONFLICT")
    assert "steps down" in message(down) or "goes down" in message(down)


# --- scales and competencies --------------------------------------------------------------


async def test_scales_need_two_to_ten_distinct_levels(demo: Org) -> None:
    scale = ok(
        await mutate(
            demo,
            "createProficiencyScale",
            {"key": "stars", "name": "Stars", "levels": [{"name": "One"}, {"name": "Two"}]},
        )
    )
    assert [lv["value"] for lv in scale["levels"]] == [1, 2]
    refused = await mutate(
        demo,
        "createProficiencyScale",
        {"key": "proficiency", "name": "P", "levels": [{"name": "Only"}]},
    )
    assert problems(refused) == [("input.key", "TAKEN"), ("input.levels", "INVALID")]
    dupes = await mutate(
        demo,
        "createProficiencyScale",
        {"key": "dupes", "name": "D", "levels": [{"name": "A"}, {"name": "a"}]},
    )
    assert problems(dupes) == [("input.levels.1.name", "TAKEN")]


async def test_scale_levels_in_use_cannot_be_dropped(demo: Org) -> None:
    scale = await global_id(demo, "Competency", "strategic-thinking")
    assert scale
    scales = data(await demo.gql("{ proficiencyScales { id } }", **ADMIN))["proficiencyScales"]
    before = await table_counts(demo)
    three = [{"name": "A"}, {"name": "B"}, {"name": "C"}]
    refused = await mutate(demo, "updateProficiencyScale", {"id": scales[0]["id"], "levels": three})
    assert problems(refused) == [("input.levels", "CONFLICT")]
    assert "use levels above 3" in message(refused)
    assert await table_counts(demo) == before
    renamed = [{"name": n} for n in ("Aware", "Learning", "Able", "Strong", "Master")]
    updated = ok(
        await mutate(demo, "updateProficiencyScale", {"id": scales[0]["id"], "levels": renamed})
    )
    assert [lv["name"] for lv in updated["levels"]][-1] == "Master"
    assert updated["version"] == 2


async def test_competency_descriptors_and_scale_changes(demo: Org) -> None:
    stars = ok(
        await mutate(
            demo,
            "createProficiencyScale",
            {"key": "stars", "name": "Stars", "levels": [{"name": "One"}, {"name": "Two"}]},
        )
    )
    created = ok(
        await mutate(
            demo,
            "createCompetency",
            {
                "key": "storytelling",
                "name": "Storytelling",
                "scaleId": stars["id"],
                "descriptors": [
                    {"level": 2, "description": "Moves a room."},
                    {"level": 1, "description": "Tells a clear story."},
                ],
            },
        )
    )
    assert created["descriptors"] == [
        {"level": 1, "levelName": "One"},
        {"level": 2, "levelName": "Two"},
    ]
    refused = await mutate(
        demo,
        "createCompetency",
        {
            "key": "storytelling",
            "name": "S",
            "scaleId": stars["id"],
            "descriptors": [
                {"level": 3, "description": "Too high."},
                {"level": 1, "description": "One."},
                {"level": 1, "description": "Again."},
            ],
        },
    )
    assert problems(refused) == [
        ("input.key", "TAKEN"),
        ("input.descriptors.0.level", "INVALID"),
        ("input.descriptors.2.level", "TAKEN"),
    ]
    # strategic-thinking is required at level 5 by some roles: not on a 2-step scale
    strategic = await global_id(demo, "Competency", "strategic-thinking")
    moved = await mutate(
        demo, "updateCompetency", {"id": strategic, "scaleId": stars["id"], "descriptors": []}
    )
    assert problems(moved) == [("input.scaleId", "CONFLICT")]
    assert "require levels above 2" in message(moved)
    fine = ok(await mutate(demo, "updateCompetency", {"id": created["id"], "descriptors": []}))
    assert (fine["descriptors"], fine["version"]) == ([], 2)


# --- roles and expectations ---------------------------------------------------------------


async def test_roles_create_update_and_pay_bands(demo: Org) -> None:
    engineering = await global_id(demo, "JobFamily", "engineering")
    levels = {
        lv["key"]: lv["id"]
        for lv in data(await demo.gql("{ levels { id key } }", **ADMIN))["levels"]
    }
    role = ok(
        await mutate(
            demo,
            "createRole",
            {
                "key": "sre",
                "familyId": engineering,
                "levelId": levels["senior"],
                "title": "Site Reliability Engineer",
                "payBand": {"min": 1, "mid": 2, "max": 3, "currency": "EUR"},
            },
        )
    )
    assert role["payBand"] == {"min": 1, "mid": 2, "max": 3, "currency": "EUR"}
    before = await table_counts(demo)
    refused = await mutate(
        demo,
        "createRole",
        {
            "key": "sre",
            "familyId": "garbage",
            "levelId": engineering,
            "title": "",
            "payBand": {"min": 5, "mid": 2, "max": 3, "currency": "euro"},
        },
    )
    assert problems(refused) == [
        ("input.familyId", "INVALID"),
        ("input.levelId", "INVALID"),
        ("input.key", "TAKEN"),
        ("input.title", "REQUIRED"),
        ("input.payBand", "INVALID"),
        ("input.payBand.currency", "INVALID"),
    ]
    assert await table_counts(demo) == before
    updated = ok(
        await mutate(
            demo,
            "updateRole",
            {"id": role["id"], "title": "SRE", "levelId": levels["staff"], "payBand": None},
        )
    )
    assert (updated["title"], updated["level"], updated["payBand"]) == (
        "SRE",
        {"key": "staff"},
        None,
    )
    assert updated["version"] == 2


async def test_role_family_cannot_change_while_on_a_track(demo: Org) -> None:
    role = await global_id(demo, "Role", "software-engineer")
    product = await global_id(demo, "JobFamily", "product")
    refused = await mutate(demo, "updateRole", {"id": role, "familyId": product})
    assert problems(refused) == [("input.familyId", "CONFLICT")]
    assert '"engineering-ic"' in message(refused)


async def test_set_role_expectations(demo: Org) -> None:
    role = await global_id(demo, "Role", "product-manager")
    comp = {
        k: await global_id(demo, "Competency", k) for k in ("strategic-thinking", "roadmapping")
    }
    result = ok(
        await mutate(
            demo,
            "setRoleExpectations",
            {
                "roleId": role,
                "version": 1,
                "expectations": [
                    {"competencyId": comp["roadmapping"], "requiredLevel": 3, "weight": 2.5},
                    {
                        "competencyId": comp["strategic-thinking"],
                        "requiredLevel": 2,
                        "core": False,
                        "note": "Connects the roadmap to company goals.",
                    },
                ],
            },
        )
    )
    assert result["version"] == 2
    assert result["expectations"] == [
        {
            "competency": {"key": "roadmapping"},
            "requiredLevel": 3,
            "weight": 2.5,
            "core": True,
            "note": None,
        },
        {
            "competency": {"key": "strategic-thinking"},
            "requiredLevel": 2,
            "weight": 1.0,
            "core": False,
            "note": "Connects the roadmap to company goals.",
        },
    ]
    assert [w["code"] for w in result["warnings"]] == ["TOO_FEW_CORE_COMPETENCIES"]

    before = await table_counts(demo)
    refused = await mutate(
        demo,
        "setRoleExpectations",
        {
            "roleId": role,
            "expectations": [
                {"competencyId": comp["roadmapping"], "requiredLevel": 6},
                {"competencyId": comp["roadmapping"], "requiredLevel": 1, "weight": 0},
                {"competencyId": "nope", "requiredLevel": 1, "note": "n" * 4001},
                {"competencyId": role, "requiredLevel": 1},
            ],
        },
    )
    assert problems(refused) == [
        ("input.expectations.2.competencyId", "INVALID"),
        ("input.expectations.3.competencyId", "INVALID"),
        ("input.expectations.0.requiredLevel", "INVALID"),
        ("input.expectations.1.competencyId", "TAKEN"),
        ("input.expectations.1.weight", "INVALID"),
        ("input.expectations.2.note", "TOO_LONG"),
    ]
    assert message(refused, 2) == (
        'required level 6 is outside the scale of competency "roadmapping" (1..5)'
    )
    too_many = await mutate(
        demo,
        "setRoleExpectations",
        {
            "roleId": role,
            "expectations": [{"competencyId": comp["roadmapping"], "requiredLevel": 1}] * 101,
        },
    )
    assert problems(too_many) == [("input.expectations", "LIMIT_EXCEEDED")]
    stale = await mutate(
        demo, "setRoleExpectations", {"roleId": role, "version": 1, "expectations": []}
    )
    assert problems(stale) == [("input.version", "STALE_VERSION")]
    assert await table_counts(demo) == before
    cleared = ok(await mutate(demo, "setRoleExpectations", {"roleId": role, "expectations": []}))
    assert cleared["expectations"] == []


# --- tracks and transitions ---------------------------------------------------------------


async def test_tracks_refuse_loops_other_families_steps_down_and_explicit_pairs(demo: Org) -> None:
    keys = [
        "associate-software-engineer",
        "software-engineer",
        "senior-software-engineer",
        "staff-engineer",
        "principal-engineer",
        "engineering-manager",
        "marketing-manager",
    ]
    r = {k: await global_id(demo, "Role", k) for k in keys}
    engineering = await global_id(demo, "JobFamily", "engineering")
    before = await table_counts(demo)
    refused = await mutate(
        demo,
        "createTrack",
        {
            "key": "engineering-ic",
            "familyId": engineering,
            "name": "Loop",
            "kind": "OTHER",
            "roleIds": [
                r["software-engineer"],
                r["associate-software-engineer"],
                r["marketing-manager"],
                r["software-engineer"],
            ],
        },
    )
    assert problems(refused) == [
        ("input.key", "TAKEN"),
        ("input.roleIds.1", "INVALID"),
        ("input.roleIds.2", "INVALID"),
        ("input.roleIds.3", "CYCLE"),
    ]
    assert "steps down" in message(refused, 1)
    assert "another job family" in message(refused, 2)
    explicit = await mutate(
        demo,
        "createTrack",
        {
            "key": "staff-to-manager",
            "familyId": engineering,
            "name": "Staff to manager",
            "kind": "OTHER",
            "roleIds": [r["staff-engineer"], r["engineering-manager"]],
        },
    )
    assert problems(explicit) == [("input.roleIds", "CONFLICT")]
    assert await table_counts(demo) == before

    track = ok(
        await mutate(
            demo,
            "createTrack",
            {
                "key": "fast",
                "familyId": engineering,
                "name": "Fast",
                "kind": "OTHER",
                "roleIds": [r["software-engineer"], r["principal-engineer"]],
            },
        )
    )
    assert [s["position"] for s in track["steps"]] == [1, 2]
    moved = ok(
        await mutate(
            demo,
            "setTrackSteps",
            {
                "trackId": track["id"],
                "version": 1,
                "roleIds": [r["associate-software-engineer"], r["principal-engineer"]],
            },
        )
    )
    assert [s["role"]["key"] for s in moved["steps"]] == [
        "associate-software-engineer",
        "principal-engineer",
    ]
    assert moved["version"] == 2
    empty = await mutate(demo, "setTrackSteps", {"trackId": track["id"], "roleIds": []})
    assert problems(empty) == [("input.roleIds", "REQUIRED")]
    # An ID that names no track is reported at the field that carried it.
    gone = await global_id(demo, "Role", "principal-engineer")
    unknown = await mutate(demo, "setTrackSteps", {"trackId": gone, "roleIds": []})
    assert problems(unknown) == [("input.trackId", "INVALID")]
    missing = {"trackId": encode_id("Track", uuid.uuid4()), "roleIds": [r["principal-engineer"]]}
    assert problems(await mutate(demo, "setTrackSteps", missing)) == [
        ("input.trackId", "NOT_FOUND")
    ]
    renamed = ok(await mutate(demo, "updateTrack", {"id": track["id"], "name": "Express"}))
    assert (renamed["name"], renamed["version"]) == ("Express", 3)


async def test_transitions(demo: Org) -> None:
    r = {
        k: await global_id(demo, "Role", k)
        for k in (
            "software-engineer",
            "senior-software-engineer",
            "associate-product-manager",
            "customer-success-analyst",
            "staff-engineer",
        )
    }
    before = await table_counts(demo)
    itself = await mutate(
        demo,
        "createRoleTransition",
        {
            "fromRoleId": r["software-engineer"],
            "toRoleId": r["software-engineer"],
            "kind": "LATERAL",
        },
    )
    assert problems(itself) == [("input.toRoleId", "CYCLE")]
    implied = await mutate(
        demo,
        "createRoleTransition",
        {
            "fromRoleId": r["software-engineer"],
            "toRoleId": r["senior-software-engineer"],
            "kind": "PROMOTION",
        },
    )
    assert problems(implied) == [("input.toRoleId", "CONFLICT")]
    assert "already implied by track" in message(implied)
    twice = await mutate(
        demo,
        "createRoleTransition",
        {
            "fromRoleId": r["software-engineer"],
            "toRoleId": r["associate-product-manager"],
            "kind": "LATERAL",
        },
    )
    assert problems(twice) == [("input.toRoleId", "TAKEN")]
    down = await mutate(
        demo,
        "createRoleTransition",
        {
            "fromRoleId": r["staff-engineer"],
            "toRoleId": r["customer-success-analyst"],
            "kind": "PROMOTION",
        },
    )
    assert problems(down) == [("input.kind", "INVALID")]
    malformed = await mutate(
        demo, "createRoleTransition", {"fromRoleId": "x", "toRoleId": "y", "kind": "LATERAL"}
    )
    assert problems(malformed) == [("input.fromRoleId", "INVALID"), ("input.toRoleId", "INVALID")]
    assert await table_counts(demo) == before

    created = ok(
        await mutate(
            demo,
            "createRoleTransition",
            {
                "fromRoleId": r["staff-engineer"],
                "toRoleId": r["customer-success-analyst"],
                "kind": "LATERAL",
                "note": "Into customer-facing analysis.",
            },
        )
    )
    assert created["fromRole"] == {"key": "staff-engineer"}
    updated = ok(
        await mutate(
            demo, "updateRoleTransition", {"id": created["id"], "note": None, "version": 1}
        )
    )
    assert (updated["note"], updated["version"]) == (None, 2)
    refused = await mutate(demo, "updateRoleTransition", {"id": created["id"], "kind": "PROMOTION"})
    assert problems(refused) == [("input.kind", "INVALID")]


# --- archiving ------------------------------------------------------------------------------


async def test_archiving_a_competency_expected_by_active_roles_is_refused(demo: Org) -> None:
    analytics = await global_id(demo, "Competency", "analytics")
    before = await table_counts(demo)
    refused = await mutate(demo, "archiveFrameworkEntity", {"id": analytics})
    assert problems(refused) == [("input.id", "INVALID_STATE")]
    import yaml

    from tests.framework.conftest import DEMO

    expecting = sorted(
        r["key"]
        for r in yaml.safe_load(DEMO)["roles"]
        if any(e["competency"] == "analytics" for e in r.get("expectations", []))
    )
    assert len(expecting) > 10  # all of them are listed
    assert message(refused) == (
        "active roles expect this competency: "
        + ", ".join(f'"{k}"' for k in expecting)
        + "; remove it from their expectations first"
    )
    assert await table_counts(demo) == before
    orphan = ok(
        await mutate(
            demo,
            "createCompetency",
            {
                "key": "orphan",
                "name": "Orphan",
                "scaleId": data(await demo.gql("{ proficiencyScales { id } }", **ADMIN))[
                    "proficiencyScales"
                ][0]["id"],
            },
        )
    )
    archived = ok(await mutate(demo, "archiveFrameworkEntity", {"id": orphan["id"], "version": 1}))
    assert (archived["archived"], archived["version"]) == (True, 2)
    listed = data(
        await demo.gql('{ competencies(filter: {search: "orphan"}) { totalCount } }', **ADMIN)
    )
    assert listed["competencies"]["totalCount"] == 0
    restored = ok(await mutate(demo, "unarchiveFrameworkEntity", {"id": orphan["id"]}))
    assert restored["archived"] is False


async def test_archiving_roles_families_levels_and_tracks(demo: Org) -> None:
    staff = await global_id(demo, "Role", "staff-engineer")
    on_track = await mutate(demo, "archiveFrameworkEntity", {"id": staff})
    assert problems(on_track) == [("input.id", "INVALID_STATE")]
    assert '"engineering-ic"' in message(on_track)

    product = await global_id(demo, "JobFamily", "product")
    family = await mutate(demo, "archiveFrameworkEntity", {"id": product})
    assert [m["message"].split(":")[0] for m in family["userErrors"]] == [
        "active roles belong to this family",
        "active tracks belong to this family",
    ]

    # Off its track, a role can go; its transitions go with it.
    track = await global_id(demo, "Track", "product-management")
    apm = await global_id(demo, "Role", "associate-product-manager")
    pm = await global_id(demo, "Role", "product-manager")
    ok(await mutate(demo, "archiveFrameworkEntity", {"id": track}))
    archived = ok(await mutate(demo, "archiveFrameworkEntity", {"id": apm}))
    assert archived["archived"] is True
    role = data(
        await demo.gql(
            'query { role(key: "software-engineer") { lateralMoves { key } } }', **EMPLOYEE
        )
    )
    assert role["role"]["lateralMoves"] == []
    roles = data(
        await demo.gql(
            "query($f: RoleFilter) { roles(filter: $f) { totalCount } }",
            {"f": {"familyId": product, "includeArchived": True}},
            **EMPLOYEE,
        )
    )
    assert roles["roles"]["totalCount"] == 4
    # The track cannot come back while one of its roles is archived.
    back = await mutate(demo, "unarchiveFrameworkEntity", {"id": track})
    assert problems(back) == [("input.id", "INVALID_STATE")]
    assert 'its role "associate-product-manager" is archived' in message(back)
    ok(await mutate(demo, "unarchiveFrameworkEntity", {"id": apm}))
    ok(await mutate(demo, "unarchiveFrameworkEntity", {"id": track}))
    assert pm
    bogus = await mutate(
        demo, "archiveFrameworkEntity", {"id": gid("Employee", demo.people["bob"])}
    )
    assert problems(bogus) == [("input.id", "INVALID")]


# --- employees' roles and denials -----------------------------------------------------------

EMPLOYEE_ROLE = """
mutation($i: UpdateEmployeeInput!) {
  updateEmployee(input: $i) {
    employee { role { key } positionHistory { kind role { key } } }
    userErrors { field message code }
  }
}
"""


async def test_employees_get_active_roles_only(demo: Org) -> None:
    bob = gid("Employee", demo.people["bob"])
    staff = await global_id(demo, "Role", "staff-engineer")
    body = data(await demo.gql(EMPLOYEE_ROLE, {"i": {"id": bob, "roleId": staff}}, **ADMIN))
    result = body["updateEmployee"]
    assert result["userErrors"] == []
    assert result["employee"]["role"] == {"key": "staff-engineer"}
    assert result["employee"]["positionHistory"][0]["role"] == {"key": "staff-engineer"}

    family = await global_id(demo, "JobFamily", "product")
    for bad, code in ((family, "INVALID"), (staff[:-4] + "AAAA", "INVALID")):
        body = data(await demo.gql(EMPLOYEE_ROLE, {"i": {"id": bob, "roleId": bad}}, **ADMIN))
        assert [e["code"] for e in body["updateEmployee"]["userErrors"]] == [code]
    track = await global_id(demo, "Track", "product-management")
    apm = await global_id(demo, "Role", "associate-product-manager")
    ok(await mutate(demo, "archiveFrameworkEntity", {"id": track}))
    ok(await mutate(demo, "archiveFrameworkEntity", {"id": apm}))
    body = data(await demo.gql(EMPLOYEE_ROLE, {"i": {"id": bob, "roleId": apm}}, **ADMIN))
    assert body["updateEmployee"]["userErrors"] == [
        {
            "field": ["input", "roleId"],
            "message": 'the role "associate-product-manager" is archived',
            "code": "INVALID_STATE",
        }
    ]
    create = """
    mutation($i: CreateEmployeeInput!) {
      createEmployee(input: $i) { employee { role { key } } userErrors { code field } }
    }
    """
    made = data(
        await demo.gql(
            create, {"i": {"email": "new@x.example", "name": "New", "roleId": staff}}, **ADMIN
        )
    )
    assert made["createEmployee"]["employee"]["role"] == {"key": "staff-engineer"}


@pytest.mark.parametrize(
    ("name", "input"),
    [
        ("createJobFamily", {"key": "design", "name": "Design"}),
        ("createLevel", {"key": "x", "name": "X", "rank": 99}),
    ],
)
async def test_employees_and_managers_cannot_change_the_framework(
    demo: Org, name: str, input: dict[str, Any]
) -> None:
    before = await table_counts(demo)
    query = f"mutation($i: {_type(name)}!) {{ {name}(input: $i) {{ userErrors {{ code }} }} }}"
    for caller in (EMPLOYEE, {"as_": "manager", "scopes": "career:employee career:manager"}):
        body = await demo.gql(query, {"i": input}, **caller)
        assert error_codes(body) == ["FORBIDDEN"]
        assert body["data"] is None
    body = await demo.gql(query, {"i": input}, expect_status=401)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await table_counts(demo) == before
