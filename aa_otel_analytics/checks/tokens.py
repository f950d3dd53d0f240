"""Checks for the GA tokens an operator entered in the admin.

A token Google would not accept is skipped by the exporter; these checks say so at
start-up instead of leaving the operator to wonder why nothing arrives. They read
one small table, and stay silent when the database or the table is not there yet
(before ``migrate``, in ``collectstatic`` on a build host).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.checks import CheckMessage, register
from django.core.checks import Warning as CheckWarning

from aa_otel_analytics._ga4.config import MEASUREMENT_ID

logger = logging.getLogger(__name__)

ADMIN_HINT = "Edit or delete it in the admin under Analytics (OpenTelemetry) > Tokens."


def _rows() -> list[Any]:
    from aa_otel_analytics.models import AnalyticsTokens

    try:
        return list(AnalyticsTokens.objects.order_by("pk"))
    except Exception:  # no database, no table, or no access: nothing to check
        logger.debug("token checks skipped: tokens unreadable", exc_info=True)
        return []


def _problem(row: Any) -> CheckMessage | None:
    label = f"Analytics token {row.pk} ({row.name!r})"
    if row.type != "GA-V4":
        return CheckWarning(
            f"{label} is a Universal Analytics ({row.type}) token, which Google "
            f"no longer accepts; it is skipped.",
            hint="Create a GA4 token (measurement id G-…) instead. " + ADMIN_HINT,
            id="aa_otel_analytics.W007",
        )

    if not MEASUREMENT_ID.match(str(row.token).strip()):
        return CheckWarning(
            f"{label} has the measurement id {row.token!r}, which is not a GA4 "
            f"measurement id (G- and 4 to 20 capital letters or digits); it is "
            f"skipped.",
            hint=ADMIN_HINT,
            id="aa_otel_analytics.W006",
        )

    if not str(row.secret).strip():
        return CheckWarning(
            f"{label} has no Measurement Protocol API secret; it is skipped.",
            hint="Create one in GA under Admin > Data streams > Measurement "
            "Protocol API secrets. " + ADMIN_HINT,
            id="aa_otel_analytics.W006",
        )
    return None


@register()
def check_tokens(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems = (_problem(row) for row in _rows())
    return [message for message in problems if message is not None]
