"""Check the values of the OTLP variables a person typed, before the exporter does.

The exporter accepts almost anything and then fails every export (a missing
scheme, a base URL where the signal's full URL is wanted, a timeout of zero), so
the site would run for months forwarding nothing. These checks turn such values
into a startup warning with the variable's name.
"""

from __future__ import annotations

import os
from urllib.parse import SplitResult, urlsplit

from aa_otel_analytics.forwarding.environment import GRPC, Signal

# Python's OTLP exporter reads its timeout in seconds (the specification says
# milliseconds); a value copied from another language's docs is far too long.
LONGEST_SENSIBLE_TIMEOUT_SECS = 600.0


def _variable(signal: Signal, suffix: str) -> tuple[str, str] | None:
    for name in (
        f"OTEL_EXPORTER_OTLP_{signal.upper()}_{suffix}",
        f"OTEL_EXPORTER_OTLP_{suffix}",
    ):
        value = os.environ.get(name, "").strip()
        if value:
            return name, value
    return None


def _port_ok(parts: SplitResult) -> bool:
    try:
        return parts.port is None or parts.port > 0
    except ValueError:  # not a number, or out of range
        return False


def endpoint_problem(signal: Signal, protocol: str) -> str | None:
    found = _variable(signal, "ENDPOINT")
    if found is None:
        return None

    name, value = found
    if protocol == GRPC and "://" not in value:
        return None  # host:port is how gRPC endpoints are often written

    try:
        parts = urlsplit(value)
    except ValueError:
        return f"{name}={value!r} is not a valid URL"
    if not _port_ok(parts):
        return f"{name}={value!r} has an invalid port"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{name}={value!r} is not an http:// or https:// URL"
    specific = name != "OTEL_EXPORTER_OTLP_ENDPOINT"
    if specific and protocol != GRPC and parts.path in ("", "/"):
        return (
            f"{name}={value!r} needs the signal's full URL, such as "
            f"{value.rstrip('/')}/v1/{signal}"
        )
    return None


def timeout_problem(signal: Signal) -> str | None:
    found = _variable(signal, "TIMEOUT")
    if found is None:
        return None

    name, value = found
    try:
        secs = float(value)
    except ValueError:
        return f"{name}={value!r} is not a number of seconds"
    if secs <= 0:
        return f"{name}={value!r} makes every export fail; give seconds, such as 10"
    if secs > LONGEST_SENSIBLE_TIMEOUT_SECS:
        return (
            f"{name}={value!r} is read in seconds by Python's exporter "
            f"(not milliseconds); use 10 for ten seconds"
        )
    return None
