"""Audit rows for the summary, admin and browser tests."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from aa_otel_analytics.models import AnalyticsSentBatch


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def sent(
    day: dt.date,
    page_views: int = 0,
    task_events: int = 0,
    stats: int = 0,
    token: str = "AA Team",
    body: dict | None = None,
    hour: int = 12,
) -> AnalyticsSentBatch:
    events = {}
    if page_views:
        events["page_view"] = page_views
    if task_events or stats:
        events["celery_event"] = task_events + stats
    return AnalyticsSentBatch.objects.create(
        sent_at=at(day, hour),
        token_name=token,
        outcome="sent",
        http_status=204,
        size_bytes=300 * (page_views + task_events + stats),
        events=events,
        page_views=page_views,
        task_events=task_events,
        stats=stats,
        represented=page_views + task_events + stats,
        body=body,
    )


def dropped(
    day: dt.date, reason: str, represented: int, token: str = ""
) -> AnalyticsSentBatch:
    return AnalyticsSentBatch.objects.create(
        sent_at=at(day),
        token_name=token,
        outcome="dropped",
        reason=reason,
        represented=represented,
        http_status=500 if reason == "http_500" else None,
    )
