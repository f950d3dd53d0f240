"""A ``SpanExporter`` that turns page-view, task and custom-event spans into GA4.

It runs in the batch span processor's thread, so its HTTP calls never touch a
request or a task. Following the exporter contract, it reports FAILURE and never
raises.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from aa_otel_analytics._ga4.drops import drops
from aa_otel_analytics._ga4.guard import absorb
from aa_otel_analytics._ga4.mapping import span_to_event
from aa_otel_analytics._ga4.sender import GASender

logger = logging.getLogger(__name__)


class GASpanExporter(SpanExporter):
    """Exports analytics spans as GA4 events through a ``GASender``."""

    def __init__(self, sender: GASender) -> None:
        self.sender = sender
        self._shutdown = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._shutdown:
            drops.add("shutdown", len(spans))
            return SpanExportResult.FAILURE

        try:
            events = [e for e in map(span_to_event, spans) if e is not None]
            ok = self.sender.send(events)
        except Exception:  # the host must never see our bugs
            absorb("span export", count=len(spans))
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS if ok else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        self._shutdown = True
        self.sender.client.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
