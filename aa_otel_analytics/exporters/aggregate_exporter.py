"""A delta ``MetricExporter`` that turns aggregated page views and tasks into GA.

Each export is one interval's delta. Its points are merged into the pending
aggregates, which are then sent as one event per key and token, if the day's budget
allows; otherwise they wait and merge with the next interval.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict

from opentelemetry.sdk.metrics import Counter, Histogram
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    HistogramDataPoint,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
)

from aa_otel_analytics._ga4.budget import budget
from aa_otel_analytics._ga4.config import config_cache
from aa_otel_analytics._ga4.drops import drops
from aa_otel_analytics._ga4.events import AnalyticsEvent
from aa_otel_analytics._ga4.guard import absorb
from aa_otel_analytics._ga4.sender import GASender
from aa_otel_analytics.aggregation import instruments as names
from aa_otel_analytics.aggregation.pending import (
    Key,
    PendingAggregates,
    Totals,
    to_event,
)

logger = logging.getLogger(__name__)

DELTA = {
    Counter: AggregationTemporality.DELTA,
    Histogram: AggregationTemporality.DELTA,
}


def _key(attributes: object) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    attrs = dict(attributes or {})  # type: ignore[call-overload]
    token = str(attrs.pop(names.TOKEN, ""))
    kind = str(attrs.pop(names.KIND, ""))
    if attrs.pop(names.OVERFLOW, False):
        kind = kind or names.OVERFLOW_KIND
    return token, kind, tuple(sorted((k, str(v)) for k, v in attrs.items()))


def _point_totals(name: str, point: object) -> Totals:
    start = getattr(point, "start_time_unix_nano", 0) // 1000
    if isinstance(point, HistogramDataPoint):
        return Totals(
            count=point.count,
            run_time_msec=int(point.sum),
            run_time_max_msec=int(point.max) if point.count else 0,
            first_micros=start,
        )
    value = int(getattr(point, "value", 0))
    if name == names.TASK_VALUE:
        return Totals(value=value, first_micros=start)
    if name == names.TASK_RETRIES:
        return Totals(retries=value, first_micros=start)
    return Totals(count=value, first_micros=start)


def metrics_to_totals(data: MetricsData) -> dict[Key, Totals]:
    merged: dict[Key, Totals] = defaultdict(Totals)
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            if scope_metrics.scope.name != names.METER_NAME:
                continue
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    if isinstance(point, (NumberDataPoint, HistogramDataPoint)):
                        totals = _point_totals(metric.name, point)
                        merged[_key(point.attributes)].merge(totals)
    return {k: t for k, t in merged.items() if t.count or t.value or t.retries}


class GAAggregateExporter(MetricExporter):
    """Merges each interval into ``pending`` and sends what the budget allows."""

    def __init__(self, sender: GASender) -> None:
        super().__init__(preferred_temporality=DELTA)
        self.sender = sender
        self.pending = PendingAggregates()
        self.final = False

    def export(
        self,
        metrics_data: MetricsData,
        timeout_millis: float = 10_000,
        **kwargs: object,
    ) -> MetricExportResult:
        try:
            for key, totals in metrics_to_totals(metrics_data).items():
                self.pending.add(key, totals)
            self.send_pending()
        except Exception:  # never into the host
            absorb("aggregate export")
            return MetricExportResult.FAILURE
        return MetricExportResult.SUCCESS

    def send_pending(self) -> None:
        taken = self.pending.take()
        if not taken:
            return

        per_token: dict[str, list[tuple[Key, Totals]]] = defaultdict(list)
        for key, totals in taken.items():
            per_token[key[0]].append((key, totals))
        needed = max(len(items) for items in per_token.values())
        if not budget.reserve("aggregated", needed, final=self.final):
            self.pending.restore(taken)
            return

        self._send(per_token)

    def _send(self, per_token: dict[str, list[tuple[Key, Totals]]]) -> None:
        config = config_cache.get()
        tokens = {t.name: t for t in config.tokens} if config else {}
        now = time.time_ns() // 1000
        addressed = []
        for name, items in per_token.items():
            events: list[AnalyticsEvent] = [to_event(k, t, now) for k, t in items]
            if name not in tokens:
                drops.add("token_removed", sum(t.count for _, t in items))
                continue
            addressed.append((tokens[name], events))
        if addressed and config is not None:
            self.sender.send_addressed(addressed, config.client_id)

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: object) -> None:
        return None
