"""OTLP exporters behind wrappers that redact, survive forks and never raise.

The OTLP exporters read their endpoint, headers, timeout, compression and
certificates from the standard ``OTEL_EXPORTER_OTLP_*`` variables themselves; we
only pick the module for the protocol. Each process builds its own exporter on
first use, because an HTTP session or gRPC channel inherited through ``fork`` is
shared with the parent and must not be used by both.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from aa_otel_analytics._ga4.drops import DropCounter
from aa_otel_analytics._ga4.guard import absorb
from aa_otel_analytics.forwarding.environment import GRPC, SignalPlan
from aa_otel_analytics.forwarding.health import health
from aa_otel_analytics.forwarding.redaction import redact_batch

logger = logging.getLogger(__name__)

forwarding_drops = DropCounter()
"""Spans and metric batches the collector did not take, by reason."""

_MODULES = {
    ("traces", "http/protobuf"): (
        "opentelemetry.exporter.otlp.proto.http.trace_exporter",
        "OTLPSpanExporter",
    ),
    ("metrics", "http/protobuf"): (
        "opentelemetry.exporter.otlp.proto.http.metric_exporter",
        "OTLPMetricExporter",
    ),
    ("traces", GRPC): (
        "opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
        "OTLPSpanExporter",
    ),
    ("metrics", GRPC): (
        "opentelemetry.exporter.otlp.proto.grpc.metric_exporter",
        "OTLPMetricExporter",
    ),
}


def exporter_factory(plan: SignalPlan) -> Callable[[], Any]:
    """The class of the OTLP exporter for one signal, imported now."""
    module_name, class_name = _MODULES[(plan.signal, plan.protocol)]
    module = importlib.import_module(module_name)
    return getattr(module, class_name)  # type: ignore[no-any-return]


class _PerProcess:
    """Builds the wrapped exporter lazily, once per process id."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._pid: int | None = None
        self._inner: Any = None

    def get(self) -> Any:
        pid = os.getpid()
        if self._inner is None or self._pid != pid:
            self._inner, self._pid = self._factory(), pid
        return self._inner

    def built(self) -> Any:
        return self._inner if self._pid == os.getpid() else None


class ForwardingSpanExporter(SpanExporter):
    """Redacts (unless ``full_detail``) and hands the batch to the OTLP exporter."""

    def __init__(self, factory: Callable[[], Any], full_detail: bool) -> None:
        self._exporter = _PerProcess(factory)
        self._full_detail = full_detail

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            batch = list(spans) if self._full_detail else redact_batch(spans)
            if not batch:
                return SpanExportResult.SUCCESS

            result = self._exporter.get().export(batch)
        except Exception:  # a broken exporter must not end the batch thread
            absorb("OTLP span export", reason="forwarding_error")
            return SpanExportResult.FAILURE

        if result is SpanExportResult.SUCCESS:
            health.mark_up()
        else:
            health.mark_down()
            forwarding_drops.add("collector_failed", len(batch))
        return result  # type: ignore[no-any-return]

    def shutdown(self) -> None:
        _shutdown(self._exporter)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


class ForwardingMetricExporter(MetricExporter):
    """Hands a collection to the OTLP metric exporter; counts what fails."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        super().__init__(
            preferred_temporality=None,
            preferred_aggregation=None,
        )
        self._exporter = _PerProcess(factory)

    def export(
        self,
        metrics_data: MetricsData,
        timeout_millis: float = 10_000,
        **kwargs: Any,
    ) -> MetricExportResult:
        try:
            result = self._exporter.get().export(
                metrics_data, timeout_millis=timeout_millis
            )
        except Exception:
            absorb("OTLP metric export", reason="forwarding_error")
            return MetricExportResult.FAILURE

        if result is not MetricExportResult.SUCCESS:
            forwarding_drops.add("collector_failed_metrics")
        return result  # type: ignore[no-any-return]

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        _shutdown(self._exporter)


def _shutdown(exporter: _PerProcess) -> None:
    inner = exporter.built()
    if inner is None:
        return

    try:
        inner.shutdown()
    except Exception:
        logger.debug("analytics: OTLP exporter shutdown failed", exc_info=True)
