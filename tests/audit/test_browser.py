"""The audit page in a real headless browser: Debian's Chromium driven by Playwright.

It logs in through the admin's login form on a live server bound to 127.0.0.1,
opens "What this server sent" and checks that the chart is drawn. With
``AA_DOCS_SCREENSHOT=docs/audit-page.png`` the screenshot it takes replaces the one
the README shows; otherwise it goes to the test's temporary folder. In CI a missing
Chromium is a failure, not a skip.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from aa_otel_analytics.demo import tasks
from aa_otel_analytics.tasks import analytics_daily_stats
from tests.audit.seed import dropped, sent
from tests.conftest import flush

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "AA Team Public Google Analytics (V4)"
WAIT_MILLIS = 15_000

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="needs apt's chromium",
    ),
]


def seed_history() -> None:
    """A month of plausible traffic, a few drops, and today's real batches."""
    rng = random.Random(7)
    today = timezone.localdate()
    for age in range(29, 0, -1):
        day = today - dt.timedelta(days=age)
        weekend = day.weekday() >= 5
        sent(
            day,
            page_views=rng.randint(8, 20) if weekend else rng.randint(18, 25),
            task_events=rng.randint(10, 25),
            token=TOKEN,
        )
        sent(day, stats=6, token=TOKEN, hour=2)
    dropped(today - dt.timedelta(days=12), "http_503", 14, token=TOKEN)
    dropped(today - dt.timedelta(days=5), "over_budget", 40)


@pytest.fixture
def staff_user(transactional_db) -> tuple[str, str]:
    User.objects.create_superuser("operator", "operator@example.invalid", "pw-0perat0r")
    return "operator", "pw-0perat0r"


def test_the_audit_page_renders_its_chart_in_chromium(
    analytics, receiver, client, live_server, staff_user, tmp_path
):
    chosen = os.environ.get("AA_DOCS_SCREENSHOT")
    screenshot = ROOT / chosen if chosen else tmp_path / "audit-page.png"
    for url in ("/", "/fleet/7/", "/dashboard/", "/api/items/abc/"):
        client.get(url)
    tasks.add.delay(1, 2)
    tasks.fail.delay(3)
    analytics_daily_stats.delay()
    flush()
    seed_history()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox"] if os.geteuid() == 0 else [],
            timeout=WAIT_MILLIS,
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.set_default_timeout(WAIT_MILLIS)
            page.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(live_server.url)
                    else route.abort()
                ),
            )
            page.goto(f"{live_server.url}/admin/aa_otel_analytics/")
            page.fill("#id_username", staff_user[0])
            page.fill("#id_password", staff_user[1])
            page.click("input[type=submit]")
            page.click("text=What this server sent")

            chart = page.locator("#aa-audit-chart")
            chart.wait_for(state="visible")
            box = chart.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 150

            bars = page.locator("#aa-audit-chart rect.bar")
            assert bars.count() >= 29 * 3
            heights = [
                bars.nth(i).bounding_box()["height"] for i in range(bars.count())
            ]
            assert min(heights) > 0
            kinds = {bars.nth(i).get_attribute("class") for i in range(bars.count())}
            assert kinds == {
                "bar bar-page_views",
                "bar bar-task_events",
                "bar bar-stats",
            }
            assert page.locator("#aa-audit-drops").is_visible()
            assert page.get_by_text("over_budget").is_visible()

            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()

    assert 10_000 < screenshot.stat().st_size < 400_000
