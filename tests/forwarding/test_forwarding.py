"""OTLP forwarding inside one process: what is forwarded, redacted and isolated.

The collector is replaced by in-memory exporters here; tests/forwarding/test_e2e.py
runs the same path through a real collector and real site processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

import pytest
from django.contrib.auth import get_user_model
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from aa_otel_analytics import runtime
from aa_otel_analytics.demo import tasks
from aa_otel_analytics.forwarding import exporters, gauges, pipeline, redaction
from aa_otel_analytics.forwarding.exporters import (
    ForwardingMetricExporter,
    ForwardingSpanExporter,
    forwarding_drops,
)
from aa_otel_analytics.forwarding.health import CollectorHealth, health
from aa_otel_analytics.forwarding.processor import FLUSH_THREAD_NAME
from aa_otel_analytics.instrumentation import attributes as ours
from aa_otel_analytics.stats import install_stats
from tests.conftest import flush
from tests.test_privacy import SEEDS


class MemoryMetricExporter(MetricExporter):
    def __init__(self) -> None:
        super().__init__()
        self.collections: list[MetricsData] = []

    def export(self, metrics_data, timeout_millis=10_000, **kwargs):
        self.collections.append(metrics_data)
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis=10_000) -> bool:
        return True

    def shutdown(self, timeout_millis=30_000, **kwargs) -> None:
        pass

    def names(self) -> set[str]:
        return {
            metric.name
            for data in self.collections
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
        }


class HangingSpanExporter(SpanExporter):
    """A collector that accepts the connection and never answers."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        # Once released it answers, so nothing it held is counted in a later test.
        self.release.wait(30)
        return SpanExportResult.SUCCESS


class Collector:
    """What the patched exporter factory hands out, by signal."""

    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.metrics = MemoryMetricExporter()
        self.span_exporter: SpanExporter = self.spans

    def factory(self, plan):
        if plan.signal == "traces":
            return lambda: self.span_exporter
        return lambda: self.metrics

    def forwarded(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())


@pytest.fixture
def collector(monkeypatch) -> Iterator[Collector]:
    collector = Collector()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
    monkeypatch.setattr(pipeline, "exporter_factory", collector.factory)
    forwarding_drops.reset()
    yield collector
    if isinstance(collector.span_exporter, HangingSpanExporter):
        collector.span_exporter.release.set()


@pytest.fixture
def forwarded(collector, analytics) -> Collector:
    assert analytics.forwarding is not None
    return collector


def visit_with_identifying_details(client, settings) -> None:
    settings.ALLOWED_HOSTS = [SEEDS["host"], "testserver"]
    user = get_user_model().objects.create_user(SEEDS["username"], SEEDS["email"], "pw")
    client.force_login(user)
    response = client.get(
        f"/fleet/{SEEDS['id']}/?q={SEEDS['query']}",
        HTTP_HOST=SEEDS["host"],
        REMOTE_ADDR=SEEDS["ip"],
        HTTP_X_FORWARDED_FOR=SEEDS["forwarded"],
        HTTP_USER_AGENT=SEEDS["user_agent"],
        HTTP_REFERER=SEEDS["referer"],
    )
    assert response.status_code == 200


def span_text(spans: list[ReadableSpan]) -> str:
    return "\n".join(span.to_json() for span in spans)


def by_scope(spans: list[ReadableSpan], scope: str) -> list[ReadableSpan]:
    return [s for s in spans if s.instrumentation_scope.name.startswith(scope)]


def test_pages_and_tasks_are_forwarded_beside_ga(forwarded, receiver, client):
    client.get("/fleet/7/")
    tasks.add.delay(2, 3)
    flush()

    spans = forwarded.forwarded()
    [page] = by_scope(spans, "opentelemetry.instrumentation.django")
    [task] = by_scope(spans, "opentelemetry.instrumentation.celery")
    assert page.attributes["http.route"] == "fleet/<int:pk>/"
    assert page.attributes[ours.PAGE_TITLE] == "fleet"
    assert task.attributes["celery.task_name"] == "aa_otel_analytics.demo.tasks.add"
    assert task.attributes["celery.state"] == "SUCCESS"
    assert len(receiver.events("page_view")) == 1
    assert len(receiver.events("celery_event")) == 1


def test_forwarded_spans_carry_nothing_identifying_by_default(
    forwarded, client, settings
):
    visit_with_identifying_details(client, settings)
    tasks.fail.delay(SEEDS["task_arg"])
    flush()

    spans = forwarded.forwarded()
    assert by_scope(spans, "opentelemetry.instrumentation.django")
    assert by_scope(spans, "opentelemetry.instrumentation.celery")
    text = span_text(spans)
    for name, value in SEEDS.items():
        assert value not in text, name
    assert "character" not in text, "exception messages stay home"
    for span in spans:
        assert not span.events
        assert set(span.attributes) <= pipeline_kept()


def pipeline_kept() -> frozenset[str]:
    from aa_otel_analytics.forwarding.redaction import KEPT_ATTRIBUTES

    return KEPT_ATTRIBUTES


def test_full_detail_forwards_what_opentelemetry_recorded(
    collector, settings, analytics, client
):
    settings.ANALYTICS_OTLP_FULL_DETAIL = True
    runtime.shutdown()
    assert runtime.setup()
    visit_with_identifying_details(client, settings)
    flush()

    text = span_text(collector.forwarded())
    assert SEEDS["user_agent"] in text
    assert SEEDS["query"] in text
    assert SEEDS["host"] in text


def test_spans_from_other_instrumentation_are_not_forwarded_when_redacted(
    forwarded, analytics
):
    tracer = analytics.tracer_provider.get_tracer("some.other.library")
    with tracer.start_as_current_span("GET https://esi.example/?token=abc"):
        pass
    flush()

    assert forwarded.forwarded() == []


def test_a_hanging_collector_delays_neither_pages_nor_ga(
    collector, analytics, receiver, client
):
    collector.span_exporter = HangingSpanExporter()
    started = time.monotonic()
    for _ in range(20):
        assert client.get("/").status_code == 200
    tasks.add.delay(1, 1)
    pages_took = time.monotonic() - started

    assert runtime.force_flush(2_000) is False, "the forwarded spans did not go out"
    flush_took = time.monotonic() - started - pages_took
    assert len(receiver.events("page_view")) == 20
    assert len(receiver.events("celery_event")) == 1
    assert pages_took < 10, "pages waited on the collector"
    assert flush_took < 10, "the flush waited out the collector"


def test_a_failing_collector_is_counted_and_never_raises(forwarded, client):
    forwarded.span_exporter = FailingExporter()
    client.get("/")
    runtime.force_flush(10_000)

    assert forwarding_drops.snapshot() == {"collector_failed": 1}


class FailingExporter(SpanExporter):
    def export(self, spans):
        return SpanExportResult.FAILURE


class RaisingExporter(SpanExporter):
    def export(self, spans):
        raise ConnectionError("collector gone")


@pytest.mark.absorbs_errors
def test_an_exporter_that_raises_is_absorbed(monkeypatch):
    exporter = ForwardingSpanExporter(RaisingExporter, full_detail=True)

    assert exporter.export([ReadableSpan("x")]) is SpanExportResult.FAILURE


def test_each_process_builds_its_own_exporter(monkeypatch):
    built: list[int] = []

    def factory():
        built.append(1)
        return InMemorySpanExporter()

    exporter = ForwardingSpanExporter(factory, full_detail=True)
    exporter.export([ReadableSpan("a")])
    exporter.export([ReadableSpan("b")])
    monkeypatch.setattr(exporters.os, "getpid", lambda: -1)
    exporter.export([ReadableSpan("c")])

    assert len(built) == 2


def test_gauges_are_forwarded_on_a_timer(collector, db, monkeypatch):
    monkeypatch.setenv("OTEL_METRIC_EXPORT_INTERVAL", "50")
    monkeypatch.setattr(gauges, "MIN_INTERVAL_MILLIS", 50.0)
    forwarder = gauges.GaugeForwarder(
        ForwardingMetricExporter(lambda: collector.metrics),
        resource=pipeline.environment.resource(),
    )
    forwarder.start()
    try:
        deadline = time.monotonic() + 10
        while len(collector.metrics.collections) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        forwarder.stop()

    assert len(collector.metrics.collections) >= 3
    assert collector.metrics.names() == {
        install_stats.INSTALL,
        install_stats.USERS,
        install_stats.ESI_TOKENS,
        install_stats.APPS,
        install_stats.EXTENSION,
    }
    [resource] = collector.metrics.collections[0].resource_metrics
    assert resource.resource.attributes["service.name"] == "allianceauth"


def test_gauges_start_only_in_the_beat_process(forwarded, analytics):
    def gauge_threads() -> list[str]:
        return [t.name for t in threading.enumerate() if t.name == gauges.THREAD_NAME]

    assert gauge_threads() == []
    runtime._on_beat_init()
    try:
        assert gauge_threads() == [gauges.THREAD_NAME]
    finally:
        analytics.forwarding.gauges.stop()


def test_a_failed_metric_export_is_counted(monkeypatch):
    class Refusing(MemoryMetricExporter):
        def export(self, metrics_data, timeout_millis=10_000, **kwargs):
            return MetricExportResult.FAILURE

    forwarding_drops.reset()
    exporter = ForwardingMetricExporter(Refusing)

    result = exporter.export(MetricsData(resource_metrics=[]))

    assert result is MetricExportResult.FAILURE
    assert forwarding_drops.snapshot() == {"collector_failed_metrics": 1}


@pytest.mark.parametrize(("value", "secs"), [("1", 1.0), ("0", 60.0), ("x", 60.0)])
def test_the_gauge_interval_has_a_floor(monkeypatch, value, secs):
    monkeypatch.setenv("OTEL_METRIC_EXPORT_INTERVAL", value)

    forwarder = gauges.GaugeForwarder(ForwardingMetricExporter(object), Resource({}))

    assert forwarder.interval_secs == secs


def test_the_resource_keeps_the_service_and_what_the_operator_wrote(monkeypatch):
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "team=ops,host.name=auth-1")
    detected = Resource(
        {
            "service.name": "auth",
            "service.version": "5.5",
            "telemetry.sdk.language": "python",
            "team": "ops",
            "host.name": "auth-1",
            "host.id": "abc",
            "process.pid": 42,
            "process.command_line": "gunicorn --secret",
            "container.id": "c0ffee",
        }
    )

    kept = dict(redaction.redact_resource(detected).attributes)

    assert kept == {
        "service.name": "auth",
        "service.version": "5.5",
        "telemetry.sdk.language": "python",
        "team": "ops",
        "host.name": "auth-1",
    }


def test_detected_resource_attributes_stay_home(monkeypatch):
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    span = ReadableSpan(
        "GET",
        resource=Resource({"service.name": "auth", "host.name": "auth-1"}),
        instrumentation_scope=InstrumentationScope(
            "opentelemetry.instrumentation.django"
        ),
    )

    [forwarded] = redaction.redact_batch([span])

    assert dict(forwarded.resource.attributes) == {"service.name": "auth"}


def test_flushes_share_one_thread_while_the_collector_hangs(
    collector, analytics, client
):
    collector.span_exporter = HangingSpanExporter()
    client.get("/")
    for _ in range(20):
        assert runtime.force_flush(20) is False

    flushers = [t for t in threading.enumerate() if t.name == FLUSH_THREAD_NAME]
    assert len(flushers) == 1


def test_an_exiting_process_waits_a_second_at_most(collector, analytics, client):
    collector.span_exporter = HangingSpanExporter()
    client.get("/")

    started = time.monotonic()
    assert runtime._flush(5_000, exiting=True) is False
    took = time.monotonic() - started

    assert took < 3, "the exit waited for the collector beyond its second"


def test_an_exiting_process_skips_a_collector_seen_down(collector, analytics, client):
    collector.span_exporter = HangingSpanExporter()
    health.mark_down()
    client.get("/")
    client.get("/")

    started = time.monotonic()
    assert runtime._flush(5_000, exiting=True) is False
    took = time.monotonic() - started

    assert took < 1
    assert forwarding_drops.snapshot().get("collector_down") == 2


class FlakyExporter(SpanExporter):
    def __init__(self) -> None:
        self.failing = True

    def export(self, spans):
        return SpanExportResult.FAILURE if self.failing else SpanExportResult.SUCCESS


def test_a_failed_export_marks_the_collector_down_for_every_process(forwarded, client):
    forwarded.span_exporter = flaky = FlakyExporter()
    client.get("/")
    runtime.force_flush(10_000)
    assert health.down()
    assert CollectorHealth(health.directory).down(), "another process sees it"

    flaky.failing = False
    client.get("/")
    runtime.force_flush(10_000)
    assert not health.down()
