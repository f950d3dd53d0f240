"""Switching a site from Alliance Auth's analytics keeps its install id and opt-out."""

from __future__ import annotations

import pytest

from tests.alliance_auth.environment import requires_integration

pytestmark = [pytest.mark.alliance_auth, requires_integration]

INSTALL_ID = "5f0c6a52-8d1e-4c3b-9a7f-2e4d6b8c0a13"
OPT_OUT_OF_ALLIANCE_AUTH = f"""
import json, uuid
from allianceauth.analytics.models import AnalyticsIdentifier, AnalyticsTokens
identifier = AnalyticsIdentifier.get_solo()
identifier.identifier = uuid.UUID({INSTALL_ID!r})
identifier.save()
AnalyticsTokens.objects.update(send_stats=False)
print(json.dumps(AnalyticsTokens.objects.count()))
"""
OURS = """
import json
from aa_otel_analytics.models import AnalyticsIdentifier, AnalyticsTokens
team = AnalyticsTokens.objects.get(token="G-6LYSMYK8DE")
print(json.dumps({
    "identifier": str(AnalyticsIdentifier.objects.get(pk=1).identifier),
    "features": [team.send_page_views, team.send_celery_tasks, team.send_stats],
}))
"""


@pytest.mark.timeout(600)
def test_switching_keeps_alliance_auths_install_id_and_opt_out(site, receiver):
    site.manage("migrate", "--noinput")
    assert site.shell_json(OPT_OUT_OF_ALLIANCE_AUTH) >= 1

    site.add_our_app(receiver.url)
    site.manage("migrate", "--noinput")

    assert site.shell_json(OURS) == {
        "identifier": INSTALL_ID,
        "features": [False, False, False],
    }
