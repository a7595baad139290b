"""Seeing the service in production: Prometheus metrics and OpenTelemetry tracing."""
