"""A missing, empty or unreachable database never stops the site."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aa_otel_analytics._ga4.drops import drops
from aa_otel_analytics.models import AnalyticsIdentifier, AnalyticsTokens
from tests.conftest import flush, reload_config
from tests.scripting import run_script

SERVE = """
import django
django.setup()
from django.test import Client
from aa_otel_analytics import analytics_event, force_flush
from aa_otel_analytics._ga4.drops import drops
client = Client()
result["statuses"] = [client.get(p).status_code for p in ("/", "/fleet/4/", "/nope/")]
analytics_event("a", "b")
force_flush(5000)
client.get("/legacy/2020/")
force_flush(5000)
result["drops"] = drops.snapshot()
"""


@pytest.mark.parametrize(
    "database",
    ["unmigrated", "/nonexistent/dir/db.sqlite3"],
    ids=["unmigrated", "down"],
)
def test_site_serves_pages_without_our_tables(receiver, tmp_path, database):
    env = {} if database == "unmigrated" else {"AA_DEMO_DB": database}
    result = run_script(receiver, tmp_path, SERVE, **env)

    assert result["statuses"] == [200, 200, 404]
    assert result["drops"] == {"config_unavailable": 4}
    ours = [w for w in result["warnings"] if "analytics" in w]
    assert len(ours) == 1, ours
    assert receiver.received == []


def test_a_deleted_identifier_is_replaced_and_used(analytics, receiver, client):
    old = AnalyticsIdentifier.objects.get(pk=1).identifier.hex
    AnalyticsIdentifier.objects.all().delete()
    reload_config()

    client.get("/")
    flush()

    [request] = receiver.received
    assert request.body["client_id"] != old
    assert request.body["client_id"] == AnalyticsIdentifier.objects.get().identifier.hex


def test_an_empty_token_table_sends_nothing_and_drops_nothing(
    analytics, receiver, client
):
    AnalyticsTokens.objects.all().delete()
    reload_config()

    assert client.get("/").status_code == 200
    flush()

    assert receiver.received == []
    assert drops.snapshot() == {}


def test_the_request_path_makes_no_queries_of_ours(
    analytics, client, django_user_model
):
    client.force_login(django_user_model.objects.create_user("pilot"))
    client.get("/me/")

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/me/").status_code == 200
        assert client.get("/fleet/9/").status_code == 200

    assert queries.captured_queries, "the page itself does query (sessions, users)"
    ours = [q["sql"] for q in queries if "aa_otel_analytics" in q["sql"]]
    assert ours == []
