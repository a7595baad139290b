"""OpenTelemetry tracing, on only when an OTLP endpoint is configured.

A span per HTTP request (the FastAPI instrumentation; ``/healthz``, ``/readyz`` and
``/metrics`` left out) carrying ``graphql.operation.type`` and ``graphql.operation.name``,
and under it a span per SQL statement (the SQLAlchemy instrumentation: the statement text
with placeholders, never parameter values). Spans go over OTLP/HTTP in batches.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.ext.asyncio import AsyncEngine

from service.config import Settings

#: Standard variables that name an OTLP endpoint; any of them turns tracing on.
OTLP_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_UNTRACED = "/healthz,/readyz,/metrics"


def configured_provider(settings: Settings) -> TracerProvider | None:
    """A tracer provider exporting to the configured OTLP endpoint, or None when no
    endpoint is configured (``tracing.otlp_endpoint`` or the standard variables)."""
    endpoint = settings.tracing.otlp_endpoint
    if endpoint is None and not any(os.environ.get(v) for v in OTLP_ENDPOINT_VARIABLES):
        return None
    # The exporter is imported only when used: it brings protobuf and requests.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    exporter = (
        OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
        if endpoint
        else OTLPSpanExporter()  # reads the OTEL_EXPORTER_OTLP_* variables
    )
    provider = new_provider(settings)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def new_provider(settings: Settings) -> TracerProvider:
    """A tracer provider naming the service (``OTEL_SERVICE_NAME`` wins when set)."""
    attributes = (
        {}
        if os.environ.get("OTEL_SERVICE_NAME")
        else {"service.name": settings.tracing.service_name}
    )
    return TracerProvider(resource=Resource.create(attributes))


def trace_app(app: FastAPI, provider: TracerProvider) -> None:
    """A span for each HTTP request the app serves."""
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls=_UNTRACED,
        exclude_spans=["receive", "send"],
    )


def trace_engine(engine: AsyncEngine, provider: TracerProvider) -> None:
    """A span for each statement the engine sends, under the request's span."""
    connections = (
        NoOpMeterProvider()
        .get_meter("careerpath")
        .create_up_down_counter("db.client.connections.usage")
    )
    EngineTracer(provider.get_tracer("careerpath.db"), engine.sync_engine, connections)
