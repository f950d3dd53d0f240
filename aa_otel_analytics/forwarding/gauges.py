"""Install gauges as a time series for the operator's collector.

Google gets one collection a day from the daily task; a collector wants the
gauges every ``OTEL_METRIC_EXPORT_INTERVAL``. Each collection runs two count
queries, so only one process per site does it: the Celery beat process, which a
site runs exactly once. The thread is ours rather than the SDK's periodic reader
because that reader restarts its thread in every forked child.
"""

from __future__ import annotations

import logging
import os
import threading

from opentelemetry.sdk.resources import Resource

from aa_otel_analytics._ga4.db import closing_connection
from aa_otel_analytics._ga4.guard import absorb
from aa_otel_analytics.forwarding.exporters import ForwardingMetricExporter
from aa_otel_analytics.stats.install_stats import InstallStats, on_demand_reader

logger = logging.getLogger(__name__)

THREAD_NAME = "aa-otel-analytics-otlp-gauges"
_DEFAULT_INTERVAL_MILLIS = 60_000.0
_DEFAULT_TIMEOUT_MILLIS = 30_000.0
# Each collection runs count queries; a typo such as "1" must not mean every 1 ms.
MIN_INTERVAL_MILLIS = 1_000.0


def _millis(name: str, default: float, minimum: float = 0.0) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return max(value, minimum) if value > 0 else default


class GaugeForwarder:
    """Collects the install gauges on a timer and exports them over OTLP."""

    def __init__(self, exporter: ForwardingMetricExporter, resource: Resource) -> None:
        self.exporter = exporter
        self.resource = resource
        interval = _millis(
            "OTEL_METRIC_EXPORT_INTERVAL", _DEFAULT_INTERVAL_MILLIS, MIN_INTERVAL_MILLIS
        )
        self.interval_secs = interval / 1000
        self.timeout_millis = _millis(
            "OTEL_METRIC_EXPORT_TIMEOUT", _DEFAULT_TIMEOUT_MILLIS
        )
        self._stats: InstallStats | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        with self._lock:
            if self.running:
                return

            self._stats = InstallStats(
                on_demand_reader(self.exporter), resource=self.resource
            )
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name=THREAD_NAME, daemon=True
            )
            self._thread.start()
        logger.info(
            "analytics: install gauges forwarded every %.0f s", self.interval_secs
        )

    def collect(self) -> None:
        stats = self._stats
        if stats is None:
            return

        try:
            closing_connection(lambda: stats.collect(self.timeout_millis))
        except Exception:
            absorb("OTLP gauge collection", reason="forwarding_error")

    def _run(self) -> None:
        while True:
            self.collect()
            if self._stop.wait(self.interval_secs):
                return

    def stop(self) -> None:
        self._stop.set()
        thread, stats = self._thread, self._stats
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1)
        if stats is not None:
            stats.shutdown()
