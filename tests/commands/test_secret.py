"""No command prints an API secret, in its output, its errors or the log."""

from __future__ import annotations

import logging

import pytest

from aa_otel_analytics.models import AnalyticsTokens
from tests.commands.conftest import SECRET, Ran, fails, run

OWN_SECRET = "own-Very-Secret-9f2e"

COMMANDS = [
    ("analytics_status",),
    ("analytics_status", "--json"),
    ("analytics_preview",),
    ("analytics_preview", "--pretty"),
    ("analytics_send_stats",),
    ("analytics_send_stats", "--dry-run"),
    ("analytics_validate",),
    ("analytics_reset_identifier", "--noinput"),
]


@pytest.fixture
def own_token(analytics):
    AnalyticsTokens.objects.create(
        name="Mine",
        token="G-MINE12345",
        secret=OWN_SECRET,
        send_page_views=True,
        send_celery_tasks=True,
        send_stats=True,
    )


def assert_secret_free(ran: Ran, caplog) -> None:
    text = ran.out + ran.err + caplog.text
    assert SECRET not in text
    assert OWN_SECRET not in text


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_command_prints_a_secret(own_token, receiver, caplog, command):
    with caplog.at_level(logging.DEBUG):
        ran = run(*command)

    assert ran.out
    assert_secret_free(ran, caplog)


@pytest.mark.parametrize(
    "command", [("analytics_send_stats",), ("analytics_validate",)], ids=" ".join
)
def test_no_failing_command_prints_a_secret(own_token, settings, caplog, command):
    settings.ANALYTICS_ENDPOINT = "http://127.0.0.1:9"
    settings.ANALYTICS_EXPORT_DEADLINE_SECS = 0.5

    with caplog.at_level(logging.DEBUG):
        failed = fails(*command)

    assert "127.0.0.1:9" in failed.err or "(network)" in failed.err
    assert_secret_free(failed, caplog)
