"""Settings of the task-cost workers: the demo site, one setup per worker.

``AA_BENCH_SETUP`` picks the setup: ``ours`` switches analytics on as a site has
it; ``bare`` and ``floor`` leave it off (``floor`` wires plain OpenTelemetry in
``bench.task_worker`` instead). The broker comes from ``CELERY_BROKER_URL``, as in
the demo settings.
"""

from __future__ import annotations

import os

from aa_otel_analytics.demo.settings import *  # noqa: F403

ANALYTICS_DISABLED = os.environ.get("AA_BENCH_SETUP", "bare") != "ours"
LOGGING = {"version": 1, "disable_existing_loggers": False}
