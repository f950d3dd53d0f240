"""GA4 Measurement Protocol internals: events, limits, payloads, HTTP and drops."""
