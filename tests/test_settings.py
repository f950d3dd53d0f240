"""Settings: endpoint choice, debug mode, and clear errors for bad values."""

from __future__ import annotations

import logging

import pytest
from django.core.checks import run_checks

from aa_otel_analytics._ga4.drops import drops
from aa_otel_analytics._ga4.sender import _log_validation
from aa_otel_analytics.conf import DEFAULT_ENDPOINT, conf
from tests.conftest import flush


def test_endpoint_defaults_to_google(settings, monkeypatch):
    del settings.ANALYTICS_ENDPOINT
    monkeypatch.delenv("ANALYTICS_ENDPOINT", raising=False)

    assert conf.collect_url == DEFAULT_ENDPOINT + "/mp/collect"


def test_endpoint_falls_back_to_the_environment(settings, monkeypatch):
    del settings.ANALYTICS_ENDPOINT
    monkeypatch.setenv("ANALYTICS_ENDPOINT", "http://127.0.0.1:8799/")

    assert conf.collect_url == "http://127.0.0.1:8799/mp/collect"


def test_django_setting_wins_over_the_environment(settings, monkeypatch):
    settings.ANALYTICS_ENDPOINT = "http://127.0.0.1:1111"
    monkeypatch.setenv("ANALYTICS_ENDPOINT", "http://127.0.0.1:2222")

    assert conf.ANALYTICS_ENDPOINT == "http://127.0.0.1:1111"


@pytest.mark.parametrize(
    ("debug", "force", "path"),
    [
        (True, False, "/debug/mp/collect"),
        (True, True, "/mp/collect"),
        (False, False, "/mp/collect"),
    ],
)
def test_debug_mode_uses_the_validation_endpoint(
    analytics, receiver, client, settings, debug, force, path
):
    settings.DEBUG = debug
    settings.ANALYTICS_ENABLE_DEBUG = force

    client.get("/")
    flush()

    assert [r.path for r in receiver.received] == [path]


def test_debug_mode_logs_what_the_validation_server_says(caplog):
    class Outcome:
        body = (
            b'{"validationMessages": [{"fieldPath": "events", "description": '
            b'"bad name", "validationCode": "NAME_INVALID"}]}'
        )

    class Token:
        name = "team"

    class Batch:
        token = Token()

    with caplog.at_level(logging.WARNING):
        _log_validation(Batch(), Outcome())

    assert "NAME_INVALID" in caplog.text
    assert "bad name" in caplog.text


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_non_bool_disabled_setting_is_a_startup_error(settings, value):
    settings.ANALYTICS_DISABLED = value

    ids = [m.id for m in run_checks()]

    assert "aa_otel_analytics.E001" in ids
    assert conf.enabled is not bool(value)


@pytest.mark.parametrize(
    "value",
    [
        "ftp://x",
        "not a url",
        "127.0.0.1:8799",
        "http://127.0.0.1:1/?a=b",
        "http://[::1",
        "http://127.0.0.1:99999",
        "",
        42,
    ],
)
def test_a_malformed_endpoint_is_a_startup_error_and_sends_nowhere(settings, value):
    settings.ANALYTICS_ENDPOINT = value

    messages = [m for m in run_checks() if m.id == "aa_otel_analytics.E002"]

    assert messages and "ANALYTICS_ENDPOINT" in messages[0].msg
    assert conf.collect_url is None


def test_a_malformed_endpoint_drops_and_counts_instead_of_sending_to_google(
    analytics, receiver, client, settings
):
    settings.ANALYTICS_ENDPOINT = "127.0.0.1:8799"
    client.get("/")

    flush(delivered=False)

    assert drops.snapshot() == {"bad_endpoint": 1}


def test_good_settings_pass_the_checks(settings):
    settings.ANALYTICS_DISABLED = False
    settings.ANALYTICS_ENDPOINT = "https://proxy.example.org/ga"

    assert [m.id for m in run_checks() if m.id.startswith("aa_otel")] == []


@pytest.mark.parametrize("value", ["60", -1, 0, True, None])
def test_a_bad_duration_is_a_startup_warning_and_falls_back(settings, value):
    settings.ANALYTICS_CONFIG_REFRESH_SECS = value

    ids = [m.id for m in run_checks()]

    assert ("aa_otel_analytics.W003" in ids) is (value is not None)
    assert conf.ANALYTICS_CONFIG_REFRESH_SECS == 60
