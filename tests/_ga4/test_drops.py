"""Drops are counted exactly, and each cause is logged at most once per interval."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from aa_otel_analytics._ga4.drops import DropCounter, RateLimitedLog

LOGGER_NAME = "tests._ga4.rate_limited"
THREADS = 8
ADDS_PER_THREAD = 5_000


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Switch threads as often as possible, so an unlocked update would be lost."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def run_together(target: Callable[[], None], count: int = THREADS) -> None:
    barrier = threading.Barrier(count)

    def start() -> None:
        barrier.wait(5.0)
        target()

    threads = [
        threading.Thread(target=start, name=f"test-drops-{n}", daemon=True)
        for n in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10.0)
    assert not any(thread.is_alive() for thread in threads)


def test_add_counts_by_reason() -> None:
    counter = DropCounter()

    counter.add("queue_full")
    counter.add("queue_full", 3)
    counter.add("too_old", 2)

    assert counter.snapshot() == {"queue_full": 4, "too_old": 2}


@pytest.mark.parametrize("count", [0, -1, -100])
def test_add_ignores_counts_below_one(count: int) -> None:
    counter = DropCounter()

    counter.add("rejected", count)

    assert counter.snapshot() == {}


def test_snapshot_is_a_copy() -> None:
    counter = DropCounter()
    counter.add("shutdown", 2)

    snapshot = counter.snapshot()
    snapshot["shutdown"] = 99
    snapshot["invented"] = 1

    assert counter.snapshot() == {"shutdown": 2}


def test_reset_forgets_every_reason() -> None:
    counter = DropCounter()
    counter.add("a")
    counter.add("b", 5)

    counter.reset()

    assert counter.snapshot() == {}
    counter.add("a")
    assert counter.snapshot() == {"a": 1}


@pytest.mark.usefixtures("fast_switching")
def test_concurrent_adds_lose_no_count() -> None:
    counter = DropCounter()

    def add_many() -> None:
        for n in range(ADDS_PER_THREAD):
            counter.add("queue_full")
            counter.add(f"reason_{n % 3}", 2)

    run_together(add_many)

    expected_each = THREADS * ADDS_PER_THREAD
    snapshot = counter.snapshot()
    assert snapshot["queue_full"] == expected_each
    assert sum(snapshot[f"reason_{n}"] for n in range(3)) == 2 * expected_each


@pytest.mark.usefixtures("fast_switching")
def test_snapshots_taken_during_adds_never_go_backwards() -> None:
    counter = DropCounter()
    stop = threading.Event()
    totals: list[int] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            while not stop.is_set() and len(totals) < 100_000:
                totals.append(sum(counter.snapshot().values()))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    reader = threading.Thread(target=read, name="test-drops-reader", daemon=True)
    reader.start()
    run_together(lambda: [counter.add("x") for _ in range(ADDS_PER_THREAD)], 4)
    stop.set()
    reader.join(5.0)

    assert errors == []
    assert totals == sorted(totals)
    assert counter.snapshot() == {"x": 4 * ADDS_PER_THREAD}


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    return caplog


def ours(logs: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in logs.records if r.name == LOGGER_NAME]


def messages(logs: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in ours(logs)]


def test_a_cause_is_logged_once_per_interval(
    logs: pytest.LogCaptureFixture,
) -> None:
    log = RateLimitedLog(logging.getLogger(LOGGER_NAME), interval_secs=60.0)

    for attempt in range(5):
        log.warning("ga_down", "analytics send failed, attempt=%d", attempt)

    assert messages(logs) == ["analytics send failed, attempt=0"]
    assert ours(logs)[0].levelno == logging.WARNING


def test_distinct_causes_are_logged_separately(
    logs: pytest.LogCaptureFixture,
) -> None:
    log = RateLimitedLog(logging.getLogger(LOGGER_NAME), interval_secs=60.0)

    log.warning("timeout", "cause=%s", "timeout")
    log.warning("network", "cause=%s", "network")
    log.warning("timeout", "cause=%s", "timeout again")
    log.warning("network", "cause=%s", "network again")

    assert messages(logs) == ["cause=timeout", "cause=network"]


def test_a_cause_is_logged_again_after_the_interval(
    logs: pytest.LogCaptureFixture,
) -> None:
    log = RateLimitedLog(logging.getLogger(LOGGER_NAME), interval_secs=0.2)

    log.warning("ga_down", "first")
    log.warning("ga_down", "suppressed")
    time.sleep(0.3)
    log.warning("ga_down", "second")

    assert messages(logs) == ["first", "second"]


def test_reset_lets_every_cause_log_again(
    logs: pytest.LogCaptureFixture,
) -> None:
    log = RateLimitedLog(logging.getLogger(LOGGER_NAME), interval_secs=60.0)
    log.warning("ga_down", "first")

    log.reset()
    log.warning("ga_down", "after reset")

    assert messages(logs) == ["first", "after reset"]


def test_log_uses_the_given_level_and_never_a_traceback(
    logs: pytest.LogCaptureFixture,
) -> None:
    log = RateLimitedLog(logging.getLogger(LOGGER_NAME), interval_secs=60.0)

    try:
        raise RuntimeError("secret detail")
    except RuntimeError:
        log.log(logging.ERROR, "export", "export failed, reason=%s", "boom")

    (record,) = ours(logs)
    assert record.levelno == logging.ERROR
    assert record.exc_info is None
    assert "secret detail" not in record.getMessage()


@pytest.mark.usefixtures("fast_switching")
def test_concurrent_callers_log_a_cause_once(
    logs: pytest.LogCaptureFixture,
) -> None:
    log = RateLimitedLog(logging.getLogger(LOGGER_NAME), interval_secs=60.0)

    run_together(lambda: [log.warning("flood", "flooded") for _ in range(200)])

    assert messages(logs) == ["flooded"]
