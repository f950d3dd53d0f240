from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "aa_otel_analytics.demo"
    label = "demo"
    verbose_name = "Analytics demo site"
