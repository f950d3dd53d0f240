"""Checks for how the site runs: DEBUG, the SDK switch, the beat schedule.

Each one catches a way a site can look configured while sending nothing, or
sending the daily stats twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Info, register
from django.core.checks import Warning as CheckWarning

from aa_otel_analytics.conf import conf

logger = logging.getLogger(__name__)

OUR_DAILY_TASK = "aa_otel_analytics.tasks.analytics_daily_stats"
ALLIANCE_AUTH_DAILY_TASK = "allianceauth.analytics.tasks.analytics_daily_stats"
_SCHEDULE_SETTINGS = ("CELERYBEAT_SCHEDULE", "CELERY_BEAT_SCHEDULE")
SCHEDULE_HINT = (
    "Add to your settings: CELERYBEAT_SCHEDULE['aa_otel_analytics_daily_stats'] = "
    "{'task': '" + OUR_DAILY_TASK + "', 'schedule': crontab(minute=0, hour=2)}"
)


def _settings_tasks() -> set[str]:
    tasks: set[str] = set()
    for name in _SCHEDULE_SETTINGS:
        schedule = getattr(settings, name, None)
        if isinstance(schedule, Mapping):
            tasks.update(_task_names(schedule.values()))
    return tasks


def _task_names(entries: Iterable[object]) -> set[str]:
    return {
        str(entry["task"])
        for entry in entries
        if isinstance(entry, Mapping) and "task" in entry
    }


def _database_tasks() -> set[str]:
    """Tasks in django-celery-beat's table, where Alliance Auth's scheduler reads."""
    from django.apps import apps

    if not apps.is_installed("django_celery_beat"):
        return set()

    try:
        from django_celery_beat.models import PeriodicTask

        rows = PeriodicTask.objects.filter(enabled=True).values_list("task", flat=True)
        return set(rows)
    except Exception:  # no database or no table yet: the settings still count
        logger.debug("beat schedule table unreadable", exc_info=True)
        return set()


def scheduled_tasks() -> set[str]:
    """Every task name a beat process of this site would run."""
    return _settings_tasks() | _database_tasks()


def _schedule_messages() -> list[CheckMessage]:
    tasks = scheduled_tasks()
    messages: list[CheckMessage] = []
    if OUR_DAILY_TASK not in tasks:
        messages.append(
            CheckWarning(
                "The daily install statistics task is not in the Celery beat "
                "schedule, so no daily stats are sent.",
                hint=SCHEDULE_HINT,
                id="aa_otel_analytics.W009",
            )
        )
    if ALLIANCE_AUTH_DAILY_TASK in tasks:
        messages.append(
            CheckWarning(
                "Alliance Auth's own analytics daily task is scheduled as well as "
                "this package's, so the daily stats would be sent twice.",
                hint="Remove its beat entry: in your settings, "
                "CELERYBEAT_SCHEDULE.pop('analytics_daily_stats', None), and "
                "delete it from Periodic tasks in the admin if it is there.",
                id="aa_otel_analytics.W011",
            )
        )
    return messages


@register()
def check_deployment(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if conf.ANALYTICS_DISABLED:
        return []

    messages: list[CheckMessage] = []
    if conf.OTEL_SDK_DISABLED:
        messages.append(
            CheckWarning(
                "OTEL_SDK_DISABLED is set, so OpenTelemetry is off and this site "
                "sends no analytics, although ANALYTICS_DISABLED is not set.",
                hint="Unset OTEL_SDK_DISABLED, or set ANALYTICS_DISABLED = True to "
                "say that analytics is meant to be off.",
                id="aa_otel_analytics.W010",
            )
        )
    if conf.use_debug_endpoint:
        messages.append(
            Info(
                "DEBUG is on: events go to GA's validation endpoint, which records "
                "nothing, and are not kept in the audit trail.",
                hint="Set ANALYTICS_ENABLE_DEBUG = True to send for real.",
                id="aa_otel_analytics.I008",
            )
        )
    messages.extend(_schedule_messages())
    return messages
