"""Which OTEL_* variables switch forwarding on, and what a person sees when wrong."""

from __future__ import annotations

import logging
import os
import time

import pytest
from django.core import checks

from aa_otel_analytics.forwarding import environment, health, quiet_logs
from tests.otel_env import clear_otel_environment
from tests.scripting import run_script


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    clear_otel_environment(monkeypatch)


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
    assert messages == ["Failed to export spans batch code: 0"]
    assert quiet_logs.repeat_filter.suppressed - before == 50


def test_a_new_process_does_not_log_again_within_ten_minutes(caplog):
    name = quiet_logs.LOGGERS[0]
    first, recycled = quiet_logs.RepeatFilter(), quiet_logs.RepeatFilter()
    record = logging.LogRecord(name, logging.ERROR, __file__, 1, "down", (), None)

    assert first.filter(record) is True
    assert recycled.filter(record) is False

    stamp = health.health.logged_marker
    old = time.time() - health.LOG_EVERY_SECS - 1
    os.utime(stamp, (old, old))
    assert recycled.filter(record) is True


def test_nothing_is_logged_during_the_exit_flush():
    name = quiet_logs.LOGGERS[0]
    quiet = quiet_logs.RepeatFilter()
    quiet.silent = True
    record = logging.LogRecord(name, logging.ERROR, __file__, 1, "down", (), None)

    assert quiet.filter(record) is False


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


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "not a url"}, "not an http"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "127.0.0.1:4318"}, "not an http"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:99999"}, "invalid port"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://[::1"}, "not a valid URL"),
        (
            {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318"},
            "/v1/traces",
        ),
        (
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                "OTEL_EXPORTER_OTLP_TIMEOUT": "0",
            },
            "every export fail",
        ),
        (
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                "OTEL_EXPORTER_OTLP_TIMEOUT": "10000",
            },
            "seconds",
        ),
        (
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
                "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "soon",
            },
            "not a number",
        ),
    ],
)
def test_a_value_that_cannot_work_is_named_and_not_used(
    monkeypatch, variables, expected
):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TIMEOUT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    traces = environment.plan("traces")
    assert traces.requested
    assert not traces.active
    assert expected in traces.problem
    [message] = [
        m
        for m in checks.run_checks()
        if m.id == "aa_otel_analytics.W004" and "traces" in m.msg
    ]
    assert expected in message.msg


@pytest.mark.parametrize(
    "endpoint",
    ["http://127.0.0.1:4318", "https://otel.example.net", "http://[::1]:4318/"],
)
def test_good_endpoints_pass(monkeypatch, endpoint):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)

    assert environment.plan("traces").active


def test_the_grpc_exporter_accepts_host_and_port(monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "127.0.0.1:4317")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")

    assert environment.plan("traces").active


@pytest.mark.parametrize(
    ("name", "protocol"),
    [("otlp_proto_http", "http/protobuf"), ("otlp_proto_grpc", "grpc")],
)
def test_the_sdks_otlp_exporter_names_choose_the_protocol(monkeypatch, name, protocol):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", name)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")

    plan = environment.plan("traces")
    assert plan.active
    assert plan.protocol == protocol


def test_other_exporter_names_are_reported_as_ignored(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console,otlp")

    assert environment.plan("traces").ignored == ("console",)
    [message] = [m for m in checks.run_checks() if m.id == "aa_otel_analytics.W004"]
    assert "console" in message.msg
