"""A small OTLP/HTTP receiver that records what a collector forwards to it.

It answers ``POST /v1/traces``, ``/v1/metrics`` and ``/v1/logs`` with protobuf
bodies (gzip or plain), decodes them with the official ``opentelemetry-proto``
messages and keeps flattened records that tests can compare with plain dicts.
It binds 127.0.0.1 only and serves from a named daemon thread.

In a test::

    with OtlpSink() as sink:
        exporter = OTLPSpanExporter(endpoint=sink.url("/v1/traces"))
        ...
        assert sink.wait_for(lambda: sink.spans(name="GET /"), timeout_secs=5.0)
"""

from __future__ import annotations

import gzip
import logging
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

logger = logging.getLogger(__name__)

TRACES_PATH = "/v1/traces"
METRICS_PATH = "/v1/metrics"
LOGS_PATH = "/v1/logs"

_HOST = "127.0.0.1"
_PROTOBUF = "application/x-protobuf"
# Generous for a test, small enough that a runaway sender cannot fill memory.
_MAX_BODY_BYTES = 8 * 1024 * 1024
_SOCKET_TIMEOUT_SECS = 10.0
_SERVE_POLL_SECS = 0.05
_WAIT_POLL_SECS = 0.05
_JOIN_TIMEOUT_SECS = 5.0
_THREAD_NAME = "otlp-sink"

AttributeValue = Any
Attributes = dict[str, AttributeValue]


@dataclass(frozen=True)
class SpanRecord:
    """One span as received: enum fields by name, attributes as plain dicts.

    ``events`` holds each event's name and attributes, ``links`` each link's
    attributes.
    """

    name: str
    kind: str
    attributes: Attributes
    resource: Attributes
    scope: str
    status_code: str
    status_message: str
    events: list[tuple[str, Attributes]] = field(default_factory=list)
    links: list[Attributes] = field(default_factory=list)


@dataclass(frozen=True)
class MetricPoint:
    """One data point of one metric.

    ``value`` is the number of a gauge or sum point, and the sum of a histogram
    or summary point (``count`` then holds its count).
    """

    name: str
    kind: str
    attributes: Attributes
    value: float | int | None
    resource: Attributes
    scope: str
    count: int | None = None


@dataclass(frozen=True)
class LogRecordEntry:
    """One log record, kept only so that a logs pipeline can be seen to work."""

    body: AttributeValue
    severity: str
    attributes: Attributes
    resource: Attributes


@dataclass
class _Received:
    spans: list[SpanRecord] = field(default_factory=list)
    points: list[MetricPoint] = field(default_factory=list)
    logs: list[LogRecordEntry] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)


class OtlpSink:
    """A threaded OTLP/HTTP server on 127.0.0.1 that records what it is sent.

    Args:
        port: The TCP port; 0 picks a free one. Defaults to 0.
        status: The HTTP status answered to well-formed export requests;
            settable while running, so a test can make the backend refuse
            (503) and then recover. Defaults to 200.
    """

    def __init__(self, port: int = 0, *, status: int = HTTPStatus.OK) -> None:
        self.status = status
        self._port = port
        self._changed = threading.Condition()
        self._received = _Received()
        self._server: _SinkServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> OtlpSink:
        """Bind and serve in a daemon thread; raises OSError if the port is taken."""
        if self._server is not None:
            raise RuntimeError("sink is already running")

        server = _SinkServer((_HOST, self._port), self)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _SERVE_POLL_SECS},
            name=_THREAD_NAME,
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        self._port = server.server_address[1]
        logger.debug("otlp sink: started endpoint=%s", self.endpoint)
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return

        self._server = self._thread = None
        server.shutdown()
        server.server_close()
        thread.join(_JOIN_TIMEOUT_SECS)

    def __enter__(self) -> OtlpSink:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def endpoint(self) -> str:
        """The base URL, as ``OTEL_EXPORTER_OTLP_ENDPOINT`` takes it."""
        return f"http://{_HOST}:{self._port}"

    def url(self, path: str) -> str:
        """The full URL of one signal's path, as the SDK exporters take it."""
        return self.endpoint + path

    def spans(self, name: str | None = None) -> list[SpanRecord]:
        with self._changed:
            found = list(self._received.spans)
        return [span for span in found if name is None or span.name == name]

    def points(self, name: str | None = None) -> list[MetricPoint]:
        with self._changed:
            found = list(self._received.points)
        return [point for point in found if name is None or point.name == name]

    def logs(self) -> list[LogRecordEntry]:
        with self._changed:
            return list(self._received.logs)

    def request_count(self, path: str | None = None) -> int:
        """Export requests answered with ``status``, for one path or all."""
        with self._changed:
            counts = self._received.requests
            return counts[path] if path is not None else sum(counts.values())

    def rejected_count(self) -> int:
        """Requests refused as malformed (bad path, type, encoding or body)."""
        with self._changed:
            return sum(self._received.rejected.values())

    def refused_count(self, path: str | None = None) -> int:
        """Well-formed export requests answered with a ``status`` other than 200."""
        with self._changed:
            counts = self._received.refused
            return counts[path] if path is not None else sum(counts.values())

    def clear(self) -> None:
        with self._changed:
            self._received = _Received()

    def wait_for(
        self, condition: Callable[[], object], timeout_secs: float = 10.0
    ) -> bool:
        """Wait until ``condition()`` is truthy; False once ``timeout_secs`` pass.

        The condition is checked after every recorded request and at least every
        50 ms, so it may also depend on things outside the sink.
        """
        deadline = time.monotonic() + timeout_secs
        while True:
            if condition():
                return True

            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False

            with self._changed:
                self._changed.wait(min(remaining, _WAIT_POLL_SECS))

    def _record(self, path: str, message: Message) -> None:
        records = _flatten(path, message)
        with self._changed:
            received = self._received
            received.requests[path] += 1
            for record in records:
                if isinstance(record, SpanRecord):
                    received.spans.append(record)
                elif isinstance(record, MetricPoint):
                    received.points.append(record)
                else:
                    received.logs.append(record)
            self._changed.notify_all()

    def _refuse(self, path: str) -> None:
        with self._changed:
            self._received.refused[path] += 1
            self._changed.notify_all()

    def _reject(self, reason: str) -> None:
        with self._changed:
            self._received.rejected[reason] += 1
            self._changed.notify_all()


_REQUESTS: dict[str, tuple[type[Message], type[Message]]] = {
    TRACES_PATH: (ExportTraceServiceRequest, ExportTraceServiceResponse),
    METRICS_PATH: (ExportMetricsServiceRequest, ExportMetricsServiceResponse),
    LOGS_PATH: (ExportLogsServiceRequest, ExportLogsServiceResponse),
}


class _SinkServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sink: OtlpSink) -> None:
        self.sink = sink
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _SinkServer
    protocol_version = "HTTP/1.1"
    timeout = _SOCKET_TIMEOUT_SECS

    def do_POST(self) -> None:
        sink = self.server.sink
        path = self.path.split("?", 1)[0]
        body = self._read_body()
        if body is None:
            sink._reject("body")
            self._answer(HTTPStatus.BAD_REQUEST)
            return

        kinds = _REQUESTS.get(path)
        if kinds is None:
            sink._reject("path")
            self._answer(HTTPStatus.NOT_FOUND)
            return

        content_type = self.headers.get("Content-Type", "").split(";")[0].strip()
        if content_type != _PROTOBUF:
            sink._reject("content_type")
            self._answer(HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
            return

        request_type, response_type = kinds
        message = request_type()
        try:
            message.ParseFromString(body)
        except DecodeError:
            sink._reject("decode")
            self._answer(HTTPStatus.BAD_REQUEST)
            return

        status = HTTPStatus(sink.status)
        if status == HTTPStatus.OK:
            sink._record(path, message)
        else:
            sink._refuse(path)
        self._answer(status, response_type().SerializeToString())

    def _read_body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            return None
        if not 0 <= length <= _MAX_BODY_BYTES:
            return None

        raw = self.rfile.read(length)
        encoding = self.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding in ("", "identity"):
            return raw
        if encoding != "gzip":
            return None
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error):
            return None

    def _answer(self, status: HTTPStatus, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Type", _PROTOBUF)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("otlp sink: %s", format % args)


def attribute_dict(pairs: Iterable[KeyValue]) -> Attributes:
    return {pair.key: any_value(pair.value) for pair in pairs}


def any_value(value: AnyValue) -> AttributeValue:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return attribute_dict(value.kvlist_value.values)
    return getattr(value, kind)


def _flatten(
    path: str, message: Message
) -> list[SpanRecord | MetricPoint | LogRecordEntry]:
    if isinstance(message, ExportTraceServiceRequest):
        return list(_spans(message))
    if isinstance(message, ExportMetricsServiceRequest):
        return list(_points(message))
    if isinstance(message, ExportLogsServiceRequest):
        return list(_logs(message))
    raise TypeError(f"no flattening for {path}")


def _spans(message: ExportTraceServiceRequest) -> Iterable[SpanRecord]:
    for resource_spans in message.resource_spans:
        resource = attribute_dict(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield SpanRecord(
                    name=span.name,
                    kind=Span.SpanKind.Name(span.kind),
                    attributes=attribute_dict(span.attributes),
                    resource=resource,
                    scope=scope_spans.scope.name,
                    status_code=Status.StatusCode.Name(span.status.code),
                    status_message=span.status.message,
                    events=[
                        (event.name, attribute_dict(event.attributes))
                        for event in span.events
                    ],
                    links=[attribute_dict(link.attributes) for link in span.links],
                )


def _points(message: ExportMetricsServiceRequest) -> Iterable[MetricPoint]:
    for resource_metrics in message.resource_metrics:
        resource = attribute_dict(resource_metrics.resource.attributes)
        for scope_metrics in resource_metrics.scope_metrics:
            scope = scope_metrics.scope.name
            for metric in scope_metrics.metrics:
                kind = metric.WhichOneof("data")
                if kind is None:
                    continue
                for point in getattr(metric, kind).data_points:
                    if kind in ("gauge", "sum"):
                        number = point.WhichOneof("value")
                        value = getattr(point, number) if number else None
                        count = None
                    else:
                        value, count = point.sum, point.count
                    yield MetricPoint(
                        name=metric.name,
                        kind=kind,
                        attributes=attribute_dict(point.attributes),
                        value=value,
                        resource=resource,
                        scope=scope,
                        count=count,
                    )


def _logs(message: ExportLogsServiceRequest) -> Iterable[LogRecordEntry]:
    for resource_logs in message.resource_logs:
        resource = attribute_dict(resource_logs.resource.attributes)
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                yield LogRecordEntry(
                    body=any_value(record.body),
                    severity=record.severity_text,
                    attributes=attribute_dict(record.attributes),
                    resource=resource,
                )
