"""People reached through postings, applications and candidates, and mutation inputs naming
a person (see tests/authz_matrix.py: ``RELATIONS`` and ``PERSON_INPUTS``).

The applicant entry is Alice's *confidential* application to Mia's gig: Max, her manager,
must not learn of it before it is offered, whatever path he takes."""

from __future__ import annotations

from typing import Any

from service.mobility import service as mobility
from tests.authz_matrix import (
    FORBIDDEN,
    HIDDEN,
    PERSON,
    PERSON_FIELDS,
    UNAUTHENTICATED,
    Entry,
    Op,
    PersonInput,
    Row,
    View,
    World,
    person_in,
    shows,
)
from tests.mobility.authz import (
    _state,
    alice_application,
    as_,
    create_posting,
    max_posting,
    mia_gig,
    update_posting,
)

FULL, NAMED = View.FULL, View.NAMED


async def hiring_manager(w: World) -> Op:
    if "hm_op" not in _state(w):
        posting = await max_posting(w, title="Hiring manager gig")
        _state(w)["hm_op"] = Op(
            "query($id: ID!) { node(id: $id) { ... on Posting { "
            f"hiringManager {{ {PERSON_FIELDS} }} }} }} }}",
            {"id": w.gid("Posting", posting)},
        )
    return _state(w)["hm_op"]  # type: ignore[no-any-return]


async def applicant(w: World) -> Op:
    if "applicant_op" not in _state(w):
        app = await alice_application(w, confidential=True)
        _state(w)["applicant_op"] = Op(
            "query($id: ID!) { node(id: $id) { ... on Application { "
            f"applicant {{ {PERSON_FIELDS} }} }} }} }}",
            {"id": w.gid("Application", app)},
        )
    return _state(w)["applicant_op"]  # type: ignore[no-any-return]


async def candidate(w: World) -> Op:
    if "candidate_op" not in _state(w):
        gig = await mia_gig(w)
        await as_(
            w,
            "alice",
            "career:employee",
            mobility.set_career_aspiration,
            mobility.AspirationInput(discoverable=True, open_to=["GIGS"]),
        )
        _state(w)["candidate_op"] = Op(
            "query($id: ID!) { node(id: $id) { ... on Posting { candidates(first: 1) { nodes { "
            f"employee {{ {PERSON_FIELDS} }} }} }} }} }} }}",
            {"id": w.gid("Posting", gig)},
        )
    return _state(w)["candidate_op"]  # type: ignore[no-any-return]


def _at(path: str, key: str, view: View) -> Any:
    return shows({path: (key, view)})


#: Max hires: everyone who sees his open gig sees him, by name at least.
HIRING_MANAGER = {
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.SELF: _at("node.hiringManager", "manager", NAMED),
    Row.OTHER_EMPLOYEE: _at("node.hiringManager", "manager", NAMED),
    Row.MANAGER_OF: _at("node.hiringManager", "manager", FULL),
    Row.MANAGER_NOT_OF: _at("node.hiringManager", "manager", NAMED),
    Row.ADMIN: _at("node.hiringManager", "manager", FULL),
    Row.SERVICE_ACCOUNT: _at("node.hiringManager", "manager", FULL),
    Row.OTHER_ORG: HIDDEN,
}
#: Alice's confidential application: hidden from Max (her manager) until offered; Mia runs
#: the gig and sees her by name.
APPLICANT = {
    **{row: HIDDEN for row in Row},
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.SELF: _at("node.applicant", "alice", FULL),
    Row.MANAGER_NOT_OF: _at("node.applicant", "alice", NAMED),
    Row.ADMIN: _at("node.applicant", "alice", FULL),
}
#: Candidates are for the gig's owners and HR admins.
CANDIDATE = {
    **{row: FORBIDDEN for row in Row},
    Row.ANONYMOUS: UNAUTHENTICATED,
    Row.MANAGER_NOT_OF: _at("node.candidates.nodes.0.employee", "alice", NAMED),
    Row.ADMIN: _at("node.candidates.nodes.0.employee", "alice", FULL),
    Row.OTHER_ORG: HIDDEN,
}

RELATIONS = {
    "Posting.hiringManager": Entry(hiring_manager, HIRING_MANAGER),
    "Application.applicant": Entry(applicant, APPLICANT),
    "CandidateMatch.employee": Entry(candidate, CANDIDATE),
}

PERSON_INPUTS = {
    "Mutation.createPosting input.hiringManagerId": PersonInput(
        (person_in(create_posting, hiringManagerId=PERSON),)
    ),
    "Mutation.updatePosting input.hiringManagerId": PersonInput(
        (person_in(update_posting, hiringManagerId=PERSON),)
    ),
}
