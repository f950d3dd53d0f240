"""Keep a dead collector from flooding the host's log.

The OTLP exporters log an error for every failed batch, every few seconds in every
process. This filter, attached only to the exporters' own loggers, lets one of
their lines through per ten minutes across all the host's processes (a recycled
process would otherwise log afresh) and each distinct message at most once per
interval within a process; during the exit flush it lets nothing through.
"""

from __future__ import annotations

import logging
import threading
import time

from aa_otel_analytics.forwarding.health import health

INTERVAL_SECS = 600.0
_MAX_KEYS = 256
LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "opentelemetry.exporter.otlp.proto.http._common",
    "opentelemetry.exporter.otlp.common.http",
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
    "opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
    "opentelemetry.exporter.otlp.proto.grpc.metric_exporter",
)


class RepeatFilter(logging.Filter):
    """Passes a message template at most once per ``interval_secs``."""

    def __init__(self, interval_secs: float = INTERVAL_SECS) -> None:
        super().__init__()
        self.interval_secs = interval_secs
        self.suppressed = 0
        self.silent = False
        self._last: dict[tuple[str, object], float] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.msg)
        passed = not self.silent and self._due(key) and health.log_due()
        with self._lock:
            if not passed:
                self.suppressed += 1
                return False

            if len(self._last) >= _MAX_KEYS:
                self._last.clear()
            self._last[key] = time.monotonic()
        return True

    def _due(self, key: tuple[str, object]) -> bool:
        with self._lock:
            last = self._last.get(key)
        return last is None or time.monotonic() - last >= self.interval_secs


repeat_filter = RepeatFilter()


def install() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if repeat_filter not in logger.filters:
            logger.addFilter(repeat_filter)
