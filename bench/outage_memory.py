"""Memory under an outage: 100,000 page views while Google cannot be reached.

A site process (the demo site, analytics on as a site has it) serves the page
views by calling Django's WSGI handler directly, as a WSGI server would, through
the real instrumentation, span filter, batch span processor and exporter, while
Google is unreachable in one of two ways:

- ``hang``: a local GA receiver that reads each request and never answers;
- ``refused``: a closed port on 127.0.0.1, so every connection is refused.

Resident memory (``VmRSS``) is read after 500 warm-up views and after the run;
the drops are the package's own counters. The two outages run side by side, each
in its own process; each is cut off after ``_MAX_RUN_SECS``. The process then
exits as a site would (flushing within its shutdown deadline) and the time that
takes is reported too.

Run it with ``python -m bench.outage_memory [--quick]``.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.common import Row, target_row
from bench.site_process import emit, migrate, site_env

TARGET_GROWTH_MB = 25.0
WARM_UP_VIEWS = 500
_MAX_RUN_SECS = 150.0
_EXIT_WAIT_SECS = 60.0
PAGES = ["/", "/fleet/{}/", "/legacy/2024/", "/api/items/x{}/", "/search/?q={}"]


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _environ(index: int) -> dict:
    path, _, query = PAGES[index % len(PAGES)].format(index).partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT_LANGUAGE": "de" if index % 5 == 0 else "en",
        "HTTP_USER_AGENT": "bench",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def _serve(app: Any, start: int, count: int, deadline: float) -> int:
    def start_response(status: str, headers: list, exc_info: object = None) -> None:
        if not status.startswith("200"):
            raise RuntimeError(f"page answered {status}")

    served = 0
    for index in range(start, start + count):
        if time.monotonic() > deadline:
            break
        response = app(_environ(index), start_response)
        try:
            for _chunk in response:
                pass
        finally:
            response.close()
        served += 1
    return served


def _child() -> None:
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application

    from aa_otel_analytics import runtime
    from aa_otel_analytics._ga4.drops import drops

    assert runtime.current() is not None, "analytics is on"
    app = get_wsgi_application()
    views = int(os.environ["AA_BENCH_VIEWS"])
    deadline = time.monotonic() + _MAX_RUN_SECS
    _serve(app, 0, WARM_UP_VIEWS, deadline)
    drops.reset()
    rss_before = _status_kb("VmRSS")
    start = time.monotonic()
    served = _serve(app, WARM_UP_VIEWS, views, deadline)
    secs = time.monotonic() - start
    state = runtime.current()
    emit(
        {
            "served": served,
            "secs": secs,
            "rss_before_kb": rss_before,
            "rss_after_kb": _status_kb("VmRSS"),
            "hwm_kb": _status_kb("VmHWM"),
            "drops": drops.snapshot(),
            "sent_events": state.sender.sent_events if state else 0,
        }
    )


def _start(workdir: Path, endpoint: str, views: int) -> tuple[subprocess.Popen, Path]:
    workdir.mkdir()
    env = site_env(workdir, endpoint, AA_BENCH_FAKE_APPS="0", AA_BENCH_VIEWS=str(views))
    env.pop("OTEL_BSP_SCHEDULE_DELAY")  # the SDK's default, as on a real site
    migrate(env)
    out = workdir / "child.out"
    with open(out, "wb") as stdout:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.outage_memory", "--child"],
            env=env,
            cwd=workdir,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
        )
    return proc, out


def _finish(proc: subprocess.Popen, out: Path) -> dict:
    """The child's result, and how long it took to exit once it had printed it."""
    deadline = time.monotonic() + _MAX_RUN_SECS + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if out.read_text().strip():
            break
        time.sleep(0.05)
    printed = time.monotonic()
    try:
        proc.wait(_EXIT_WAIT_SECS)
        exit_secs = time.monotonic() - printed
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        exit_secs = float("inf")
    text = out.read_text().strip()
    if not text:
        raise RuntimeError(f"outage child printed nothing (exit {proc.returncode})")
    result = json.loads(text.splitlines()[-1])
    result["exit_secs"] = exit_secs
    return result


def measure(workdir: Path, views: int) -> dict[str, dict]:
    from aa_otel_analytics.demo.run import free_port
    from aa_otel_analytics.receiver import Fault, GAReceiver

    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with GAReceiver(fault=Fault.HANG) as hanging:
        procs = {
            "hang": _start(workdir / "hang", hanging.url, views),
            "refused": _start(workdir / "refused", closed, views),
        }
        try:
            return {name: _finish(*started) for name, started in procs.items()}
        finally:
            for proc, _ in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(5)


def rows_from(results: dict[str, dict], views: int) -> list[Row]:
    section = "outage memory"
    rows = []
    for name, result in results.items():
        growth_mb = (result["rss_after_kb"] - result["rss_before_kb"]) / 1024
        dropped = sum(result["drops"].values())
        reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(result["drops"].items()))
        rows.append(
            target_row(
                section,
                f"{name}: RSS growth over {result['served']:,} views",
                growth_mb,
                "<=",
                TARGET_GROWTH_MB,
                fmt="{:.1f}",
                detail=f"before {result['rss_before_kb'] / 1024:.1f} MB",
            )
        )
        rows.append(
            Row(
                section,
                f"{name}: events dropped (by reason)",
                f"{dropped:,} of {result['served']:,} ({reasons or 'none'})",
                detail="the rest are counted by the aggregator or still queued",
            )
        )
        rows.append(
            Row(
                section,
                f"{name}: views per second / exit time",
                f"{result['served'] / max(result['secs'], 1e-9):,.0f} / "
                f"{result['exit_secs']:.1f} s",
                detail=f"peak RSS {result['hwm_kb'] / 1024:.1f} MB",
            )
        )
        if result["served"] < views:
            rows.append(
                Row(section, f"{name}: cut off", f"{result['served']:,} of {views:,}")
            )
    return rows


def run(quick: bool = False) -> list[Row]:
    views = 2_000 if quick else 100_000
    with tempfile.TemporaryDirectory(prefix="aa-bench-outage-") as tmp:
        rows = rows_from(measure(Path(tmp), views), views)
    return [replace(r, passed=None) for r in rows] if quick else rows


def main(argv: list[str] | None = None) -> int:
    from bench.common import part_main

    return part_main(argv, "python -m bench.outage_memory", run, _child)


if __name__ == "__main__":
    sys.exit(main())
