"""Aggregated page views and tasks: exact counts, inside the daily budget."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from aa_otel_analytics import analytics_event
from aa_otel_analytics._ga4.budget import budget
from aa_otel_analytics._ga4.drops import drops
from aa_otel_analytics.demo import tasks
from aa_otel_analytics.models import AnalyticsDailyUsage
from aa_otel_analytics.tasks import analytics_daily_stats
from tests.conftest import flush
from tests.robustness.test_privacy_property import run_tasks, visit_everything

PLACEHOLDER = "https://allianceauth.invalid"


def totals(receiver, name: str, key) -> Counter:
    counted: Counter = Counter()
    for event in receiver.events(name):
        counted[key(event["params"])] += event["params"]["count"]
    return counted


def page_key(params):
    return params["page_location"].removeprefix(PLACEHOLDER), params["language"]


def task_key(params):
    return params["namespace"], params["task"], params["result"]


def test_always_mode_sends_one_event_per_key_with_its_count(
    analytics, receiver, client, settings
):
    settings.ANALYTICS_AGGREGATION = "always"
    for pk in range(5):
        client.get(f"/fleet/{pk}/")
    for _ in range(2):
        client.get("/fleet/9/", HTTP_ACCEPT_LANGUAGE="de")
    for x in range(3):
        tasks.add.delay(x, 10)
    tasks.fail.delay(1)
    tasks.fail.delay(2)
    flush()

    pages = receiver.events("page_view")
    assert sorted((page_key(e["params"]), e["params"]["count"]) for e in pages) == [
        (("/fleet/<int:pk>/", "de"), 2),
        (("/fleet/<int:pk>/", "en"), 5),
    ]
    assert all(e["params"]["aggregated"] == 1 for e in receiver.events())
    by_task = {
        task_key(e["params"]): e["params"] for e in receiver.events("celery_event")
    }
    add = by_task[("aa_otel_analytics.demo", "add", "Success")]
    assert (add["count"], add["value"]) == (3, 10 + 11 + 12)
    assert add["run_time_max_msec"] <= add["run_time_msec"]
    assert by_task[("aa_otel_analytics.demo", "fail", "RuntimeError")]["count"] == 2
    assert receiver.invalid_count() == 0


def test_auto_mode_sends_detail_then_aggregates_with_exact_totals(
    analytics, receiver, client, settings
):
    settings.ANALYTICS_DAILY_EVENT_BUDGET = 1_000
    # spendable 900, detail share 0.5: 450 single events, then counting.
    for index in range(600):
        analytics_event("bulk", f"job{index % 7}", result="Success", value=1)
        if index % 100 == 99:
            flush()
    flush()

    events = receiver.events("celery_event")
    detail = [e for e in events if e["params"]["aggregated"] == 0]
    aggregated = [e for e in events if e["params"]["aggregated"] == 1]
    assert 400 <= len(detail) <= 450
    assert aggregated, "the rest of the day is aggregated"
    assert sum(e["params"]["count"] for e in events) == 600
    assert totals(receiver, "celery_event", task_key) == Counter(
        {("bulk", f"job{i}", "Success"): len(range(i, 600, 7)) for i in range(7)}
    )
    assert len(events) <= 1_000
    assert AnalyticsDailyUsage.objects.get().used == len(events)


def test_switching_to_always_mid_day_loses_and_doubles_nothing(
    analytics, receiver, client, settings
):
    for _ in range(10):
        client.get("/")
    flush()
    settings.ANALYTICS_AGGREGATION = "always"
    for _ in range(15):
        client.get("/")
    flush()
    settings.ANALYTICS_AGGREGATION = "auto"
    for _ in range(4):
        client.get("/")
    flush()

    assert totals(receiver, "page_view", page_key) == Counter({("/", "en"): 29})


def test_held_back_aggregates_merge_and_are_sent_later(
    analytics, receiver, client, settings, monkeypatch
):
    settings.ANALYTICS_AGGREGATION = "always"
    monkeypatch.setattr(budget, "reserve", lambda kind, n, final=False: final)
    for round_ in range(3):
        client.get("/legacy/2020/")
        tasks.add.delay(round_, 0)
        analytics.processor.force_flush(5_000)
        analytics.aggregator.flush()
        assert receiver.events() == [], "denied: nothing sent, nothing lost"

    flush()

    [page] = receiver.events("page_view")
    [task] = receiver.events("celery_event")
    assert page["params"]["count"] == task["params"]["count"] == 3
    assert task["params"]["value"] == 0 + 1 + 2


def test_daily_stats_fit_even_when_the_budget_is_spent(
    analytics, receiver, client, settings
):
    settings.ANALYTICS_DAILY_EVENT_BUDGET = 1_000
    AnalyticsDailyUsage.objects.create(day=_today(), used=1_000, detail=1_000)

    client.get("/")
    analytics_daily_stats.delay()
    flush()

    stats = [
        e
        for e in receiver.events("celery_event")
        if e["params"]["namespace"] == "allianceauth.analytics"
    ]
    assert len(stats) >= 6
    assert receiver.events("page_view") == [], "no room for the page view"
    assert analytics.aggregator.pending_count() == 1, "still counted, held back"


def _today():
    from aa_otel_analytics._ga4.budget import clock, utc_day

    return utc_day(clock.time())


def test_the_budget_is_never_exceeded(analytics, receiver, settings):
    settings.ANALYTICS_DAILY_EVENT_BUDGET = 1_000
    for index in range(3_000):
        analytics_event("spread", f"t{index % 400}", value=1)
        if index % 500 == 499:
            flush()
    flush()

    assert len(receiver.events()) <= 1_000 - 100
    counted = sum(e["params"]["count"] for e in receiver.events())
    assert counted + analytics.aggregator.pending_count() == 3_000
    assert drops.snapshot() == {}


def test_aggregated_payloads_are_valid_and_anonymous(
    analytics, receiver, client, settings
):
    settings.ANALYTICS_AGGREGATION = "always"
    seeds = {
        "id": "48151623420",
        "uuid": "2f1c7a7e-8d1b-4c55-9b1a-0f6f1e2d3c4b",
        "hex": "ab" * 20,
        "slug": "zzsecret-slug",
        "email": "zzsecret@mail.example",
        "query": "zzsecretq",
        "fragment": "zzsecretf",
        "user_agent": "Browser/zzsecret",
        "forwarded": "198.51.100.7",
        "ip": "203.0.113.9",
        "referer": "https://ref.example/zzsecretr",
        "cookie": "zzsecretc",
        "username": "zzsecretu",
        "task_arg": "zzsecreta",
        "task_kwarg": "zzsecretk",
    }
    visit_everything(client, seeds)
    run_tasks(seeds)
    flush()

    text = json.dumps([r.body for r in receiver.received])
    assert receiver.events() and receiver.invalid_count() == 0
    for name, value in seeds.items():
        assert value not in text, name


@pytest.mark.parametrize("mode", ["auto", "always"])
def test_ignore_paths_and_switches_apply_in_both_modes(
    analytics, receiver, client, settings, mode
):
    settings.ANALYTICS_AGGREGATION = mode
    client.get("/user_notifications_count/3/")
    client.get("/")
    flush()

    assert totals(receiver, "page_view", page_key) == Counter({("/", "en"): 1})


def test_dropped_aggregates_are_counted_in_page_views_not_events(
    analytics, receiver, client, settings
):
    settings.ANALYTICS_AGGREGATION = "always"
    settings.ANALYTICS_ENDPOINT = "http://127.0.0.1:9"
    settings.ANALYTICS_EXPORT_DEADLINE_SECS = 0.5
    for pk in range(7):
        client.get(f"/fleet/{pk}/")
    client.get("/", HTTP_ACCEPT_LANGUAGE="de")

    flush(delivered=False)

    assert drops.snapshot() == {"network": 8}
