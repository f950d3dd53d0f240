"""``analytics_reset_identifier``: a new random install id, used from then on."""

from __future__ import annotations

import builtins
import uuid

import pytest

from aa_otel_analytics import analytics_event
from aa_otel_analytics._ga4.config import config_cache
from aa_otel_analytics.models import AnalyticsIdentifier
from tests.commands.conftest import fails, run
from tests.conftest import flush


def install_id() -> uuid.UUID:
    return AnalyticsIdentifier.objects.get(pk=1).identifier


def answer(monkeypatch, reply: str | None) -> list[str]:
    """Answer the confirmation with ``reply`` (None: stdin is closed)."""
    asked: list[str] = []

    def fake_input(prompt: str = "") -> str:
        asked.append(prompt)
        if reply is None:
            raise EOFError
        return reply

    monkeypatch.setattr(builtins, "input", fake_input)
    return asked


def test_noinput_makes_a_new_random_uuid4(site):
    old = install_id()

    out = run("analytics_reset_identifier", "--noinput").out

    new = install_id()
    assert new != old and new.version == 4
    assert f"new install id: {new.hex}" in out


def test_this_process_uses_it_at_once_and_others_within_the_refresh(site):
    site.ANALYTICS_CONFIG_REFRESH_SECS = 3600
    assert config_cache.get().client_id == install_id().hex

    out = run("analytics_reset_identifier", "--no-input").out

    assert config_cache.get().client_id == install_id().hex
    assert "pick it up within 3600 seconds (ANALYTICS_CONFIG_REFRESH_SECS)" in out
    config_cache.invalidate()


def test_events_are_sent_under_the_new_id(analytics, receiver):
    run("analytics_reset_identifier", "--noinput")

    analytics_event("my.app", "after_reset")
    flush()

    [request] = receiver.received
    assert request.body["client_id"] == install_id().hex


def test_yes_confirms(site, monkeypatch):
    old = install_id()
    asked = answer(monkeypatch, "yes")

    run("analytics_reset_identifier")

    assert "new random id" in asked[0]
    assert install_id() != old


@pytest.mark.parametrize("reply", ["no", "", "y", None])
def test_anything_but_yes_cancels_and_exits_non_zero(site, monkeypatch, reply):
    old = install_id()
    answer(monkeypatch, reply)

    assert fails("analytics_reset_identifier").err == (
        "cancelled: the install id is unchanged"
    )
    assert install_id() == old


def test_a_deleted_identifier_row_is_recreated(site):
    AnalyticsIdentifier.objects.all().delete()

    run("analytics_reset_identifier", "--noinput")

    assert install_id().version == 4
