"""Keep the audit table bounded: old rows go, and only the newest keep a payload."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from aa_otel_analytics.conf import conf


def trim_bodies(keep: int) -> int:
    """Clear ``body`` on all but the ``keep`` newest rows; returns rows cleared."""
    from aa_otel_analytics.models import AnalyticsSentBatch

    with_body = AnalyticsSentBatch.objects.filter(body__isnull=False)
    newest = with_body.order_by("-sent_at", "-pk").values_list("pk", flat=True)
    return with_body.exclude(pk__in=list(newest[:keep])).update(body=None)


def prune(retention_days: int | None = None) -> int:
    """Delete rows older than ``ANALYTICS_AUDIT_RETENTION_DAYS``; returns the count."""
    from aa_otel_analytics.models import AnalyticsSentBatch

    days = (
        conf.ANALYTICS_AUDIT_RETENTION_DAYS
        if retention_days is None
        else retention_days
    )
    cutoff = timezone.now() - dt.timedelta(days=days)
    # One statement: QuerySet.delete() wraps even a fast delete in a transaction,
    # which adds two statements to the daily task's budget of five.
    table = connection.ops.quote_name(AnalyticsSentBatch._meta.db_table)
    column = connection.ops.quote_name("sent_at")
    value = connection.ops.adapt_datetimefield_value(cutoff)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {column} < %s", [value])
        return max(cursor.rowcount, 0)
