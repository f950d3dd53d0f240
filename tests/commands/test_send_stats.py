"""``analytics_send_stats``: the daily collection now, delivered before it exits."""

from __future__ import annotations

import json

from aa_otel_analytics.models import AnalyticsTokens
from tests.commands.conftest import fails, requests_in, run
from tests.conftest import flush


def stats_labels(receiver) -> list[str]:
    return sorted(e["params"]["label"] for e in receiver.events("celery_event"))


def test_it_sends_the_daily_stats_and_says_how_many(analytics, receiver):
    out = run("analytics_send_stats").out

    count = len(receiver.events("celery_event"))
    assert count >= 5
    assert f"collected {count} stats events" in out
    assert f"sent {count} events in 1 request to {receiver.url}/mp/collect" in out
    assert "existence" in stats_labels(receiver)
    assert receiver.invalid_count() == 0


def test_a_failed_delivery_exits_non_zero_and_says_why(analytics, receiver, settings):
    settings.ANALYTICS_ENDPOINT = "http://127.0.0.1:9"
    settings.ANALYTICS_EXPORT_DEADLINE_SECS = 1

    error = fails("analytics_send_stats").err

    assert error.startswith("delivery failed: 0 events sent, dropped: ")
    assert "(network)" in error


def test_analytics_off_is_an_error_and_sends_nothing(site, receiver):
    site.ANALYTICS_ENDPOINT = receiver.url
    site.ANALYTICS_DISABLED = True

    error = fails("analytics_send_stats").err

    assert error == (
        "analytics is off (the ANALYTICS_DISABLED setting): nothing collected or sent"
    )
    assert receiver.received == []


def test_stats_switched_off_sends_nothing_and_says_so(analytics, receiver):
    AnalyticsTokens.objects.update(send_stats=False)

    out = run("analytics_send_stats").out

    assert "nothing sent: no used token has stats switched on" in out
    assert receiver.received == []


def test_dry_run_prints_the_bodies_and_sends_nothing(analytics, receiver, no_network):
    out = run("analytics_send_stats", "--dry-run").out

    [(heading, url, body)] = requests_in(out)
    assert heading.endswith(": daily stats, 6 events")
    assert url.endswith("/mp/collect?measurement_id=G-6LYSMYK8DE&api_secret=***")
    assert {e["params"]["task"] for e in json.loads(body)["events"]} == {
        "send_install_stats",
        "send_extension_stats",
    }
    assert no_network == []


def test_dry_run_leaves_the_pipeline_nothing_to_send(analytics, receiver):
    run("analytics_send_stats", "--dry-run")
    flush()

    assert receiver.received == []
