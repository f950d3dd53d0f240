"""The questions the admin page and the status command ask of the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from aa_otel_analytics.audit import summary
from tests.audit.seed import at, dropped, sent

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 8, 20)


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def test_daily_events_has_one_entry_per_day_with_zeros():
    sent(days_ago(0), page_views=3, task_events=2)
    sent(days_ago(0), page_views=1, stats=5, hour=23)
    sent(days_ago(2), task_events=4)
    sent(days_ago(30), page_views=99)  # outside the window
    dropped(days_ago(0), "http_500", 10, token="AA Team")

    days = summary.daily_events(30, today=TODAY)

    assert len(days) == 30
    assert days[0].day == days_ago(29) and days[-1].day == TODAY
    assert (days[-1].page_views, days[-1].task_events, days[-1].stats) == (4, 2, 5)
    assert days[-3].task_events == 4 and days[-3].total == 4
    assert sum(day.total for day in days) == 15


def test_days_follow_the_current_time_zone(settings):
    settings.TIME_ZONE = "Pacific/Auckland"
    with timezone.override("Pacific/Auckland"):
        late = timezone.make_aware(dt.datetime(2026, 8, 20, 23, 30))
        from aa_otel_analytics.models import AnalyticsSentBatch

        AnalyticsSentBatch.objects.create(
            sent_at=late, token_name="t", outcome="sent", page_views=1
        )
        [day] = summary.daily_events(1, today=TODAY)

    assert day.page_views == 1


def test_totals_count_sent_and_dropped_separately():
    sent(days_ago(1), page_views=2, task_events=3, stats=1)
    sent(days_ago(0), page_views=1)
    dropped(days_ago(0), "http_500", 4, token="AA Team")
    dropped(days_ago(0), "over_budget", 6)

    totals = summary.totals()

    assert totals.batches_sent == 2
    assert (totals.page_views, totals.task_events, totals.stats) == (3, 3, 1)
    assert totals.events_sent == 7 and totals.represented == 7
    assert totals.bytes_sent == 300 * 7
    assert totals.batches_dropped == 1
    assert totals.events_dropped == 10


def test_totals_since_leave_older_rows_out():
    sent(days_ago(40), page_views=5)
    sent(TODAY, page_views=1)

    assert summary.totals(at(days_ago(1))).page_views == 1
    assert summary.totals().page_views == 6


def test_an_empty_trail_has_zero_totals():
    assert summary.totals() == summary.Totals()
    assert summary.drops_by_reason() == {}
    assert summary.last_success_by_token() == {}


def test_drops_by_reason_adds_up_largest_first():
    dropped(days_ago(0), "queue_full", 2)
    dropped(days_ago(1), "queue_full", 5)
    dropped(days_ago(1), "http_500", 9, token="AA Team")
    dropped(days_ago(50), "too_old", 1)

    by_reason = summary.drops_by_reason(at(days_ago(5)))

    assert list(by_reason.items()) == [("http_500", 9), ("queue_full", 7)]


def test_latest_payloads_are_the_newest_rows_with_a_body():
    sent(days_ago(3), page_views=1, body={"n": 1})
    sent(days_ago(2), page_views=1)
    sent(days_ago(1), page_views=1, body={"n": 2})
    sent(days_ago(0), page_views=1, body={"n": 3})

    assert [row.body for row in summary.latest_payloads(2)] == [{"n": 3}, {"n": 2}]


def test_last_success_by_token_ignores_drops_and_token_less_rows():
    sent(days_ago(3), page_views=1, token="A")
    sent(days_ago(1), page_views=1, token="A")
    sent(days_ago(2), page_views=1, token="B")
    dropped(days_ago(0), "http_500", 1, token="A")
    dropped(days_ago(0), "over_budget", 1)

    assert summary.last_success_by_token() == {
        "A": at(days_ago(1)),
        "B": at(days_ago(2)),
    }


def test_axis_labels_stay_short_for_any_count():
    from aa_otel_analytics.audit.chart import compact

    labels = [compact(n) for n in (0, 75, 9_999, 12_500, 3_400_000, 2_000_000_000)]

    assert labels == ["0", "75", "9,999", "12k", "3.4M", "2G"]
    assert all(len(compact(10**n * 7)) <= 5 for n in range(13))
