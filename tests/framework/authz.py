"""Authorization matrix entries of the career framework (see tests/authz_matrix.py).

Everyone in the organization with a reader scope reads the framework (HRIS integrations
included); HR admins edit, import and export it; another organization sees none of it.
Each operation first imports a small framework into organization A (a no-op when it is
already there, since imports are idempotent).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from service.framework import service, transfer
from service.framework.models import (
    competencies,
    job_families,
    levels,
    proficiency_scales,
    role_transitions,
    roles,
    tracks,
)
from service.graphql.ids import encode_id, parse_global_id
from tests.authz_matrix import (
    ADMIN_ONLY_WRITE,
    HIDDEN,
    UNAUTHENTICATED,
    Entry,
    Op,
    Outcome,
    Result,
    Row,
    World,
    admin_only_read,
    allowed,
)

SMALL = """
version: 1
scales:
  - key: proficiency
    name: Proficiency
    levels: [{value: 1, name: Basic}, {value: 2, name: Skilled}, {value: 3, name: Expert}]
levels:
  - {key: junior, name: Junior, rank: 1}
  - {key: senior, name: Senior, rank: 2}
jobFamilies:
  - {key: design, name: Design}
  - {key: research, name: Research}
competencies:
  - {key: craft, name: Craft, scale: proficiency}
  - {key: empathy, name: Empathy, scale: proficiency}
roles:
  - key: designer
    family: design
    level: junior
    title: Designer
    payBand: {min: 50000, mid: 60000, max: 70000, currency: EUR}
    expectations: [{competency: craft, requiredLevel: 1}, {competency: empathy, requiredLevel: 1}]
  - key: senior-designer
    family: design
    level: senior
    title: Senior Designer
    expectations: [{competency: craft, requiredLevel: 3}, {competency: empathy, requiredLevel: 2}]
  - {key: researcher, family: research, level: junior, title: Researcher}
tracks:
  - {key: design-ic, family: design, name: Design IC, kind: IC, roles: [designer, senior-designer]}
transitions:
  - {kind: LATERAL, fromRole: designer, toRole: researcher}
"""

TABLES = {
    "ProficiencyScale": proficiency_scales,
    "Level": levels,
    "JobFamily": job_families,
    "Role": roles,
    "Track": tracks,
    "Competency": competencies,
}


async def _ids(db: Any, principal: Any) -> dict[str, str]:
    await transfer.import_framework(db, principal, SMALL)
    out = {}
    for type_name, table in TABLES.items():
        for r in (await db.execute(select(table.c.id, table.c.key))).all():
            out[f"{type_name}:{r.key}"] = encode_id(type_name, r.id)
    transition = (await db.execute(select(role_transitions.c.id))).scalar_one()
    out["RoleTransition"] = encode_id("RoleTransition", transition)
    return out


async def framework(w: World) -> dict[str, str]:
    """Global IDs of the small framework in organization A, by ``Type:key``."""
    return await w.org.run(_ids)  # type: ignore[no-any-return]


def markers(w: World) -> set[str]:
    """What would give away A's framework: its titles and names."""
    return {"Senior Designer", "Researcher", "Design IC", "Empathy"}


def reader(check: Any = None) -> dict[Row, Outcome]:
    """Read by everyone in the organization with a reader scope."""
    return {
        **{row: allowed(check) for row in Row},
        Row.ANONYMOUS: UNAUTHENTICATED,
        Row.OTHER_ORG: HIDDEN,
    }


def shows_framework(result: Result) -> None:
    assert any(m in result.response.text for m in markers(result.world)), result.body


SHOWN = reader(shows_framework)


async def job_families(w: World) -> Op:
    await framework(w)
    return Op("{ jobFamilies { id name tracks { name steps { role { title } } } } }")


async def job_family(w: World) -> Op:
    ids = await framework(w)
    return Op(
        "query($id: ID) { jobFamily(id: $id) { id name tracks { name } } }",
        {"id": ids["JobFamily:design"]},
    )


async def levels_op(w: World) -> Op:
    await framework(w)
    return Op("{ levels { id name rank } proficiencyScales { name } roles { totalCount } }")


async def proficiency_scales(w: World) -> Op:
    await framework(w)
    return Op(
        '{ proficiencyScales { id name levels { name } } competency(key: "empathy") { name } }'
    )


async def roles_op(w: World) -> Op:
    await framework(w)
    return Op("{ roles(first: 100) { nodes { id title nextRoles { title } } } }")


async def role(w: World) -> Op:
    ids = await framework(w)
    return Op(
        "query($id: ID) { role(id: $id) { id title lateralMoves { title } "
        "expectations { competency { name } } } }",
        {"id": ids["Role:designer"]},
    )


async def track(w: World) -> Op:
    await framework(w)
    return Op('{ track(key: "design-ic") { id name steps { role { title } } } }')


async def competencies_op(w: World) -> Op:
    await framework(w)
    return Op("{ competencies(first: 100) { nodes { id name } } }")


async def competency(w: World) -> Op:
    ids = await framework(w)
    return Op(
        "query($id: ID) { competency(id: $id) { id name scale { name } } }",
        {"id": ids["Competency:empathy"]},
    )


async def career_paths(w: World) -> Op:
    ids = await framework(w)
    return Op(
        "query($a: ID!, $b: ID!) { careerPaths(fromRoleId: $a, toRoleId: $b) "
        "{ stepCount steps { kind toRole { title } growth { competency { name } } } } }",
        {"a": ids["Role:designer"], "b": ids["Role:senior-designer"]},
    )


def shows_path(result: Result) -> None:
    assert result.value, result.body
    assert result.value[0]["stepCount"] == 1, result.body


async def export_framework(w: World) -> Op:
    await framework(w)
    return Op("{ exportFramework }")


def exports_pay(result: Result) -> None:
    assert "Senior Designer" in result.value
    assert "50000" in result.value


# --- mutations ----------------------------------------------------------------------------

PAYLOAD = "userErrors { field message code }"


async def create_proficiency_scale(w: World) -> Op:
    await framework(w)
    return Op(
        "mutation($i: CreateProficiencyScaleInput!) { createProficiencyScale(input: $i) "
        f"{{ proficiencyScale {{ id }} {PAYLOAD} }} }}",
        {"i": {"key": "stars", "name": "Stars", "levels": [{"name": "One"}, {"name": "Two"}]}},
    )


async def update_proficiency_scale(w: World) -> Op:
    ids = await framework(w)
    return Op(
        "mutation($i: UpdateProficiencyScaleInput!) { updateProficiencyScale(input: $i) "
        f"{{ proficiencyScale {{ id }} {PAYLOAD} }} }}",
        {"i": {"id": ids["ProficiencyScale:proficiency"], "name": "Mastery"}},
    )


async def create_level(w: World) -> Op:
    await framework(w)
    return Op(
        f"mutation($i: CreateLevelInput!) {{ createLevel(input: $i) {{ level {{ id }} {PAYLOAD} }} }}",
        {"i": {"key": "lead", "name": "Lead", "rank": 3}},
    )


async def update_level(w: World) -> Op:
    ids = await framework(w)
    return Op(
        f"mutation($i: UpdateLevelInput!) {{ updateLevel(input: $i) {{ level {{ id }} {PAYLOAD} }} }}",
        {"i": {"id": ids["Level:senior"], "name": "Experienced"}},
    )


async def create_job_family(w: World) -> Op:
    await framework(w)
    return Op(
        "mutation($i: CreateJobFamilyInput!) { createJobFamily(input: $i) "
        f"{{ jobFamily {{ id }} {PAYLOAD} }} }}",
        {"i": {"key": "sales", "name": "Sales"}},
    )


async def update_job_family(w: World) -> Op:
    ids = await framework(w)
    return Op(
        "mutation($i: UpdateJobFamilyInput!) { updateJobFamily(input: $i) "
        f"{{ jobFamily {{ id }} {PAYLOAD} }} }}",
        {"i": {"id": ids["JobFamily:design"], "description": "Product and brand design."}},
    )


async def create_role(w: World) -> Op:
    ids = await framework(w)
    return Op(
        f"mutation($i: CreateRoleInput!) {{ createRole(input: $i) {{ role {{ id }} {PAYLOAD} }} }}",
        {
            "i": {
                "key": "design-lead",
                "familyId": ids["JobFamily:design"],
                "levelId": ids["Level:senior"],
                "title": "Design Lead",
            }
        },
    )


async def update_role(w: World) -> Op:
    ids = await framework(w)
    return Op(
        f"mutation($i: UpdateRoleInput!) {{ updateRole(input: $i) {{ role {{ id }} {PAYLOAD} }} }}",
        {"i": {"id": ids["Role:designer"], "title": "Product Designer"}},
    )


async def set_role_expectations(w: World) -> Op:
    ids = await framework(w)
    return Op(
        "mutation($i: SetRoleExpectationsInput!) { setRoleExpectations(input: $i) "
        f"{{ role {{ id }} {PAYLOAD} }} }}",
        {
            "i": {
                "roleId": ids["Role:researcher"],
                "expectations": [{"competencyId": ids["Competency:empathy"], "requiredLevel": 2}],
            }
        },
    )


async def create_track(w: World) -> Op:
    ids = await framework(w)
    return Op(
        f"mutation($i: CreateTrackInput!) {{ createTrack(input: $i) {{ track {{ id }} {PAYLOAD} }} }}",
        {
            "i": {
                "key": "research-ic",
                "familyId": ids["JobFamily:research"],
                "name": "Research IC",
                "kind": "IC",
                "roleIds": [ids["Role:researcher"]],
            }
        },
    )


async def update_track(w: World) -> Op:
    ids = await framework(w)
    return Op(
        f"mutation($i: UpdateTrackInput!) {{ updateTrack(input: $i) {{ track {{ id }} {PAYLOAD} }} }}",
        {"i": {"id": ids["Track:design-ic"], "name": "Design (IC)"}},
    )


async def set_track_steps(w: World) -> Op:
    ids = await framework(w)
    return Op(
        "mutation($i: SetTrackStepsInput!) { setTrackSteps(input: $i) "
        f"{{ track {{ id }} {PAYLOAD} }} }}",
        {"i": {"trackId": ids["Track:design-ic"], "roleIds": [ids["Role:designer"]]}},
    )


async def create_role_transition(w: World) -> Op:
    ids = await framework(w)
    return Op(
        "mutation($i: CreateRoleTransitionInput!) { createRoleTransition(input: $i) "
        f"{{ roleTransition {{ id }} {PAYLOAD} }} }}",
        {
            "i": {
                "fromRoleId": ids["Role:researcher"],
                "toRoleId": ids["Role:designer"],
                "kind": "LATERAL",
            }
        },
    )


async def update_role_transition(w: World) -> Op:
    ids = await framework(w)
    return Op(
        "mutation($i: UpdateRoleTransitionInput!) { updateRoleTransition(input: $i) "
        f"{{ roleTransition {{ id }} {PAYLOAD} }} }}",
        {"i": {"id": ids["RoleTransition"], "note": "Through a rotation."}},
    )


async def create_competency(w: World) -> Op:
    ids = await framework(w)
    return Op(
        "mutation($i: CreateCompetencyInput!) { createCompetency(input: $i) "
        f"{{ competency {{ id }} {PAYLOAD} }} }}",
        {
            "i": {
                "key": "writing",
                "name": "Writing",
                "scaleId": ids["ProficiencyScale:proficiency"],
            }
        },
    )


async def update_competency(w: World) -> Op:
    ids = await framework(w)
    return Op(
        "mutation($i: UpdateCompetencyInput!) { updateCompetency(input: $i) "
        f"{{ competency {{ id }} {PAYLOAD} }} }}",
        {"i": {"id": ids["Competency:craft"], "category": "Design"}},
    )


async def archive_entity(w: World) -> Op:
    ids = await framework(w)
    return Op(
        "mutation($i: ArchiveFrameworkEntityInput!) { archiveFrameworkEntity(input: $i) "
        f"{{ entity {{ archived }} {PAYLOAD} }} }}",
        {"i": {"id": ids["RoleTransition"]}},
    )


async def unarchive_entity(w: World) -> Op:
    ids = await framework(w)

    async def archive(db: Any, principal: Any) -> None:
        parsed = parse_global_id(ids["RoleTransition"])
        assert parsed is not None
        await service.set_archived(db, principal, service.TRANSITION, parsed[1], archived=True)

    await w.org.run(archive)
    return Op(
        "mutation($i: UnarchiveFrameworkEntityInput!) { unarchiveFrameworkEntity(input: $i) "
        f"{{ entity {{ archived }} {PAYLOAD} }} }}",
        {"i": {"id": ids["RoleTransition"]}},
    )


async def import_framework(w: World) -> Op:
    await framework(w)
    # A different framework: A's is archived in favour of it (B, refused nothing, gets it).
    document = "version: 1\njobFamilies: [{key: operations, name: Operations}]\n"
    return Op(
        "mutation($i: ImportFrameworkInput!) { importFramework(input: $i) "
        f"{{ summary {{ changed jobFamilies {{ created archived }} }} {PAYLOAD} }} }}",
        {"i": {"document": document}},
    )


def writes(op: Any) -> Entry:
    return Entry(op, ADMIN_ONLY_WRITE, subject=markers)


AUTHZ = {
    "Query.jobFamilies": Entry(job_families, SHOWN, subject=markers),
    "Query.jobFamily": Entry(job_family, SHOWN, subject=markers),
    "Query.levels": Entry(levels_op, reader(), subject=markers),
    "Query.proficiencyScales": Entry(proficiency_scales, SHOWN, subject=markers),
    "Query.roles": Entry(roles_op, SHOWN, subject=markers),
    "Query.role": Entry(role, SHOWN, subject=markers),
    "Query.track": Entry(track, SHOWN, subject=markers),
    "Query.competencies": Entry(competencies_op, SHOWN, subject=markers),
    "Query.competency": Entry(competency, SHOWN, subject=markers),
    "Query.careerPaths": Entry(career_paths, reader(shows_path), subject=markers),
    "Query.exportFramework": Entry(export_framework, admin_only_read(exports_pay), subject=markers),
    "Mutation.createProficiencyScale": writes(create_proficiency_scale),
    "Mutation.updateProficiencyScale": writes(update_proficiency_scale),
    "Mutation.createLevel": writes(create_level),
    "Mutation.updateLevel": writes(update_level),
    "Mutation.createJobFamily": writes(create_job_family),
    "Mutation.updateJobFamily": writes(update_job_family),
    "Mutation.createRole": writes(create_role),
    "Mutation.updateRole": writes(update_role),
    "Mutation.setRoleExpectations": writes(set_role_expectations),
    "Mutation.createTrack": writes(create_track),
    "Mutation.updateTrack": writes(update_track),
    "Mutation.setTrackSteps": writes(set_track_steps),
    "Mutation.createRoleTransition": writes(create_role_transition),
    "Mutation.updateRoleTransition": writes(update_role_transition),
    "Mutation.createCompetency": writes(create_competency),
    "Mutation.updateCompetency": writes(update_competency),
    "Mutation.archiveFrameworkEntity": writes(archive_entity),
    "Mutation.unarchiveFrameworkEntity": writes(unarchive_entity),
    "Mutation.importFramework": writes(import_framework),
}


def _node(type_name: str, key: str) -> Any:
    async def sample(w: World) -> str:
        return (await framework(w))[f"{type_name}:{key}" if key else type_name]

    return sample


NODES = {
    "ProficiencyScale": _node("ProficiencyScale", "proficiency"),
    "Level": _node("Level", "junior"),
    "JobFamily": _node("JobFamily", "design"),
    "Role": _node("Role", "designer"),
    "Track": _node("Track", "design-ic"),
    "RoleTransition": _node("RoleTransition", ""),
    "Competency": _node("Competency", "craft"),
}
