"""Egress: HTTP requests and bytes for 1,000 events, against one request per event.

A site process (``bench.stats_settings`` with 14 extensions) serves 600 page views
through Django's test client, runs 380 tasks eagerly (one in 20 fails) and then
the daily stats task once (20 stats events), all through the real instrumentation,
batch span processor, exporter and HTTP client, to a local GA receiver. The batch
processor's timer is set beyond the run, so batches form by size (512 spans) as
on a busy site; the rest goes at the flush. A quick run is too small to judge.

The comparison is what the same events would cost sent one per request (each with
the same header: client id and user properties).

Run it with ``python -m bench.egress [--quick]``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

from bench.common import Row, target_row
from bench.site_process import emit, migrate, run_child, site_env

TARGET_REQUESTS_PER_1000 = 41.0
STATS_NAMESPACE = "allianceauth.analytics"
PAGES = ["/", "/fleet/{}/", "/legacy/2024/", "/api/items/x{}/", "/search/?q={}", "/me/"]
EXTENSIONS = 14  # with the demo app: 15 extension events + 5 install events


def _child() -> None:
    import django

    django.setup()
    from django.test import Client

    from aa_otel_analytics import runtime
    from aa_otel_analytics._ga4.drops import drops
    from aa_otel_analytics.demo import tasks
    from aa_otel_analytics.tasks import analytics_daily_stats

    pages = int(os.environ["AA_BENCH_PAGES"])
    task_runs = int(os.environ["AA_BENCH_TASKS"])
    client = Client()
    statuses: Counter[int] = Counter()
    for index in range(pages):
        statuses[client.get(PAGES[index % len(PAGES)].format(index)).status_code] += 1
    for index in range(task_runs):
        if index % 20 == 19:
            tasks.fail.delay(index)
        else:
            tasks.add.delay(index, 1)
    runtime.force_flush(30_000)
    stats_events = analytics_daily_stats.delay().get()
    state = runtime.current()
    assert state is not None
    emit(
        {
            "statuses": {str(k): v for k, v in statuses.items()},
            "stats_events": stats_events,
            "sent_requests": state.sender.sent_requests,
            "drops": drops.snapshot(),
        }
    )


def _single_event_bytes(body: dict) -> list[int]:
    """Each event's size had it gone alone, with the same header."""
    head = {k: v for k, v in body.items() if k != "events"}
    return [
        len(json.dumps({**head, "events": [event]}, separators=(",", ":")))
        for event in body.get("events", [])
    ]


def _kind(event: dict) -> str:
    if event.get("name") == "page_view":
        return "page"
    if event["params"].get("namespace") == STATS_NAMESPACE:
        return "stats"
    return "task"


def measure(workdir: Path, pages: int, task_runs: int) -> dict:
    from aa_otel_analytics.receiver import GAReceiver

    with GAReceiver() as ga:
        env = site_env(
            workdir,
            ga.url,
            AA_BENCH_FAKE_APPS=str(EXTENSIONS),
            AA_BENCH_PAGES=str(pages),
            AA_BENCH_TASKS=str(task_runs),
            OTEL_BSP_SCHEDULE_DELAY="600000",
        )
        migrate(env)
        child = run_child("bench.egress", env, 120)
        received = ga.received
        invalid = ga.invalid_count()
    kinds: Counter[str] = Counter()
    single = 0
    for request in received:
        body = request.body or {}
        kinds.update(_kind(e) for e in body.get("events", []))
        single += sum(_single_event_bytes(body))
    return {
        "child": child,
        "requests": len(received),
        "bytes": sum(r.raw_size for r in received),
        "events": sum(kinds.values()),
        "kinds": dict(kinds),
        "single_bytes": single,
        "invalid": invalid,
    }


def rows_from(result: dict) -> list[Row]:
    section = "egress"
    events = max(result["events"], 1)
    requests = result["requests"]
    kinds = result["kinds"]
    drops = sum(result["child"]["drops"].values())
    ratio = result["bytes"] / max(result["single_bytes"], 1)
    return [
        target_row(
            section,
            "requests per 1,000 events",
            requests / events * 1000,
            "<=",
            TARGET_REQUESTS_PER_1000,
            fmt="{:.1f}",
        ),
        Row(section, "requests: batched / one per event", f"{requests} / {events}"),
        Row(
            section,
            "events received: pages / tasks / stats",
            " / ".join(str(kinds.get(kind, 0)) for kind in ("page", "task", "stats")),
        ),
        Row(
            section,
            "bytes: batched / one per event",
            f"{result['bytes']:,} / {result['single_bytes']:,} ({ratio:.2f}x)",
        ),
        Row(section, "bytes per event, batched", f"{result['bytes'] / events:.0f}"),
        Row(section, "invalid requests / drops", f"{result['invalid']} / {drops}"),
    ]


def run(quick: bool = False) -> list[Row]:
    pages, task_runs = (60, 38) if quick else (600, 380)
    with tempfile.TemporaryDirectory(prefix="aa-bench-egress-") as tmp:
        rows = rows_from(measure(Path(tmp), pages, task_runs))
    return [replace(r, passed=None) for r in rows] if quick else rows


def main(argv: list[str] | None = None) -> int:
    from bench.common import part_main

    return part_main(argv, "python -m bench.egress", run, _child)


if __name__ == "__main__":
    sys.exit(main())
