"""Celery tasks. Add one beat entry for ``analytics_daily_stats`` (see the README)."""

from __future__ import annotations

import logging

from celery import shared_task

from aa_otel_analytics.custom_events import analytics_event

__all__ = ["analytics_daily_stats", "analytics_event"]

logger = logging.getLogger(__name__)


@shared_task(name="aa_otel_analytics.tasks.analytics_daily_stats", ignore_result=True)
def analytics_daily_stats() -> int:
    """Collect the install gauges once and send them; returns the events made.

    Also deletes audit rows older than ``ANALYTICS_AUDIT_RETENTION_DAYS``, even with
    analytics off, so the table stays bounded after an opt-out.
    """
    from aa_otel_analytics import runtime

    _prune_audit()
    runtime.setup()
    state = runtime.current()
    if state is None:
        logger.info("analytics disabled; daily stats not collected")
        return 0

    state.stats.collect()
    return len(state.stats_exporter.last_events)


def _prune_audit() -> None:
    from django.db import DatabaseError

    from aa_otel_analytics.audit.retention import prune

    try:
        deleted = prune()
    except (DatabaseError, OverflowError) as exc:  # the stats still go out
        logger.warning("analytics audit not pruned, error=%s", type(exc).__name__)
        return
    if deleted:
        logger.info("analytics audit pruned, rows=%d", deleted)
