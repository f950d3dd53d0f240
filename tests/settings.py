"""Test settings: the demo site, with analytics wired only by the tests' fixtures."""

from __future__ import annotations

from aa_otel_analytics.demo.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "django_celery_beat"]  # noqa: F405
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

# Fixtures switch analytics on with a receiver of their own; by default nothing runs
# and nothing could reach the internet.
ANALYTICS_DISABLED = True
ANALYTICS_ENDPOINT = "http://127.0.0.1:9"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, str] = {}
LOGGING = {"version": 1, "disable_existing_loggers": False}
