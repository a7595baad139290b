"""Settings, read from the environment (prefix ``CAREERPATH_``, nested with ``__``)."""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def between(default: float, low: float, high: float, description: str) -> Any:
    """A number setting from ``low`` to ``high``, both included."""
    return Field(default=default, ge=low, le=high, description=description)


def positive(default: float, high: float, description: str) -> Any:
    """A number setting above 0, at most ``high`` (durations, mostly)."""
    return Field(default=default, gt=0, le=high, description=description)


def at_least(default: float, low: float, description: str) -> Any:
    """A number setting of at least ``low``, without an upper bound."""
    return Field(default=default, ge=low, description=description)


class Environment(StrEnum):
    DEV = "dev"
    PRODUCTION = "production"


class AuthSettings(BaseModel):
    """The identity provider careerpath trusts as an OAuth 2.0 resource server."""

    issuer: str | None = Field(
        default=None,
        description="Token issuer (`iss`). Its OIDC discovery document gives the JWKS URL. "
        "Unset in dev: the built-in dev issuer is used.",
    )
    audience: str = Field(default="careerpath", description="Required `aud` of every token.")
    jwks_url: str | None = Field(
        default=None, description="JWKS URL; overrides the one found by OIDC discovery."
    )
    org_claim: str = Field(default="org_id", description="Claim that names the organization.")
    subject_claim: str = Field(
        default="sub",
        description="Claim matched against employees' `authSubject`, e.g. `oid` for Microsoft Entra ID.",
    )
    scope_claims: list[str] = Field(
        default=["scope", "scp"],
        description="Claims that carry scopes (space-separated string or list), e.g. add "
        "`roles` for Microsoft Entra ID app roles.",
    )
    algorithms: list[str] = Field(
        default=["RS256", "ES256", "PS256", "Ed25519"],
        description="Signature algorithms accepted (never `none`, never HMAC).",
    )
    leeway_seconds: int = between(30, 0, 300, "Clock skew allowed.")
    jwks_cache_seconds: int = at_least(600, 10, "How long a fetched JWKS is kept.")
    jwks_min_refresh_seconds: int = at_least(
        30, 0, "At most one JWKS refresh on an unknown `kid` per this period."
    )
    email_fallback: bool = Field(
        default=False,
        description="Match the employee by a verified `email` claim when no employee has the token's `sub`.",
    )
    default_org: str | None = Field(
        default=None,
        description="Slug of the organization to use when tokens carry no org claim (single-tenant).",
    )
    admin_claim: str | None = Field(
        default=None,
        description="Claim naming the people who are HR admins besides those granted in "
        "careerpath, e.g. `groups` or `roles`; a `career:admin` token acts as admin only when "
        "this claim holds one of `admin_claim_values` or the employee has the in-app grant.",
    )
    admin_claim_values: list[str] = Field(
        default_factory=list,
        description="Values of `admin_claim` (a string or a list in the token) that make an HR "
        'admin, e.g. `["careerpath-hr-admins"]`.',
    )

    @model_validator(mode="after")
    def _issuer_with_jwks_url(self) -> AuthSettings:
        # Tokens are checked against the issuer; a JWKS URL alone cannot say whose tokens to trust.
        if self.jwks_url and not self.issuer:
            raise ValueError("CAREERPATH_AUTH__JWKS_URL needs CAREERPATH_AUTH__ISSUER as well")
        if bool(self.admin_claim) != bool(self.admin_claim_values):
            raise ValueError(
                "CAREERPATH_AUTH__ADMIN_CLAIM and CAREERPATH_AUTH__ADMIN_CLAIM_VALUES go together"
            )
        return self


AssessmentKindName = Literal["CALIBRATION", "MANAGER", "PEER", "SELF"]


class AssessmentSettings(BaseModel):
    """How ratings become an employee's current proficiency, and how analytics protect people."""

    resolution_order: list[AssessmentKindName] = Field(
        default=["CALIBRATION", "MANAGER", "PEER", "SELF"],
        min_length=1,
        description="Which kind of rating decides an employee's current level of a competency, "
        "first wins: the latest submitted rating of that kind (for PEER, the mean of each "
        "peer's latest rating, rounded to one decimal). Kinds left out are ignored.",
    )
    prefer_fresh: bool = Field(
        default=True,
        description="Consider stale ratings only when no kind has a fresh one, so a recent "
        "manager rating outranks a calibration older than `stale_after_days`.",
    )
    stale_after_days: int = between(
        365, 1, 3650, "Ratings older than this many days are flagged `stale`."
    )
    min_group_size: int = between(
        5,
        1,
        1000,
        "Groups of `skillGapSummary` with fewer people are suppressed (counted, "
        "no figures), so no one's ratings can be singled out.",
    )
    max_import_rows: int = between(1000, 1, 10_000, "Most rows one `importRatings` call accepts.")
    min_peer_count: int = between(
        3,
        2,
        100,
        "Peer feedback counts towards a current level only once at least this "
        "many peers have rated the competency; until then the PEER level is ignored by "
        "resolution, for everyone, so no one's level is a single colleague's rating.",
    )

    @field_validator("resolution_order")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each kind may appear once")
        return value


class WebhookSettings(BaseModel):
    """Delivery of webhooks: the SSRF allow-list, timeouts, retries, retention, the dispatcher."""

    allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names, IP addresses or CIDR blocks webhook endpoints may use although "
        "they are not public; plain http is allowed only for these. Comma-separated or a JSON list.",
    )
    timeout_seconds: float = positive(10.0, 60, "Time allowed for one delivery attempt.")
    max_response_bytes: int = between(4096, 0, 65_536, "How much of a receiver's answer is kept.")
    retry_schedule_seconds: list[float] = Field(
        default=[5, 300, 1800, 7200, 18000, 36000, 36000],
        min_length=0,
        max_length=20,
        description="Delays before each retry of a failed delivery (jittered by ±20%); "
        "a delivery that fails once more than this list is long gives up.",
    )
    max_retry_after_seconds: int = at_least(
        86_400, 0, "Longest `Retry-After` a receiver is granted."
    )
    disable_after_failures: int = at_least(
        10, 1, "An endpoint is disabled after this many failed attempts in a row..."
    )
    disable_after_failing_seconds: int = at_least(
        86_400, 0, "...once its failures have lasted at least this long."
    )
    secret_grace_seconds: int = between(
        86_400,
        0,
        30 * 86_400,
        "After `rotateWebhookSecret`, deliveries are signed with the old secret too for this long.",
    )
    retention_days: int = at_least(
        30, 1, "Finished deliveries and their events are kept this long."
    )
    dispatcher_in_serve: bool = Field(
        default=True,
        description="Run a dispatcher inside `careerpath serve` (turn off when `careerpath "
        "worker` processes deliver instead).",
    )
    concurrency: int = between(64, 1, 1000, "Deliveries in flight per dispatcher.")
    lease_seconds: int = at_least(
        60,
        2,
        "How long a claimed delivery stays with its dispatcher before another "
        "may take it (a dispatcher that died mid-delivery).",
    )
    poll_seconds: float = positive(
        5.0, 300, "Longest wait between looks for due deliveries when no notification comes."
    )

    @field_validator("allow_hosts", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [v.strip() for v in value.split(",") if v.strip()]
        return value


class HrisSettings(BaseModel):
    """How HRIS syncs (`syncOrgUnits`, `syncEmployees`) guard against a bad snapshot."""

    max_termination_share: float = between(
        0.1,
        0,
        1,
        "A FULL employee sync that would terminate more than this share of the "
        "synced employees (those with an external ID) is refused unless sent with `force`.",
    )
    idempotency_hours: int = between(
        24, 1, 24 * 30, "How long the answer of a sync sent with an `Idempotency-Key` is replayed."
    )


class MetricsSettings(BaseModel):
    """Prometheus metrics at `/metrics`."""

    enabled: bool = Field(default=True, description="Serve `/metrics`; off: it is a 404.")
    token: SecretStr | None = Field(
        default=None,
        description="When set, `/metrics` answers only requests with `Authorization: Bearer "
        "<token>` (Prometheus: `authorization: {credentials: …}` in the scrape config).",
    )
    max_operation_names: int = between(
        200,
        0,
        10_000,
        "Distinct operation names a process labels its metrics with; later "
        "names are counted as `other`, so callers cannot grow the label set without bound.",
    )


class TracingSettings(BaseModel):
    """OpenTelemetry tracing, exported over OTLP/HTTP when an endpoint is configured."""

    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP collector base URL, e.g. `http://otel-collector:4318` (traces "
        "go to `/v1/traces`). Unset: the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (and the "
        "other `OTEL_EXPORTER_OTLP_*` variables) if set, else tracing stays off.",
    )
    service_name: str = Field(
        default="careerpath",
        description="`service.name` of the spans, unless `OTEL_SERVICE_NAME` says otherwise.",
    )


class Settings(BaseSettings):
    """Every setting careerpath reads. See the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="CAREERPATH_", env_nested_delimiter="__", extra="ignore"
    )

    env: Environment = Field(default=Environment.DEV, description="`dev` or `production`.")
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL. Unset: an embedded PostgreSQL in the data directory.",
    )
    migration_database_url: str | None = Field(
        default=None,
        description="URL of the schema owner, for migrations; defaults to `database_url`.",
    )
    data_dir: Path = Field(
        default=Path(".careerpath"),
        description="Where the embedded database and the dev issuer's key live.",
    )
    test_database_url: str | None = Field(
        default=None, description="Tests run against this server instead of an embedded one."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL clients reach the API at; the dev issuer's `iss`.",
    )
    auth: AuthSettings = Field(default_factory=AuthSettings)
    max_query_depth: int = between(12, 2, 50, "Deepest allowed nesting of a query.")
    max_aliases: int = at_least(30, 1, "Most aliases allowed in one query.")
    max_tokens: int = at_least(5000, 100, "Most lexical tokens in one query.")
    max_query_cost: int = at_least(
        50_000, 100, "Largest estimated cost (page size × nesting) of one query."
    )
    max_body_bytes: int = at_least(1_000_000, 1024, "Largest request body accepted.")
    promotion_schedule_seconds: float = positive(
        300, 86_400, "How often `serve` and `worker` apply approved promotions whose date has come."
    )
    pool_size: int = between(
        20,
        1,
        200,
        "Most database connections per process, each opened when first needed and kept open.",
    )
    persisted_queries_max_chars: int = at_least(
        5_000_000,
        0,
        "Characters of query documents a process keeps for automatic persisted "
        "queries, least recently used dropped first; 0 turns persisted queries off.",
    )
    max_response_bytes: int = at_least(
        5_000_000,
        10_000,
        "Largest response body; a bigger one is replaced by a RESPONSE_TOO_LARGE error.",
    )
    request_timeout_seconds: float = positive(
        15.0,
        600,
        "Longest a GraphQL request may run; past it, the rest of its work is "
        "refused with SERVICE_UNAVAILABLE.",
    )
    db_connect_timeout_seconds: float = positive(
        5.0, 120, "Longest wait for a new database connection."
    )
    db_command_timeout_seconds: float = positive(
        30.0,
        3600,
        "Longest wait for the database to answer one statement (a frozen or "
        "unreachable server); after it the connection is dropped.",
    )
    db_pool_timeout_seconds: float = positive(
        5.0, 120, "Longest wait for a free pooled connection when all are in use."
    )
    db_statement_timeout_seconds: float = positive(
        10.0, 3600, "PostgreSQL `statement_timeout` of every statement a request runs."
    )
    readyz_timeout_seconds: float = positive(2.0, 60, "`/readyz` answers within this time.")
    cors_origins: list[str] | None = Field(
        default=None,
        description="Browser origins allowed to call the API (CORS). Unset: the usual local "
        "development servers in dev, none in production.",
    )
    assessments: AssessmentSettings = Field(default_factory=AssessmentSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    hris: HrisSettings = Field(default_factory=HrisSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    webhook_allow_hosts: list[str] = Field(
        default_factory=list,
        description="Former name of `webhooks.allow_hosts`, still read and added to it.",
    )

    @model_validator(mode="after")
    def _former_allow_hosts(self) -> Settings:
        extra = [h for h in self.webhook_allow_hosts if h not in self.webhooks.allow_hosts]
        if extra:
            self.webhooks.allow_hosts = [*self.webhooks.allow_hosts, *extra]
        return self

    @property
    def is_production(self) -> bool:
        return self.env == Environment.PRODUCTION

    @property
    def allowed_origins(self) -> list[str]:
        """``cors_origins``, or its default for the environment."""
        if self.cors_origins is not None:
            return self.cors_origins
        return [] if self.is_production else list(DEV_CORS_ORIGINS)


#: Browser origins allowed in dev when ``CAREERPATH_CORS_ORIGINS`` is unset: the usual
#: ports of frontend development servers (Create React App, Next.js; Vite).
DEV_CORS_ORIGINS = (
    "http://localhost:3000",
    "http://127.0.0.1:3000",
    "http://localhost:5173",
    "http://127.0.0.1:5173",
)


@lru_cache
def get_settings() -> Settings:
    return Settings()
