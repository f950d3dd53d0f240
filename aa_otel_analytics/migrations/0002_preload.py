"""Preload the install identifier and the Alliance Auth team's public GA4 token.

The token is the one Alliance Auth itself ships (public in its source), so an operator
opts out exactly where Alliance Auth's FAQ says: by editing token 1 in the admin.
"""

from __future__ import annotations

import uuid

from django.db import migrations

from aa_otel_analytics import notice

TEAM_TOKEN = {
    "name": "AA Team Public Google Analytics (V4)",
    "type": "GA-V4",
    "token": "G-6LYSMYK8DE",
    "secret": "KLlpjLZ-SRGozS5f5wb_kw",
    "send_page_views": True,
    "send_celery_tasks": True,
    "send_stats": True,
    "ignore_paths": "\n".join(
        [
            r"^/admin/.*",
            r"^/user_notifications_count/.*",
            r"^/account/activate/.*",
        ]
    ),
}


def preload(apps, schema_editor):  # type: ignore[no-untyped-def]
    identifier = apps.get_model("aa_otel_analytics", "AnalyticsIdentifier")
    tokens = apps.get_model("aa_otel_analytics", "AnalyticsTokens")
    identifier.objects.get_or_create(pk=1, defaults={"identifier": uuid.uuid4()})
    if not tokens.objects.filter(pk=1).exists():
        tokens.objects.create(pk=1, **TEAM_TOKEN)
        if schema_editor is not None:
            notice.preloaded()


class Migration(migrations.Migration):
    dependencies = [("aa_otel_analytics", "0001_initial")]

    operations = [migrations.RunPython(preload, migrations.RunPython.noop)]
