"""Demo settings for ``bench.request_cost``; ``AA_BENCH_SETUP`` picks the setup.

Every setup keeps the demo's apps, middleware, ``DEBUG=False`` and default
``CONN_MAX_AGE`` (0). Only ``ours`` enables analytics; ``old`` appends the
re-created Alliance Auth 3.x page-view middleware and queues on ``memory://``.
"""

from __future__ import annotations

import os

from aa_otel_analytics.demo.settings import *  # noqa: F403
from aa_otel_analytics.demo.settings import MIDDLEWARE

SETUPS = ("bare", "floor", "ours", "old")
BENCH_SETUP = os.environ.get("AA_BENCH_SETUP", "bare")
if BENCH_SETUP not in SETUPS:
    raise ValueError(f"AA_BENCH_SETUP must be one of {SETUPS}")

ANALYTICS_DISABLED = BENCH_SETUP != "ours"
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, str] = {}
if BENCH_SETUP == "old":
    MIDDLEWARE = [*MIDDLEWARE, "bench.old_middleware.PageViewMiddleware"]
