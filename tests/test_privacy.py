"""Nothing that identifies a person or the site leaves in a payload."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model

from aa_otel_analytics.demo import tasks
from tests.conftest import flush

SEEDS = {
    "id": "4815162342",
    "query": "qsecretvalue",
    "fragment": "fragsecret",
    "ip": "203.0.113.77",
    "forwarded": "198.51.100.99",
    "user_agent": "SecretBrowser/9.9",
    "referer": "https://referer.example/secretref",
    "cookie": "cookiesecret",
    "username": "PilotSecretname",
    "email": "pilot.secret@example.org",
    "host": "auth.secret-alliance.example",
    "task_arg": "taskargsecret",
}


def all_payload_text(receiver) -> str:
    bodies = [r.body for r in receiver.received]
    return json.dumps(bodies) + json.dumps(bodies, ensure_ascii=False)


def test_no_seeded_personal_value_appears_in_any_payload(
    analytics, receiver, client, settings
):
    settings.ALLOWED_HOSTS = [SEEDS["host"], "testserver"]
    user = get_user_model().objects.create_user(SEEDS["username"], SEEDS["email"], "pw")
    client.force_login(user)
    client.cookies["extra"] = SEEDS["cookie"]
    for path in (
        f"/fleet/{SEEDS['id']}/?q={SEEDS['query']}#{SEEDS['fragment']}",
        "/me/",
        f"/search/?q={SEEDS['query']}",
    ):
        response = client.get(
            path,
            HTTP_HOST=SEEDS["host"],
            REMOTE_ADDR=SEEDS["ip"],
            HTTP_X_FORWARDED_FOR=SEEDS["forwarded"],
            HTTP_USER_AGENT=SEEDS["user_agent"],
            HTTP_REFERER=SEEDS["referer"],
        )
        assert response.status_code == 200
    tasks.fail.delay(SEEDS["task_arg"])
    tasks.add.delay(int(SEEDS["id"]), 0)
    flush()

    text = all_payload_text(receiver)
    assert len(receiver.events("page_view")) == 3
    assert len(receiver.events("celery_event")) == 2
    for name, value in SEEDS.items():
        assert value not in text, name
    assert "Fleet" not in text, "HTML titles are never sent"
    assert "character" not in text, "exception messages are never sent"


def test_payloads_carry_nothing_per_person(analytics, receiver, client):
    client.get("/")
    flush()

    [request] = receiver.received
    assert set(request.body) == {
        "client_id",
        "non_personalized_ads",
        "user_properties",
        "events",
    }
    assert request.body["non_personalized_ads"] is True
    assert len(request.body["client_id"]) == 32
    for event in request.body["events"]:
        assert set(event) == {"name", "params", "timestamp_micros"}


def test_api_secret_only_travels_in_the_query_string(analytics, receiver, client):
    client.get("/")
    flush()

    [request] = receiver.received
    assert request.api_secret_present
    assert "KLlpjLZ-SRGozS5f5wb_kw" not in json.dumps(request.body)
