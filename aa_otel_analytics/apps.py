"""The Django app: registering it is how analytics is switched on."""

from __future__ import annotations

from django.apps import AppConfig


class AaOtelAnalyticsConfig(AppConfig):
    name = "aa_otel_analytics"
    label = "aa_otel_analytics"
    verbose_name = "Analytics (OpenTelemetry)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Wire telemetry; no queries and no network happen here."""
        from aa_otel_analytics import checks, runtime  # noqa: F401

        runtime.setup()
