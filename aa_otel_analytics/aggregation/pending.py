"""Aggregates collected but not yet sent, merged per key until the budget allows.

Keys are finite (routes x languages, tasks x results, per token) and the SDK caps
each instrument's attribute sets, so this store is bounded however long sending is
held back. Merging never loses a count: later intervals add to what is waiting.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from aa_otel_analytics._ga4 import limits
from aa_otel_analytics._ga4.events import AnalyticsEvent, EventKind, ParamValue
from aa_otel_analytics._ga4.mapping import CELERY_EVENT, PAGE_VIEW, session_id
from aa_otel_analytics._ga4.routes import page_location

PAGE = "page"
TASK = "task"

# Sending a held-back aggregate late must not push it past GA's 72 hours.
_MAX_AGE_MICROS = 70 * 3600 * 1_000_000

Key = tuple[str, str, tuple[tuple[str, str], ...]]


@dataclass
class Totals:
    count: int = 0
    value: int = 0
    run_time_msec: int = 0
    run_time_max_msec: int = 0
    retries: int = 0
    first_micros: int = 0

    def merge(self, other: Totals) -> None:
        earliest = [t for t in (self.first_micros, other.first_micros) if t]
        self.first_micros = min(earliest, default=0)
        self.count += other.count
        self.value += other.value
        self.run_time_msec += other.run_time_msec
        self.run_time_max_msec = max(self.run_time_max_msec, other.run_time_max_msec)
        self.retries += other.retries


class PendingAggregates:
    """Thread-safe totals per (token, kind, key attributes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals: dict[Key, Totals] = {}

    def add(self, key: Key, totals: Totals) -> None:
        if totals.count <= 0:
            return

        with self._lock:
            current = self._totals.setdefault(key, Totals())
            current.merge(totals)

    def take(self) -> dict[Key, Totals]:
        with self._lock:
            taken, self._totals = self._totals, {}
            return taken

    def restore(self, taken: dict[Key, Totals]) -> None:
        """Put back what could not be sent; merges with anything newer."""
        for key, totals in taken.items():
            self.add(key, totals)

    def __len__(self) -> int:
        with self._lock:
            return len(self._totals)

    def total_count(self) -> int:
        with self._lock:
            return sum(t.count for t in self._totals.values())


def _common(timestamp: int, count: int) -> dict[str, ParamValue]:
    return {
        "count": count,
        "aggregated": 1,
        "engagement_time_msec": 1,
        "session_id": session_id(timestamp),
    }


def to_event(key: Key, totals: Totals, now_micros: int) -> AnalyticsEvent:
    _token, kind, attrs = key
    values = dict(attrs)
    timestamp = max(totals.first_micros, now_micros - _MAX_AGE_MICROS)
    if kind == PAGE:
        params: dict[str, ParamValue] = {
            "page_location": page_location(values.get("route", "/")),
            "page_title": limits.clean_param("page_title", values.get("title")),
            "language": limits.clean_text(values.get("language"), 20),
            **_common(timestamp, totals.count),
        }
        return AnalyticsEvent(EventKind.PAGE_VIEW, PAGE_VIEW, params, timestamp)

    params = {
        "namespace": limits.clean_text(values.get("namespace")),
        "task": limits.clean_text(values.get("task")),
        "result": limits.clean_text(values.get("result")),
        "label": limits.clean_text(values.get("label")),
        "value": totals.value,
        "run_time_msec": totals.run_time_msec,
        "run_time_max_msec": totals.run_time_max_msec,
        "retries": totals.retries,
        **_common(timestamp, totals.count),
    }
    return AnalyticsEvent(EventKind.TASK, CELERY_EVENT, params, timestamp)
