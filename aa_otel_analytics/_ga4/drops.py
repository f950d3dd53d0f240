"""Counters for what was not delivered, and a logger that cannot flood.

A failing Google must not turn into one log line per event: each cause is logged at
most once per minute, and everything else is only counted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

_DEFAULT_INTERVAL_SECS = 60.0


class DropCounter:
    """Thread-safe counts of dropped events, by reason."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, reason: str, count: int = 1) -> None:
        if count <= 0:
            return

        with self._lock:
            self._counts[reason] += count

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


class RateLimitedLog:
    """Logs each cause at most once per interval; never logs tracebacks."""

    def __init__(
        self, logger: logging.Logger, interval_secs: float = _DEFAULT_INTERVAL_SECS
    ) -> None:
        self._logger = logger
        self._interval_secs = interval_secs
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def _due(self, cause: str) -> bool:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(cause)
            if last is not None and now - last < self._interval_secs:
                return False
            self._last[cause] = now
            return True

    def log(self, level: int, cause: str, msg: str, *args: object) -> None:
        if self._due(cause):
            self._logger.log(level, msg, *args)

    def warning(self, cause: str, msg: str, *args: object) -> None:
        self.log(logging.WARNING, cause, msg, *args)

    def reset(self) -> None:
        with self._lock:
            self._last.clear()


drops = DropCounter()
