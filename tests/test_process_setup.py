"""Switching analytics off, checked in fresh processes (threads are per process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import threading, django, json
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from aa_otel_analytics import analytics_event, force_flush
from aa_otel_analytics.demo import tasks
from opentelemetry import trace
Client().get("/")
tasks.add.delay(1, 2)
analytics_event("a", "b")
force_flush(5000)
names = sorted(t.name for t in threading.enumerate())
print(json.dumps({"threads": names,
                  "provider": type(trace.get_tracer_provider()).__name__}))
"""


def run_site_script(receiver, tmp_path, **env_extra):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.process_settings",
        AA_DEMO_DB=str(tmp_path / "db.sqlite3"),
        ANALYTICS_ENDPOINT=receiver.url,
        OTEL_BSP_SCHEDULE_DELAY="50",
        PYTHONPATH=str(ROOT),
        **env_extra,
    )
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


def test_enabled_process_sends_all_three_kinds(receiver, tmp_path):
    result = run_site_script(receiver, tmp_path)

    assert any("Otel" in name for name in result["threads"])
    assert len(receiver.events("page_view")) == 1
    assert len(receiver.events("celery_event")) == 2


@pytest.mark.parametrize(
    "env", [{"AA_TEST_DISABLED": "1"}, {"OTEL_SDK_DISABLED": "true"}]
)
def test_disabled_means_no_requests_no_threads_no_provider(receiver, tmp_path, env):
    result = run_site_script(receiver, tmp_path, **env)

    assert result["threads"] == ["MainThread"]
    assert result["provider"] == "ProxyTracerProvider"
    assert receiver.received == []
