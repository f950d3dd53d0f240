"""A local stand-in for Google's Measurement Protocol endpoint.

Production GA answers 2xx to anything, so tests and demos need something that
records what was sent and says what was wrong with it. ``GAReceiver`` answers like
GA (204 on ``/mp/collect``, 200 with ``validationMessages`` on
``/debug/mp/collect``), validates every request with
:func:`~aa_otel_analytics.receiver.validation.validate_request` and keeps what it
saw. It binds loopback addresses only and imports nothing outside the standard
library, so it runs without Django settings.

In a test::

    with GAReceiver() as receiver:
        send_something(endpoint=receiver.url + "/mp/collect")
        assert receiver.wait_for(lambda: receiver.events("page_view"), 5.0)
        assert receiver.invalid_count() == 0

From another process, run ``python -m aa_otel_analytics receiver --port 8799``
and read ``GET /_receiver/received``; ``POST /_receiver/clear`` forgets everything.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import socketserver
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aa_otel_analytics.receiver.faults import GARBAGE_BODY, Fault
from aa_otel_analytics.receiver.validation import validate_request

logger = logging.getLogger(__name__)

_COLLECT_PATH = "/mp/collect"
_DEBUG_COLLECT_PATH = "/debug/mp/collect"
_RECEIVED_PATH = "/_receiver/received"
_CLEAR_PATH = "/_receiver/clear"
_FAULT_PATH = "/_receiver/fault"
_MAX_HANG_SECS = 300.0

# Far above GA's 130 kB limit, so oversize bodies are still recorded and reported,
# yet small enough that a runaway sender cannot fill the test process's memory.
_MAX_REQUEST_BYTES = 1024 * 1024
_SOCKET_TIMEOUT_SECS = 10.0
_SERVE_POLL_SECS = 0.1
_WAIT_POLL_SECS = 0.05
_JOIN_TIMEOUT_SECS = 5.0
_THREAD_NAME = "aa-otel-analytics-receiver"


@dataclass(frozen=True)
class ReceivedRequest:
    """One request to a collect endpoint, as recorded.

    The api_secret is never kept, only whether one was given: recordings end up
    in test output and JSON dumps. ``body`` is None when the body was not a JSON
    object; treat it as read-only, it is shared by every snapshot.
    """

    path: str
    measurement_id: str
    api_secret_present: bool
    body: dict[str, Any] | None
    raw_size: int
    messages: list[dict[str, str]]
    received_at: float
    headers: dict[str, str]


class GAReceiver:
    """A threaded HTTP server that records Measurement Protocol requests.

    Args:
        host: A loopback address to bind; anything else raises ValueError.
            ``localhost`` means 127.0.0.1. Defaults to 127.0.0.1.
        port: The TCP port; 0 picks a free one. Defaults to 0.
        echo: Called with one short line per request, from the handler thread.
            Defaults to None (silent).
        fault: How to answer collect requests; settable while running (also
            through ``POST /_receiver/fault?mode=hang``). Defaults to
            ``Fault.NONE``, answering as GA does.
        slow_secs: The delay of ``Fault.SLOW``. Defaults to 5 seconds.
        retry_after_secs: The ``Retry-After`` of ``Fault.RATE_LIMIT``. Defaults
            to 1 second.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        echo: Callable[[str], None] | None = None,
        fault: Fault = Fault.NONE,
        slow_secs: float = 5.0,
        retry_after_secs: int = 1,
    ) -> None:
        self.fault = Fault(fault)
        self.slow_secs = slow_secs
        self.retry_after_secs = retry_after_secs
        self._attempts: Counter[str] = Counter()
        self._stopping = threading.Event()
        self._host = _loopback_host(host)
        self._port = port
        self._echo = echo
        self._echo_lock = threading.Lock()
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self._requests: list[ReceivedRequest] = []
        self._server: _ReceiverServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> GAReceiver:
        """Bind and serve in a daemon thread; raises OSError if the port is taken."""
        if self._server is not None:
            raise RuntimeError("receiver is already running")

        server = _ReceiverServer((self._host, self._port), self)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _SERVE_POLL_SECS},
            name=_THREAD_NAME,
            daemon=True,
        )
        self._stopping.clear()
        thread.start()
        self._server, self._thread = server, thread
        logger.debug("receiver: started url=%s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        server, thread = self._server, self._thread
        if server is None:
            return

        self._server = self._thread = None
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(_JOIN_TIMEOUT_SECS)
        logger.debug("receiver: stopped")

    def __enter__(self) -> GAReceiver:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError("receiver is not running")

        port = self._server.server_address[1]
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{port}"

    @property
    def received(self) -> list[ReceivedRequest]:
        """A snapshot of every recorded request, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
        self._notify()

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """All events of all recorded requests, valid or not, as they were sent."""
        return [
            event
            for request in self.received
            for event in _events_of(request.body)
            if name is None or event.get("name") == name
        ]

    @property
    def attempts(self) -> dict[str, int]:
        """Collect requests seen per fault mode, delivered or not."""
        with self._lock:
            return dict(self._attempts)

    def _count_attempt(self, fault: Fault) -> None:
        with self._lock:
            self._attempts[fault.value] += 1

    def invalid_count(self) -> int:
        return sum(1 for request in self.received if request.messages)

    def wait_for(self, predicate: Callable[[], object], timeout_secs: float) -> bool:
        """Poll ``predicate`` until it is truthy; False once ``timeout_secs`` pass.

        Exporters send from their own threads, so tests must wait for the
        request rather than assume it has arrived.
        """
        deadline = time.monotonic() + timeout_secs
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False

            with self._changed:
                self._changed.wait(min(remaining, _WAIT_POLL_SECS))
        return True

    def _record(self, request: ReceivedRequest) -> None:
        with self._lock:
            self._requests.append(request)
        self._notify()

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def _emit(self, line: str) -> None:
        if self._echo is None:
            return

        try:
            with self._echo_lock:
                self._echo(line)
        except Exception:
            logger.exception("receiver: echo callback failed")


def _loopback_host(host: str) -> str:
    """Refuse non-loopback hosts: the receiver must never be reachable from outside."""
    if host == "localhost":
        return "127.0.0.1"

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise ValueError(f"receiver binds loopback addresses only, not {host!r}")
    return str(address)


class _ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], receiver: GAReceiver) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.receiver = receiver
        super().__init__(address, _ReceiverHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name; a loopback literal needs
        # no DNS round trip.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug(
            "receiver: request failed client=%s", client_address, exc_info=True
        )


class _ReceiverHandler(BaseHTTPRequestHandler):
    """Routes requests; every collect answer is chosen in ``_answer_collect``.

    Fault modes (refusing, hanging, 5xx, 429, slow or garbage answers) belong in
    ``_dispatch`` for what happens before a request is read, and in
    ``_answer_collect`` for what is sent back; nothing else needs to change.

    Every answer closes the connection, so once ``stop()`` returns no idle
    keep-alive connection can still be answered by a handler thread.
    """

    server: _ReceiverServer
    protocol_version = "HTTP/1.1"
    server_version = "aa-otel-analytics-receiver"
    sys_version = ""
    timeout = _SOCKET_TIMEOUT_SECS

    @property
    def receiver(self) -> GAReceiver:
        return self.server.receiver

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        route = _ROUTES.get((self.command, path))
        if route is None:
            self._discard_body()
            self.receiver._emit(f"{self.command} {path} {HTTPStatus.NOT_FOUND.value}")
            self._send(HTTPStatus.NOT_FOUND)
            return

        route(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent: the default handler writes every request to stderr."""

    def _collect(self) -> None:
        raw = self._read_body()
        if raw is None:
            return

        fault = self.receiver.fault
        self.receiver._count_attempt(fault)
        if not fault.accepts:
            self._misbehave(fault)
            return
        if fault is Fault.SLOW:
            self.receiver._stopping.wait(self.receiver.slow_secs)

        split = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(split.query).items()}
        request = ReceivedRequest(
            path=split.path,
            measurement_id=query.get("measurement_id", ""),
            api_secret_present=bool(query.get("api_secret")),
            body=_json_object(raw),
            raw_size=len(raw),
            messages=validate_request(split.path, query, raw),
            received_at=time.time(),
            headers=dict(self.headers.items()),
        )
        # Record and echo before answering: once a client has its answer, both
        # are visible to whoever waits on it.
        self.receiver._record(request)
        self.receiver._emit(_describe(self.command, request))
        self._answer_collect(request)

    def _misbehave(self, fault: Fault) -> None:
        path = urlsplit(self.path).path
        self.receiver._emit(f"{self.command} {path} fault={fault.value}")
        if fault is Fault.HANG:
            self.receiver._stopping.wait(_MAX_HANG_SECS)
            self.close_connection = True
            return
        if fault is Fault.RATE_LIMIT:
            self.send_response(HTTPStatus.TOO_MANY_REQUESTS)
            self.send_header("Retry-After", str(self.receiver.retry_after_secs))
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            return

        self._send(HTTPStatus.INTERNAL_SERVER_ERROR)

    def _answer_collect(self, request: ReceivedRequest) -> None:
        if self.receiver.fault is Fault.GARBAGE:
            self._send(HTTPStatus.OK, GARBAGE_BODY, "application/json")
            return

        # GA answers 2xx even to invalid payloads; only the debug path says why.
        if request.path != _DEBUG_COLLECT_PATH:
            self._send(HTTPStatus.NO_CONTENT)
            return

        self._send_json(HTTPStatus.OK, {"validationMessages": request.messages})

    def _list_received(self) -> None:
        requests = [_summary(request) for request in self.receiver.received]
        self._send_json(HTTPStatus.OK, {"requests": requests})

    def _clear(self) -> None:
        self.receiver.clear()
        self._send(HTTPStatus.NO_CONTENT)

    def _set_fault(self) -> None:
        self._discard_body()
        query = parse_qs(urlsplit(self.path).query)
        try:
            self.receiver.fault = Fault(query.get("mode", [""])[0])
        except ValueError:
            self._send(HTTPStatus.BAD_REQUEST)
            return
        self._send(HTTPStatus.NO_CONTENT)

    def _read_body(self) -> bytes | None:
        """Read the body, or answer with an error and return None.

        An oversize body is refused from its Content-Length alone, before any of
        it is read.
        """
        length = self._content_length()
        if length is None:
            self._refuse(HTTPStatus.LENGTH_REQUIRED, "without Content-Length")
            return None
        if length > _MAX_REQUEST_BYTES:
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"of {length} bytes")
            return None

        return self.rfile.read(length)

    def _discard_body(self) -> None:
        """Read a small unrouted body so closing does not reset the connection.

        Closing a socket with unread input sends a TCP reset, which can destroy
        the answer before the client reads it.
        """
        length = self._content_length()
        if length is not None and length <= _MAX_REQUEST_BYTES:
            self.rfile.read(length)

    def _content_length(self) -> int | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return None

        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return None
        return length if length >= 0 else None

    def _refuse(self, status: HTTPStatus, reason: str) -> None:
        path = urlsplit(self.path).path
        self.receiver._emit(f"{self.command} {path} {status.value} body {reason}")
        self._send(status)

    def _send_json(self, status: HTTPStatus, document: dict[str, Any]) -> None:
        body = json.dumps(document).encode("utf-8")
        self._send(status, body, "application/json")

    def _send(
        self, status: HTTPStatus, body: bytes = b"", content_type: str | None = None
    ) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        if status != HTTPStatus.NO_CONTENT:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)


_ROUTES: dict[tuple[str, str], Callable[[_ReceiverHandler], None]] = {
    ("POST", _COLLECT_PATH): _ReceiverHandler._collect,
    ("POST", _DEBUG_COLLECT_PATH): _ReceiverHandler._collect,
    ("GET", _RECEIVED_PATH): _ReceiverHandler._list_received,
    ("POST", _CLEAR_PATH): _ReceiverHandler._clear,
    ("POST", _FAULT_PATH): _ReceiverHandler._set_fault,
}


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def _events_of(body: dict[str, Any] | None) -> list[dict[str, Any]]:
    events = body.get("events") if body is not None else None
    if not isinstance(events, list):
        return []
    return [event for event in events if isinstance(event, dict)]


def _describe(method: str, request: ReceivedRequest) -> str:
    """One echo line: what arrived, how big, and the first problem if any."""
    events = _events_of(request.body)
    counts = Counter(str(event.get("name")) for event in events)
    noun = "event" if len(events) == 1 else "events"
    listed = ", ".join(f"{name} x{count}" for name, count in counts.items())
    names = f" ({listed})" if listed else ""
    verdict = (
        f"INVALID: {request.messages[0]['description']}" if request.messages else "ok"
    )
    return (
        f"{method} {request.path} {request.measurement_id or '-'} "
        f"{len(events)} {noun}{names} {request.raw_size} bytes {verdict}"
    )


def _summary(request: ReceivedRequest) -> dict[str, Any]:
    return {
        "path": request.path,
        "measurement_id": request.measurement_id,
        "body": request.body,
        "raw_size": request.raw_size,
        "messages": request.messages,
        "received_at": request.received_at,
    }
