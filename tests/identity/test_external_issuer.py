"""careerpath in production mode against a real, separate OIDC issuer process: discovery,
JWKS over HTTP, key rotation without a restart, client-credentials service accounts."""

from __future__ import annotations

import pytest

from service.config import Settings
from tests.auth.helpers import DROP, ExternalIssuer
from tests.conftest import Org
from tests.identity.conftest import Production, add_service_account, production_app

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


async def test_entra_style_claims_with_configured_subject_and_scope_claims(
    team: Org, settings: Settings, external_issuer: ExternalIssuer
) -> None:
    # Entra ID: employees are matched by `oid`, scopes come in `scp`, app roles in `roles`.
    auth = {"subject_claim": "oid", "scope_claims": ["scp", "roles"]}
    await add_service_account(team, "entra-app-id", "career:hris")
    async with production_app(settings, external_issuer, **auth) as app:
        user = await external_issuer.mint(
            sub="pairwise-subject-for-this-api",
            oid=team.people["alice"].auth_subject,
            scp="career:employee",
            org_id=team.slug,
        )
        assert await me(app, user) == "Alice Anders"
        client = await external_issuer.mint(
            sub="service-principal-object-id",
            oid="service-principal-object-id",
            azp="entra-app-id",
            idtyp="app",
            roles=["career:hris"],
            org_id=team.slug,
        )
        response = await app.gql("{ employees { totalCount } }", client)
        assert response.json() == {"data": {"employees": {"totalCount": 7}}}
