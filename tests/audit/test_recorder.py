"""Every batch that left, or failed to, is written to the audit table."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from aa_otel_analytics import analytics_event
from aa_otel_analytics._ga4.client import Outcome
from aa_otel_analytics._ga4.config import TokenConfig
from aa_otel_analytics._ga4.drops import drops
from aa_otel_analytics._ga4.payload import Batch
from aa_otel_analytics.audit import recorder as recorder_module
from aa_otel_analytics.audit.recorder import AuditRecorder
from aa_otel_analytics.demo import tasks
from aa_otel_analytics.models import AnalyticsSentBatch
from aa_otel_analytics.receiver.faults import Fault
from aa_otel_analytics.tasks import analytics_daily_stats
from tests.conftest import flush

SECRET = "KLlpjLZ-SRGozS5f5wb_kw"
TOKEN = "AA Team Public Google Analytics (V4)"


def rows(**filters) -> list[AnalyticsSentBatch]:
    return list(AnalyticsSentBatch.objects.filter(**filters).order_by("pk"))


def a_batch(name: str = "t", events: int = 1) -> Batch:
    token = TokenConfig("t", "G-TEST1234", "s3cr3t", True, True, True)
    body = json.dumps({"client_id": "x", "events": [{"name": name}] * events})
    return Batch(token, body.encode(), {name: events}, events, {"task": events})


def test_sent_batches_are_recorded_with_their_counts(analytics, receiver, client):
    client.get("/")
    client.get("/fleet/1/")
    tasks.add.delay(1, 2)
    analytics_event("my.app", "sync")
    flush()

    [row] = rows()
    assert (row.outcome, row.reason, row.http_status) == ("sent", "", 204)
    assert row.token_name == TOKEN
    assert row.events == {"page_view": 2, "celery_event": 2}
    assert (row.page_views, row.task_events, row.stats) == (2, 2, 0)
    assert row.represented == 4
    [request] = receiver.received
    assert row.size_bytes == request.raw_size
    assert row.body == request.body


def test_daily_stats_are_recorded_as_stats(analytics, receiver):
    made = analytics_daily_stats.delay().get()
    flush()

    assert sum(row.stats for row in rows(outcome="sent")) == made
    assert all(row.page_views == row.task_events == 0 for row in rows())


def test_a_dropped_batch_is_recorded_with_its_status_once(
    analytics, receiver, client, settings
):
    settings.ANALYTICS_EXPORT_DEADLINE_SECS = 0.5
    receiver.fault = Fault.ERROR
    client.get("/")
    flush(delivered=False)
    flush()  # a second flush must not record the same drop again

    [row] = rows()
    assert (row.outcome, row.reason, row.http_status) == ("dropped", "http_500", 500)
    assert (row.token_name, row.page_views, row.represented) == (TOKEN, 1, 1)


def test_drops_before_any_batch_become_token_less_rows(analytics, receiver):
    drops.add("over_budget", 7)
    drops.add("queue_full", 3)
    flush(delivered=True)

    got = {(r.reason, r.represented, r.token_name, r.outcome) for r in rows()}
    assert got == {("over_budget", 7, "", "dropped"), ("queue_full", 3, "", "dropped")}

    drops.add("queue_full", 2)
    flush()
    assert [r.represented for r in rows(reason="queue_full")] == [3, 2]


def test_the_secret_never_appears_in_any_row(analytics, receiver, client, settings):
    client.get("/")
    tasks.add.delay(1, 2)
    analytics_daily_stats.delay()
    flush()
    settings.ANALYTICS_EXPORT_DEADLINE_SECS = 0.5
    receiver.fault = Fault.ERROR
    client.get("/")
    flush(delivered=False)

    dumped = json.dumps(list(AnalyticsSentBatch.objects.values()), default=str)
    assert len(rows(outcome="sent")) >= 2 and rows(outcome="dropped")
    assert SECRET not in dumped
    assert "api_secret" not in dumped


def test_nothing_is_recorded_in_debug(analytics, receiver, client, settings):
    settings.DEBUG = True
    client.get("/")
    drops.add("over_budget", 4)
    flush()

    assert receiver.received and receiver.received[0].path == "/debug/mp/collect"
    assert rows() == []


def test_only_the_latest_batches_keep_their_body(analytics, receiver, settings):
    settings.ANALYTICS_AUDIT_BODIES = 2
    for index in range(5):
        analytics_event("my.app", f"task{index}")
        flush()

    written = rows()
    assert len(written) == 5
    assert [row.body is not None for row in written] == [False] * 3 + [True] * 2
    assert written[-1].body == receiver.received[-1].body


def test_no_body_is_kept_when_the_setting_is_zero(analytics, receiver, settings):
    settings.ANALYTICS_AUDIT_BODIES = 0
    analytics_event("my.app", "sync")
    flush()

    [row] = rows()
    assert row.body is None and row.events == {"celery_event": 1}


def test_setting_zero_clears_payloads_stored_before(analytics, receiver, settings):
    settings.ANALYTICS_AUDIT_BODIES = 5
    analytics_event("my.app", "before")
    flush()
    settings.ANALYTICS_AUDIT_BODIES = 0
    analytics_event("my.app", "after")
    flush()

    assert [row.body for row in rows()] == [None, None]


def test_a_century_of_retention_still_prunes_and_sends(analytics, receiver, settings):
    settings.ANALYTICS_AUDIT_RETENTION_DAYS = 800_000

    assert analytics_daily_stats.delay().get() > 0


def test_database_errors_are_absorbed_and_logged_once(
    analytics, receiver, client, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise OperationalError("no such table: aa_otel_analytics_analyticssentbatch")

    monkeypatch.setattr(AnalyticsSentBatch.objects, "bulk_create", broken)
    recorder_module._log.reset()
    with caplog.at_level(logging.WARNING, logger="aa_otel_analytics"):
        for _ in range(3):
            client.get("/")
            flush()

    assert len(receiver.events("page_view")) == 3
    assert analytics.audit.lost == 3
    warnings = [r for r in caplog.records if "audit" in r.getMessage()]
    assert len(warnings) == 1
    assert "OperationalError" in warnings[0].getMessage()
    assert warnings[0].exc_info is None

    monkeypatch.undo()
    client.get("/")
    flush()
    assert len(rows()) == 1


@pytest.mark.django_db(transaction=True)
def test_a_full_queue_loses_rows_without_blocking(monkeypatch):
    release = threading.Event()
    written = []

    def slow_write(batch_rows):
        release.wait(10)
        written.extend(batch_rows)

    monkeypatch.setattr(recorder_module, "_write", slow_write)
    audit = AuditRecorder(max_queue=10, write_interval_secs=0.05)
    audit.start()
    try:
        audit.record_batch(a_batch(), Outcome(True, "ok", 204))
        time.sleep(0.3)  # the writer now holds that row and waits
        started = time.monotonic()
        for _ in range(2000):
            audit.record_batch(a_batch(), Outcome(True, "ok", 204))
        elapsed = time.monotonic() - started
        release.set()
        assert audit.flush(time.monotonic() + 5)
    finally:
        audit.shutdown()

    assert elapsed < 1.0
    assert audit.lost == 1990
    assert len(written) == 11


@pytest.mark.django_db(transaction=True)
def test_queued_rows_keep_only_the_newest_bodies(monkeypatch, settings):
    settings.ANALYTICS_AUDIT_BODIES = 3
    audit = AuditRecorder(write_interval_secs=60)
    audit.start()
    try:
        for index in range(8):
            audit.record_batch(a_batch(f"e{index}"), Outcome(True, "ok", 204))
        assert sum(row.body is not None for row in audit._pending) == 3
        assert audit.flush(time.monotonic() + 5)
    finally:
        audit.shutdown()

    kept = [row.events for row in rows(body__isnull=False)]
    assert kept == [{"e5": 1}, {"e6": 1}, {"e7": 1}]


@pytest.mark.absorbs_errors
@pytest.mark.django_db(transaction=True)
def test_a_bug_in_recording_never_reaches_the_sender(monkeypatch):
    audit = AuditRecorder()
    monkeypatch.setattr(recorder_module, "batch_row", lambda *a: 1 / 0)

    audit.record_batch(a_batch(), Outcome(True, "ok", 204))

    assert rows() == []


def test_old_rows_are_pruned_by_the_daily_task(analytics, receiver, settings):
    settings.ANALYTICS_AUDIT_RETENTION_DAYS = 10
    now = timezone.now()
    for age in (11, 30, 9, 0):
        AnalyticsSentBatch.objects.create(
            sent_at=now - timedelta(days=age), token_name="old", outcome="sent"
        )

    analytics_daily_stats.delay()

    ages = sorted((now - r.sent_at).days for r in rows(token_name="old"))
    assert ages == [0, 9]


def test_a_forked_child_writes_with_a_thread_of_its_own():
    audit = AuditRecorder(write_interval_secs=60)
    audit.start()
    audit.record_batch(a_batch(), Outcome(True, "ok", 204))
    parent_thread = audit._thread
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running pytest's exit
        try:
            thread = audit._thread
            ok = (
                thread is not None
                and thread is not parent_thread
                and thread.is_alive()
                and not audit._pending
            )
            os.write(write_end, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, 9)
        assert os.read(read_end, 1) == b"1"
        assert len(audit._pending) == 1, "the parent keeps its own queue"
    finally:
        os.close(read_end)
        audit._pending.clear()
        audit.shutdown()


def test_pruning_cuts_at_the_hour_not_the_day(db, settings):
    from aa_otel_analytics.audit.retention import prune

    settings.ANALYTICS_AUDIT_RETENTION_DAYS = 10
    now = timezone.now()
    for hours in (10 * 24 + 1, 10 * 24 - 1):
        AnalyticsSentBatch.objects.create(
            sent_at=now - timedelta(hours=hours), token_name="edge", outcome="sent"
        )

    assert prune() == 1
    [kept] = rows(token_name="edge")
    assert now - kept.sent_at < timedelta(days=10)
