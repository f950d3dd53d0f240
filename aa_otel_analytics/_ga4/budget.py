"""The install's daily event budget, shared by every process through the database.

GA keeps at most 100,000 events per user per day, and all of an install's events
share one ``client_id``. Before sending, a process reserves events from the day's
row with one conditional UPDATE, so no race can overspend it:

- ``stats``: always granted; the daily stats are a few dozen events, kept out of
  the spendable budget as a reserve, so they fit ahead of everything else;
- ``detail``: one event per page view or task, while the day's total stays under
  ``ANALYTICS_DETAIL_SHARE`` of the spendable budget;
- ``aggregated``: counts per key, paced over the day (never more than the share of
  the budget for the hours gone plus one), so a busy morning leaves room for the
  evening. A final flush at exit may use the whole spendable budget.

A denied reservation loses nothing: the caller aggregates the events, or keeps its
aggregates and merges them into the next interval.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from contextlib import nullcontext

from aa_otel_analytics._ga4.db import closing_connection
from aa_otel_analytics._ga4.drops import RateLimitedLog
from aa_otel_analytics.conf import conf

logger = logging.getLogger(__name__)
_log = RateLimitedLog(logger)

KINDS = ("stats", "detail", "aggregated")
_DAY_SECS = 86_400
_PACING_HEADROOM_SECS = 3_600


class Clock:
    """Wall-clock time; the scale simulation replaces it with a simulated day."""

    def time(self) -> float:
        return time.time()


clock = Clock()


def stats_reserve(budget: int) -> int:
    return min(1_000, budget // 10)


def utc_day(now: float) -> dt.date:
    return dt.datetime.fromtimestamp(now, dt.timezone.utc).date()


def paced_fraction(now: float) -> float:
    seconds = now % _DAY_SECS
    return min(1.0, (seconds + _PACING_HEADROOM_SECS) / _DAY_SECS)


def cap(kind: str, now: float, final: bool = False) -> int:
    """The highest day total a reservation of ``kind`` may bring the day to."""
    budget = conf.ANALYTICS_DAILY_EVENT_BUDGET
    spendable = budget - stats_reserve(budget)
    if kind == "stats":
        return budget
    if kind == "detail":
        return int(spendable * conf.ANALYTICS_DETAIL_SHARE)
    return spendable if final else int(spendable * paced_fraction(now))


class DailyBudget:
    """Reservations against today's ``AnalyticsDailyUsage`` row."""

    def __init__(self) -> None:
        self._known_day: dt.date | None = None

    def forget(self) -> None:
        """Look the day's row up afresh (after the table was emptied, in tests)."""
        self._known_day = None

    def reserve(self, kind: str, count: int, *, final: bool = False) -> bool:
        if count <= 0:
            return True

        now = clock.time()
        try:
            return closing_connection(
                lambda: self._reserve(kind, count, now, cap(kind, now, final))
            )
        except Exception as exc:  # the database is the host's; never fail on it
            _log.warning(
                "budget_unavailable",
                "analytics budget unreadable (%s); holding events back",
                type(exc).__name__,
            )
            return kind == "stats"

    def _reserve(self, kind: str, count: int, now: float, limit: int) -> bool:
        from django.db import IntegrityError, connection, transaction
        from django.db.models import F

        from aa_otel_analytics.models import AnalyticsDailyUsage

        day = utc_day(now)
        rows = AnalyticsDailyUsage.objects.filter(day=day)
        if kind != "stats":
            rows = rows.filter(used__lte=limit - count)
        changes = {"used": F("used") + count, kind: F(kind) + count}
        if day == self._known_day:
            return rows.update(**changes) == 1

        # The day's first reservation in this process: one INSERT when this is
        # the first process too, else the usual UPDATE.
        self._known_day = day
        first = {"used": count, kind: count} if count <= limit else {}
        # Inside a caller's transaction a failed INSERT must not spoil it.
        guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
        try:
            with guard:
                AnalyticsDailyUsage.objects.create(day=day, **first)
        except IntegrityError:
            return rows.update(**changes) == 1
        return bool(first)

    def today(self) -> dict[str, int]:
        """Today's usage, for status output and tests."""
        from aa_otel_analytics.models import AnalyticsDailyUsage

        row = AnalyticsDailyUsage.objects.filter(day=utc_day(clock.time())).first()
        if row is None:
            return dict.fromkeys(("used", *KINDS), 0)
        return {name: getattr(row, name) for name in ("used", *KINDS)}


budget = DailyBudget()
