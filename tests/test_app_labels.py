"""Which installed apps the daily stats report as extensions."""

from __future__ import annotations

from types import SimpleNamespace

from aa_otel_analytics.stats.app_labels import extension_labels

# Alliance Auth 5.5's project template, as `allianceauth start` writes it.
ALLIANCE_AUTH_5_5_APPS = [
    ("django.contrib.admin", "admin"),
    ("django.contrib.auth", "auth"),
    ("django_celery_beat", "django_celery_beat"),
    ("solo", "solo"),
    ("django_bootstrap5", "django_bootstrap5"),
    ("sortedm2m", "sortedm2m"),
    ("esi", "esi"),
    ("sri", "sri"),
    ("allianceauth", "allianceauth"),
    ("allianceauth.authentication", "authentication"),
    ("allianceauth.analytics", "analytics"),
    ("allianceauth.services.modules.discord", "discord"),
    ("aa_otel_analytics", "aa_otel_analytics"),
]


def apps(pairs):
    return [SimpleNamespace(name=name, label=label) for name, label in pairs]


def test_a_plain_alliance_auth_site_has_no_extensions():
    assert extension_labels(apps(ALLIANCE_AUTH_5_5_APPS)) == []


def test_third_party_apps_are_extensions():
    pairs = [
        *ALLIANCE_AUTH_5_5_APPS,
        ("memberaudit", "memberaudit"),
        ("aadiscordbot", "aadiscordbot"),
    ]

    assert extension_labels(apps(pairs)) == ["aadiscordbot", "memberaudit"]
