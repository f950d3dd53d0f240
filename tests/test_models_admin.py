"""The preloaded opt-out token, the identifier, and the admin that shows them."""

from __future__ import annotations

import uuid

import pytest

from aa_otel_analytics._ga4.config import load_identifier
from aa_otel_analytics.models import AnalyticsIdentifier, AnalyticsTokens

SECRET = "KLlpjLZ-SRGozS5f5wb_kw"


@pytest.mark.django_db
def test_migration_preloads_the_team_token_with_every_feature_on():
    token = AnalyticsTokens.objects.get(pk=1)

    assert token.token == "G-6LYSMYK8DE"
    assert token.type == "GA-V4"
    assert (token.send_page_views, token.send_celery_tasks, token.send_stats) == (
        True,
        True,
        True,
    )
    assert token.ignore_paths.splitlines() == [
        "^/admin/.*",
        "^/user_notifications_count/.*",
        "^/account/activate/.*",
    ]


@pytest.mark.django_db
def test_identifier_is_a_random_uuid4():
    identifier = AnalyticsIdentifier.objects.get(pk=1).identifier

    assert identifier.version == 4


@pytest.mark.django_db
def test_a_deleted_identifier_is_replaced_by_a_new_random_one():
    old = AnalyticsIdentifier.objects.get(pk=1).identifier
    AnalyticsIdentifier.objects.all().delete()

    new = load_identifier()

    assert isinstance(new, uuid.UUID) and new.version == 4
    assert new != old
    assert AnalyticsIdentifier.objects.get(pk=1).identifier == new


@pytest.mark.django_db
def test_secret_is_never_in_str_or_repr():
    token = AnalyticsTokens.objects.get(pk=1)

    assert SECRET not in str(token)
    assert SECRET not in repr(token)


def test_admin_pages_never_show_the_secret(admin_client):
    changelist = admin_client.get("/admin/aa_otel_analytics/analyticstokens/")
    change = admin_client.get("/admin/aa_otel_analytics/analyticstokens/1/change/")

    assert changelist.status_code == change.status_code == 200
    assert SECRET not in changelist.content.decode()
    assert SECRET not in change.content.decode()
    assert b"G-6LYSMYK8DE" in change.content


def _form_data(**overrides):
    data = {
        "name": "AA Team Public Google Analytics (V4)",
        "type": "GA-V4",
        "token": "G-6LYSMYK8DE",
        "secret": "",
        "send_page_views": "",
        "send_celery_tasks": "on",
        "send_stats": "on",
        "ignore_paths": "^/admin/.*",
    }
    data.update(overrides)
    return data


def test_opting_out_in_the_admin_keeps_the_secret(admin_client):
    url = "/admin/aa_otel_analytics/analyticstokens/1/change/"
    response = admin_client.post(url, _form_data())

    assert response.status_code == 302
    token = AnalyticsTokens.objects.get(pk=1)
    assert token.send_page_views is False
    assert token.secret == SECRET


def test_admin_rejects_an_invalid_ignore_path(admin_client):
    url = "/admin/aa_otel_analytics/analyticstokens/1/change/"
    response = admin_client.post(url, _form_data(ignore_paths="^/admin/(unclosed"))

    assert response.status_code == 200
    assert b"not a valid regular expression" in response.content


def test_identifier_admin_is_read_only(admin_client):
    listing = admin_client.get("/admin/aa_otel_analytics/analyticsidentifier/")
    add = admin_client.get("/admin/aa_otel_analytics/analyticsidentifier/add/")

    assert listing.status_code == 200
    assert add.status_code == 403


@pytest.mark.django_db
def test_a_view_only_staff_user_never_sees_the_secret(client):
    from django.contrib.auth.models import Permission, User

    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_analyticstokens"))
    client.force_login(viewer)

    change = client.get("/admin/aa_otel_analytics/analyticstokens/1/change/")

    assert change.status_code == 200
    assert b"G-6LYSMYK8DE" in change.content
    assert SECRET not in change.content.decode()
