"""Celery tasks. Add one beat entry for ``analytics_daily_stats`` (see the README)."""

from __future__ import annotations

import logging

from celery import shared_task

from aa_otel_analytics.custom_events import analytics_event

__all__ = ["analytics_daily_stats", "analytics_event"]

logger = logging.getLogger(__name__)


@shared_task(name="aa_otel_analytics.tasks.analytics_daily_stats", ignore_result=True)
def analytics_daily_stats() -> int:
    """Collect the install gauges once and send them; returns the events made."""
    from aa_otel_analytics import runtime

    runtime.setup()
    state = runtime.current()
    if state is None:
        logger.info("analytics disabled; daily stats not collected")
        return 0

    state.stats.collect()
    return len(state.stats_exporter.last_events)
