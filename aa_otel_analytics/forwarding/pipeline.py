"""Build the forwarding pipeline beside the GA one, when the environment asks.

Spans get their own batch processor, queue and thread; install gauges get their
own thread in the beat process. Flushing runs on a helper thread joined with a
deadline, because the SDK's batch processor does not bound its own flush and the
OTLP exporter may wait out its timeout on a hanging collector.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from opentelemetry.sdk.trace.export import BatchSpanProcessor

from aa_otel_analytics._ga4.guard import absorb
from aa_otel_analytics.conf import conf
from aa_otel_analytics.forwarding import environment, quiet_logs
from aa_otel_analytics.forwarding.exporters import (
    ForwardingMetricExporter,
    ForwardingSpanExporter,
    exporter_factory,
    forwarding_drops,
)
from aa_otel_analytics.forwarding.gauges import GaugeForwarder

logger = logging.getLogger(__name__)

FLUSH_THREAD_NAME = "aa-otel-analytics-otlp-flush"
SHUTDOWN_WAIT_SECS = 1.0


class PendingFlush:
    """A forwarding flush running on its own thread."""

    def __init__(self, processor: BatchSpanProcessor | None) -> None:
        self._before = sum(forwarding_drops.snapshot().values())
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        if processor is None:
            self._done.set()
            return

        self._thread = threading.Thread(
            target=self._run, args=(processor,), name=FLUSH_THREAD_NAME, daemon=True
        )
        self._thread.start()

    def _run(self, processor: BatchSpanProcessor) -> None:
        try:
            processor.force_flush()
        except Exception:
            absorb("OTLP flush", reason="forwarding_error")
        finally:
            self._done.set()

    def wait(self, until: float) -> bool:
        """Wait until the monotonic time ``until``; False if unfinished or lossy."""
        self._done.wait(max(0.0, until - time.monotonic()))
        lost = sum(forwarding_drops.snapshot().values()) != self._before
        return self._done.is_set() and not lost


@dataclass
class Forwarding:
    """The parts of the OTLP pipeline this process runs."""

    span_processor: BatchSpanProcessor | None
    gauges: GaugeForwarder | None

    def begin_flush(self) -> PendingFlush:
        """Start flushing forwarded spans; the caller waits with its own deadline."""
        return PendingFlush(self.span_processor)

    def start_gauges(self) -> None:
        if self.gauges is not None:
            self.gauges.start()

    def shutdown(self) -> None:
        """Stop both threads; a hanging collector is left behind, not waited for."""
        if self.gauges is not None:
            self.gauges.stop()
        processor = self.span_processor
        if processor is not None:
            thread = threading.Thread(target=processor.shutdown, daemon=True)
            thread.start()
            thread.join(SHUTDOWN_WAIT_SECS)


def _warn(plan: environment.SignalPlan) -> None:
    logger.warning("analytics: %s not forwarded: %s", plan.signal, plan.problem)


def _span_processor(
    plan: environment.SignalPlan, owns_provider: bool
) -> BatchSpanProcessor | None:
    if plan.problem:
        _warn(plan)
    if not plan.active:
        return None

    if not owns_provider:
        logger.info(
            "analytics: the site's own tracer provider exports spans; "
            "no second OTLP span exporter added"
        )
        return None

    exporter = ForwardingSpanExporter(
        exporter_factory(plan), full_detail=conf.ANALYTICS_OTLP_FULL_DETAIL
    )
    return BatchSpanProcessor(exporter)


def _gauges(plan: environment.SignalPlan) -> GaugeForwarder | None:
    if plan.problem:
        _warn(plan)
    if not plan.active:
        return None

    exporter = ForwardingMetricExporter(exporter_factory(plan))
    return GaugeForwarder(exporter, environment.resource())


def build(owns_provider: bool) -> Forwarding | None:
    """The forwarding pipeline the environment asks for, or None (nothing imported)."""
    traces, metrics = environment.plan("traces"), environment.plan("metrics")
    if not (traces.requested or metrics.requested):
        return None

    quiet_logs.install()
    forwarding = Forwarding(_span_processor(traces, owns_provider), _gauges(metrics))
    if forwarding.span_processor is None and forwarding.gauges is None:
        return None

    return forwarding
