"""Processes start, fork and die: every event arrives exactly once, exits are quick.

These run the demo site under real gunicorn (``--preload``, several workers) and a
real Celery prefork worker, so setup happens before the fork, again in
``worker_process_init``, and children leave through ``os._exit``.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from collections import Counter
from contextlib import ExitStack

import pytest
import requests

from aa_otel_analytics.demo import run
from aa_otel_analytics.receiver import Fault

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAGES = ["/", "/fleet/{}/", "/legacy/2024/", "/api/items/x{}/", "/search/?q={}"]


def start_site(stack, tmp_path, endpoint, workers=4, **env_extra):
    env = run.site_env(tmp_path, endpoint)
    env.update(env_extra)
    run.prepare(env)
    port = run.free_port()
    web = stack.enter_context(
        run.managed_process(
            run.gunicorn_command(port, workers), env, tmp_path / "gunicorn.log"
        )
    )
    run.wait_http(f"http://127.0.0.1:{port}/health/", 30)
    return env, f"http://127.0.0.1:{port}", web


def start_worker(stack, env, tmp_path, concurrency=4, *extra):
    return stack.enter_context(
        run.managed_process(
            run.worker_command(concurrency, *extra), env, tmp_path / "worker.log"
        )
    )


def visit(base: str, count: int) -> None:
    for index in range(count):
        path = PAGES[index % len(PAGES)].format(index)
        assert requests.get(base + path, timeout=10).status_code == 200


def task_values(receiver) -> Counter[int]:
    values: Counter[int] = Counter()
    for event in receiver.events("celery_event"):
        params = event["params"]
        if params["task"] == "add" and params["aggregated"] == 0:
            values[params["value"]] += 1
    return values


def counted(receiver, name: str, task: str | None = None) -> int:
    return sum(
        e["params"]["count"]
        for e in receiver.events(name)
        if task is None or e["params"].get("task") == task
    )


def logs(tmp_path) -> str:
    return "".join(
        (tmp_path / name).read_text(errors="replace")
        for name in ("gunicorn.log", "worker.log")
        if (tmp_path / name).exists()
    )


def test_preloaded_web_and_prefork_workers_deliver_exactly_once(receiver, tmp_path):
    with ExitStack() as stack:
        env, base, _ = start_site(stack, tmp_path, receiver.url, workers=4)
        start_worker(stack, env, tmp_path, 4)
        visit(base, 40)
        run.manage(env, "demo_enqueue", "--adds", "40")
        receiver.wait_for(
            lambda: (
                len(receiver.events("page_view")) >= 40
                and sum(task_values(receiver).values()) >= 40
            ),
            60,
        )

    assert len(receiver.events("page_view")) == 40
    assert task_values(receiver) == Counter(range(40))
    assert "Overriding of current" not in logs(tmp_path)
    assert receiver.invalid_count() == 0


def test_forked_processes_aggregate_without_double_counting(receiver, tmp_path):
    with ExitStack() as stack:
        env, base, web = start_site(
            stack,
            tmp_path,
            receiver.url,
            workers=4,
            AA_DEMO_AGGREGATION="always",
            AA_DEMO_AGGREGATION_INTERVAL="1",
        )
        start_worker(stack, env, tmp_path, 4)
        visit(base, 40)
        run.manage(env, "demo_enqueue", "--adds", "40")
        receiver.wait_for(
            lambda: (
                counted(receiver, "page_view") >= 40
                and counted(receiver, "celery_event", "add") >= 40
            ),
            60,
        )

    assert counted(receiver, "page_view") == 40
    assert counted(receiver, "celery_event", "add") == 40
    assert all(e["params"]["aggregated"] == 1 for e in receiver.events())
    add_values = sum(
        e["params"]["value"]
        for e in receiver.events("celery_event")
        if e["params"]["task"] == "add"
    )
    assert add_values == sum(range(40))


def test_recycled_pool_children_flush_before_they_exit(receiver, tmp_path):
    with ExitStack() as stack:
        env = run.site_env(tmp_path, receiver.url)
        # A long delay: only the flush on worker_process_shutdown can deliver.
        env["OTEL_BSP_SCHEDULE_DELAY"] = "60000"
        run.prepare(env)
        start_worker(stack, env, tmp_path, 2, "--max-tasks-per-child", "1")
        run.manage(env, "demo_enqueue", "--adds", "10")
        receiver.wait_for(lambda: sum(task_values(receiver).values()) >= 10, 60)

        assert task_values(receiver) == Counter(range(10))


def waiting_messages(tmp_path) -> int:
    """Messages no worker has taken yet from the demo's SQLite broker."""
    with sqlite3.connect(tmp_path / "broker.sqlite3") as broker:
        return broker.execute(
            "select count(*) from kombu_message where visible = 1"
        ).fetchone()[0]


def wait_until_consumed(tmp_path, timeout_secs: float = 30) -> None:
    deadline = time.monotonic() + timeout_secs
    while waiting_messages(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert waiting_messages(tmp_path) == 0, "the worker took every message"
    time.sleep(1)


def stop_timed(proc) -> float:
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    return time.monotonic() - start


def test_sigterm_flushes_what_is_pending(receiver, tmp_path):
    with ExitStack() as stack:
        env, base, web = start_site(
            stack, tmp_path, receiver.url, workers=2, OTEL_BSP_SCHEDULE_DELAY="60000"
        )
        worker = start_worker(stack, env, tmp_path, 2)
        visit(base, 6)
        run.manage(env, "demo_enqueue", "--adds", "4")
        wait_until_consumed(tmp_path)
        assert receiver.events() == [], "events wait in the queue until the exit"
        stop_timed(web)
        stop_timed(worker)

    assert len(receiver.events("page_view")) == 6
    assert task_values(receiver) == Counter(range(4))


def test_exit_never_waits_long_for_an_unreachable_google(receiver, tmp_path):
    receiver.fault = Fault.HANG
    with ExitStack() as stack:
        env, base, web = start_site(
            stack, tmp_path, receiver.url, workers=2, OTEL_BSP_SCHEDULE_DELAY="60000"
        )
        worker = start_worker(stack, env, tmp_path, 4)
        visit(base, 6)
        run.manage(env, "demo_enqueue", "--adds", "8")
        wait_until_consumed(tmp_path)
        web_secs = stop_timed(web)
        worker_secs = stop_timed(worker)

    assert web_secs < 12, web_secs
    assert worker_secs < 15, worker_secs
