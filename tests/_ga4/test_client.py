"""The client's retry policy, against a scripted HTTP server on 127.0.0.1."""

from __future__ import annotations

import email.utils
import logging
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aa_otel_analytics._ga4 import redaction
from aa_otel_analytics._ga4.client import GAClient, Outcome, retry_after_secs

SECRET = "sk-UNIQUE-7f3a9c"
PARAMS = {"measurement_id": "G-TEST1234", "api_secret": SECRET}
BODY = b'{"client_id":"c","events":[]}'
MARGIN_SECS = 0.5


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Hit:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes


class ScriptedServer:
    """Answers POSTs with the scripted replies in order; the last one repeats."""

    def __init__(self, replies: list[Reply]) -> None:
        self._replies = list(replies)
        self._lock = threading.Lock()
        self.hits: list[Hit] = []
        self.httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="test-scripted-ga",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/mp/collect"

    def record(self, hit: Hit) -> Reply:
        with self._lock:
            self.hits.append(hit)
            return self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]

    def wait_for_hits(self, count: int, timeout_secs: float = 3.0) -> bool:
        deadline = time.monotonic() + timeout_secs
        while time.monotonic() < deadline:
            if len(self.hits) >= count:
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(2.0)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # Skip HTTPServer's reverse DNS lookup of the bound address.
        socketserver.TCPServer.server_bind(self)


def _handler_for(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length)
            hit = Hit(time.monotonic(), self.path, dict(self.headers.items()), data)
            reply = server.record(hit)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.status != 204:
                self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if reply.body:
                self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            """Silent."""

    return Handler


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(*replies: Reply) -> ScriptedServer:
        server = ScriptedServer(list(replies))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (in the kernel backlog) and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def refused_port() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def post(
    client: GAClient, url: str, deadline_secs: float = 5.0
) -> tuple[Outcome, float]:
    started = time.monotonic()
    outcome = client.post(url, dict(PARAMS), BODY, started + deadline_secs)
    return outcome, time.monotonic() - started


def test_2xx_is_ok_on_the_first_try(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted(Reply(204))

    outcome, _ = post(GAClient(2.0), server.url)

    assert outcome == Outcome(True, "ok", 204, 1)
    assert len(server.hits) == 1


def test_request_carries_body_query_and_json_content_type(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted(Reply(204))

    post(GAClient(2.0), server.url)

    (hit,) = server.hits
    assert hit.body == BODY
    assert hit.path == f"/mp/collect?measurement_id=G-TEST1234&api_secret={SECRET}"
    assert hit.headers["Content-Type"] == "application/json"
    assert hit.headers["User-Agent"] == "aa-otel-analytics"


def test_response_body_is_kept_for_validation_messages(
    scripted: Callable[..., ScriptedServer],
) -> None:
    document = b'{"validationMessages": []}'
    server = scripted(Reply(200, {"Content-Type": "application/json"}, document))

    outcome, _ = post(GAClient(2.0), server.url)

    assert outcome.ok
    assert outcome.body == document


def test_500_then_204_is_ok_on_the_second_attempt(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted(Reply(500), Reply(204))

    outcome, elapsed = post(GAClient(2.0), server.url)

    assert outcome == Outcome(True, "ok", 204, 2)
    assert len(server.hits) == 2
    assert elapsed < 0.75 + MARGIN_SECS * 2  # one jittered backoff of 0.25..0.75 s


@pytest.mark.parametrize("status", [408, 502, 503, 504])
def test_transient_statuses_are_retried(
    scripted: Callable[..., ScriptedServer], status: int
) -> None:
    server = scripted(Reply(status), Reply(204))

    outcome, _ = post(GAClient(2.0), server.url)

    assert outcome.ok
    assert outcome.attempts == 2
    assert len(server.hits) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
def test_client_errors_are_not_retried(
    scripted: Callable[..., ScriptedServer], status: int
) -> None:
    server = scripted(Reply(status), Reply(204))

    outcome, elapsed = post(GAClient(2.0), server.url)

    assert outcome == Outcome(False, f"http_{status}", status, 1)
    assert len(server.hits) == 1
    assert elapsed < 1.0


def test_429_waits_for_retry_after_before_retrying(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted(Reply(429, {"Retry-After": "1"}), Reply(204))

    outcome, elapsed = post(GAClient(2.0), server.url, deadline_secs=5.0)

    assert outcome == Outcome(True, "ok", 204, 2)
    first, second = server.hits
    assert second.at - first.at >= 0.95
    assert elapsed < 1.0 + 0.75 + MARGIN_SECS * 2


def test_retry_after_beyond_the_deadline_gives_up_at_once(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted(Reply(429, {"Retry-After": "30"}), Reply(204))

    outcome, elapsed = post(GAClient(2.0), server.url, deadline_secs=3.0)

    assert outcome == Outcome(False, "http_429", 429, 1)
    assert len(server.hits) == 1
    assert elapsed < 1.0


def test_refused_connection_is_a_network_failure_within_the_deadline(
    refused_port: int,
) -> None:
    url = f"http://127.0.0.1:{refused_port}/mp/collect"

    outcome, elapsed = post(GAClient(1.0), url, deadline_secs=1.5)

    assert not outcome.ok
    assert outcome.reason == "network"
    assert outcome.status is None
    assert outcome.attempts >= 1
    assert elapsed < 1.5


def test_server_that_never_answers_times_out(silent_port: int) -> None:
    url = f"http://127.0.0.1:{silent_port}/mp/collect"

    # 0.6 s leaves no room for a retry after one 0.5 s timeout (backoff >= 0.25 s).
    outcome, elapsed = post(GAClient(0.5), url, deadline_secs=0.6)

    assert outcome == Outcome(False, "timeout", None, 1)
    assert 0.4 <= elapsed < 0.6 + MARGIN_SECS


def test_total_time_respects_the_deadline_against_a_failing_server(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted(Reply(503))

    outcome, elapsed = post(GAClient(0.5), server.url, deadline_secs=2.0)

    assert outcome.reason == "http_503"
    assert outcome.attempts >= 2
    assert len(server.hits) == outcome.attempts
    assert elapsed <= 2.0 + 0.5 + MARGIN_SECS


def test_total_time_respects_the_deadline_against_a_silent_server(
    silent_port: int,
) -> None:
    url = f"http://127.0.0.1:{silent_port}/mp/collect"

    outcome, elapsed = post(GAClient(0.5), url, deadline_secs=1.5)

    assert not outcome.ok
    assert outcome.reason in {"timeout", "deadline"}
    assert elapsed <= 1.5 + 0.5 + MARGIN_SECS


def test_a_passed_deadline_sends_nothing(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted(Reply(204))

    outcome = GAClient(2.0).post(server.url, dict(PARAMS), BODY, time.monotonic())

    assert outcome == Outcome(False, "deadline", None, 0)
    assert server.hits == []


def test_close_during_a_backoff_wait_returns_shutdown_promptly(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted(Reply(429, {"Retry-After": "4"}), Reply(204))
    client = GAClient(2.0)
    results: list[Outcome] = []
    worker = threading.Thread(
        target=lambda: results.append(post(client, server.url, 10.0)[0]),
        name="test-ga-post",
        daemon=True,
    )
    worker.start()
    assert server.wait_for_hits(1)
    time.sleep(0.2)

    closed_at = time.monotonic()
    client.close()
    worker.join(3.0)

    assert not worker.is_alive()
    assert time.monotonic() - closed_at < 0.5
    assert results == [Outcome(False, "shutdown", 429, 1)]
    assert len(server.hits) == 1
    assert client.closing


def test_after_close_a_send_makes_one_attempt_without_waiting(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted(Reply(503), Reply(204))
    client = GAClient(2.0)
    client.close()

    outcome, elapsed = post(client, server.url)

    assert outcome == Outcome(False, "http_503", 503, 1)
    assert len(server.hits) == 1
    assert elapsed < 0.5


def test_outcomes_never_show_the_api_secret(
    scripted: Callable[..., ScriptedServer], refused_port: int
) -> None:
    server = scripted(Reply(400, body=SECRET.encode()))
    client = GAClient(0.5)

    rejected, _ = post(client, server.url)
    failed, _ = post(client, f"http://127.0.0.1:{refused_port}/mp/collect", 0.3)

    for outcome in (rejected, failed):
        assert SECRET not in repr(outcome)
        assert SECRET not in str(outcome)


def test_debug_logging_never_shows_the_api_secret_once_redaction_is_installed(
    scripted: Callable[..., ScriptedServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = scripted(Reply(204))
    redaction.install()
    caplog.set_level(logging.DEBUG)

    outcome, _ = post(GAClient(2.0), server.url)

    assert outcome.ok
    assert "api_secret=" in caplog.text  # urllib3 did log the request line
    assert SECRET not in caplog.text


def http_date(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return email.utils.format_datetime(moment, usegmt=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1.0), ("0", 0.0), (" 120 ", 120.0), ("3600", 3600.0)],
)
def test_retry_after_parses_delay_seconds(value: str, expected: float) -> None:
    assert retry_after_secs(value) == expected


def test_retry_after_parses_an_http_date_relative_to_now() -> None:
    now = 1_700_000_000.0

    assert retry_after_secs(http_date(now + 30), now=now) == pytest.approx(30.0)


def test_retry_after_in_the_past_means_no_wait() -> None:
    now = 1_700_000_000.0

    assert retry_after_secs(http_date(now - 300), now=now) == 0.0


@pytest.mark.parametrize(
    "value", [None, "", "   ", "soon", "-5", "1.5", "Wed, 99 Foo 2015", "1e3"]
)
def test_retry_after_garbage_is_none(value: str | None) -> None:
    assert retry_after_secs(value) is None


def test_retry_after_with_non_ascii_digits_is_none() -> None:
    assert retry_after_secs("²") is None


def test_a_garbage_retry_after_header_never_makes_post_raise(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted(Reply(429, {"Retry-After": "\u00b2"}), Reply(204))

    outcome, _ = post(GAClient(2.0), server.url)

    assert outcome.ok
    assert outcome.attempts == 2


def test_proxy_environment_variables_are_honoured(monkeypatch, receiver) -> None:
    monkeypatch.setenv("HTTP_PROXY", receiver.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = GAClient(request_timeout_secs=2)

    outcome = client.post(
        "http://ga.invalid/mp/collect",
        {"measurement_id": "G-TEST1234", "api_secret": "s"},
        b'{"client_id": "x", "events": [{"name": "e", "params": {}}]}',
        time.monotonic() + 5,
    )

    assert outcome.ok
    assert [r.path for r in receiver.received] == ["/mp/collect"]
