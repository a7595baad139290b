"""careerpath in production mode against a real, separate OIDC issuer process: discovery,
JWKS over HTTP, key rotation without a restart, client-credentials service accounts."""

from __future__ import annotations

import uuid

import pytest

from service.config import Settings
from service.db import ConnectionExecutor
from service.people import service as people
from tests.auth.helpers import DROP, ExternalIssuer, Production, add_service_account, production_app
from tests.conftest import Org

ME = "{ me { name } }"


async def me(app: Production, token: str) -> str:
    response = await app.gql(ME, token)
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["me"]["name"])


async def test_tokens_from_the_issuer_reach_me_and_survive_key_rotation(
    team: Org, settings: Settings, external_issuer: ExternalIssuer
) -> None:
    async with production_app(settings, external_issuer) as app:
        before_rotation = await app.token(team, "alice")
        assert await me(app, before_rotation) == "Alice Anders"
        fetched = await external_issuer.stats()

        await external_issuer.rotate()
        after_rotation = await app.token(team, "bob")
        # The new key is fetched once, on the first token that names it.
        assert await me(app, after_rotation) == "Bob Brown"
        assert await me(app, await app.token(team, "carol")) == "Carol Chen"
        # Tokens signed before the rotation stay valid while the issuer publishes the old key.
        assert await me(app, before_rotation) == "Alice Anders"
        stats = await external_issuer.stats()
        assert stats["jwks"] - fetched["jwks"] == 1
        assert stats["discovery"] == fetched["discovery"]


async def test_unpublished_key_and_wrong_issuer_are_refused(
    team: Org, settings: Settings, external_issuer: ExternalIssuer
) -> None:
    async with production_app(settings, external_issuer) as app:
        assert await me(app, await app.token(team, "alice")) == "Alice Anders"
        for token in (
            # Signed with a key the issuer never published: one refresh, then refused.
            await external_issuer.mint(
                unpublished=True, sub=team.people["alice"].auth_subject, org_id=team.slug
            ),
            await app.token(team, "alice", iss="https://impostor.example.test"),
            await app.token(team, "alice", aud="someone-else"),
        ):
            response = await app.gql(ME, token)
            assert response.status_code == 401
            assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_client_credentials_token_from_the_issuer(
    team: Org, settings: Settings, external_issuer: ExternalIssuer
) -> None:
    await add_service_account(team, "workday-sync", "career:hris")
    async with production_app(settings, external_issuer) as app:
        # Okta-style: `sub` and `cid` are the client ID, scopes in an `scp` list.
        token = await external_issuer.mint(
            sub="workday-sync", cid="workday-sync", scp=["career:hris"], org_id=team.slug
        )
        response = await app.gql("{ employees { totalCount } }", token)
        assert response.json() == {"data": {"employees": {"totalCount": 7}}}


@pytest.mark.parametrize("pinned", [True, False])
async def test_single_tenant_deployment_pins_its_organization(
    team: Org, settings: Settings, external_issuer: ExternalIssuer, pinned: bool
) -> None:
    auth = {"default_org": team.slug} if pinned else {}
    async with production_app(settings, external_issuer, **auth) as app:
        # The identity provider sends no organization claim at all.
        token = await app.token(team, "alice", org_id=DROP)
        response = await app.gql(ME, token)
        if pinned:
            assert response.json() == {"data": {"me": {"name": "Alice Anders"}}}
        else:
            assert response.status_code == 401
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_entra_style_claims_with_configured_subject_scope_and_org_claims(
    org: Org, settings: Settings, external_issuer: ExternalIssuer
) -> None:
    # Entra ID: the organization is the directory (`tid`), whose ID is the careerpath slug;
    # employees are matched by `oid`; scopes come in `scp`, app roles in `roles`.
    tenant_id = str(uuid.uuid4())
    async with org.runtime.db.transaction(None) as conn:
        org_id = await people.create_organization(ConnectionExecutor(conn), tenant_id, "Contoso")
    contoso = Org(id=org_id, slug=tenant_id, runtime=org.runtime, client=org.client)
    await contoso.employee("alice", name="Alice Anders")
    await add_service_account(contoso, "entra-app-id", "career:hris")

    auth = {"subject_claim": "oid", "scope_claims": ["scp", "roles"], "org_claim": "tid"}
    async with production_app(settings, external_issuer, **auth) as app:
        user = await external_issuer.mint(
            sub="pairwise-subject-for-this-api",
            oid=contoso.people["alice"].auth_subject,
            scp="career:employee",
            tid=tenant_id,
        )
        assert await me(app, user) == "Alice Anders"
        client = await external_issuer.mint(
            sub="service-principal-object-id",
            oid="service-principal-object-id",
            azp="entra-app-id",
            idtyp="app",
            roles=["career:hris"],
            tid=tenant_id,
        )
        response = await app.gql("{ employees { totalCount } }", client)
        assert response.json() == {"data": {"employees": {"totalCount": 1}}}
        # The organization's own UUID names it too.
        by_id = await external_issuer.mint(
            sub="x",
            oid=contoso.people["alice"].auth_subject,
            scp="career:employee",
            tid=str(org_id),
        )
        assert await me(app, by_id) == "Alice Anders"


@pytest.mark.parametrize("fallback", [True, False])
async def test_email_fallback_matches_a_verified_email_only_when_enabled(
    team: Org, settings: Settings, external_issuer: ExternalIssuer, fallback: bool
) -> None:
    async with production_app(settings, external_issuer, email_fallback=fallback) as app:
        email = team.people["alice"].email.upper()  # matched case-insensitively
        verified = await app.token(
            team, "alice", sub="idp-user-1", email=email, email_verified=True
        )
        unverified = await app.token(team, "alice", sub="idp-user-2", email=email)
        response = await app.gql(ME, verified)
        if fallback:
            assert response.json() == {"data": {"me": {"name": "Alice Anders"}}}
        else:
            assert response.status_code == 401
        assert (await app.gql(ME, unverified)).status_code == 401
        # A real subject always wins over the email.
        assert await me(app, await app.token(team, "bob", email=email, email_verified=True)) == (
            "Bob Brown"
        )
