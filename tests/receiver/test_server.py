"""The receiver must answer like GA and record faithfully, on loopback only."""

from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from aa_otel_analytics.receiver import GAReceiver, ReceivedRequest
from aa_otel_analytics.receiver.cli import main

pytestmark = []

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-never-stored"
QUERY = {"measurement_id": "G-TEST123", "api_secret": SECRET}
TIMEOUT_SECS = 5.0


def good_payload() -> dict[str, Any]:
    now = time.time_ns() // 1000
    return {
        "client_id": "0123456789abcdef0123456789abcdef",
        "non_personalized_ads": True,
        "events": [
            {
                "name": "page_view",
                "timestamp_micros": now,
                "params": {"page_location": "https://a.example/", "session_id": 1},
            },
            {"name": "celery_event", "timestamp_micros": now, "params": {"value": 1}},
        ],
    }


def bad_payload() -> dict[str, Any]:
    payload = good_payload()
    payload["events"][1]["params"]["label"] = None
    return payload


@pytest.fixture
def echoed() -> list[str]:
    return []


@pytest.fixture
def receiver(echoed: list[str]) -> Iterator[GAReceiver]:
    with GAReceiver(echo=echoed.append) as running:
        yield running


def post(
    receiver: GAReceiver,
    path: str = "/mp/collect",
    payload: Any = None,
    **kwargs: Any,
) -> requests.Response:
    kwargs.setdefault("params", QUERY)
    return requests.post(
        receiver.url + path, json=payload, timeout=TIMEOUT_SECS, **kwargs
    )


def test_url_names_loopback_and_the_bound_port(receiver: GAReceiver) -> None:
    match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)", receiver.url)

    assert match is not None
    assert int(match.group(1)) > 0


def test_collect_answers_204_and_records_the_request(receiver: GAReceiver) -> None:
    payload = good_payload()

    response = post(receiver, payload=payload)

    assert response.status_code == 204
    assert response.content == b""
    [request] = receiver.received
    assert isinstance(request, ReceivedRequest)
    assert request.path == "/mp/collect"
    assert request.measurement_id == "G-TEST123"
    assert request.api_secret_present is True
    assert request.body == payload
    assert request.raw_size == len(response.request.body)
    assert request.messages == []
    assert abs(request.received_at - time.time()) < 60
    assert request.headers["Content-Type"] == "application/json"


def test_collect_answers_204_to_invalid_payloads_too(receiver: GAReceiver) -> None:
    response = post(receiver, payload=bad_payload(), params={})

    assert response.status_code == 204
    [request] = receiver.received
    assert request.api_secret_present is False
    assert request.measurement_id == ""
    assert {m["fieldPath"] for m in request.messages} == {
        "measurement_id",
        "api_secret",
        "events[1].params.label",
    }
    assert receiver.invalid_count() == 1


def test_debug_collect_returns_no_messages_for_a_valid_payload(
    receiver: GAReceiver,
) -> None:
    response = post(receiver, "/debug/mp/collect", good_payload())

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"validationMessages": []}


def test_debug_collect_returns_the_messages_it_recorded(receiver: GAReceiver) -> None:
    response = post(receiver, "/debug/mp/collect", bad_payload())

    messages = response.json()["validationMessages"]
    assert response.status_code == 200
    assert messages == [
        {
            "fieldPath": "events[1].params.label",
            "description": messages[0]["description"],
            "validationCode": "VALUE_INVALID",
        }
    ]
    assert receiver.received[0].messages == messages


def test_api_secret_is_never_stored(receiver: GAReceiver) -> None:
    post(receiver, payload=good_payload())

    inspection = requests.get(receiver.url + "/_receiver/received", timeout=5).text
    assert SECRET not in repr(receiver.received)
    assert SECRET not in inspection


def test_non_json_body_is_recorded_without_a_body(receiver: GAReceiver) -> None:
    response = post(receiver, data=b"not json")

    assert response.status_code == 204
    [request] = receiver.received
    assert request.body is None
    assert request.raw_size == 8
    assert [m["fieldPath"] for m in request.messages] == ["body"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/mp/collect"),
        ("PUT", "/mp/collect"),
        ("DELETE", "/debug/mp/collect"),
        ("POST", "/mp/collect/"),
        ("POST", "/collect"),
        ("POST", "/"),
        ("GET", "/_receiver/clear"),
        ("POST", "/_receiver/received"),
        ("HEAD", "/mp/collect"),
    ],
)
def test_other_paths_and_methods_answer_404(
    receiver: GAReceiver, echoed: list[str], method: str, path: str
) -> None:
    response = requests.request(
        method, receiver.url + path, params=QUERY, data=b"{}", timeout=TIMEOUT_SECS
    )

    assert response.status_code == 404
    assert receiver.received == []
    assert echoed == [f"{method} {path} 404"]


def test_events_flattens_every_request_and_filters_by_name(
    receiver: GAReceiver,
) -> None:
    good, bad = good_payload(), bad_payload()
    post(receiver, payload=good)
    post(receiver, "/debug/mp/collect", bad)
    post(receiver, data=b"[]")

    assert receiver.events() == good["events"] + bad["events"]
    assert receiver.events("page_view") == [good["events"][0], bad["events"][0]]
    assert receiver.events("nothing") == []
    assert receiver.invalid_count() == 2


def test_inspection_api_lists_requests(receiver: GAReceiver) -> None:
    payload = good_payload()
    post(receiver, payload=payload)

    response = requests.get(receiver.url + "/_receiver/received", timeout=5)

    assert response.status_code == 200
    [listed] = response.json()["requests"]
    assert set(listed) == {
        "path",
        "measurement_id",
        "body",
        "raw_size",
        "messages",
        "received_at",
    }
    assert listed["body"] == payload
    assert listed["measurement_id"] == "G-TEST123"
    assert listed["received_at"] == receiver.received[0].received_at


def test_inspection_api_clears(receiver: GAReceiver) -> None:
    post(receiver, payload=good_payload())

    response = requests.post(receiver.url + "/_receiver/clear", timeout=5)

    assert response.status_code == 204
    assert receiver.received == []
    listed = requests.get(receiver.url + "/_receiver/received", timeout=5).json()
    assert listed == {"requests": []}


def test_clear_forgets_everything(receiver: GAReceiver) -> None:
    post(receiver, payload=good_payload())

    receiver.clear()

    assert receiver.received == []
    assert receiver.events() == []


def test_oversize_body_is_refused_before_it_is_read(
    receiver: GAReceiver, echoed: list[str]
) -> None:
    port = int(receiver.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_SECS)
    connection.putrequest("POST", "/mp/collect?measurement_id=G-TEST123")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(2 * 1024 * 1024))
    connection.endheaders()

    # No body is sent: a server that tried to read it would time out here.
    response = connection.getresponse()
    connection.close()

    assert response.status == 413
    assert receiver.received == []
    assert echoed == ["POST /mp/collect 413 body of 2097152 bytes"]


def test_body_over_ga_limit_but_under_cap_is_recorded(receiver: GAReceiver) -> None:
    payload = good_payload()
    payload["events"][1]["params"]["label"] = "x" * 200_000

    response = post(receiver, payload=payload)

    assert response.status_code == 204
    codes = [m["validationCode"] for m in receiver.received[0].messages]
    assert codes == ["VALUE_OUT_OF_BOUNDS", "VALUE_OUT_OF_BOUNDS"]


def test_missing_content_length_answers_411(receiver: GAReceiver) -> None:
    chunks = iter([b"{}"])

    response = post(receiver, data=chunks)

    assert response.status_code == 411
    assert receiver.received == []


def test_concurrent_posts_are_all_recorded(receiver: GAReceiver) -> None:
    threads = [
        threading.Thread(target=post, args=(receiver,), kwargs={"payload": payload})
        for payload in [good_payload() for _ in range(20)]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_SECS)

    assert len(receiver.received) == 20
    assert len(receiver.events("page_view")) == 20


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", ""]
)
def test_non_loopback_hosts_are_refused(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        GAReceiver(host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_loopback_hosts_are_accepted(host: str) -> None:
    GAReceiver(host)


def test_echo_describes_each_collect_request(
    receiver: GAReceiver, echoed: list[str]
) -> None:
    good = post(receiver, payload=good_payload())
    post(receiver, "/debug/mp/collect", bad_payload())

    size = len(good.request.body)
    assert echoed[0] == (
        f"POST /mp/collect G-TEST123 2 events (page_view x1, celery_event x1) "
        f"{size} bytes ok"
    )
    assert echoed[1].startswith("POST /debug/mp/collect G-TEST123 2 events")
    assert " bytes INVALID: " in echoed[1]
    assert "label" in echoed[1]


def test_echo_counts_repeated_event_names(
    receiver: GAReceiver, echoed: list[str]
) -> None:
    payload = good_payload()
    payload["events"] = [payload["events"][0]] * 3

    post(receiver, payload=payload)

    assert " 3 events (page_view x3) " in echoed[0]


def test_inspection_requests_are_not_echoed(
    receiver: GAReceiver, echoed: list[str]
) -> None:
    requests.get(receiver.url + "/_receiver/received", timeout=5)
    requests.post(receiver.url + "/_receiver/clear", timeout=5)

    assert echoed == []


def test_failing_echo_does_not_break_answers() -> None:
    def explode(line: str) -> None:
        raise RuntimeError("echo broke")

    with GAReceiver(echo=explode) as receiver:
        response = post(receiver, payload=good_payload())

    assert response.status_code == 204
    assert len(receiver.received) == 1


def test_wait_for_sees_requests_sent_later(receiver: GAReceiver) -> None:
    timer = threading.Timer(0.2, post, args=(receiver,), kwargs={"payload": {}})
    timer.start()

    assert receiver.wait_for(lambda: receiver.received, TIMEOUT_SECS)
    timer.join()


def test_wait_for_gives_up_after_the_timeout(receiver: GAReceiver) -> None:
    started = time.monotonic()

    assert receiver.wait_for(lambda: False, 0.2) is False
    assert 0.2 <= time.monotonic() - started < 2


def test_server_runs_in_a_named_daemon_thread(receiver: GAReceiver) -> None:
    threads = [t for t in threading.enumerate() if t.name.startswith("aa-otel")]

    assert [(t.name, t.daemon) for t in threads] == [
        ("aa-otel-analytics-receiver", True)
    ]


def test_stop_refuses_further_connections() -> None:
    receiver = GAReceiver().start()
    url = receiver.url

    receiver.stop()
    receiver.stop()

    with pytest.raises(requests.ConnectionError):
        requests.post(url + "/mp/collect", json={}, timeout=TIMEOUT_SECS)
    with pytest.raises(RuntimeError):
        receiver.url  # noqa: B018


def test_start_twice_is_an_error(receiver: GAReceiver) -> None:
    with pytest.raises(RuntimeError):
        receiver.start()


def test_cli_refuses_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "0.0.0.0"]) == 2
    assert "loopback" in capsys.readouterr().err


def test_cli_reports_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        assert main(["--port", str(port)]) == 1
    assert "cannot listen" in capsys.readouterr().err


def _start_cli() -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    code = (
        "import sys; from aa_otel_analytics.receiver.cli import main; "
        "sys.exit(main(['--port', '0']))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(
        target=lambda: [lines.put(line.rstrip("\n")) for line in process.stdout],
        daemon=True,
    )
    reader.start()
    return process, lines


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_until_signalled(stop_signal: signal.Signals) -> None:
    process, lines = _start_cli()
    try:
        first = lines.get(timeout=10)
        url = re.fullmatch(r"receiver: listening on (http://127\.0\.0\.1:\d+)", first)
        assert url is not None
        response = requests.post(
            url.group(1) + "/mp/collect",
            params=QUERY,
            json=good_payload(),
            timeout=TIMEOUT_SECS,
        )
        echo = lines.get(timeout=10)

        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()

    assert response.status_code == 204
    assert echo.startswith("POST /mp/collect G-TEST123 2 events")
    assert echo.endswith(" bytes ok")
    assert lines.get(timeout=5) == (
        "receiver: stopped after 1 requests (0 invalid), 2 events"
    )
    assert process.stderr is not None
    assert process.stderr.read() == ""
