"""A busy Alliance Auth day in a minute: 1,000,000 task runs and 100,000 page views.

Four "worker" and four "web" processes share one SQLite database (the daily budget)
and one local GA receiver. Each process replays its share of a simulated UTC day
(yesterday, so every timestamp is one GA still accepts) through the real exporter,
budget and aggregation code, with the budget's clock following the simulation, and
flushes its aggregates once per simulated interval. The spans are built directly,
as OpenTelemetry's instrumentation would hand them to the batch processor, so the
CPU measured is the analytics' own.

Run it with ``python -m bench.simulated_day`` (``--help`` for the sizes); the test
``tests/aggregation/test_simulated_day.py`` runs it in full and checks the result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

DAY_SECS = 86_400
BATCH = 512
TASK_NAMES = [f"app{a}.tasks.job{j}" for a in range(12) for j in range(5)]
RESULTS = ["Success"] * 96 + ["RuntimeError", "OSError", "HTTPError", "Timeout"]
ROUTES = [f"section{s}/<int:pk>/page{p}/" for s in range(30) for p in range(4)]
LANGUAGES = ["en"] * 6 + ["de", "fr", "ru"]
_RESOURCE = None  # set in each process: building one per span would dominate


@dataclass
class Plan:
    role: str
    index: int
    count: int
    day_start: float
    interval_secs: int
    seed: int


@dataclass
class ProcessReport:
    truth: dict[str, int] = field(default_factory=dict)
    cpu_secs: float = 0.0
    max_pending_keys: int = 0
    spans: int = 0


def _site_env(db_path: Path, endpoint: str, budget: int, interval: int) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.simulated_settings",
        AA_DEMO_DB=str(db_path),
        ANALYTICS_ENDPOINT=endpoint,
        AA_SIM_BUDGET=str(budget),
        AA_SIM_INTERVAL=str(interval),
        OTEL_BSP_SCHEDULE_DELAY="3600000",
    )


def _task_span(rng: random.Random, start_ns: int):
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.trace import SpanKind

    name = rng.choice(TASK_NAMES)
    result = rng.choice(RESULTS)
    attributes = {
        "celery.action": "run",
        "celery.state": "SUCCESS" if result == "Success" else "FAILURE",
        "celery.task_name": name,
        "aa_otel_analytics.task.result": result,
        "aa_otel_analytics.task.value": rng.randrange(3),
    }
    duration = rng.randrange(1, 2_000) * 1_000_000
    span = ReadableSpan(
        name=f"run/{name}",
        kind=SpanKind.CONSUMER,
        attributes=attributes,
        start_time=start_ns,
        end_time=start_ns + duration,
        resource=_RESOURCE,
    )
    module, _, function = name.rpartition(".")
    return span, f"task|{module.removesuffix('.tasks')}|{function}|{result}"


def _page_span(rng: random.Random, start_ns: int):
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.trace import SpanKind

    route = rng.choice(ROUTES)
    language = rng.choice(LANGUAGES)
    attributes = {
        "aa_otel_analytics.page.route": "/" + route,
        "aa_otel_analytics.page.title": route.split("/")[0],
        "aa_otel_analytics.page.language": language,
        "aa_otel_analytics.page.path": "/" + route.replace("<int:pk>", "42"),
    }
    span = ReadableSpan(
        name="GET " + route,
        kind=SpanKind.SERVER,
        attributes=attributes,
        start_time=start_ns,
        end_time=start_ns + 5_000_000,
        resource=_RESOURCE,
    )
    return span, f"page|/{route}|{language}"


def _run_process(plan: Plan, db_path: str, endpoint: str, budget: int) -> dict:
    _site_env(Path(db_path), endpoint, budget, plan.interval_secs)
    import django

    django.setup()
    from aa_otel_analytics import runtime
    from aa_otel_analytics._ga4 import budget as budget_module

    class SimClock:
        now = plan.day_start

        def time(self) -> float:
            return self.now

    clock = SimClock()
    budget_module.clock = clock
    from aa_otel_analytics._ga4 import sender as sender_module

    sender_module.clock = clock
    state = runtime.current()
    assert state is not None
    global _RESOURCE
    from opentelemetry.sdk.resources import Resource

    _RESOURCE = Resource.create()
    make = _task_span if plan.role == "worker" else _page_span
    rng = random.Random(plan.seed)
    report = ProcessReport()
    truth: Counter[str] = Counter()
    intervals = DAY_SECS // plan.interval_secs
    per_interval = plan.count // intervals
    cpu_start = time.process_time()
    for interval in range(intervals):
        begin = plan.day_start + interval * plan.interval_secs
        n = per_interval + (plan.count % intervals if interval == intervals - 1 else 0)
        batch = []
        for i in range(n):
            clock.now = begin + plan.interval_secs * i / max(n, 1)
            span, key = make(rng, int(clock.now * 1e9))
            truth[key] += 1
            batch.append(span)
            if len(batch) == BATCH:
                state.span_exporter.export(batch)
                batch = []
        if batch:
            state.span_exporter.export(batch)
        clock.now = begin + plan.interval_secs
        state.aggregator.flush()
        report.max_pending_keys = max(report.max_pending_keys, _pending_keys(state))
    clock.now = plan.day_start + DAY_SECS + 60  # just after midnight: a new day
    state.aggregator.flush(final=True)
    report.cpu_secs = time.process_time() - cpu_start
    report.truth = dict(truth)
    report.spans = plan.count
    return report.__dict__


def _pending_keys(state) -> int:
    current = state.aggregator._state
    return len(current.exporter.pending) if current is not None else 0


def received_totals(requests: list[dict]) -> tuple[Counter[str], int]:
    totals: Counter[str] = Counter()
    events = 0
    for request in requests:
        for event in (request.get("body") or {}).get("events", []):
            events += 1
            params = event["params"]
            if event["name"] == "page_view":
                route = params["page_location"].removeprefix(
                    "https://allianceauth.invalid"
                )
                key = f"page|{route}|{params['language']}"
            else:
                key = f"task|{params['namespace']}|{params['task']}|{params['result']}"
            totals[key] += params["count"]
    return totals, events


def simulate(
    workdir: Path,
    endpoint: str,
    tasks: int = 1_000_000,
    pages: int = 100_000,
    workers: int = 4,
    webs: int = 4,
    budget: int = 50_000,
    interval_secs: int = 900,
) -> dict:
    """Run the day; returns truth, what arrived, and the costs."""
    db_path = workdir / "sim.sqlite3"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.simulated_settings",
        AA_DEMO_DB=str(db_path),
        ANALYTICS_ENDPOINT=endpoint,
    )
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--verbosity", "0"],
        env=env,
        check=True,
    )
    yesterday = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)
    day_start = dt.datetime.combine(yesterday, dt.time(), dt.timezone.utc).timestamp()
    plans = [
        Plan("worker", i, tasks // workers, day_start, interval_secs, 1000 + i)
        for i in range(workers)
    ] + [
        Plan("web", i, pages // webs, day_start, interval_secs, 2000 + i)
        for i in range(webs)
    ]
    context = multiprocessing.get_context("spawn")
    started = time.monotonic()
    with context.Pool(len(plans)) as pool:
        reports = pool.starmap(
            _run_process, [(p, str(db_path), endpoint, budget) for p in plans]
        )
    wall = time.monotonic() - started
    truth: Counter[str] = Counter()
    for report in reports:
        truth.update(report["truth"])
    usage = _usage(env)
    return {
        "truth": truth,
        "reports": reports,
        "plans": [p.__dict__ for p in plans],
        "wall_secs": wall,
        "usage": usage,
    }


def _usage(env: dict[str, str]) -> list[dict]:
    script = (
        "import django, json; django.setup();"
        "from aa_otel_analytics.models import AnalyticsDailyUsage as U;"
        "print(json.dumps([dict(day=str(r.day), used=r.used, detail=r.detail,"
        " aggregated=r.aggregated, stats=r.stats) for r in U.objects.order_by('day')]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.simulated_day")
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--budget", type=int, default=50_000)
    args = parser.parse_args(argv)

    from aa_otel_analytics.receiver import GAReceiver

    with tempfile.TemporaryDirectory() as tmp, GAReceiver() as receiver:
        result = simulate(
            Path(tmp), receiver.url, args.tasks, args.pages, budget=args.budget
        )
        requests = [{"body": r.body} for r in receiver.received]
        print_report(result, requests, receiver.invalid_count())
    return 0


def print_report(result: dict, requests: list[dict], invalid: int) -> None:
    totals, events = received_totals(requests)
    truth = result["truth"]
    worker_cpu = sum(
        r["cpu_secs"]
        for r, p in zip(result["reports"], result["plans"], strict=True)
        if p["role"] == "worker"
    )
    tasks = sum(p["count"] for p in result["plans"] if p["role"] == "worker")
    print(
        f"simulated day: {tasks} task runs, "
        f"{sum(p['count'] for p in result['plans'] if p['role'] == 'web')} page views, "
        f"{len(result['plans'])} processes, {result['wall_secs']:.1f} s wall"
    )
    for row in result["usage"]:
        print(
            f"budget day {row['day']}: used={row['used']} detail={row['detail']} "
            f"aggregated={row['aggregated']} stats={row['stats']}"
        )
    print(f"requests={len(requests)} events={events} invalid={invalid}")
    print(f"keys={len(truth)} exact={'yes' if totals == truth else 'NO'}")
    print(f"cpu per million tasks: {worker_cpu / max(tasks, 1) * 1e6:.1f} s")
    pending = max(r["max_pending_keys"] for r in result["reports"])
    print(f"max pending keys in a process: {pending}")


if __name__ == "__main__":
    sys.exit(main())
