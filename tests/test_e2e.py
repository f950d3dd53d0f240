"""End to end: gunicorn, a Celery prefork worker and the receiver, as in the demo."""

from __future__ import annotations

import json

import pytest

from aa_otel_analytics.demo import run
from aa_otel_analytics.demo.report import summarize

pytestmark = pytest.mark.e2e


def test_real_site_and_worker_deliver_every_event_exactly_once(receiver, tmp_path):
    statuses = run.run_site(tmp_path, receiver.url, echo=lambda line: None)

    assert dict(statuses)["/no/such/page/"] == 404
    received = [{"body": r.body, "messages": r.messages} for r in receiver.received]
    summary = summarize(received)
    assert summary.invalid == 0
    assert summary.page_views == run.EXPECTED_PAGE_VIEWS
    assert summary.task_events == run.EXPECTED_TASK_EVENTS, summary.table()
    assert summary.stats == run.EXPECTED_STATS
    assert all(len(r.body["events"]) <= 25 for r in receiver.received)

    text = json.dumps([r.body for r in receiver.received])
    for secret in ("Secretname", "my+secret", "my secret", "90000001", "frag", "/42/"):
        assert secret not in text
