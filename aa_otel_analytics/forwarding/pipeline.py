"""Build the forwarding pipeline beside the GA one, when the environment asks.

Spans get their own batch processor, queue and thread; install gauges get their
own thread in the beat process. A flush is waited for with the caller's deadline,
and an exiting process waits a second at most, or not at all when the collector
was seen down lately: a site that recycles processes must not pay for a dead
collector at every exit.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from aa_otel_analytics.conf import conf
from aa_otel_analytics.forwarding import environment, quiet_logs
from aa_otel_analytics.forwarding.exporters import (
    ForwardingMetricExporter,
    ForwardingSpanExporter,
    exporter_factory,
    forwarding_drops,
)
from aa_otel_analytics.forwarding.gauges import GaugeForwarder
from aa_otel_analytics.forwarding.health import health
from aa_otel_analytics.forwarding.processor import (
    ForwardingSpanProcessor,
    PendingFlush,
    finished,
)
from aa_otel_analytics.forwarding.redaction import redact_resource

logger = logging.getLogger(__name__)

EXIT_WAIT_SECS = 1.0


@dataclass
class Forwarding:
    """The parts of the OTLP pipeline this process runs."""

    span_processor: ForwardingSpanProcessor | None
    gauges: GaugeForwarder | None

    def begin_flush(self, *, exiting: bool = False) -> PendingFlush:
        """Start flushing forwarded spans; the caller waits with its own deadline.

        A process on its way out does not wait for a collector that this host has
        seen down in the last minute: what it still holds is counted as lost.
        """
        processor = self.span_processor
        if processor is None:
            return finished()

        if exiting:
            quiet_logs.repeat_filter.silent = True
        if exiting and health.down():
            pending = finished()
            forwarding_drops.add("collector_down", processor.queued())
            return pending

        return processor.begin_flush()

    def exit_deadline(self, until: float) -> float:
        """How long an exiting process waits for the collector: at most a second."""
        return min(until, time.monotonic() + EXIT_WAIT_SECS)

    def start_gauges(self) -> None:
        if self.gauges is not None:
            self.gauges.start()

    def shutdown(self) -> None:
        if self.gauges is not None:
            self.gauges.stop()
        if self.span_processor is not None:
            self.span_processor.shutdown()


def _warn(plan: environment.SignalPlan) -> None:
    logger.warning("analytics: %s not forwarded: %s", plan.signal, plan.problem)


def _span_processor(
    plan: environment.SignalPlan, owns_provider: bool
) -> ForwardingSpanProcessor | None:
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

    full_detail = conf.ANALYTICS_OTLP_FULL_DETAIL
    exporter = ForwardingSpanExporter(exporter_factory(plan), full_detail=full_detail)
    return ForwardingSpanProcessor(exporter, full_detail=full_detail)


def _gauges(plan: environment.SignalPlan) -> GaugeForwarder | None:
    if plan.problem:
        _warn(plan)
    if not plan.active:
        return None

    exporter = ForwardingMetricExporter(exporter_factory(plan))
    resource = environment.resource()
    if not conf.ANALYTICS_OTLP_FULL_DETAIL:
        resource = redact_resource(resource)
    return GaugeForwarder(exporter, resource)


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
