"""Settings for tests that run the site in a child process."""

from __future__ import annotations

import os

from aa_otel_analytics.demo.settings import *  # noqa: F403

ANALYTICS_DISABLED = bool(os.environ.get("AA_TEST_DISABLED"))
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, str] = {}
