"""Daily install statistics, measured as OpenTelemetry observable gauges."""
