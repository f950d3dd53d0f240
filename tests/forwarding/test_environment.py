"""Which OTEL_* variables switch forwarding on, and what a person sees when wrong."""

from __future__ import annotations

import logging

import pytest
from django.core import checks

from aa_otel_analytics.forwarding import environment, quiet_logs
from tests.scripting import run_script

OTEL_VARIABLES = (
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_EXPORTER",
    "OTEL_METRICS_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def requested() -> tuple[bool, bool]:
    return environment.plan("traces").requested, environment.plan("metrics").requested


def test_nothing_is_forwarded_without_a_variable():
    assert requested() == (False, False)
    assert not environment.any_requested()


def test_an_endpoint_forwards_both_signals_over_http(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")

    traces = environment.plan("traces")
    assert traces.active
    assert traces.protocol == "http/protobuf"
    assert requested() == (True, True)


@pytest.mark.parametrize(
    ("traces_exporter", "expected"),
    [("none", False), ("console", False), ("console, otlp", True), ("OTLP", True)],
)
def test_the_exporter_variable_decides_per_signal(
    monkeypatch, traces_exporter, expected
):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", traces_exporter)

    assert requested() == (expected, True)


def test_the_exporter_variable_alone_asks_for_the_default_endpoint(monkeypatch):
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "otlp")

    assert requested() == (False, True)


def test_a_signal_endpoint_forwards_only_that_signal(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1/t")

    assert requested() == (True, False)


def test_the_sdk_switch_turns_forwarding_off(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")

    assert requested() == (False, False)


def test_an_unsupported_protocol_is_a_problem_not_a_crash(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")

    traces, metrics = environment.plan("traces"), environment.plan("metrics")
    assert not traces.active
    assert "http/json" in traces.problem
    assert metrics.active


def test_a_missing_exporter_package_names_the_extra(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    monkeypatch.setattr(environment, "_installed", lambda module: False)

    plan = environment.plan("traces")
    assert not plan.active
    assert "aa-otel-analytics[otlp-grpc]" in plan.problem


def test_the_check_reports_what_cannot_be_forwarded(monkeypatch, settings):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
    settings.ANALYTICS_OTLP_FULL_DETAIL = "yes"

    ids = sorted(m.id for m in checks.run_checks() if m.id.startswith("aa_otel"))

    assert ids == [
        "aa_otel_analytics.W004",
        "aa_otel_analytics.W004",
        "aa_otel_analytics.W005",
    ]


def test_a_valid_forwarding_setup_passes_the_checks(monkeypatch, settings):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    settings.ANALYTICS_OTLP_FULL_DETAIL = True

    assert [m for m in checks.run_checks() if m.id.startswith("aa_otel")] == []


def test_the_site_is_named_unless_the_operator_named_it(monkeypatch):
    assert environment.resource().attributes["service.name"] == "allianceauth"

    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=auth-eu,team=ops")
    assert environment.resource().attributes["service.name"] == "auth-eu"

    monkeypatch.setenv("OTEL_SERVICE_NAME", "auth-web")
    assert environment.resource().attributes["service.name"] == "auth-web"


def test_repeated_exporter_errors_are_logged_once(caplog):
    name = quiet_logs.LOGGERS[0]
    quiet_logs.install()
    quiet_logs.install()
    logger = logging.getLogger(name)
    assert logger.filters.count(quiet_logs.repeat_filter) == 1

    before = quiet_logs.repeat_filter.suppressed
    with caplog.at_level(logging.ERROR, logger=name):
        for code in range(50):
            logger.error("Failed to export %s batch code: %s", "spans", code)
        logger.error("Some other failure")

    messages = [r.getMessage() for r in caplog.records if r.name == name]
    assert messages[0].startswith("Failed to export spans batch")
    assert messages[1:] == ["Some other failure"]
    assert quiet_logs.repeat_filter.suppressed - before == 49


SETUP = """
import os, sys, django
django.setup()
from aa_otel_analytics import runtime
from django.conf import settings
settings.ANALYTICS_DISABLED = False
runtime.setup()
from aa_otel_analytics.demo import tasks
from django.test import Client
Client().get("/")
runtime.force_flush(5000)
result["otlp_modules"] = sorted(
    m for m in sys.modules if m.startswith("opentelemetry.exporter.otlp")
)
result["threads"] = sorted(t.name for t in threading.enumerate())
"""


def test_without_the_variables_nothing_about_otlp_is_imported(receiver, tmp_path):
    result = run_script(receiver, tmp_path, SETUP)

    assert result["otlp_modules"] == []
    assert not [t for t in result["threads"] if "otlp" in t]


def test_with_the_variables_the_otlp_exporter_is_imported(receiver, tmp_path):
    result = run_script(
        receiver,
        tmp_path,
        SETUP,
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9",
        OTEL_EXPORTER_OTLP_TIMEOUT="0.2",
    )

    assert (
        "opentelemetry.exporter.otlp.proto.http.trace_exporter"
        in result["otlp_modules"]
    )
