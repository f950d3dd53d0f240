"""The demo site with many installed apps, for the daily-stats and egress benchmarks.

Alliance Auth sites run dozens of apps. ``AA_BENCH_FAKE_APPS`` (default 52, which
with the demo's 8 makes 60) tiny extensions are added to ``INSTALLED_APPS``. Each
is an empty module created here, in memory, and registered in ``sys.modules`` under
a distinct name (``aa_bench_extension_00``, ...): Django imports it like any other
app, finds no models, migrations, templates or admin in it, and gives it the
default ``AppConfig``. Its ``__file__`` points at this file, because Django wants
every app to have a folder. Tasks run eagerly, so one process holds the whole site.
"""

from __future__ import annotations

import os
import sys
import types

from aa_otel_analytics.demo.settings import *  # noqa: F403
from aa_otel_analytics.demo.settings import INSTALLED_APPS as _DEMO_APPS

FAKE_APP_PREFIX = "aa_bench_extension_"


def _fake_app(name: str) -> str:
    module = sys.modules.get(name)
    if module is None:
        module = types.ModuleType(name, "A stand-in extension with nothing in it.")
        module.__file__ = __file__
        sys.modules[name] = module
    return name


FAKE_APPS = [
    _fake_app(f"{FAKE_APP_PREFIX}{index:02d}")
    for index in range(int(os.environ.get("AA_BENCH_FAKE_APPS", "52")))
]
INSTALLED_APPS = [*_DEMO_APPS, *FAKE_APPS]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, str] = {}
LOGGING = {"version": 1, "disable_existing_loggers": False}
