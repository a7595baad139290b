"""OpenTelemetry tracing: on only with an OTLP endpoint; a request's span names its
operation and holds a span per SQL statement (collected here by an in-memory exporter)."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from service.app import build_runtime, create_app
from service.config import Settings, TracingSettings
from service.observability import tracing
from tests.conftest import Org


async def test_a_request_is_traced_with_its_operation_and_statements(
    settings: Settings, team: Org
) -> None:
    exporter = InMemorySpanExporter()
    provider = tracing.new_provider(settings)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    runtime = build_runtime(settings)
    app = create_app(runtime=runtime, tracer_provider=provider)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            response = await client.post(
                "/graphql",
                json={"query": "query Traced { me { name } }"},
                headers={"Authorization": f"Bearer {team.token('alice')}"},
            )
            assert response.json() == {"data": {"me": {"name": "Alice Anders"}}}
            assert (await client.get("/healthz")).status_code == 200
    finally:
        await runtime.db.dispose()
        provider.shutdown()

    spans = exporter.get_finished_spans()
    servers = [s for s in spans if s.kind == SpanKind.SERVER]
    assert len(servers) == 1, [s.name for s in spans]  # /healthz is not traced
    server = servers[0]
    assert server.attributes is not None
    assert server.attributes["graphql.operation.name"] == "Traced"
    assert server.attributes["graphql.operation.type"] == "query"
    assert server.resource.attributes["service.name"] == "careerpath"
    statements = [s for s in spans if s.kind == SpanKind.CLIENT]
    assert statements, [s.name for s in spans]
    for span in statements:
        assert span.context is not None
        assert server.context is not None
        assert span.context.trace_id == server.context.trace_id
        assert span.attributes is not None
        assert "alice" not in str(dict(span.attributes)).lower()  # no parameter values


def test_tracing_is_off_without_an_endpoint(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in tracing.OTLP_ENDPOINT_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    assert tracing.configured_provider(settings) is None


def exporter_of(provider: object) -> OTLPSpanExporter:
    """The exporter behind the provider's one (batch) span processor."""
    (processor,) = provider._active_span_processor._span_processors  # type: ignore[attr-defined]
    exporter = processor.span_exporter
    assert isinstance(exporter, OTLPSpanExporter)
    return exporter


def test_tracing_is_on_with_a_careerpath_or_standard_endpoint(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in tracing.OTLP_ENDPOINT_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    configured = settings.model_copy(
        update={"tracing": TracingSettings(otlp_endpoint="http://collector:4318/")}
    )
    provider = tracing.configured_provider(configured)
    assert provider is not None
    assert exporter_of(provider)._endpoint == "http://collector:4318/v1/traces"
    provider.shutdown()

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://other:4318")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "careerpath-eu")
    provider = tracing.configured_provider(settings)
    assert provider is not None
    assert exporter_of(provider)._endpoint == "http://other:4318/v1/traces"
    assert provider.resource.attributes["service.name"] == "careerpath-eu"
    provider.shutdown()
