"""Authorization matrix entries of mobility (see tests/authz_matrix.py).

The subject is Alice; Max manages her and Bob, Mia manages another team, Ada is an HR admin.
Max and Mia belong to Alice's org unit, so they may post for it. Each operation sets up what it needs:
Max's postings (a draft, or an open one), or an open gig of Mia's with
Alice's application to it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from service.mobility import service as mobility
from service.people.models import employees
from tests.assessments.conftest import act
from tests.authz_matrix import (
    ADMIN_ONLY_WRITE,
    FORBIDDEN,
    HIDDEN,
    UNAUTHENTICATED,
    Entry,
    Op,
    Result,
    Row,
    World,
    admin_only_read,
    allowed,
)

ADMIN = "career:employee career:admin"
MANAGER = "career:employee career:manager"
POSTING = "posting { id title status } userErrors { field code }"
APPLICATION = "application { id status } userErrors { field code }"


def _state(w: World) -> dict[str, Any]:
    return w.__dict__.setdefault("_mobility", {})  # type: ignore[no-any-return]


async def as_(w: World, key: str, scopes: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a service function as a person of A, committed."""
    return await act(w.org, key, fn, *args, scopes=scopes, **kwargs)


async def _in_unit(w: World, key: str = "manager", inside: bool = True) -> None:
    """Put a manager in Alice's org unit, so that they may post for it (or take them out)."""
    async with w.org.runtime.db.transaction(w.org.id) as conn:
        await conn.execute(
            update(employees)
            .where(employees.c.id == w.org.people[key].id)
            .values(org_unit_id=w.unit.id if inside else None)
        )


async def max_posting(w: World, *, opened: bool = True, title: str = "Platform gig") -> Any:
    """A gig of Max's for Alice's unit (open unless ``opened`` is false)."""
    await _in_unit(w)
    row = await as_(
        w,
        "manager",
        MANAGER,
        mobility.create_posting,
        mobility.PostingInput(kind="GIG", title=title, org_unit_id=w.unit.id),
    )
    if opened:
        row = await as_(w, "manager", MANAGER, mobility.open_posting, row.id, expected_version=None)
    _state(w)["posting"] = row
    return row


async def mia_gig(w: World) -> Any:
    """An open gig Mia posted for Alice's unit, Mia hiring."""
    await _in_unit(w, "manager2")
    row = await as_(
        w,
        "manager2",
        MANAGER,
        mobility.create_posting,
        mobility.PostingInput(kind="GIG", title="Dashboards gig", org_unit_id=w.unit.id),
    )
    return await as_(w, "manager2", MANAGER, mobility.open_posting, row.id, expected_version=None)


async def alice_application(w: World, *, confidential: bool = False, offered: bool = False) -> Any:
    """Alice's application to a fresh gig of Mia's."""
    gig = await mia_gig(w)
    app = await as_(
        w, "alice", "career:employee", mobility.apply_to_posting, gig.id, "Keen.", confidential
    )
    if offered:
        app = await as_(w, "manager2", MANAGER, mobility.move_application, app.id, "OFFERED", None)
    _state(w)["application"] = app
    return app


def posting_markers(w: World) -> set[str]:
    return {w.gid("Posting", _state(w)["posting"])}


def application_markers(w: World) -> set[str]:
    return w.subject_markers() | {w.gid("Application", _state(w)["application"])}


def _rows(**outcomes: Any) -> dict[Row, Any]:
    out: dict[Row, Any] = {row: FORBIDDEN for row in Row}
    out[Row.ANONYMOUS] = UNAUTHENTICATED
    out[Row.OTHER_ORG] = HIDDEN
    out.update({Row[name]: outcome for name, outcome in outcomes.items()})
    return out


# --- queries ------------------------------------------------------------------------------


async def postings_list(w: World) -> Op:
    draft = await max_posting(w, opened=False, title="Draft gig")
    await max_posting(w)
    _state(w)["draft"] = draft
    return Op("{ postings(first: 100) { nodes { id title status } } }")


def lists_open_and_own(result: Result) -> None:
    """Everyone sees the open gig; only Max and Ada the draft."""
    text = result.response.text
    state = _state(result.world)
    assert result.world.gid("Posting", state["posting"]) in text, result.body
    owner = result.row in (Row.MANAGER_OF, Row.ADMIN)
    assert (result.world.gid("Posting", state["draft"]) in text) is owner, result.body


def mobility_figures(w: World) -> Op:
    return Op("{ mobilityFigures { postingsOpened postingsFilled internalFillRate } }")


def mobility_settings(w: World) -> Op:
    return Op("{ mobilitySettings { confidentialUntil version } }")


# --- mutations ----------------------------------------------------------------------------


def set_aspiration(w: World) -> Op:
    return Op(
        "mutation($i: SetCareerAspirationInput!) { setCareerAspiration(input: $i) { "
        "careerAspiration { openTo discoverable } userErrors { code } } }",
        {"i": {"openTo": ["ROLES"], "discoverable": True}},
    )


async def create_posting(w: World) -> Op:
    await _in_unit(w)
    await _in_unit(w, "manager2", inside=False)
    return Op(
        f"mutation($i: CreatePostingInput!) {{ createPosting(input: $i) {{ {POSTING} }} }}",
        {"i": {"kind": "GIG", "title": "On-call tooling", "orgUnitId": w.gid("OrgUnit", w.unit)}},
    )


async def update_posting(w: World) -> Op:
    draft = await max_posting(w, opened=False)
    return Op(
        f"mutation($i: UpdatePostingInput!) {{ updatePosting(input: $i) {{ {POSTING} }} }}",
        {"i": {"id": w.gid("Posting", draft), "title": "On-call tooling, v2"}},
    )


def _status(name: str) -> Any:
    async def build(w: World) -> Op:
        draft = await max_posting(w, opened=False)
        return Op(
            f"mutation($i: PostingStatusInput!) {{ {name}(input: $i) {{ {POSTING} }} }}",
            {"i": {"id": w.gid("Posting", draft)}},
        )

    return build


async def apply_to_posting(w: World) -> Op:
    gig = await mia_gig(w)
    return Op(
        f"mutation($i: ApplyToPostingInput!) {{ applyToPosting(input: $i) {{ {APPLICATION} }} }}",
        {"i": {"postingId": w.gid("Posting", gig), "note": "Count me in."}},
    )


async def move_application(w: World) -> Op:
    app = await alice_application(w)
    return Op(
        f"mutation($i: MoveApplicationInput!) {{ moveApplication(input: $i) {{ {APPLICATION} }} }}",
        {"i": {"id": w.gid("Application", app), "status": "INTERVIEWING"}},
    )


async def withdraw_application(w: World) -> Op:
    app = await alice_application(w)
    return Op(
        "mutation($i: ApplicationActionInput!) { withdrawApplication(input: $i) "
        f"{{ {APPLICATION} }} }}",
        {"i": {"id": w.gid("Application", app)}},
    )


async def accept_offer(w: World) -> Op:
    app = await alice_application(w, offered=True)
    return Op(
        f"mutation($i: ApplicationActionInput!) {{ acceptOffer(input: $i) {{ {APPLICATION} }} }}",
        {"i": {"id": w.gid("Application", app)}},
    )


def update_settings(w: World) -> Op:
    return Op(
        "mutation($i: UpdateMobilitySettingsInput!) { updateMobilitySettings(input: $i) "
        "{ settings { confidentialUntil } userErrors { code } } }",
        {"i": {"confidentialUntil": "INTERVIEWING"}},
    )


EVERY_EMPLOYEE = {
    name: allowed() for name in ("SELF", "OTHER_EMPLOYEE", "MANAGER_OF", "MANAGER_NOT_OF", "ADMIN")
}

AUTHZ = {
    "Query.postings": Entry(
        postings_list,
        {
            **{row: allowed(lists_open_and_own) for row in Row},
            Row.ANONYMOUS: UNAUTHENTICATED,
            Row.OTHER_ORG: HIDDEN,
        },
        subject=posting_markers,
    ),
    "Query.mobilityFigures": Entry(mobility_figures, admin_only_read()),
    "Query.mobilitySettings": Entry(
        mobility_settings,
        {**{row: allowed() for row in Row}, Row.ANONYMOUS: UNAUTHENTICATED, Row.OTHER_ORG: HIDDEN},
    ),
    # Everyone records their own aspiration; B's admin writes in B, nothing in A.
    "Mutation.setCareerAspiration": Entry(set_aspiration, _rows(**EVERY_EMPLOYEE)),
    # Mia's unit is not Alice's: refused as unknown, nothing written.
    "Mutation.createPosting": Entry(
        create_posting, _rows(MANAGER_OF=allowed(), MANAGER_NOT_OF=HIDDEN, ADMIN=allowed())
    ),
    **{
        f"Mutation.{name}": Entry(
            build,
            _rows(MANAGER_OF=allowed(), MANAGER_NOT_OF=HIDDEN, ADMIN=allowed()),
            subject=posting_markers,
        )
        for name, build in (
            ("updatePosting", update_posting),
            ("openPosting", _status("openPosting")),
            ("closePosting", _status("closePosting")),
        )
    },
    # Mia owns the gig: she may not apply to it (refused, nothing written).
    "Mutation.applyToPosting": Entry(
        apply_to_posting,
        _rows(**{**EVERY_EMPLOYEE, "MANAGER_NOT_OF": HIDDEN}),
    ),
    # Max sees his report's application but does not run Mia's posting.
    "Mutation.moveApplication": Entry(
        move_application,
        _rows(MANAGER_NOT_OF=allowed(), ADMIN=allowed()),
        subject=application_markers,
    ),
    "Mutation.withdrawApplication": Entry(
        withdraw_application,
        _rows(SELF=allowed(), OTHER_EMPLOYEE=HIDDEN),
        subject=application_markers,
    ),
    "Mutation.acceptOffer": Entry(
        accept_offer,
        _rows(SELF=allowed(), OTHER_EMPLOYEE=HIDDEN, ADMIN=allowed()),
        subject=application_markers,
    ),
    "Mutation.updateMobilitySettings": Entry(update_settings, ADMIN_ONLY_WRITE),
}


async def _posting_node(w: World) -> str:
    return w.gid("Posting", await max_posting(w))


async def _application_node(w: World) -> str:
    return w.gid("Application", await alice_application(w))


NODES = {"Posting": _posting_node, "Application": _application_node}
