"""A ``MetricExporter`` that turns the install gauges into Alliance Auth's stats events.

The events keep the names, labels and values Alliance Auth's own daily stats use
(namespace ``allianceauth.analytics``, tasks ``send_install_stats`` and
``send_extension_stats``), so the maintainers' existing reports keep working.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
)

from aa_otel_analytics._ga4 import limits
from aa_otel_analytics._ga4.events import AnalyticsEvent, EventKind
from aa_otel_analytics._ga4.guard import absorb
from aa_otel_analytics._ga4.mapping import CELERY_EVENT, session_id
from aa_otel_analytics._ga4.sender import GASender
from aa_otel_analytics.stats import install_stats as gauges

logger = logging.getLogger(__name__)

NAMESPACE = "allianceauth.analytics"
INSTALL_TASK = "send_install_stats"
EXTENSION_TASK = "send_extension_stats"

_SIMPLE_LABELS = {
    gauges.USERS: "users",
    gauges.ESI_TOKENS: "tokens",
    gauges.APPS: "addons",
}


def stats_event(task: str, label: str, value: int, timestamp: int) -> AnalyticsEvent:
    params: dict[str, str | int | float] = {
        "namespace": NAMESPACE,
        "task": task,
        "result": "",
        "label": limits.clean_text(label),
        "value": max(0, int(value)),
        "count": 1,
        "aggregated": 0,
        "engagement_time_msec": 1,
        "session_id": session_id(timestamp),
    }
    return AnalyticsEvent(EventKind.STATS, CELERY_EVENT, params, timestamp)


def _point_events(name: str, point: NumberDataPoint) -> Iterator[AnalyticsEvent]:
    timestamp = point.time_unix_nano // 1000
    attrs = point.attributes or {}
    value = int(point.value)
    if name == gauges.INSTALL:
        kind = attrs.get(gauges.DEPLOYMENT_ATTR, "baremetal")
        yield stats_event(INSTALL_TASK, "existence", 1, timestamp)
        yield stats_event(INSTALL_TASK, f"existence_{kind}", 1, timestamp)
    elif name in _SIMPLE_LABELS:
        yield stats_event(INSTALL_TASK, _SIMPLE_LABELS[name], value, timestamp)
    elif name == gauges.EXTENSION:
        label = str(attrs.get(gauges.APP_LABEL_ATTR, ""))
        yield stats_event(EXTENSION_TASK, label, 1, timestamp)


def metrics_to_events(data: MetricsData) -> list[AnalyticsEvent]:
    events: list[AnalyticsEvent] = []
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            if scope_metrics.scope.name != gauges.METER_NAME:
                continue
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    if isinstance(point, NumberDataPoint):
                        events.extend(_point_events(metric.name, point))
    return events


class GAStatsExporter(MetricExporter):
    """Sends one collection of the install gauges as GA events, synchronously."""

    def __init__(self, sender: GASender) -> None:
        super().__init__()
        self.sender = sender
        self.last_events: list[AnalyticsEvent] = []

    def export(
        self,
        metrics_data: MetricsData,
        timeout_millis: float = 10_000,
        **kwargs: object,
    ) -> MetricExportResult:
        try:
            events = metrics_to_events(metrics_data)
            self.last_events = events
            ok = self.sender.send(events)
        except Exception:  # never into the host
            absorb("stats export")
            return MetricExportResult.FAILURE
        return MetricExportResult.SUCCESS if ok else MetricExportResult.FAILURE

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: object) -> None:
        return None
