"""Real gunicorn and a real Celery worker against a Google that misbehaves in turn."""

from __future__ import annotations

import statistics
import time
from contextlib import ExitStack

import pytest
import requests

from aa_otel_analytics.demo import run
from aa_otel_analytics.receiver import Fault, GAReceiver
from tests.robustness.test_processes import (
    start_site,
    start_worker,
    wait_until_consumed,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MODES = ["refuse", "hang", "error", "rate-limit", "slow", "garbage"]
TASKS_PER_MODE = 3


def page_millis(base: str, count: int = 20) -> float:
    timings = []
    for index in range(count):
        start = time.perf_counter()
        response = requests.get(f"{base}/fleet/{index}/", timeout=10)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return statistics.median(timings)


def test_pages_and_tasks_carry_on_whatever_google_does(tmp_path):
    port = run.free_port()
    receiver = GAReceiver(port=port, slow_secs=6).start()
    try:
        with ExitStack() as stack:
            env, base, _ = start_site(
                stack,
                tmp_path,
                receiver.url,
                workers=2,
                OTEL_BSP_SCHEDULE_DELAY="100",
            )
            start_worker(stack, env, tmp_path, 2, "--loglevel", "INFO")
            page_millis(base, 10)
            healthy = page_millis(base)
            latencies = {}
            for mode in MODES:
                if mode == "refuse":
                    receiver.stop()
                else:
                    receiver.fault = Fault(mode)
                time.sleep(0.5)
                latencies[mode] = page_millis(base)
                run.manage(env, "demo_enqueue", "--adds", str(TASKS_PER_MODE))
                wait_until_consumed(tmp_path)
                if mode == "refuse":
                    receiver = GAReceiver(port=port, slow_secs=6).start()
            time.sleep(2)
            worker_log = (tmp_path / "worker.log").read_text()
    finally:
        receiver.stop()

    for mode, millis in latencies.items():
        assert millis <= healthy * 3 + 10, (mode, healthy, millis)
    assert worker_log.count("succeeded in") == TASKS_PER_MODE * len(MODES)
    assert "Traceback" not in worker_log
