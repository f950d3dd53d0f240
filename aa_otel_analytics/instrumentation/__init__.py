"""Telemetry in: OpenTelemetry's Django and Celery instrumentation, with our hooks."""
