"""Take over Alliance Auth's install id and opt-out (see ``takeover.py``).

Depends on Alliance Auth's analytics migrations only where that app is installed,
so that its tables exist when this runs, whichever app ``migrate`` reaches first.
"""

from __future__ import annotations

import importlib

from django.apps import apps as global_apps
from django.db import migrations

from aa_otel_analytics import notice, takeover


def take_over(apps, schema_editor):  # type: ignore[no-untyped-def]
    identifier, tokens = takeover.read_alliance_auth(apps)
    preload = importlib.import_module("aa_otel_analytics.migrations.0002_preload")
    done = takeover.apply(
        apps.get_model("aa_otel_analytics", "AnalyticsIdentifier"),
        apps.get_model("aa_otel_analytics", "AnalyticsTokens"),
        identifier,
        tokens,
        preload.TEAM_TOKEN["ignore_paths"],
    )
    if done.summary():
        print(f"\naa-otel-analytics: from Alliance Auth's analytics, {done.summary()}.")
    notice.announce_if_preloaded(opted_out=done.opted_out)


_ALLIANCE_AUTH = (
    [("analytics", "0011_v5squash")]
    if global_apps.is_installed("allianceauth.analytics")
    else []
)


class Migration(migrations.Migration):
    dependencies = [("aa_otel_analytics", "0004_sent_batches"), *_ALLIANCE_AUTH]

    operations = [migrations.RunPython(take_over, migrations.RunPython.noop)]
