"""A small Alliance-Auth-shaped Django site that ``make demo`` and the tests run."""

from __future__ import annotations

from aa_otel_analytics.demo.celery_app import app as celery_app

__all__ = ["celery_app"]
