"""The busiest day: 1,000,000 task runs and 100,000 page views in 8 processes."""

from __future__ import annotations

import pytest

from aa_otel_analytics.receiver import GAReceiver
from bench.simulated_day import received_totals, simulate

pytestmark = pytest.mark.slow

BUDGET = 50_000


def test_a_busy_day_stays_inside_the_budget_with_exact_totals(tmp_path):
    with GAReceiver() as receiver:
        result = simulate(tmp_path, receiver.url, budget=BUDGET)
        requests = [{"body": r.body} for r in receiver.received]
        invalid = receiver.invalid_count()

    totals, events = received_totals(requests)
    assert invalid == 0
    assert sum(result["truth"].values()) == 1_100_000
    assert totals == result["truth"], "every key's count arrives exactly"
    assert all(day["used"] <= BUDGET for day in result["usage"])
    assert events == sum(day["used"] for day in result["usage"])
    keys = len(result["truth"])
    assert all(r["max_pending_keys"] <= keys for r in result["reports"])


def test_a_small_site_keeps_per_event_detail(tmp_path):
    with GAReceiver() as receiver:
        result = simulate(tmp_path, receiver.url, tasks=2_000, pages=400)
        events = receiver.events()

    assert len(events) == 2_400
    assert all(e["params"]["aggregated"] == 0 for e in events)
    assert all(e["params"]["count"] == 1 for e in events)
    assert [day["aggregated"] for day in result["usage"]] == [0]
