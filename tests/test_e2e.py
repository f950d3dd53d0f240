"""End to end: gunicorn, a Celery prefork worker and the receiver, as in the demo.

Once on the demo's embedded SQLite broker and database, once on Redis and MariaDB
started by the test on 127.0.0.1, as Alliance Auth sites run.
"""

from __future__ import annotations

import json
import os
import shutil

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


SERVICES = shutil.which("redis-server") and shutil.which("mariadbd")


@pytest.mark.slow
@pytest.mark.skipif(
    not SERVICES and not os.environ.get("CI"),
    reason="needs Debian's redis-server and mariadb-server (.ci/run installs them)",
)
def test_the_same_on_a_redis_broker_and_a_mariadb_database(
    receiver, tmp_path, monkeypatch
):
    from tests.alliance_auth.environment import mariadb_server, redis_server

    with redis_server(tmp_path) as redis_url, mariadb_server(tmp_path) as database:
        monkeypatch.setenv("CELERY_BROKER_URL", f"{redis_url}/0")
        monkeypatch.setenv("AA_DEMO_DATABASE", json.dumps(database))
        run.run_site(tmp_path / "site", receiver.url, echo=lambda line: None)

    summary = summarize(
        [{"body": r.body, "messages": r.messages} for r in receiver.received]
    )
    assert summary.invalid == 0
    assert summary.page_views == run.EXPECTED_PAGE_VIEWS
    assert summary.task_events == run.EXPECTED_TASK_EVENTS, summary.table()
    assert summary.stats == run.EXPECTED_STATS
