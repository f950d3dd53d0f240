"""Optional OTLP forwarding: the same telemetry to the operator's own collector.

Nothing here is imported unless the standard ``OTEL_*`` variables ask for OTLP
export. The forwarding pipeline has its own batch thread, queue and HTTP client,
so a dead collector and a dead Google never wait on each other.
"""
