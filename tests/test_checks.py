"""Startup checks for tokens and deployment: each id appears exactly when it should."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

from aa_otel_analytics.checks import deployment, tokens
from aa_otel_analytics.models import AnalyticsTokens
from tests.conftest import preload_rows

OUR_ENTRY = {"daily": {"task": deployment.OUR_DAILY_TASK, "schedule": 86400}}
AA_ENTRY = {"aa": {"task": deployment.ALLIANCE_AUTH_DAILY_TASK, "schedule": 86400}}


def ids(messages) -> list[str]:
    return sorted(m.id for m in messages if m.id.startswith("aa_otel_analytics"))


@pytest.fixture
def enabled(settings, monkeypatch):
    """Analytics on, with the schedule and DEBUG a production site would have."""
    settings.ANALYTICS_DISABLED = False
    settings.DEBUG = False
    settings.CELERY_BEAT_SCHEDULE = dict(OUR_ENTRY)
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
    return settings


def add_token(**fields) -> AnalyticsTokens:
    values = {
        "name": "ours",
        "type": "GA-V4",
        "token": "G-ABCDEF1234",
        "secret": "s3cr3t",
        **fields,
    }
    return AnalyticsTokens.objects.create(**values)


def test_the_preloaded_token_passes(db):
    preload_rows()

    assert ids(tokens.check_tokens()) == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"type": "GA-U", "token": "UA-12345-1"}, "aa_otel_analytics.W007"),
        ({"token": "G-abc"}, "aa_otel_analytics.W006"),
        ({"token": "UA-12345-1"}, "aa_otel_analytics.W006"),
        ({"secret": "  "}, "aa_otel_analytics.W006"),
    ],
)
def test_a_token_google_would_refuse_is_reported(db, fields, expected):
    add_token(**fields)

    [message] = tokens.check_tokens()
    assert message.id == expected
    assert "'ours'" in message.msg
    assert "skipped" in message.msg


def test_the_secret_is_never_in_a_message(db):
    add_token(token="bad", secret="VERYSECRETVALUE")
    add_token(type="GA-U", secret="VERYSECRETVALUE")

    text = " ".join(f"{m.msg} {m.hint}" for m in tokens.check_tokens())
    assert "VERYSECRETVALUE" not in text


def test_without_a_database_the_token_check_is_silent():
    assert tokens.check_tokens() == []


def test_a_configured_production_site_passes(enabled, db):
    preload_rows()

    assert ids(run_checks()) == []


def test_debug_says_events_go_to_the_validation_endpoint(enabled):
    enabled.DEBUG = True

    assert ids(deployment.check_deployment()) == ["aa_otel_analytics.I008"]

    enabled.ANALYTICS_ENABLE_DEBUG = True
    assert ids(deployment.check_deployment()) == []


def test_the_sdk_switch_with_analytics_on_is_reported(enabled, monkeypatch):
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")

    assert ids(deployment.check_deployment()) == ["aa_otel_analytics.W010"]


@pytest.mark.parametrize("name", ["CELERYBEAT_SCHEDULE", "CELERY_BEAT_SCHEDULE"])
def test_a_missing_daily_task_is_reported_under_either_setting(enabled, name):
    enabled.CELERY_BEAT_SCHEDULE = {}
    assert ids(deployment.check_deployment()) == ["aa_otel_analytics.W009"]

    setattr(enabled, name, dict(OUR_ENTRY))
    assert ids(deployment.check_deployment()) == []


def test_alliance_auths_own_daily_task_beside_ours_is_reported(enabled):
    enabled.CELERYBEAT_SCHEDULE = dict(AA_ENTRY)

    [message] = deployment.check_deployment()
    assert message.id == "aa_otel_analytics.W011"
    assert "twice" in message.msg


def test_the_database_schedule_counts_too(enabled, db):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    enabled.CELERY_BEAT_SCHEDULE = {}
    every_day = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    PeriodicTask.objects.create(
        name="ours", task=deployment.OUR_DAILY_TASK, interval=every_day
    )
    assert ids(deployment.check_deployment()) == []

    PeriodicTask.objects.create(
        name="aa", task=deployment.ALLIANCE_AUTH_DAILY_TASK, interval=every_day
    )
    assert ids(deployment.check_deployment()) == ["aa_otel_analytics.W011"]

    PeriodicTask.objects.filter(name="aa").update(enabled=False)
    assert ids(deployment.check_deployment()) == []


def test_nothing_is_reported_when_analytics_is_off(enabled, monkeypatch):
    enabled.ANALYTICS_DISABLED = True
    enabled.DEBUG = True
    enabled.CELERY_BEAT_SCHEDULE = dict(AA_ENTRY)
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")

    assert ids(deployment.check_deployment()) == []


@pytest.mark.parametrize(
    ("name", "value", "used"),
    [
        ("ANALYTICS_DAILY_EVENT_BUDGET", 500, "the default"),
        ("ANALYTICS_DAILY_EVENT_BUDGET", 200_000, "100000 is used"),
        ("ANALYTICS_AUDIT_BODIES", -1, "the default"),
        ("ANALYTICS_AUDIT_BODIES", "20", "the default"),
        ("ANALYTICS_AUDIT_RETENTION_DAYS", 0, "the default"),
        ("ANALYTICS_AUDIT_RETENTION_DAYS", True, "the default"),
    ],
)
def test_a_count_setting_out_of_range_is_named(settings, name, value, used):
    setattr(settings, name, value)

    [message] = [m for m in run_checks() if m.id == "aa_otel_analytics.W012"]
    assert name in message.msg
    assert used in message.msg


def test_count_settings_in_range_pass(settings):
    settings.ANALYTICS_DAILY_EVENT_BUDGET = 100_000
    settings.ANALYTICS_AUDIT_BODIES = 0
    settings.ANALYTICS_AUDIT_RETENTION_DAYS = 1

    assert "aa_otel_analytics.W012" not in ids(run_checks())


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("ANALYTICS_EXPORT_DEADLINE_SECS", float("nan"), "aa_otel_analytics.W003"),
        ("ANALYTICS_EXPORT_DEADLINE_SECS", float("inf"), "aa_otel_analytics.W003"),
        ("ANALYTICS_AGGREGATION_INTERVAL_SECS", -1, "aa_otel_analytics.W003"),
        ("ANALYTICS_AUDIT_RETENTION_DAYS", 800_000, "aa_otel_analytics.W012"),
        ("ANALYTICS_AGGREGATION", "never", "aa_otel_analytics.W013"),
        ("ANALYTICS_DETAIL_SHARE", 2, "aa_otel_analytics.W013"),
        ("ANALYTICS_DETAIL_SHARE", True, "aa_otel_analytics.W013"),
    ],
)
def test_every_tuning_setting_out_of_range_is_named(settings, name, value, expected):
    setattr(settings, name, value)

    [message] = [m for m in run_checks() if m.id == expected]
    assert name in message.msg


def test_tuning_settings_in_range_pass(settings):
    settings.ANALYTICS_AGGREGATION = "always"
    settings.ANALYTICS_DETAIL_SHARE = 0
    settings.ANALYTICS_AGGREGATION_INTERVAL_SECS = 60
    settings.ANALYTICS_AUDIT_RETENTION_DAYS = 36_500

    found = ids(run_checks())
    assert not {"aa_otel_analytics.W003", "aa_otel_analytics.W012"} & set(found)
    assert "aa_otel_analytics.W013" not in found
