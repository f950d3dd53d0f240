"""``make demo``: the whole pipeline on real processes, then what GA received.

It starts a GA receiver on 127.0.0.1 (unless ``ANALYTICS_ENDPOINT`` names one), a
SQLite site served by gunicorn and a Celery prefork worker on a SQLite broker
(Redis when ``CELERY_BROKER_URL`` is set), visits pages, runs tasks, runs the daily
stats, stops everything so that it flushes, and prints a summary whose last line is
machine-readable.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import requests

from aa_otel_analytics.conf import endpoint_problem
from aa_otel_analytics.demo.report import Summary, fetch_received, summarize

SETTINGS = "aa_otel_analytics.demo.settings"
VISITS = [
    ("/", {}),
    ("/fleet/42/?q=Pilot+Secretname", {"Accept-Language": "de"}),
    ("/fleet/7/#frag", {}),
    ("/legacy/2024/", {"Accept-Language": "fr"}),
    ("/api/items/abc-123/", {}),
    ("/search/?q=my+secret+query", {}),
    ("/user_notifications_count/5/", {}),
    ("/no/such/page/", {}),
    ("/health/", {}),
]
EXPECTED_PAGE_VIEWS = 6
EXPECTED_TASK_EVENTS = 7
EXPECTED_STATS = 6
_WAIT_SECS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def site_env(workdir: Path, endpoint: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        AA_DEMO_DIR=str(workdir),
        ANALYTICS_ENDPOINT=endpoint,
        OTEL_BSP_SCHEDULE_DELAY="200",
        OTEL_SERVICE_NAME="aa-demo",
        PYTHONUNBUFFERED="1",
    )
    workdir.mkdir(parents=True, exist_ok=True)
    return env


@contextmanager
def managed_process(args: list[str], env: dict[str, str], log: Path) -> Iterator[Any]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            args,
            env=env,
            cwd=env["AA_DEMO_DIR"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes], timeout_secs: float = 20.0) -> None:
    """SIGTERM (a graceful, flushing exit), then SIGKILL the group if it hangs."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout_secs)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def gunicorn_command(port: int, workers: int = 2) -> list[str]:
    """gunicorn as Alliance Auth runs it, with ``--preload`` (setup before fork)."""
    return [
        sys.executable, "-m", "gunicorn", "aa_otel_analytics.demo.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--preload",
        "--control-socket", "gunicorn.ctl",
    ]  # fmt: skip


def worker_command(concurrency: int = 2, *extra: str) -> list[str]:
    """A Celery prefork worker; pool children are forked from a set-up master."""
    return [
        sys.executable, "-m", "celery", "-A", "aa_otel_analytics.demo", "worker",
        "--pool", "prefork", "--concurrency", str(concurrency),
        "--loglevel", "WARNING",
        "--without-heartbeat", "--without-gossip", "--without-mingle", *extra,
    ]  # fmt: skip


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        cwd=env["AA_DEMO_DIR"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def prepare(env: dict[str, str]) -> None:
    """A new database, and the broker's tables, before any process starts."""
    manage(env, "migrate", "--verbosity", "0")
    manage(env, "demo_enqueue", "--prepare")


def wait_http(url: str, timeout_secs: float) -> None:
    deadline = time.monotonic() + timeout_secs
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout_secs:.0f}s")


def _visit(base: str) -> list[tuple[str, int]]:
    statuses = []
    for path, headers in VISITS:
        response = requests.get(base + path, headers=headers, timeout=10)
        statuses.append((path, response.status_code))
    return statuses


EXPECTED = (EXPECTED_PAGE_VIEWS, EXPECTED_TASK_EVENTS, EXPECTED_STATS)


def _complete(endpoint: str, since: int) -> bool:
    counts = summarize(fetch_received(endpoint, since))
    return (
        counts.page_views >= EXPECTED_PAGE_VIEWS
        and counts.task_events >= EXPECTED_TASK_EVENTS
        and counts.stats >= EXPECTED_STATS
    )


def _wait_complete(endpoint: str, since: int, timeout_secs: float) -> None:
    deadline = time.monotonic() + timeout_secs
    while time.monotonic() < deadline and not _complete(endpoint, since):
        time.sleep(0.5)


def run_site(
    workdir: Path, endpoint: str, echo: Any, since: int = 0
) -> list[tuple[str, int]]:
    env = site_env(workdir, endpoint)
    echo(f"demo: migrating a new SQLite database in {workdir}")
    prepare(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        stack.enter_context(
            managed_process(gunicorn_command(port), env, workdir / "gunicorn.log")
        )
        stack.enter_context(
            managed_process(worker_command(), env, workdir / "worker.log")
        )
        wait_http(base + "/health/", 30)
        echo(f"demo: site on {base}, Celery worker started")
        statuses = _visit(base)
        echo(f"demo: visited {len(statuses)} pages, queueing tasks")
        manage(env, "demo_enqueue")
        _wait_complete(endpoint, since, _WAIT_SECS)
        echo("demo: stopping the site and the worker (they flush on the way out)")
    return statuses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aa_otel_analytics demo")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)

    def echo(line: str) -> None:
        print(line, flush=True)

    endpoint = os.environ.get("ANALYTICS_ENDPOINT", "").strip().rstrip("/")
    problem = endpoint_problem(endpoint) if endpoint else None
    if problem:
        echo(f"demo: ANALYTICS_ENDPOINT {problem}: {endpoint!r}")
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="aa-otel-demo-"))
    try:
        with ExitStack() as stack:
            if not endpoint:
                from aa_otel_analytics.receiver import GAReceiver

                endpoint = stack.enter_context(GAReceiver(port=0)).url
            since = len(fetch_received(endpoint))
            echo(f"demo: GA receiver at {endpoint}")
            statuses = run_site(workdir, endpoint, echo, since)
            summary = summarize(fetch_received(endpoint, since))
    finally:
        if args.keep:
            echo(f"demo: work folder kept at {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return _report(summary, statuses, echo)


def _report(summary: Summary, statuses: list[tuple[str, int]], echo: Any) -> int:
    echo("")
    echo("pages visited:")
    for path, status in statuses:
        echo(f"  {status}  {path}")
    echo("")
    for line in summary.table():
        echo(line)
    if summary.example is not None:
        echo("")
        echo("example payload (as received, query string not shown):")
        echo(json.dumps(summary.example, indent=2)[:4000])
    echo("")
    echo(summary.last_line())
    return 0 if summary.healthy(EXPECTED) else 1


if __name__ == "__main__":
    sys.exit(main())
