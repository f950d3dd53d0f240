"""Counting instead of sending: page views and tasks as OpenTelemetry delta metrics.

When the day's budget no longer allows one event per page view or task (or always,
if the operator chooses), events are recorded on counters and a histogram, collected
once per interval with delta temporality, and sent as one event per key carrying
the count. Every event is counted exactly once, whichever way it goes.
"""
