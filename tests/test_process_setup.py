"""Switching analytics off, checked in fresh processes (threads are per process)."""

from __future__ import annotations

import pytest

from tests.scripting import run_script

SCRIPT = """
import django
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
result["threads"] = sorted(t.name for t in threading.enumerate())
result["provider"] = type(trace.get_tracer_provider()).__name__
"""


def test_enabled_process_sends_all_three_kinds(receiver, tmp_path):
    result = run_script(receiver, tmp_path, SCRIPT)

    assert any("Otel" in name for name in result["threads"])
    assert len(receiver.events("page_view")) == 1
    assert len(receiver.events("celery_event")) == 2


@pytest.mark.parametrize(
    "env", [{"AA_TEST_DISABLED": "1"}, {"OTEL_SDK_DISABLED": "true"}]
)
def test_disabled_means_no_requests_no_threads_no_provider(receiver, tmp_path, env):
    result = run_script(receiver, tmp_path, SCRIPT, **env)

    assert result["threads"] == ["MainThread"]
    assert result["provider"] == "ProxyTracerProvider"
    assert receiver.received == []


def test_atexit_flushes_what_is_pending(receiver, tmp_path):
    body = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from aa_otel_analytics import analytics_event
Client().get("/")
analytics_event("a", "b")
"""
    run_script(receiver, tmp_path, body, OTEL_BSP_SCHEDULE_DELAY="60000")

    assert len(receiver.events("page_view")) == 1
    assert len(receiver.events("celery_event")) == 1
