"""A span processor that queues only the spans analytics can use.

Producer spans, database-less internal spans and everything the host traces for
itself are dismissed on the request thread with a dictionary lookup, so the batch
queue holds analytics spans only.
"""

from __future__ import annotations

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from aa_otel_analytics._ga4.drops import drops
from aa_otel_analytics._ga4.mapping import is_analytics_span


class AnalyticsSpanProcessor(SpanProcessor):
    """Forwards analytics spans to ``inner`` (normally a ``BatchSpanProcessor``)."""

    def __init__(self, inner: SpanProcessor) -> None:
        self.inner = inner
        self._active = True
        # The SDK's queue drops its oldest span when full without telling anyone;
        # peeking at its length lets us count those drops.
        self._queue = getattr(getattr(inner, "_batch_processor", None), "_queue", None)

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        if not self._active or not is_analytics_span(span):
            return

        queue = self._queue
        if queue is not None and queue.maxlen and len(queue) >= queue.maxlen:
            drops.add("queue_full")
        self.inner.on_end(span)

    def shutdown(self) -> None:
        # A provider cannot drop a processor, so a shut-down one stays inert.
        self._active = False
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)
