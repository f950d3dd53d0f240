"""Daily stats: SQL queries and HTTP requests for one collection on a large site.

A site process (``bench.stats_settings``: 60 installed apps) with 10,000 users
runs the daily stats task (``analytics_daily_stats``, eagerly) three times, each
under Django's ``CaptureQueriesContext``:

- ``first of the day``: a fresh process on a day with no usage row yet (the
  configuration is read and the day's row created);
- ``day row exists``: the configuration read again (as after its refresh
  interval), the day's row already there, as when pages were served earlier;
- ``config cached``: both in place.

Requests are counted by the sender (accepted batches) and checked against what the
local GA receiver got.

Run it with ``python -m bench.daily_stats [--quick]``.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.common import Row, target_row
from bench.site_process import emit, migrate, run_child, site_env

TARGET_QUERIES = 5
SCENARIOS = ("first of the day", "day row exists", "config cached")
MAX_EVENTS_PER_REQUEST = 25


def _child() -> None:
    import django

    django.setup()
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from aa_otel_analytics import runtime
    from aa_otel_analytics._ga4.config import config_cache
    from aa_otel_analytics.tasks import analytics_daily_stats

    user_model = get_user_model()
    users = [
        user_model(username=f"pilot{index:05d}", password="!")
        for index in range(int(os.environ["AA_BENCH_USERS"]))
    ]
    user_model.objects.bulk_create(users, batch_size=1_000)
    state = runtime.current()
    assert state is not None
    collections = []
    for scenario in SCENARIOS:
        if scenario != "config cached":
            config_cache.invalidate()
        sent_before = state.sender.sent_requests
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            events = analytics_daily_stats.delay().get()
        collections.append(
            {
                "scenario": scenario,
                "events": events,
                "queries": len(queries),
                "sql": [q["sql"][:70] for q in queries.captured_queries],
                "requests": state.sender.sent_requests - sent_before,
                "millis": (time.perf_counter() - start) * 1000,
            }
        )
    emit(
        {
            "apps": len(apps.get_app_configs()),
            "users": user_model.objects.count(),
            "collections": collections,
        }
    )


def measure(workdir: Path, users: int, fake_apps: int) -> dict:
    from aa_otel_analytics.receiver import GAReceiver

    with GAReceiver() as ga:
        env = site_env(
            workdir,
            ga.url,
            AA_BENCH_FAKE_APPS=str(fake_apps),
            AA_BENCH_USERS=str(users),
        )
        migrate(env)
        result = run_child("bench.daily_stats", env, 120)
        result["received_requests"] = len(ga.received)
        result["received_events"] = len(ga.events())
        result["invalid"] = ga.invalid_count()
    return result


def rows_from(result: dict) -> list[Row]:
    section = "daily stats"
    rows = [
        Row(
            section,
            "site: users / installed apps",
            f"{result['users']:,} / {result['apps']}",
        )
    ]
    for collection in result["collections"]:
        scenario, events = collection["scenario"], collection["events"]
        rows.append(
            target_row(
                section,
                f"SQL queries, {scenario}",
                collection["queries"],
                "<=",
                TARGET_QUERIES,
                fmt="{:.0f}",
                detail="; ".join(collection["sql"]),
            )
        )
        rows.append(
            target_row(
                section,
                f"HTTP requests for {events} events, {scenario}",
                collection["requests"],
                "<=",
                math.ceil(events / MAX_EVENTS_PER_REQUEST),
                fmt="{:.0f}",
            )
        )
        rows.append(
            Row(
                section,
                f"collection time, {scenario}",
                f"{collection['millis']:.1f} ms",
            )
        )
    sent = sum(c["requests"] for c in result["collections"])
    rows.append(
        Row(
            section,
            "receiver: requests / events / invalid",
            f"{result['received_requests']} / {result['received_events']} "
            f"/ {result['invalid']}",
            detail=f"the sender counted {sent} requests",
        )
    )
    return rows


def run(quick: bool = False) -> list[Row]:
    users, fake_apps = (200, 12) if quick else (10_000, 52)
    with tempfile.TemporaryDirectory(prefix="aa-bench-stats-") as tmp:
        rows = rows_from(measure(Path(tmp), users, fake_apps))
    return [replace(r, passed=None) for r in rows] if quick else rows


def main(argv: list[str] | None = None) -> int:
    from bench.common import part_main

    return part_main(argv, "python -m bench.daily_stats", run, _child)


if __name__ == "__main__":
    sys.exit(main())
