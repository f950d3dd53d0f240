"""A misbehaving Google: pages and tasks carry on, retries are bounded, logs quiet."""

from __future__ import annotations

import logging
import statistics
import threading
import time

import pytest

from aa_otel_analytics import runtime
from aa_otel_analytics._ga4 import config, sender
from aa_otel_analytics._ga4.drops import drops
from aa_otel_analytics.demo import tasks
from aa_otel_analytics.receiver import Fault

SECRET = "KLlpjLZ-SRGozS5f5wb_kw"
MODES = ["refuse", "hang", "error", "rate-limit", "slow", "garbage"]
DELIVERED = {"slow", "garbage"}
DROP_REASON = {
    "refuse": "network",
    "hang": "timeout",
    "error": "http_500",
    "rate-limit": "http_429",
}


@pytest.fixture
def fast_deadlines(settings):
    settings.ANALYTICS_REQUEST_TIMEOUT_SECS = 1
    settings.ANALYTICS_EXPORT_DEADLINE_SECS = 3
    config._log.reset()
    sender._log.reset()


def misbehave(receiver, settings, mode: str) -> None:
    receiver.slow_secs = 0.5
    if mode == "refuse":
        settings.ANALYTICS_ENDPOINT = "http://127.0.0.1:9"
        return
    receiver.fault = Fault(mode)


def page_latency_millis(client, count: int = 40) -> float:
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        assert client.get("/fleet/1/").status_code == 200
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


@pytest.mark.parametrize("mode", MODES)
def test_pages_and_tasks_succeed_and_are_not_held_up(
    fast_deadlines, analytics, receiver, client, settings, mode
):
    page_latency_millis(client, 10)
    runtime.force_flush(10_000)
    healthy = page_latency_millis(client)
    runtime.force_flush(10_000)
    misbehave(receiver, settings, mode)

    exporting = threading.Thread(target=runtime.force_flush, args=(20_000,))
    page_latency_millis(client, 5)
    exporting.start()
    faulty = page_latency_millis(client)
    assert tasks.add.delay(2, 2).get() == 4
    exporting.join(20)
    runtime.force_flush(20_000)

    assert faulty <= healthy * 3 + 5, (healthy, faulty)
    if mode not in DELIVERED:
        assert drops.snapshot().get(DROP_REASON[mode], 0) > 0


@pytest.mark.parametrize("mode", ["error", "rate-limit"])
def test_transient_answers_are_retried_then_dropped_and_counted(
    fast_deadlines, analytics, receiver, client, settings, mode
):
    misbehave(receiver, settings, mode)
    client.get("/")

    start = time.monotonic()
    runtime.force_flush(20_000)
    elapsed = time.monotonic() - start

    assert receiver.attempts[mode] >= 2
    assert elapsed <= 3 + 1 + 1, "never past the deadline plus one request"
    assert drops.snapshot() == {DROP_REASON[mode]: 1}
    assert receiver.received == []


def test_retry_after_is_honoured(fast_deadlines, analytics, receiver, client, settings):
    settings.ANALYTICS_EXPORT_DEADLINE_SECS = 5
    receiver.retry_after_secs = 2
    misbehave(receiver, settings, "rate-limit")
    client.get("/")

    start = time.monotonic()
    runtime.force_flush(20_000)

    assert receiver.attempts["rate-limit"] >= 2
    per_retry = (time.monotonic() - start) / (receiver.attempts["rate-limit"] - 1)
    assert per_retry >= 1.9


def test_client_errors_are_not_retried(
    fast_deadlines, analytics, receiver, client, settings
):
    settings.ANALYTICS_ENDPOINT = receiver.url + "/wrong/prefix"
    client.get("/")

    start = time.monotonic()
    runtime.force_flush(10_000)

    assert time.monotonic() - start < 0.5, "a 404 is final: no backoff"
    assert drops.snapshot() == {"http_404": 1}


@pytest.mark.parametrize("mode", ["refuse", "hang", "error", "rate-limit"])
def test_the_log_gets_one_quiet_warning_per_cause(
    fast_deadlines, analytics, receiver, client, settings, caplog, mode
):
    misbehave(receiver, settings, mode)
    settings.ANALYTICS_EXPORT_DEADLINE_SECS = 1.5

    with caplog.at_level(logging.DEBUG, logger="aa_otel_analytics"):
        for _ in range(3):
            client.get("/fleet/77/?q=payloadmarker")
            runtime.force_flush(20_000)

    ours = [
        r
        for r in caplog.records
        if r.name.startswith("aa_otel_analytics") and r.levelno >= logging.WARNING
    ]
    assert len(ours) == 1, [r.getMessage() for r in ours]
    assert ours[0].exc_info is None
    text = caplog.text
    assert SECRET not in text
    assert "payloadmarker" not in text and "page_location" not in text
    assert drops.snapshot()[DROP_REASON[mode]] == 3


def test_force_flush_keeps_to_its_timeout_and_reports_failure(
    fast_deadlines, analytics, receiver, settings
):
    from aa_otel_analytics import analytics_event

    receiver.fault = Fault.HANG
    for index in range(2_000):
        analytics_event("bulk", f"t{index}")

    start = time.monotonic()
    delivered = runtime.force_flush(2_000)
    elapsed = time.monotonic() - start

    assert delivered is False
    assert elapsed < 2 + 1 + 1, "the timeout, one request timeout, and slack"
    assert sum(drops.snapshot().values()) == 2_000


def test_a_failing_google_is_not_asked_again_for_a_while(
    fast_deadlines, analytics, receiver, client, settings
):
    misbehave(receiver, settings, "error")
    client.get("/")
    runtime.force_flush(10_000)
    tried = receiver.attempts["error"]

    client.get("/")
    runtime.force_flush(10_000)

    assert receiver.attempts["error"] == tried, "the second batch skipped the network"
    assert drops.snapshot() == {"http_500": 2}


EXIT_SCRIPT = """
import time, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from aa_otel_analytics import analytics_event
for index in range(2_000):
    analytics_event("bulk", f"t{index}")
print(time.monotonic(), flush=True)
"""


def test_exit_with_a_full_queue_and_a_hung_google_is_quick(receiver, tmp_path):
    import subprocess
    import sys

    from tests.scripting import ROOT

    receiver.fault = Fault.HANG
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.process_settings",
        "AA_DEMO_DB": str(tmp_path / "db.sqlite3"),
        "ANALYTICS_ENDPOINT": receiver.url,
        "OTEL_BSP_SCHEDULE_DELAY": "600000",
        "PYTHONPATH": str(ROOT),
        "PATH": "/usr/bin:/bin",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", EXIT_SCRIPT], env=env, stdout=subprocess.PIPE, text=True
    )
    process.stdout.readline()
    start = time.monotonic()
    assert process.wait(60) == 0
    elapsed = time.monotonic() - start

    assert elapsed < 3 + 5 + 2, "shutdown deadline, one request timeout, slack"
    assert receiver.attempts["hang"] >= 1
