"""The test sink decodes what the real OTLP/HTTP exporters send."""

from __future__ import annotations

import gzip
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.trace import SpanKind, StatusCode

from tests.forwarding.otlp_sink import METRICS_PATH, TRACES_PATH, OtlpSink

RESOURCE = Resource.create({"service.name": "sink-test", "deployment.tier": "dev"})
PROTOBUF = {"Content-Type": "application/x-protobuf"}
GZIPPED_PROTOBUF = {**PROTOBUF, "Content-Encoding": "gzip"}


@pytest.fixture
def sink() -> Iterator[OtlpSink]:
    with OtlpSink() as running:
        yield running


def tracer_provider(exporter: OTLPSpanExporter) -> TracerProvider:
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_sink_decodes_spans_from_the_real_exporter(sink, compression):
    exporter = OTLPSpanExporter(
        endpoint=sink.url(TRACES_PATH), compression=compression, timeout=5
    )
    provider = tracer_provider(exporter)
    tracer = provider.get_tracer("sink.test.scope")
    with tracer.start_as_current_span(
        "GET /dashboard/",
        kind=SpanKind.SERVER,
        attributes={"http.route": "dashboard/", "http.status_code": 200},
    ) as span:
        span.set_attribute("flags", [True, False])
        span.set_status(StatusCode.ERROR, "it broke")
    provider.shutdown()

    assert sink.wait_for(lambda: sink.spans(), timeout_secs=5.0)
    [received] = sink.spans()
    assert received.name == "GET /dashboard/"
    assert received.kind == "SPAN_KIND_SERVER"
    assert received.attributes == {
        "http.route": "dashboard/",
        "http.status_code": 200,
        "flags": [True, False],
    }
    assert received.resource["service.name"] == "sink-test"
    assert received.resource["deployment.tier"] == "dev"
    assert received.scope == "sink.test.scope"
    assert received.status_code == "STATUS_CODE_ERROR"
    assert received.status_message == "it broke"
    assert sink.request_count(TRACES_PATH) == 1
    assert sink.rejected_count() == 0


def test_sink_decodes_gauge_sum_and_histogram_points(sink):
    def users(options: CallbackOptions) -> list[Observation]:
        return [Observation(7, {"state": "active"}), Observation(2, {"state": "idle"})]

    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=sink.url(METRICS_PATH), timeout=5),
        export_interval_millis=3_600_000,
    )
    provider = MeterProvider(resource=RESOURCE, metric_readers=[reader])
    meter = provider.get_meter("sink.test.meter")
    meter.create_observable_gauge("aa.users", callbacks=[users])
    meter.create_counter("aa.pages").add(3, {"route": "index"})
    meter.create_histogram("aa.duration", unit="ms").record(12.5)
    provider.shutdown()

    assert sink.wait_for(lambda: len(sink.points()) >= 4, timeout_secs=5.0)
    users_by_state = {p.attributes["state"]: p.value for p in sink.points("aa.users")}
    assert users_by_state == {"active": 7, "idle": 2}
    [pages] = sink.points("aa.pages")
    assert (pages.kind, pages.value, pages.attributes) == ("sum", 3, {"route": "index"})
    [duration] = sink.points("aa.duration")
    assert (duration.kind, duration.value, duration.count) == ("histogram", 12.5, 1)
    assert duration.resource["service.name"] == "sink-test"
    assert duration.scope == "sink.test.meter"


def test_sink_refusing_makes_the_exporter_fail_and_records_nothing(sink):
    sink.status = 400  # not retryable, so the exporter gives up at once
    exporter = OTLPSpanExporter(endpoint=sink.url(TRACES_PATH), timeout=2)
    provider = TracerProvider(resource=RESOURCE)
    with provider.get_tracer("t").start_as_current_span("refused") as span:
        pass
    assert isinstance(span, ReadableSpan)

    assert exporter.export([span]) is SpanExportResult.FAILURE
    assert sink.spans() == []
    assert sink.refused_count(TRACES_PATH) == 1
    exporter.shutdown()


@pytest.mark.parametrize(
    ("path", "body", "headers", "status"),
    [
        ("/v1/traces", b"\xff\xff\xff", PROTOBUF, 400),
        ("/v1/traces", b"{}", {"Content-Type": "application/json"}, 415),
        ("/v1/nothing", b"", PROTOBUF, 404),
        ("/v1/traces", b"not gzip", GZIPPED_PROTOBUF, 400),
    ],
)
def test_sink_rejects_malformed_requests(sink, path, body, headers, status):
    assert post(sink.url(path), body, headers) == status
    assert sink.rejected_count() == 1
    assert sink.request_count() == 0


def test_sink_accepts_an_empty_gzipped_export(sink):
    body = gzip.compress(b"")

    assert post(sink.url(METRICS_PATH), body, GZIPPED_PROTOBUF) == 200
    assert sink.request_count(METRICS_PATH) == 1
    assert sink.points() == []


def test_clear_forgets_everything_received(sink):
    post(sink.url(TRACES_PATH), b"", PROTOBUF)
    post(sink.url("/elsewhere"), b"", PROTOBUF)

    sink.clear()

    assert (sink.request_count(), sink.rejected_count(), sink.spans()) == (0, 0, [])


def test_wait_for_gives_up_at_its_deadline(sink):
    started = time.monotonic()

    assert sink.wait_for(lambda: False, timeout_secs=0.3) is False
    assert 0.3 <= time.monotonic() - started < 2.0


def test_sink_binds_loopback_only(sink):
    assert sink.endpoint.startswith("http://127.0.0.1:")
    assert sink.port > 0
