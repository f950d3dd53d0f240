"""Settings of the demo site: SQLite and a broker in ``AA_DEMO_DIR``, loopback only."""

from __future__ import annotations

import os
from pathlib import Path

DEMO_DIR = Path(os.environ.get("AA_DEMO_DIR", Path.cwd() / ".demo"))

SECRET_KEY = "demo-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "aa_otel_analytics.demo.urls"
WSGI_APPLICATION = "aa_otel_analytics.demo.wsgi.application"
USE_TZ = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "German"), ("fr", "French")]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "aa_otel_analytics",
    "aa_otel_analytics.demo",
]

# Alliance Auth's middleware stack, locale included.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("AA_DEMO_DB", str(DEMO_DIR / "db.sqlite3")),
        "OPTIONS": {"timeout": 20},
    }
}
# The end-to-end tests run the demo on MariaDB too: AA_DEMO_DATABASE holds Django's
# database settings as JSON. PyMySQL stands in for mysqlclient there, so the test
# environment needs no C build.
if os.environ.get("AA_DEMO_DATABASE"):
    import json

    DATABASES["default"] = json.loads(os.environ["AA_DEMO_DATABASE"])
    if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
        import pymysql

        pymysql.install_as_MySQLdb()
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# An embedded broker in a SQLite file (kombu's SQLAlchemy transport); Redis or any
# other broker when CELERY_BROKER_URL is set. kombu's filesystem transport can hand
# a worker a half-written message under load, which kills the worker.
BROKER_DB = DEMO_DIR / "broker.sqlite3"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", f"sqla+sqlite:///{BROKER_DB}")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "analytics_daily_stats": {
        "task": "aa_otel_analytics.tasks.analytics_daily_stats",
        "schedule": 24 * 3600,
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"aa_otel_analytics": {"handlers": ["console"], "level": "INFO"}},
}

# The demo and the tests can run the aggregation path too.
ANALYTICS_AGGREGATION = os.environ.get("AA_DEMO_AGGREGATION", "auto")
ANALYTICS_AGGREGATION_INTERVAL_SECS = float(
    os.environ.get("AA_DEMO_AGGREGATION_INTERVAL", "900")
)
