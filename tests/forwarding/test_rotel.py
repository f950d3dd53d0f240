"""A real rotel, run with the shipped collector-config/rotel.env, between the
OpenTelemetry SDK's OTLP exporters and a local sink."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterable, Iterator
from types import ModuleType, SimpleNamespace

import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.trace import Link, SpanKind

from tests.forwarding.collector import (
    CONFIG_DIR,
    IDENTIFYING_KEYS,
    CollectorError,
    RotelCollector,
)
from tests.forwarding.otlp_sink import METRICS_PATH, TRACES_PATH, OtlpSink

pytestmark = pytest.mark.slow

KEPT_SPAN_ATTRIBUTES = {
    "http.route": "dashboard/",
    "http.request.method": "GET",
    "http.response.status_code": 200,
    "aa_otel_analytics.page.route": "dashboard",
}
KEPT_RESOURCE = {"service.name": "allianceauth", "deployment.environment": "test"}
IDENTIFYING = {key: f"secret {key}" for key in IDENTIFYING_KEYS}
EXPORT_TIMEOUT_SECS = 5
WAIT_SECS = 10.0


@pytest.fixture
def sink() -> Iterator[OtlpSink]:
    with OtlpSink() as running:
        yield running


@pytest.fixture
def collector(sink) -> Iterator[RotelCollector]:
    with RotelCollector(sink.endpoint) as running:
        yield running


def resource() -> Resource:
    return Resource.create({**KEPT_RESOURCE, **IDENTIFYING})


def one_span(name: str = "GET dashboard/") -> ReadableSpan:
    provider = TracerProvider(resource=resource())
    tracer = provider.get_tracer("opentelemetry.instrumentation.django")
    with tracer.start_as_current_span("linked") as other:
        pass
    link = Link(other.get_span_context(), {"link.kind": "follows", **IDENTIFYING})
    with tracer.start_as_current_span(
        name,
        kind=SpanKind.SERVER,
        attributes={**KEPT_SPAN_ATTRIBUTES, **IDENTIFYING},
        links=[link],
    ) as span:
        span.add_event("exception", {"exception.type": "KeyError", **IDENTIFYING})
    assert isinstance(span, ReadableSpan)
    return span


def span_exporter(collector: RotelCollector, timeout_secs: float) -> OTLPSpanExporter:
    return OTLPSpanExporter(
        endpoint=collector.http_url(TRACES_PATH), timeout=timeout_secs
    )


def test_spans_pass_through_rotel_without_identifying_attributes(sink, collector):
    exporter = span_exporter(collector, EXPORT_TIMEOUT_SECS)

    assert exporter.export([one_span()]) is SpanExportResult.SUCCESS
    assert sink.wait_for(lambda: sink.spans(), WAIT_SECS), collector.log_text()
    [span] = sink.spans()
    assert span.name == "GET dashboard/"
    assert span.kind == "SPAN_KIND_SERVER"
    assert span.scope == "opentelemetry.instrumentation.django"
    assert span.attributes == KEPT_SPAN_ATTRIBUTES
    assert span.events == [("exception", {"exception.type": "KeyError"})]
    assert span.links == [{"link.kind": "follows"}]
    assert KEPT_RESOURCE.items() <= span.resource.items()
    assert not set(IDENTIFYING) & set(span.resource)
    exporter.shutdown()


def test_metrics_pass_through_rotel_without_identifying_attributes(sink, collector):
    def users(options: CallbackOptions) -> list[Observation]:
        return [Observation(42, {"state": "active", **IDENTIFYING})]

    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(
            endpoint=collector.http_url(METRICS_PATH), timeout=EXPORT_TIMEOUT_SECS
        ),
        export_interval_millis=3_600_000,
    )
    provider = MeterProvider(resource=resource(), metric_readers=[reader])
    meter = provider.get_meter("aa_otel_analytics")
    meter.create_observable_gauge("aa_otel_analytics.users", callbacks=[users])
    meter.create_counter("http.server.requests").add(1, {"route": "x", **IDENTIFYING})
    meter.create_histogram("http.server.duration").record(0.25, IDENTIFYING)
    provider.shutdown()

    assert sink.wait_for(lambda: len(sink.points()) >= 3, WAIT_SECS)
    by_name = {point.name: point for point in sink.points()}
    assert by_name["aa_otel_analytics.users"].value == 42
    assert by_name["aa_otel_analytics.users"].attributes == {"state": "active"}
    assert by_name["http.server.requests"].attributes == {"route": "x"}
    assert by_name["http.server.duration"].attributes == {}
    for point in by_name.values():
        assert KEPT_RESOURCE.items() <= point.resource.items()
        assert not set(IDENTIFYING) & set(point.resource)


def test_killed_collector_fails_the_export_within_its_timeout_then_recovers(
    sink, collector
):
    exporter = span_exporter(collector, timeout_secs=1)
    assert exporter.export([one_span("before")]) is SpanExportResult.SUCCESS
    assert sink.wait_for(lambda: sink.spans("before"), WAIT_SECS)

    collector.kill()
    started = time.monotonic()
    assert exporter.export([one_span("while dead")]) is SpanExportResult.FAILURE
    assert time.monotonic() - started < 5.0

    collector.start()
    assert exporter.export([one_span("after")]) is SpanExportResult.SUCCESS
    assert sink.wait_for(lambda: sink.spans("after"), WAIT_SECS)
    assert sink.spans("while dead") == []
    exporter.shutdown()


def test_collector_accepts_while_its_backend_refuses_then_delivers(sink):
    quick_retry = {"ROTEL_OTLP_EXPORTER_RETRY_INITIAL_BACKOFF": "200ms"}
    with RotelCollector(sink.endpoint, overrides=quick_retry) as collector:
        sink.status = 503
        exporter = span_exporter(collector, EXPORT_TIMEOUT_SECS)

        started = time.monotonic()
        assert exporter.export([one_span("queued")]) is SpanExportResult.SUCCESS
        assert time.monotonic() - started < 2.0
        assert sink.wait_for(lambda: sink.refused_count(TRACES_PATH), WAIT_SECS)

        sink.status = 200
        assert sink.wait_for(lambda: sink.spans("queued"), WAIT_SECS)
        exporter.shutdown()


def test_restart_keeps_the_ports(collector):
    ports = (collector.grpc_port, collector.http_port)
    first_pid = collector.pid

    collector.restart()

    assert (collector.grpc_port, collector.http_port) == ports
    assert collector.running and collector.pid != first_pid


def test_a_processor_that_fails_to_load_fails_the_start(sink):
    broken = RotelCollector(
        sink.endpoint,
        overrides={"ROTEL_OTLP_WITH_TRACE_PROCESSOR": "no_such_processor.py"},
    )

    with pytest.raises(CollectorError):
        broken.start()
    assert not broken.running
    broken.close()


def test_collector_refuses_a_non_loopback_backend():
    with pytest.raises(ValueError, match="loopback"):
        RotelCollector("http://192.0.2.1:4318")


def load_processor() -> ModuleType:
    path = CONFIG_DIR / "rotel_redact.py"
    spec = importlib.util.spec_from_file_location("rotel_redact", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pairs(keys: Iterable[str]) -> list[SimpleNamespace]:
    return [SimpleNamespace(key=key) for key in keys]


@pytest.mark.parametrize(
    "kind", ["gauge", "sum", "histogram", "exponential_histogram", "summary"]
)
def test_processor_cleans_every_metric_kind_and_exemplars(kind):
    # rotel's model objects cannot be built outside rotel; these stand-ins have
    # the same shape, so the kinds the SDK rarely sends are covered too.
    processor = load_processor()
    point = SimpleNamespace(
        attributes=pairs(["state", *IDENTIFYING_KEYS]),
        exemplars=[SimpleNamespace(filtered_attributes=pairs(IDENTIFYING_KEYS))],
    )
    metric = SimpleNamespace(data=[SimpleNamespace(data_points=[point])], name=kind)
    batch = SimpleNamespace(
        resource=SimpleNamespace(attributes=pairs(["service.name", "host.name"])),
        scope_metrics=[SimpleNamespace(metrics=[metric])],
    )

    processor.process_metrics(batch)

    assert [pair.key for pair in point.attributes] == ["state"]
    assert point.exemplars[0].filtered_attributes == []
    assert [pair.key for pair in batch.resource.attributes] == ["service.name"]
