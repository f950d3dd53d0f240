"""What the audit trail says: the queries behind the admin page and the commands.

Days are in Django's current time zone; events are counted as GA counts them (one
per event in a payload), drops in the page views and task runs they stood for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from aa_otel_analytics.models import AnalyticsSentBatch

SENT = AnalyticsSentBatch.Outcome.SENT
DROPPED = AnalyticsSentBatch.Outcome.DROPPED


@dataclass(frozen=True)
class DayEvents:
    """Events sent on one day, by kind."""

    day: dt.date
    page_views: int = 0
    task_events: int = 0
    stats: int = 0

    @property
    def total(self) -> int:
        return self.page_views + self.task_events + self.stats


@dataclass(frozen=True)
class Totals:
    batches_sent: int = 0
    page_views: int = 0
    task_events: int = 0
    stats: int = 0
    represented: int = 0
    bytes_sent: int = 0
    batches_dropped: int = 0
    events_dropped: int = 0

    @property
    def events_sent(self) -> int:
        return self.page_views + self.task_events + self.stats


def start_of_window(days: int, today: dt.date | None = None) -> dt.datetime:
    """Midnight, in the current time zone, of the first of the last ``days`` days."""
    first = (today or timezone.localdate()) - dt.timedelta(days=days - 1)
    return timezone.make_aware(dt.datetime.combine(first, dt.time.min))


def daily_events(days: int = 30, today: dt.date | None = None) -> list[DayEvents]:
    """One entry per day of the last ``days`` days, oldest first, zeros included."""
    today = today or timezone.localdate()
    rows = (
        AnalyticsSentBatch.objects.filter(
            outcome=SENT, sent_at__gte=start_of_window(days, today)
        )
        .annotate(day=TruncDate("sent_at"))
        .values("day")
        .annotate(pv=Sum("page_views"), te=Sum("task_events"), st=Sum("stats"))
    )
    by_day = {row["day"]: row for row in rows}
    result = []
    for offset in range(days - 1, -1, -1):
        day = today - dt.timedelta(days=offset)
        row = by_day.get(day, {})
        result.append(
            DayEvents(day, row.get("pv") or 0, row.get("te") or 0, row.get("st") or 0)
        )
    return result


def totals(since: dt.datetime | None = None) -> Totals:
    """Batches, events and bytes sent and dropped since ``since`` (all rows if None)."""
    rows = AnalyticsSentBatch.objects.all()
    if since is not None:
        rows = rows.filter(sent_at__gte=since)
    sent = Q(outcome=SENT)
    dropped = Q(outcome=DROPPED)
    # Aggregates may not share a name with a field, hence the prefix.
    sums = rows.aggregate(
        n_batches_sent=Count("pk", filter=sent & ~Q(token_name="")),
        n_page_views=Coalesce(Sum("page_views", filter=sent), 0),
        n_task_events=Coalesce(Sum("task_events", filter=sent), 0),
        n_stats=Coalesce(Sum("stats", filter=sent), 0),
        n_represented=Coalesce(Sum("represented", filter=sent), 0),
        n_bytes_sent=Coalesce(Sum("size_bytes", filter=sent), 0),
        n_batches_dropped=Count("pk", filter=dropped & ~Q(token_name="")),
        n_events_dropped=Coalesce(Sum("represented", filter=dropped), 0),
    )
    return Totals(**{name[2:]: value for name, value in sums.items()})


def drops_by_reason(since: dt.datetime | None = None) -> dict[str, int]:
    """Dropped page views and task runs per reason, the largest first."""
    rows = AnalyticsSentBatch.objects.filter(outcome=DROPPED)
    if since is not None:
        rows = rows.filter(sent_at__gte=since)
    counts = rows.values("reason").annotate(n=Sum("represented")).order_by("-n")
    return {row["reason"] or "unknown": row["n"] or 0 for row in counts}


def latest_payloads(limit: int = 20) -> list[AnalyticsSentBatch]:
    """The newest rows that still hold their (secret-free) payload."""
    rows = AnalyticsSentBatch.objects.filter(body__isnull=False)
    return list(rows.order_by("-sent_at", "-pk")[:limit])


def last_success_by_token() -> dict[str, dt.datetime]:
    """When each token last had a batch accepted, by token name."""
    rows = (
        AnalyticsSentBatch.objects.filter(outcome=SENT)
        .exclude(token_name="")
        .values("token_name")
        .annotate(last=Max("sent_at"))
    )
    return {row["token_name"]: row["last"] for row in rows}
