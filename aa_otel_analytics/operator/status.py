"""Whether analytics is on, for whom, and where it sends: the facts, never the secret.

Tokens are judged by the exporter's own ``_token_config``, so "used" here means
used by the export thread. Everything returned is JSON-able for ``--json``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from aa_otel_analytics._ga4.config import _token_config
from aa_otel_analytics.conf import conf
from aa_otel_analytics.forwarding import environment

UNKNOWN = "unknown"
SIGNALS: tuple[environment.Signal, ...] = ("traces", "metrics")


@dataclass(frozen=True)
class TokenStatus:
    name: str
    type: str
    measurement_id: str
    secret: str
    send_page_views: bool
    send_celery_tasks: bool
    send_stats: bool
    ignore_paths: int
    used: bool
    skipped_because: str | None
    last_success: str | None


def secret_state(secret: object) -> str:
    """``set`` or ``missing``: not one character of the secret is shown."""
    return "set" if str(secret or "").strip() else "missing"


def _skip_reason(row: Any) -> str | None:
    if _token_config(row) is not None:
        return None
    if row.type != "GA-V4":
        return f"{row.type} is Universal Analytics, which Google no longer accepts"
    if not str(row.secret).strip():
        return "it has no API secret"
    return f"{str(row.token).strip()!r} is not a GA4 measurement id (G-XXXXXXXXXX)"


def skipped_tokens() -> list[tuple[str, str]]:
    """Each token the exporter skips, with why."""
    from aa_otel_analytics.models import AnalyticsTokens

    found = []
    for row in AnalyticsTokens.objects.order_by("pk"):
        reason = _skip_reason(row)
        if reason is not None:
            found.append((str(row.name), reason))
    return found


def _when(value: object) -> str | None:
    if not isinstance(value, dt.datetime):
        return None

    from django.utils import timezone

    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.isoformat(sep=" ", timespec="seconds")


def last_successes() -> dict[str, str | None] | None:
    """Each token's last successful send from the audit trail; None when unknown."""
    try:
        from aa_otel_analytics.audit.summary import last_success_by_token
    except ImportError:
        return None

    from django.db import DatabaseError

    try:
        found = last_success_by_token()
    except DatabaseError:
        return None
    return {str(name): _when(when) for name, when in found.items()}


def _token(row: Any, last: dict[str, str | None] | None) -> TokenStatus:
    from aa_otel_analytics.models import parse_ignore_paths

    reason = _skip_reason(row)
    name = str(row.name)
    return TokenStatus(
        name=name,
        type=str(row.type),
        measurement_id=str(row.token),
        secret=secret_state(row.secret),
        send_page_views=bool(row.send_page_views),
        send_celery_tasks=bool(row.send_celery_tasks),
        send_stats=bool(row.send_stats),
        ignore_paths=len(parse_ignore_paths(row.ignore_paths)),
        used=reason is None,
        skipped_because=reason,
        last_success=UNKNOWN if last is None else last.get(name),
    )


def disabled_by() -> list[str]:
    reasons = []
    if conf.ANALYTICS_DISABLED:
        reasons.append("the ANALYTICS_DISABLED setting")
    if conf.OTEL_SDK_DISABLED:
        reasons.append("the OTEL_SDK_DISABLED environment variable")
    return reasons


def _forwarding() -> dict[str, Any]:
    from aa_otel_analytics.forwarding.health import health

    found: dict[str, Any] = {
        "full_detail": conf.ANALYTICS_OTLP_FULL_DETAIL,
        "collector_down": environment.any_requested() and health.down(),
    }
    for signal in SIGNALS:
        plan = environment.plan(signal)
        found[signal] = {
            "on": plan.active,
            "requested": plan.requested,
            "protocol": plan.protocol,
            "problem": plan.problem,
        }
    return found


def _install_id() -> str | None:
    from aa_otel_analytics.models import AnalyticsIdentifier

    row = AnalyticsIdentifier.objects.filter(pk=1).first()
    return None if row is None else row.identifier.hex


def install_status() -> dict[str, Any]:
    """Everything ``analytics_status`` shows; raises DatabaseError if unreadable."""
    from aa_otel_analytics.models import AnalyticsTokens

    last = last_successes()
    tokens = [_token(row, last) for row in AnalyticsTokens.objects.order_by("pk")]
    used = [token for token in tokens if token.used]
    enabled = conf.enabled
    return {
        "enabled": enabled,
        "disabled_by": disabled_by(),
        "sending": {
            "page_views": enabled and any(t.send_page_views for t in used),
            "celery_tasks": enabled and any(t.send_celery_tasks for t in used),
            "stats": enabled and any(t.send_stats for t in used),
        },
        "install_id": _install_id(),
        "endpoint": conf.collect_url,
        "endpoint_problem": None
        if conf.collect_url is not None
        else "ANALYTICS_ENDPOINT is malformed, so nothing is sent",
        "mode": "debug" if conf.use_debug_endpoint else "production",
        "forwarding": _forwarding(),
        "tokens": [asdict(token) for token in tokens],
    }
