"""``analytics_status``: on or off and why, the install id, tokens and endpoint."""

from __future__ import annotations

import datetime as dt
import json
import sys
import types

import pytest

from aa_otel_analytics.models import AnalyticsIdentifier, AnalyticsTokens
from tests.commands.conftest import fails, run

TEAM = "AA Team Public Google Analytics (V4)"
SUMMARY = "aa_otel_analytics.audit.summary"


def status_json() -> dict:
    return json.loads(run("analytics_status", "--json").out)


def team_token(status: dict) -> dict:
    [token] = [t for t in status["tokens"] if t["name"] == TEAM]
    return token


def test_an_enabled_site_shows_what_it_sends_and_where(site):
    out = run("analytics_status").out

    identifier = AnalyticsIdentifier.objects.get(pk=1).identifier.hex
    assert "analytics:    on\n" in out
    assert "page views on, celery tasks on, stats on" in out
    assert f"install id:   {identifier}" in out
    assert "endpoint:     http://127.0.0.1:9/mp/collect" in out
    assert "mode:         production" in out
    assert f"  - {TEAM}: used" in out
    assert "GA-V4 G-6LYSMYK8DE, secret set" in out
    assert "3 ignore paths" in out


def test_json_has_the_same_facts_and_no_secret(site):
    status = status_json()

    assert status["enabled"] is True
    assert status["disabled_by"] == []
    assert status["sending"] == {
        "page_views": True,
        "celery_tasks": True,
        "stats": True,
    }
    assert status["install_id"] == AnalyticsIdentifier.objects.get(pk=1).identifier.hex
    assert status["mode"] == "production"
    token = team_token(status)
    assert token["secret"] == "set"
    assert (token["used"], token["skipped_because"]) == (True, None)
    assert token["ignore_paths"] == 3


def test_the_setting_that_disabled_it_is_named(site):
    site.ANALYTICS_DISABLED = True

    out = run("analytics_status").out

    assert "OFF, switched off by the ANALYTICS_DISABLED setting" in out
    assert status_json()["sending"] == {
        "page_views": False,
        "celery_tasks": False,
        "stats": False,
    }


def test_otel_sdk_disabled_is_named(site, monkeypatch):
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")

    status = status_json()

    assert status["enabled"] is False
    assert status["disabled_by"] == ["the OTEL_SDK_DISABLED environment variable"]


def test_each_toggle_is_shown_and_decides_what_is_sent(site):
    AnalyticsTokens.objects.filter(pk=1).update(send_page_views=False)

    status = status_json()
    out = run("analytics_status").out

    assert status["sending"]["page_views"] is False
    assert status["sending"]["stats"] is True
    assert team_token(status)["send_page_views"] is False
    assert "page views off, celery tasks on, stats on" in out


def test_every_toggle_off_says_nothing_is_sent(site):
    AnalyticsTokens.objects.update(
        send_page_views=False, send_celery_tasks=False, send_stats=False
    )

    assert (
        "analytics:    on, but no token sends anything" in run("analytics_status").out
    )


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"type": "GA-U", "token": "UA-12345-1"}, "Universal Analytics"),
        ({"token": "G-lower"}, "'G-lower' is not a GA4 measurement id"),
        ({"secret": ""}, "it has no API secret"),
    ],
)
def test_tokens_the_exporter_skips_are_shown_with_why(site, fields, reason):
    row = {"name": "Mine", "token": "G-ABCDEF123", "secret": "own-secret-value"}
    AnalyticsTokens.objects.create(**{**row, **fields})

    status = status_json()
    out = run("analytics_status").out

    [mine] = [t for t in status["tokens"] if t["name"] == "Mine"]
    assert mine["used"] is False
    assert reason in mine["skipped_because"]
    assert f"  - Mine: SKIPPED: {mine['skipped_because']}" in out
    assert "own-secret-value" not in out + json.dumps(status)


def test_a_missing_secret_is_shown_as_missing(site):
    AnalyticsTokens.objects.filter(pk=1).update(secret="")

    assert team_token(status_json())["secret"] == "missing"
    assert "secret missing" in run("analytics_status").out


def test_debug_sends_to_the_validation_endpoint(site):
    site.DEBUG = True

    out = run("analytics_status").out

    assert "endpoint:     http://127.0.0.1:9/debug/mp/collect" in out
    assert "mode:         debug: GA's validation endpoint, which records nothing" in out


def test_enable_debug_keeps_the_real_endpoint(site):
    site.DEBUG = True
    site.ANALYTICS_ENABLE_DEBUG = True

    status = status_json()

    assert status["endpoint"] == "http://127.0.0.1:9/mp/collect"
    assert status["mode"] == "production"


def test_a_malformed_endpoint_says_nothing_is_sent(site):
    site.ANALYTICS_ENDPOINT = "ftp://nowhere"

    out = run("analytics_status").out

    assert "endpoint:     none: ANALYTICS_ENDPOINT is malformed" in out


def test_otlp_forwarding_is_shown(site, monkeypatch):
    assert "OTLP:         traces off, metrics off" in run("analytics_status").out

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert "traces on (http/protobuf), metrics on (http/protobuf), redacted" in (
        run("analytics_status").out
    )

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
    forwarding = status_json()["forwarding"]
    assert forwarding["traces"]["on"] is False
    assert "'http/json' is not supported" in forwarding["traces"]["problem"]


def test_last_success_is_unknown_without_the_audit_trail(site, monkeypatch):
    monkeypatch.setitem(sys.modules, SUMMARY, None)  # importing it fails

    assert team_token(status_json())["last_success"] == "unknown"
    assert "last successful send: unknown" in run("analytics_status").out


def test_last_success_per_token_comes_from_the_audit_trail(site, monkeypatch):
    AnalyticsTokens.objects.create(name="Quiet", token="G-QUIET1234", secret="s")
    when = dt.datetime(2026, 12, 4, 2, 0, 3, tzinfo=dt.timezone.utc)
    summary = types.ModuleType(SUMMARY)
    summary.last_success_by_token = lambda: {TEAM: when}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, SUMMARY, summary)
    site.TIME_ZONE = "UTC"

    status = status_json()
    out = run("analytics_status").out

    assert team_token(status)["last_success"] == "2026-12-04 02:00:03+00:00"
    [quiet] = [t for t in status["tokens"] if t["name"] == "Quiet"]
    assert quiet["last_success"] is None
    assert "last successful send: 2026-12-04 02:00:03+00:00" in out
    assert "last successful send: never" in out


def test_unreadable_tables_fail_with_a_hint(site, monkeypatch):
    from django.db import OperationalError

    from aa_otel_analytics.operator import status

    def broken() -> None:
        raise OperationalError("no such table: aa_otel_analytics_analyticstokens")

    monkeypatch.setattr(status, "_install_id", broken)

    assert "has `python manage.py migrate` been run?" in fails("analytics_status").err


def test_after_a_send_the_last_success_is_shown(analytics, receiver):
    run("analytics_send_stats")

    last = team_token(status_json())["last_success"]

    assert last not in (None, "unknown")
    age = dt.datetime.now(dt.timezone.utc) - dt.datetime.fromisoformat(last)
    assert dt.timedelta(0) <= age < dt.timedelta(minutes=5)


def test_a_collector_seen_down_by_any_process_is_shown(site, monkeypatch, tmp_path):
    from aa_otel_analytics.forwarding.health import health

    monkeypatch.setattr(health, "directory", tmp_path)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert status_json()["forwarding"]["collector_down"] is False

    health.mark_down()

    assert status_json()["forwarding"]["collector_down"] is True
    assert "the collector refused or failed" in run("analytics_status").out
