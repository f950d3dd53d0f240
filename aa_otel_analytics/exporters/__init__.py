"""Telemetry out: OpenTelemetry exporters that speak GA4 Measurement Protocol."""
