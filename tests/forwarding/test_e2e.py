"""A real site forwarding through a real collector (rotel) to an OTLP sink.

gunicorn with two preloaded workers, a Celery prefork worker and Celery beat send
to rotel on 127.0.0.1, which forwards to a sink of ours; Google is the local
receiver. The collector is then killed and restarted mid-run.
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import ExitStack

import pytest
import requests

from aa_otel_analytics.demo import run
from aa_otel_analytics.stats import install_stats
from tests.forwarding.collector import IDENTIFYING_KEYS as COLLECTOR_DELETES
from tests.forwarding.collector import RotelCollector
from tests.forwarding.otlp_sink import OtlpSink, SpanRecord
from tests.robustness.test_processes import (
    start_site,
    start_worker,
    wait_until_consumed,
)
from tests.scripting import run_script
from tests.test_privacy import SEEDS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# What the collector configurations delete, plus what only our in-process
# redaction removes before the span leaves.
IDENTIFYING_KEYS = {
    *COLLECTOR_DELETES,
    "url.path",
    "http.server_name",
    "messaging.message.id",
}
GAUGES = {
    install_stats.INSTALL,
    install_stats.USERS,
    install_stats.ESI_TOKENS,
    install_stats.APPS,
    install_stats.EXTENSION,
}
PAGES = 6
TASKS = 4


def beat_command(tmp_path) -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "aa_otel_analytics.demo", "beat",
        "--schedule", str(tmp_path / "beat-schedule"), "--loglevel", "INFO",
    ]  # fmt: skip


def visit(base: str, count: int, tag: str) -> None:
    headers = {
        "User-Agent": SEEDS["user_agent"],
        "X-Forwarded-For": SEEDS["forwarded"],
        "Referer": SEEDS["referer"],
        "Cookie": f"extra={SEEDS['cookie']}",
    }
    for index in range(count):
        url = f"{base}/fleet/{SEEDS['id']}{index}/?q={SEEDS['query']}&tag={tag}"
        assert requests.get(url, headers=headers, timeout=10).status_code == 200


def pages(sink: OtlpSink) -> list[SpanRecord]:
    return [s for s in sink.spans() if s.scope.endswith("django")]


def task_runs(sink: OtlpSink) -> list[SpanRecord]:
    return [
        s
        for s in sink.spans()
        if s.scope.endswith("celery") and s.attributes.get("celery.action") == "run"
    ]


def gauge_names(sink: OtlpSink) -> set[str]:
    return {point.name for point in sink.points()} & GAUGES


def test_pages_tasks_and_gauges_reach_the_collector_redacted(receiver, tmp_path):
    with ExitStack() as stack:
        sink = stack.enter_context(OtlpSink())
        collector = stack.enter_context(RotelCollector(sink.endpoint))
        env, base, _ = start_site(
            stack,
            tmp_path,
            receiver.url,
            workers=2,
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.http_endpoint,
            OTEL_EXPORTER_OTLP_TIMEOUT="2",
            OTEL_METRIC_EXPORT_INTERVAL="1000",
            OTEL_BSP_SCHEDULE_DELAY="100",
        )
        start_worker(stack, env, tmp_path, 2)
        stack.enter_context(
            run.managed_process(beat_command(tmp_path), env, tmp_path / "beat.log")
        )

        visit(base, PAGES, "before")
        run.manage(env, "demo_enqueue", "--adds", str(TASKS))
        wait_until_consumed(tmp_path)
        assert sink.wait_for(
            lambda: (
                len(pages(sink)) >= PAGES
                and len(task_runs(sink)) >= TASKS
                and gauge_names(sink) == GAUGES
            ),
            timeout_secs=30,
        ), (len(pages(sink)), len(task_runs(sink)), gauge_names(sink))
        forwarded = sink.spans()
        points = sink.points()

        collector.kill()
        started = time.monotonic()
        visit(base, PAGES, "outage")
        run.manage(env, "demo_enqueue", "--adds", str(TASKS))
        wait_until_consumed(tmp_path)
        outage_secs = time.monotonic() - started

        collector.restart()
        sink.clear()
        visit(base, PAGES, "after")
        assert sink.wait_for(lambda: len(pages(sink)) >= PAGES, timeout_secs=30)

    assert receiver.wait_for(
        lambda: len(receiver.events("page_view")) >= 3 * PAGES, timeout_secs=10
    )
    assert len(receiver.events("page_view")) == 3 * PAGES
    assert len(receiver.events("celery_event")) >= 2 * TASKS
    assert outage_secs < 30, "the dead collector held up pages or tasks"
    assert_redacted(forwarded)
    routes = {s.attributes.get("http.route") for s in pages_of(forwarded)}
    assert routes == {"fleet/<int:pk>/", "health/"}
    assert {p.resource.get("service.name") for p in points} == {"aa-demo"}


def pages_of(spans: list[SpanRecord]) -> list[SpanRecord]:
    return [s for s in spans if s.scope.endswith("django")]


def assert_redacted(spans: list[SpanRecord]) -> None:
    text = json.dumps([vars(span) for span in spans], default=str)
    for name, value in SEEDS.items():
        assert value not in text, name
    for span in spans:
        assert not IDENTIFYING_KEYS & set(span.attributes), span
        assert span.events == []


GRPC_SCRIPT = """
import django
django.setup()
from django.conf import settings
settings.ANALYTICS_DISABLED = False
from aa_otel_analytics import runtime
runtime.setup()
from django.test import Client
result["status"] = Client().get("/fleet/5/?q=x").status_code
runtime.force_flush(10_000)
from aa_otel_analytics.forwarding.exporters import forwarding_drops
result["forwarding_drops"] = forwarding_drops.snapshot()
"""


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_either_otlp_protocol_reaches_the_collector(receiver, tmp_path, protocol):
    with OtlpSink() as sink, RotelCollector(sink.endpoint) as collector:
        endpoint = (
            collector.grpc_endpoint if protocol == "grpc" else collector.http_endpoint
        )
        result = run_script(
            receiver,
            tmp_path,
            GRPC_SCRIPT,
            OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
            OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
            OTEL_EXPORTER_OTLP_INSECURE="true",
        )
        assert sink.wait_for(lambda: pages(sink), timeout_secs=15)

    assert result["status"] == 200
    assert result["forwarding_drops"] == {}
    [page] = pages(sink)
    assert page.attributes["http.route"] == "fleet/<int:pk>/"
    assert_redacted([page])
