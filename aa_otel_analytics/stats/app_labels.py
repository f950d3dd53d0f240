"""Which installed apps count as extensions in the daily stats.

Django's own apps, Alliance Auth's core apps and the libraries Alliance Auth itself
installs are not extensions. Matching on the app's module path, not only its label,
keeps the list short and immune to a missing comma joining two labels.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import AppConfig

_CORE_MODULE_PREFIXES = ("django.", "allianceauth.")
_CORE_MODULES = frozenset({"allianceauth", "aa_otel_analytics"})

# Libraries that Alliance Auth's project template puts in INSTALLED_APPS.
_CORE_LIBRARY_LABELS = frozenset(
    {
        "bootstrapform",
        "django_bootstrap5",
        "django_celery_beat",
        "django_celery_results",
        "django_redis",
        "esi",
        "solo",
        "sortedm2m",
        "sri",
    }
)


def is_extension(app: AppConfig) -> bool:
    if app.name in _CORE_MODULES or app.name.startswith(_CORE_MODULE_PREFIXES):
        return False
    return app.label not in _CORE_LIBRARY_LABELS


def extension_labels(apps: Iterable[AppConfig]) -> list[str]:
    return sorted(app.label for app in apps if is_extension(app))
