"""Checks for the Django settings and OTEL_* variables a person wrote."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from aa_otel_analytics.conf import (
    AGGREGATION_MODES,
    MAX_AUDIT_RETENTION_DAYS,
    conf,
    endpoint_problem,
    positive_seconds,
    valid_share,
)


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    disabled = getattr(settings, "ANALYTICS_DISABLED", False)
    if not isinstance(disabled, bool):
        messages.append(
            Error(
                f"ANALYTICS_DISABLED must be True or False, not {disabled!r}; "
                f"analytics is {'off' if disabled else 'on'} until it is fixed.",
                id="aa_otel_analytics.E001",
            )
        )

    endpoint = conf.ANALYTICS_ENDPOINT_RAW
    problem = endpoint_problem(endpoint) if endpoint is not None else None
    if problem:
        messages.append(
            Error(
                f"ANALYTICS_ENDPOINT {problem}; nothing is sent until it is fixed.",
                hint="For example https://www.google-analytics.com, or the URL of "
                "your proxy; remove the setting to send to Google.",
                id="aa_otel_analytics.E002",
            )
        )
    messages.extend(_check_durations())
    messages.extend(_check_counts())
    messages.extend(_check_aggregation())
    messages.extend(_check_forwarding())
    return messages


_DURATIONS = (
    "ANALYTICS_CONFIG_REFRESH_SECS",
    "ANALYTICS_REQUEST_TIMEOUT_SECS",
    "ANALYTICS_EXPORT_DEADLINE_SECS",
    "ANALYTICS_SHUTDOWN_DEADLINE_SECS",
    "ANALYTICS_AGGREGATION_INTERVAL_SECS",
)


def _check_durations() -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for name in _DURATIONS:
        value = getattr(settings, name, None)
        if value is None:
            continue
        if not positive_seconds(value):
            messages.append(
                Warning(
                    f"{name} must be a positive number of seconds, not {value!r}; "
                    f"the default is used.",
                    id="aa_otel_analytics.W003",
                )
            )
    return messages


# Whole-number settings and the range their value must be in.
_COUNTS = {
    "ANALYTICS_DAILY_EVENT_BUDGET": (1_000, 100_000),
    "ANALYTICS_AUDIT_BODIES": (0, 100),
    "ANALYTICS_AUDIT_RETENTION_DAYS": (1, MAX_AUDIT_RETENTION_DAYS),
}


def _check_counts() -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for name, (low, high) in _COUNTS.items():
        value = getattr(settings, name, None)
        if value is None:
            continue
        whole = isinstance(value, int) and not isinstance(value, bool)
        if whole and value >= low and (high is None or value <= high):
            continue

        wanted = f"from {low} to {high}" if high is not None else f"of {low} or more"
        capped = whole and high is not None and value > high
        used = f"{high} is used" if capped else "the default is used"
        messages.append(
            Warning(
                f"{name} must be a whole number {wanted}, not {value!r}; {used}.",
                id="aa_otel_analytics.W012",
            )
        )
    return messages


def _check_aggregation() -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    mode = getattr(settings, "ANALYTICS_AGGREGATION", None)
    if mode is not None and mode not in AGGREGATION_MODES:
        choices = " or ".join(repr(m) for m in AGGREGATION_MODES)
        messages.append(
            Warning(
                f"ANALYTICS_AGGREGATION must be {choices}, not {mode!r}; "
                f"'auto' is used.",
                id="aa_otel_analytics.W013",
            )
        )
    share = getattr(settings, "ANALYTICS_DETAIL_SHARE", None)
    if share is not None and not valid_share(share):
        messages.append(
            Warning(
                f"ANALYTICS_DETAIL_SHARE must be a number from 0 to 1, not "
                f"{share!r}; 0.5 is used.",
                id="aa_otel_analytics.W013",
            )
        )
    return messages


def _check_forwarding() -> list[CheckMessage]:
    from aa_otel_analytics.forwarding import environment

    messages: list[CheckMessage] = []
    for signal in ("traces", "metrics"):
        plan = environment.plan(signal)  # type: ignore[arg-type]
        if plan.ignored:
            names = ", ".join(plan.ignored)
            messages.append(
                Warning(
                    f"OTEL_{signal.upper()}_EXPORTER names {names}: this package "
                    f"forwards {signal} only over OTLP, so that is ignored.",
                    hint="Use otlp (or otlp_proto_http / otlp_proto_grpc).",
                    id="aa_otel_analytics.W004",
                )
            )
        if plan.requested and plan.problem:
            messages.append(
                Warning(
                    f"{signal} are not forwarded: {plan.problem}.",
                    hint="Or unset the OTEL_EXPORTER_OTLP_* / OTEL_*_EXPORTER "
                    "variables if you do not run a collector.",
                    id="aa_otel_analytics.W004",
                )
            )

    full_detail = getattr(settings, "ANALYTICS_OTLP_FULL_DETAIL", False)
    if not isinstance(full_detail, bool):
        messages.append(
            Warning(
                f"ANALYTICS_OTLP_FULL_DETAIL must be True or False, not "
                f"{full_detail!r}; forwarded spans stay redacted.",
                id="aa_otel_analytics.W005",
            )
        )
    return messages
