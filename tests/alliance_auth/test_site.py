"""Alliance Auth 5.5 under gunicorn, Celery and beat, reporting to a local receiver."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from tests.alliance_auth.environment import requires_integration, wait_until
from tests.alliance_auth.site import local_session

pytestmark = [pytest.mark.alliance_auth, requires_integration]

PLACEHOLDER_HOST = "https://allianceauth.invalid"
ALLIANCE_AUTH_TASKS = {
    "esi.tasks.cleanup_callbackredirect": "esi.cleanup_callbackredirect",
    "esi.tasks.cleanup_token_subset": "esi.cleanup_token_subset",
    "allianceauth.authentication.tasks.check_all_character_ownership": (
        "allianceauth.authentication.check_all_character_ownership"
    ),
}
NEW_NOTIFICATION = """
import json
from django.contrib.auth.models import User
from allianceauth.notifications.models import Notification
Notification.objects.notify_user(User.objects.get(username="admin"), "t", "hello")
print(json.dumps(Notification.objects.latest("pk").pk))
"""
QUEUE_TASKS = "from celery import current_app\n" + "\n".join(
    f"current_app.send_task({name!r})" for name in ALLIANCE_AUTH_TASKS
)
OUR_IDENTIFIER = """
import json
from aa_otel_analytics.models import AnalyticsIdentifier
print(json.dumps(AnalyticsIdentifier.objects.get(pk=1).identifier.hex))
"""


@pytest.mark.timeout(900)
def test_alliance_auth_site_reports_pages_tasks_and_stats(site, receiver, trap):
    site.add_our_app(receiver.url)
    site.prepare()
    notification = site.shell_json(NEW_NOTIFICATION)
    site.start()

    assert local_session().get(site.url + "/account/login/").status_code == 200
    user = site.login()
    visits = {
        "/dashboard/": 200,
        "/dashboard/?q=Pilot+Secretname": 200,
        f"/notifications/{notification}/": 200,
        "/user_notifications_count/": 200,
        "/notifications/999999/": 404,
        "/admin/": 200,
    }
    for path, status in visits.items():
        assert user.get(site.url + path).status_code == status, path

    site.manage("shell", "-c", QUEUE_TASKS)
    wait_until(lambda: tasks_succeeded(site.log("worker")), 60, "Alliance Auth's tasks")
    assert "sent" in site.manage("analytics_send_stats")
    identifier = site.shell_json(OUR_IDENTIFIER)
    exits = site.stop()

    assert all(code is not None for code in exits.values()), exits
    assert trap.attempts == []
    assert receiver.received, "nothing reached the receiver"
    assert receiver.invalid_count() == 0
    assert {r.path for r in receiver.received} == {"/mp/collect"}
    assert {r.body["client_id"] for r in receiver.received} == {identifier}

    pages = Counter(
        e["params"]["page_location"].removeprefix(PLACEHOLDER_HOST)
        for e in receiver.events("page_view")
    )
    assert pages == {
        "/account/login/": 1,
        "/dashboard/": 2,
        "/notifications/<int:notif_id>/": 1,
    }

    celery = receiver.events("celery_event")
    tasks = {
        f"{e['params']['namespace']}.{e['params']['task']}": e["params"]["result"]
        for e in celery
    }
    for task in ALLIANCE_AUTH_TASKS.values():
        assert tasks.get(task) == "Success", (task, tasks)

    stats = {
        e["params"]["label"]: e["params"]["value"]
        for e in celery
        if e["params"]["task"] == "send_install_stats"
    }
    assert stats["existence"] == 1
    assert stats["users"] == 1
    assert stats["tokens"] == 0
    assert stats["addons"] > 20
    assert stats.get("existence_baremetal", 0) + stats.get("existence_docker", 0) == 1

    text = json.dumps([r.body for r in receiver.received])
    assert "Secretname" not in text
    assert "admin@example.invalid" not in text


def tasks_succeeded(worker_log: str) -> bool:
    return all(
        re.search(rf"Task {re.escape(name)}\[[^\]]+\] succeeded", worker_log)
        for name in ALLIANCE_AUTH_TASKS
    )
