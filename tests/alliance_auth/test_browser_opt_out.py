"""The opt-out, driven in a real browser on a running Alliance Auth site.

Debian's Chromium, through Playwright, logs into the admin and unticks *Send page
views* on the preloaded team token. The running gunicorn workers and the Celery
worker pick the change up on their next configuration refresh (5 s here, 60 s by
default): page views stop while task events go on; ticking it again brings them
back.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.alliance_auth.environment import requires_integration, wait_until
from tests.alliance_auth.site import ADMIN_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
TOKEN_PAGE = "/admin/aa_otel_analytics/analyticstokens/1/change/"
TASK = "esi.tasks.cleanup_callbackredirect"
QUEUE_TASK = f"from celery import current_app\ncurrent_app.send_task({TASK!r})"
# A config refresh (5 s) and a batch delay (5 s), with room to spare.
SETTLE_SECS = 15
WAIT_MILLIS = 15_000

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.alliance_auth,
    requires_integration,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="needs apt's chromium",
    ),
]


def set_page_views(page, site_url: str, on: bool) -> None:
    page.goto(site_url + TOKEN_PAGE)
    box = page.locator("#id_send_page_views")
    box.set_checked(on)
    page.locator("input[name=_save]").click()
    page.wait_for_url(f"{site_url}/admin/aa_otel_analytics/analyticstokens/")
    assert page.locator(".messagelist .success").is_visible()


def traffic_after_settling(site, session, receiver) -> tuple[int, int]:
    """Page views and task events from three visits and one task, once settled."""
    time.sleep(SETTLE_SECS)
    receiver.clear()
    for round_ in range(3):
        assert session.get(f"{site.url}/dashboard/?r={round_}").status_code == 200
    site.manage("shell", "-c", QUEUE_TASK)
    receiver.wait_for(lambda: queued_task_ran(receiver), timeout_secs=60)
    time.sleep(SETTLE_SECS)  # any page view of the rounds has had its batch by now
    return len(receiver.events("page_view")), queued_task_ran(receiver)


def queued_task_ran(receiver) -> bool:
    """Our task's event arrived (a login or beat may add events of their own)."""
    namespace, name = TASK.rsplit(".tasks.", 1)
    return any(
        e["params"].get("namespace") == namespace and e["params"].get("task") == name
        for e in receiver.events("celery_event")
    )


@pytest.mark.timeout(600)
@pytest.mark.parametrize("site", ["sqlite"], indirect=True)
def test_unticking_page_views_in_the_admin_stops_them_and_only_them(
    site, receiver, trap
):
    site.add_our_app(receiver.url)
    site.prepare()
    site.start()
    session = site.login()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox"] if os.geteuid() == 0 else [],
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(WAIT_MILLIS)
            page.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(site.url)
                    else route.abort()
                ),
            )
            page.goto(site.url + "/admin/login/")
            page.fill("#id_username", "admin")
            page.fill("#id_password", ADMIN_PASSWORD)
            page.click("input[type=submit]")
            wait_until(lambda: "/admin/login/" not in page.url, 15, "admin login")

            before = traffic_after_settling(site, session, receiver)
            set_page_views(page, site.url, on=False)
            off = traffic_after_settling(site, session, receiver)
            set_page_views(page, site.url, on=True)
            back = traffic_after_settling(site, session, receiver)
        finally:
            browser.close()

    assert before == (3, True)
    assert off == (0, True), "page views went on, or task events stopped"
    assert back == (3, True)
    assert trap.attempts == []
