"""Switching from Alliance Auth's analytics keeps its install id and its opt-out.

The real Alliance Auth 5.5 migration path is covered by tests/alliance_auth/; these
tests drive the same takeover with Alliance Auth's rows as plain data.
"""

from __future__ import annotations

import uuid

import pytest
from django.apps import apps as django_apps

from aa_otel_analytics import takeover
from aa_otel_analytics.models import AnalyticsIdentifier, AnalyticsTokens
from aa_otel_analytics.takeover import AllianceAuthToken

AA_ID = uuid.UUID("11111111-2222-4333-8444-555555555555")
IGNORE = "^/admin/.*"


def team(send_stats: bool) -> AllianceAuthToken:
    return AllianceAuthToken(
        "AA Team Public Google Analytics (V4)",
        "GA-V4",
        takeover.TEAM_MEASUREMENT_ID,
        "team-secret",
        send_stats,
    )


def apply(identifier, tokens) -> takeover.Takeover:
    return takeover.apply(
        AnalyticsIdentifier, AnalyticsTokens, identifier, tokens, IGNORE
    )


def team_features() -> tuple[bool, bool, bool]:
    token = AnalyticsTokens.objects.get(pk=1)
    return token.send_page_views, token.send_celery_tasks, token.send_stats


@pytest.mark.django_db
def test_the_install_id_is_taken_over():
    done = apply(AA_ID, [team(True)])

    assert AnalyticsIdentifier.objects.get(pk=1).identifier == AA_ID
    assert team_features() == (True, True, True)
    assert done.summary() == "kept Alliance Auth's install id"


@pytest.mark.django_db
def test_a_site_that_switched_stats_off_stays_off():
    done = apply(AA_ID, [team(False)])

    assert team_features() == (False, False, False)
    assert done.opted_out


@pytest.mark.django_db
def test_a_fresh_alliance_auth_site_keeps_our_defaults():
    before = AnalyticsIdentifier.objects.get(pk=1).identifier

    done = apply(None, [team(False)])

    assert AnalyticsIdentifier.objects.get(pk=1).identifier == before
    assert team_features() == (True, True, True)
    assert done.summary() == ""


@pytest.mark.django_db
def test_the_sites_own_tokens_are_copied_once_with_their_stats_switch():
    own = AllianceAuthToken("Ours", "GA-V4", "G-OURS12345", "own-secret", True)

    apply(AA_ID, [team(True), own])
    apply(AA_ID, [team(True), own])

    [copied] = AnalyticsTokens.objects.filter(token="G-OURS12345")
    assert copied.secret == "own-secret"
    assert (copied.send_stats, copied.send_page_views, copied.send_celery_tasks) == (
        True,
        False,
        False,
    )
    assert copied.ignore_paths == IGNORE


def test_without_alliance_auths_app_there_is_nothing_to_read():
    assert takeover.read_alliance_auth(django_apps) == (None, [])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tokens",
    [
        [],
        [
            AllianceAuthToken(
                "team", "GA-U", takeover.TEAM_MEASUREMENT_ID, "team-secret", True
            )
        ],
        [AllianceAuthToken("team", "GA-V4", takeover.TEAM_MEASUREMENT_ID, " ", True)],
    ],
    ids=["team token deleted", "turned into GA-U", "secret removed"],
)
def test_every_way_of_stopping_alliance_auth_is_an_opt_out(tokens):
    done = apply(AA_ID, tokens)

    assert done.opted_out
    assert team_features() == (False, False, False)


@pytest.mark.django_db
def test_tokens_google_would_refuse_are_left_behind():
    refused = [
        AllianceAuthToken("Old UA", "GA-U", "UA-1234-1", "s", True),
        AllianceAuthToken("No secret", "GA-V4", "G-NOSECRET1", "", True),
    ]

    done = apply(AA_ID, [team(True), *refused])

    assert not AnalyticsTokens.objects.filter(name__in=["Old UA", "No secret"])
    assert done.left == ["Old UA", "No secret"]
    assert "left 2 token(s) Google would refuse" in done.summary()
