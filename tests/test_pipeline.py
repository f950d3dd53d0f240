"""The in-process pipeline: Django test client and eager Celery to the receiver."""

from __future__ import annotations

import json
import logging

import pytest

from aa_otel_analytics import analytics_event
from aa_otel_analytics.demo import tasks
from aa_otel_analytics.models import AnalyticsTokens
from aa_otel_analytics.tasks import analytics_daily_stats
from tests.conftest import flush, reload_config

PLACEHOLDER = "https://allianceauth.invalid"


def page_views(receiver) -> list[dict]:
    return [e["params"] for e in receiver.events("page_view")]


def task_events(receiver) -> list[dict]:
    return [
        e["params"]
        for e in receiver.events("celery_event")
        if e["params"]["namespace"] != "allianceauth.analytics"
    ]


def stats_events(receiver) -> list[dict]:
    return [
        e["params"]
        for e in receiver.events("celery_event")
        if e["params"]["namespace"] == "allianceauth.analytics"
    ]


@pytest.mark.parametrize(
    ("url", "location", "title"),
    [
        ("/", "/", "home"),
        ("/fleet/42/?q=secret", "/fleet/<int:pk>/", "fleet"),
        ("/legacy/2024/", "/legacy/<year>/", "legacy"),
        ("/api/items/abc-1/", "/api/items/<slug:slug>/", "api:item"),
    ],
)
def test_page_view_reports_the_route_pattern_and_name(
    analytics, receiver, client, url, location, title
):
    assert client.get(url).status_code == 200
    flush()

    [params] = page_views(receiver)
    assert params["page_location"] == PLACEHOLDER + location
    assert params["page_title"] == title
    assert params["language"] == "en"
    assert receiver.invalid_count() == 0


def test_language_comes_from_the_request(analytics, receiver, client):
    client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    flush()

    assert [p["language"] for p in page_views(receiver)] == ["de"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/no/such/page/"),
        ("get", "/health/"),
        ("post", "/search/"),
        ("get", "/user_notifications_count/3/"),
        ("get", "/admin/login/"),
    ],
)
def test_requests_that_are_not_reported_pages_send_nothing(
    analytics, receiver, client, method, url
):
    getattr(client, method)(url)
    flush()

    assert page_views(receiver) == []


def test_a_failing_view_sends_no_page_view(analytics, receiver, client):
    client.raise_request_exception = False
    assert client.get("/boom/").status_code == 500
    flush()

    assert page_views(receiver) == []


def test_tasks_report_outcome_value_and_namespace(analytics, receiver):
    tasks.add.delay(2, 3)
    tasks.fail.delay(90000001)
    tasks.retry_once.delay("k")
    flush()

    got = sorted((p["task"], p["result"], p["value"]) for p in task_events(receiver))
    assert got == [
        ("add", "Success", 5),
        ("fail", "RuntimeError", 0),
        ("retry_once", "Success", 1),
    ]
    assert {p["namespace"] for p in task_events(receiver)} == {"aa_otel_analytics.demo"}
    [retried] = [p for p in task_events(receiver) if p["task"] == "retry_once"]
    assert retried["retries"] == 1


def test_large_task_values_are_sent_as_zero(analytics, receiver):
    tasks.add.delay(90_000_000, 1)
    tasks.add.delay(99_999, 1)
    flush()

    assert sorted(p["value"] for p in task_events(receiver)) == [0, 100_000]


def test_analytics_event_reaches_ga_with_alliance_auth_params(analytics, receiver):
    analytics_event("my.app", "sync", label="bulk", result="Success", value=7)
    flush()

    [params] = task_events(receiver)
    assert params["namespace"] == "my.app"
    assert (params["task"], params["label"], params["result"]) == (
        "sync",
        "bulk",
        "Success",
    )
    assert params["value"] == 7


@pytest.mark.parametrize(
    ("switch", "kept"), [("send_stats", "Celery"), ("send_celery_tasks", "Stats")]
)
def test_analytics_event_type_chooses_the_switch(analytics, receiver, switch, kept):
    AnalyticsTokens.objects.filter(pk=1).update(**{switch: False})
    reload_config()

    analytics_event("my.app", "Celery", event_type="Celery")
    analytics_event("my.app", "Stats", event_type="Stats")
    flush()

    assert [e["params"]["task"] for e in receiver.events()] == [kept]


def test_daily_stats_collect_once_into_alliance_auth_events(analytics, receiver):
    assert analytics_daily_stats.delay().get() > 0

    labels = sorted((p["task"], p["label"]) for p in stats_events(receiver))
    assert ("send_install_stats", "existence") in labels
    assert ("send_install_stats", "existence_baremetal") in labels
    assert ("send_install_stats", "users") in labels
    assert ("send_install_stats", "tokens") in labels
    assert ("send_install_stats", "addons") in labels
    assert ("send_extension_stats", "demo") in labels
    assert len(labels) == len(set(labels)), "one collection, no duplicates"


def test_no_request_carries_more_than_25_events(analytics, receiver):
    for index in range(60):
        analytics_event("bulk", "event", value=index)
    flush()

    sizes = [len(r.body["events"]) for r in receiver.received]
    assert sum(sizes) == 60
    assert max(sizes) <= 25
    assert receiver.invalid_count() == 0


@pytest.mark.parametrize(
    ("switch", "kind"),
    [
        ("send_page_views", "page_view"),
        ("send_celery_tasks", "task"),
        ("send_stats", "stats"),
    ],
)
def test_each_switch_removes_exactly_its_kind(
    analytics, receiver, client, switch, kind
):
    AnalyticsTokens.objects.filter(pk=1).update(**{switch: False})
    reload_config()

    client.get("/")
    tasks.add.delay(1, 1)
    analytics_daily_stats.delay()
    flush()

    counts = {
        "page_view": len(page_views(receiver)),
        "task": len(task_events(receiver)),
        "stats": len(stats_events(receiver)),
    }
    assert counts.pop(kind) == 0
    assert all(count > 0 for count in counts.values()), counts


def test_setup_twice_sends_nothing_twice(analytics, receiver, client):
    from aa_otel_analytics import runtime

    assert runtime.setup()
    assert runtime.setup()
    client.get("/")
    tasks.add.delay(1, 2)
    flush()

    assert len(page_views(receiver)) == 1
    assert len(task_events(receiver)) == 1


def test_ga_down_breaks_neither_pages_nor_tasks(analytics, receiver, client, settings):
    settings.ANALYTICS_ENDPOINT = "http://127.0.0.1:9"
    settings.ANALYTICS_EXPORT_DEADLINE_SECS = 1

    assert client.get("/fleet/1/").status_code == 200
    assert tasks.add.delay(1, 2).get() == 3
    analytics_event("x", "y")

    from aa_otel_analytics import runtime
    from aa_otel_analytics._ga4.drops import drops

    runtime.force_flush(10_000)
    assert drops.snapshot().get("network", 0) >= 2
    assert receiver.received == []


def test_our_own_tasks_are_not_reported(analytics, receiver):
    analytics_daily_stats.delay()
    flush()

    assert task_events(receiver) == []
    assert stats_events(receiver)


def test_analytics_event_is_importable_from_the_tasks_module():
    from aa_otel_analytics import analytics_event as top
    from aa_otel_analytics.tasks import analytics_event as from_tasks

    assert top is from_tasks


@pytest.mark.parametrize("reachable", [True, False])
def test_the_secret_never_reaches_the_log(
    analytics, receiver, client, caplog, settings, reachable
):
    if not reachable:
        settings.ANALYTICS_ENDPOINT = "http://127.0.0.1:9"
        settings.ANALYTICS_EXPORT_DEADLINE_SECS = 0.5
    from aa_otel_analytics._ga4 import config, sender

    config._log.reset()
    sender._log.reset()
    with caplog.at_level(logging.DEBUG):
        client.get("/")
        tasks.fail.delay(1)
        flush(delivered=reachable)

    assert "/mp/collect" in caplog.text or "dropped" in caplog.text
    assert "KLlpjLZ-SRGozS5f5wb_kw" not in caplog.text
    ours = [r for r in caplog.records if r.name.startswith("aa_otel_analytics")]
    assert not any(r.exc_info for r in ours), "no tracebacks from us"


def test_an_admin_change_reaches_the_export_thread_within_the_refresh(
    analytics, receiver, client, settings
):
    import time

    settings.ANALYTICS_CONFIG_REFRESH_SECS = 0.2
    client.get("/")
    flush()
    AnalyticsTokens.objects.filter(pk=1).update(send_page_views=False)
    time.sleep(0.3)

    client.get("/")
    flush()

    assert len(page_views(receiver)) == 1


def test_an_unnamed_pattern_is_titled_by_its_route_not_its_code(
    analytics, receiver, client, settings
):
    settings.ROOT_URLCONF = "tests.urls"

    client.get("/unnamed/5/")
    flush()

    [params] = page_views(receiver)
    assert params["page_title"] == "/unnamed/<int:pk>/"
    assert "views" not in json.dumps(params)


def test_ignore_paths_match_without_the_script_prefix(analytics, receiver, client):
    client.get("/user_notifications_count/3/", SCRIPT_NAME="/auth")
    client.get("/fleet/3/", SCRIPT_NAME="/auth")
    flush()

    assert [p["page_title"] for p in page_views(receiver)] == ["fleet"]


def test_lone_surrogates_are_replaced_not_sent(analytics, receiver):
    analytics_event("\ud800ns", "t\udfff", label="\ud83d")
    flush()

    [request] = receiver.received
    assert request.messages == []
    assert "\\ud" not in json.dumps(request.body)


def test_an_unsampled_incoming_traceparent_still_counts_the_page(
    analytics, receiver, client
):
    unsampled = f"00-{'a' * 32}-{'b' * 16}-00"
    client.get("/", HTTP_TRACEPARENT=unsampled)
    flush()

    assert len(receiver.events("page_view")) == 1
