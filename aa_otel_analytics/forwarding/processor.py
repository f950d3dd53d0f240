"""The forwarding span processor: a bounded queue, counted drops, one flush at a time.

Wraps the SDK's batch processor. In redacted mode spans from other instrumentation
are dismissed on the request thread, before they take a queue slot. Flushes run
on one helper thread that later callers share, because the SDK does not bound its
own flush: with a hanging collector, a thread per ``force_flush`` would pile up.
"""

from __future__ import annotations

import threading
import time

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from aa_otel_analytics._ga4.guard import absorb
from aa_otel_analytics.forwarding.exporters import (
    ForwardingSpanExporter,
    forwarding_drops,
)
from aa_otel_analytics.forwarding.redaction import forwarded_scope

FLUSH_THREAD_NAME = "aa-otel-analytics-otlp-flush"
SHUTDOWN_WAIT_SECS = 1.0


class PendingFlush:
    """One caller's wait on the shared flush."""

    def __init__(self, done: threading.Event) -> None:
        self._done = done
        self._before = forwarding_drops.total()

    def wait(self, until: float) -> bool:
        """Wait until the monotonic time ``until``; False if unfinished or lossy."""
        self._done.wait(max(0.0, until - time.monotonic()))
        lost = forwarding_drops.total() != self._before
        return self._done.is_set() and not lost


def finished() -> PendingFlush:
    done = threading.Event()
    done.set()
    return PendingFlush(done)


class ForwardingSpanProcessor(SpanProcessor):
    """Queues forwarded spans in ``inner`` and flushes it one thread at a time."""

    def __init__(self, exporter: ForwardingSpanExporter, full_detail: bool) -> None:
        self.exporter = exporter
        self.inner = BatchSpanProcessor(exporter)
        self._full_detail = full_detail
        self._active = True
        self._queue = getattr(
            getattr(self.inner, "_batch_processor", None), "_queue", None
        )
        self._lock = threading.Lock()
        self._flushing: threading.Thread | None = None
        self._done = threading.Event()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        if not self._active or not (self._full_detail or forwarded_scope(span)):
            return

        queue = self._queue
        if queue is not None and queue.maxlen and len(queue) >= queue.maxlen:
            forwarding_drops.add("queue_full")
        self.inner.on_end(span)

    def queued(self) -> int:
        return len(self._queue) if self._queue is not None else 0

    def begin_flush(self) -> PendingFlush:
        """Start (or join) the flush; the caller waits with its own deadline."""
        with self._lock:
            if self._flushing is None or not self._flushing.is_alive():
                self._done = threading.Event()
                self._flushing = threading.Thread(
                    target=self._flush,
                    args=(self._done,),
                    name=FLUSH_THREAD_NAME,
                    daemon=True,
                )
                self._flushing.start()
            return PendingFlush(self._done)

    def _flush(self, done: threading.Event) -> None:
        try:
            self.inner.force_flush()
        except Exception:
            absorb("OTLP flush", reason="forwarding_error")
        finally:
            done.set()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.begin_flush().wait(time.monotonic() + timeout_millis / 1000)

    def shutdown(self) -> None:
        """Stop queueing; a hanging collector is left behind, not waited for."""
        self._active = False
        thread = threading.Thread(target=self.inner.shutdown, daemon=True)
        thread.start()
        thread.join(SHUTDOWN_WAIT_SECS)
