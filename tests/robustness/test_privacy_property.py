"""Seed personal data into every input a site has; none of it may reach a payload."""

from __future__ import annotations

import json
import uuid

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aa_otel_analytics.demo import tasks
from tests.conftest import flush

TOKEN = st.from_regex(r"[g-z]{3}[0-9a-z]{9}", fullmatch=True)


@st.composite
def personal_data(draw):
    token = draw(TOKEN)
    return {
        "id": str(draw(st.integers(10**9, 10**12))),
        "uuid": str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1)))),
        "hex": draw(st.from_regex(r"[0-9a-f]{40}", fullmatch=True)),
        "slug": token + "-slug",
        "email": token + "@mail.example",
        "query": token + "q",
        "fragment": token + "f",
        "user_agent": f"Browser/{token}",
        "forwarded": "198.51.100." + str(draw(st.integers(1, 254))),
        "ip": "203.0.113." + str(draw(st.integers(1, 254))),
        "referer": f"https://ref.example/{token}r",
        "cookie": token + "c",
        "username": token + "u",
        "task_arg": token + "a",
        "task_kwarg": token + "k",
    }


def visit_everything(client, seeds) -> None:
    user, _ = get_user_model().objects.get_or_create(
        username=seeds["username"], defaults={"email": seeds["email"]}
    )
    client.force_login(user)
    client.cookies["tracking"] = seeds["cookie"]
    headers = {
        "HTTP_USER_AGENT": seeds["user_agent"],
        "HTTP_X_FORWARDED_FOR": seeds["forwarded"],
        "REMOTE_ADDR": seeds["ip"],
        "HTTP_REFERER": seeds["referer"],
    }
    paths = [
        f"/fleet/{seeds['id']}/?q={seeds['query']}&e={seeds['email']}",
        f"/api/items/{seeds['uuid']}/#{seeds['fragment']}",
        f"/api/items/{seeds['hex']}/",
        f"/api/items/{seeds['slug']}/",
        f"/search/?q={seeds['email']}",
        "/me/",
    ]
    for path in paths:
        assert client.get(path, **headers).status_code == 200


def run_tasks(seeds) -> None:
    tasks.fail.delay(seeds["task_arg"])
    tasks.echo.delay(seeds["task_arg"], note=seeds["task_kwarg"])
    tasks.add.delay(int(seeds["id"]), 1)


def counted(receiver, name: str) -> int:
    return sum(e["params"]["count"] for e in receiver.events(name))


@pytest.mark.parametrize("mode", ["auto", "always"])
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(seeds=personal_data())
def test_no_personal_value_appears_in_any_payload(
    analytics, receiver, client, settings, mode, seeds
):
    settings.ANALYTICS_AGGREGATION = mode
    receiver.clear()

    visit_everything(client, seeds)
    run_tasks(seeds)
    flush()

    bodies = [r.body for r in receiver.received]
    assert counted(receiver, "page_view") == 6
    assert counted(receiver, "celery_event") == 3
    assert receiver.invalid_count() == 0
    text = json.dumps(bodies) + json.dumps(bodies, ensure_ascii=False)
    for name, value in seeds.items():
        assert value not in text, name
    for body in bodies:
        assert not {"user_id", "ip_override", "user_agent", "user_data"} & set(body)
        for event in body["events"]:
            assert "?" not in event["params"].get("page_location", "")
            assert "#" not in event["params"].get("page_location", "")
