"""Keep a dead collector from flooding the host's log.

The OTLP exporters log an error for every failed batch, every few seconds in every
process. This filter lets each distinct message through once per interval and
drops the repeats; it is attached only to the exporters' own loggers.
"""

from __future__ import annotations

import logging
import threading
import time

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
        self._last: dict[tuple[str, object], float] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.msg)
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval_secs:
                self.suppressed += 1
                return False
            if len(self._last) >= _MAX_KEYS:
                self._last.clear()
            self._last[key] = now
        return True


repeat_filter = RepeatFilter()


def install() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if repeat_filter not in logger.filters:
            logger.addFilter(repeat_filter)
