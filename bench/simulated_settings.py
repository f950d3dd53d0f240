"""Demo settings with the budget and interval the simulation asks for."""

from __future__ import annotations

import os

from aa_otel_analytics.demo.settings import *  # noqa: F403

ANALYTICS_DAILY_EVENT_BUDGET = int(os.environ.get("AA_SIM_BUDGET", "50000"))
ANALYTICS_AGGREGATION_INTERVAL_SECS = 10**9  # the simulation drives each interval
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, str] = {}
LOGGING = {"version": 1, "disable_existing_loggers": False}
