"""Typed, lazy access to the settings this package reads.

Every setting is read when it is used, never at import, so tests and hosts can change
them at run time. Values of the wrong type are treated in the direction that sends
less (a truthy non-bool ``ANALYTICS_DISABLED`` disables); ``checks.py`` reports them.
"""

from __future__ import annotations

import math
import os
from typing import Any
from urllib.parse import urlsplit

DEFAULT_ENDPOINT = "https://www.google-analytics.com"
DEFAULT_DAILY_BUDGET = 50_000
GA_DAILY_LIMIT = 100_000
AGGREGATION_MODES = ("auto", "always")
DEFAULT_AUDIT_BODIES = 20
MAX_AUDIT_BODIES = 100
DEFAULT_AUDIT_RETENTION_DAYS = 90
# A century: beyond it the cutoff date leaves the calendar Python can represent.
MAX_AUDIT_RETENTION_DAYS = 36_500

_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE_WORDS


def endpoint_problem(value: object) -> str | None:
    """Say what is wrong with an endpoint value, or None when it is usable."""
    if not isinstance(value, str) or not value.strip():
        return "must be a non-empty string such as https://www.google-analytics.com"

    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    if parts.query or parts.fragment:
        return "must not have a query string or fragment"
    return None


class Settings:
    """The package's settings, each property named for the setting it reads."""

    def _django(self, name: str, default: Any) -> Any:
        from django.conf import settings

        return getattr(settings, name, default)

    @property
    def ANALYTICS_DISABLED(self) -> bool:
        return bool(self._django("ANALYTICS_DISABLED", False))

    @property
    def OTEL_SDK_DISABLED(self) -> bool:
        return _env_flag("OTEL_SDK_DISABLED")

    @property
    def DEBUG(self) -> bool:
        return bool(self._django("DEBUG", False))

    @property
    def ANALYTICS_ENABLE_DEBUG(self) -> bool:
        return bool(self._django("ANALYTICS_ENABLE_DEBUG", False))

    @property
    def use_debug_endpoint(self) -> bool:
        """Django's DEBUG sends to GA's validation endpoint, as Alliance Auth does."""
        return self.DEBUG and not self.ANALYTICS_ENABLE_DEBUG

    @property
    def ANALYTICS_ENDPOINT_RAW(self) -> object:
        value = self._django("ANALYTICS_ENDPOINT", None)
        if value is None:
            value = os.environ.get("ANALYTICS_ENDPOINT") or None
        return value

    @property
    def ANALYTICS_ENDPOINT(self) -> str | None:
        """The base URL, or None when the setting is malformed.

        A typo in a proxy's address must not send everything to Google instead:
        a malformed value sends nowhere (and the startup check says why).
        """
        value = self.ANALYTICS_ENDPOINT_RAW
        if value is None:
            return DEFAULT_ENDPOINT
        if endpoint_problem(value) is not None:
            return None
        return str(value).strip().rstrip("/")

    @property
    def collect_url(self) -> str | None:
        base = self.ANALYTICS_ENDPOINT
        if base is None:
            return None
        path = "/debug/mp/collect" if self.use_debug_endpoint else "/mp/collect"
        return base + path

    @property
    def ANALYTICS_CONFIG_REFRESH_SECS(self) -> float:
        return _positive_float(self._django("ANALYTICS_CONFIG_REFRESH_SECS", 60), 60)

    @property
    def ANALYTICS_REQUEST_TIMEOUT_SECS(self) -> float:
        return _positive_float(self._django("ANALYTICS_REQUEST_TIMEOUT_SECS", 5), 5)

    @property
    def ANALYTICS_EXPORT_DEADLINE_SECS(self) -> float:
        return _positive_float(self._django("ANALYTICS_EXPORT_DEADLINE_SECS", 15), 15)

    @property
    def ANALYTICS_SHUTDOWN_DEADLINE_SECS(self) -> float:
        return _positive_float(self._django("ANALYTICS_SHUTDOWN_DEADLINE_SECS", 3), 3)

    @property
    def ANALYTICS_DAILY_EVENT_BUDGET(self) -> int:
        value = self._django("ANALYTICS_DAILY_EVENT_BUDGET", DEFAULT_DAILY_BUDGET)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1000:
            return DEFAULT_DAILY_BUDGET
        return min(value, GA_DAILY_LIMIT)

    @property
    def ANALYTICS_AGGREGATION(self) -> str:
        value = self._django("ANALYTICS_AGGREGATION", "auto")
        return value if value in AGGREGATION_MODES else "auto"

    @property
    def ANALYTICS_AGGREGATION_INTERVAL_SECS(self) -> float:
        value = self._django("ANALYTICS_AGGREGATION_INTERVAL_SECS", 900)
        return _positive_float(value, 900)

    @property
    def ANALYTICS_DETAIL_SHARE(self) -> float:
        value = self._django("ANALYTICS_DETAIL_SHARE", 0.5)
        return float(value) if valid_share(value) else 0.5

    @property
    def ANALYTICS_OTLP_FULL_DETAIL(self) -> bool:
        """Anything but ``True`` keeps forwarded spans redacted."""
        return self._django("ANALYTICS_OTLP_FULL_DETAIL", False) is True

    @property
    def ANALYTICS_AUDIT_BODIES(self) -> int:
        """How many of the latest audit rows keep their payload (at most 100)."""
        value = self._django("ANALYTICS_AUDIT_BODIES", DEFAULT_AUDIT_BODIES)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return DEFAULT_AUDIT_BODIES
        return min(value, MAX_AUDIT_BODIES)

    @property
    def ANALYTICS_AUDIT_RETENTION_DAYS(self) -> int:
        value = self._django(
            "ANALYTICS_AUDIT_RETENTION_DAYS", DEFAULT_AUDIT_RETENTION_DAYS
        )
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return DEFAULT_AUDIT_RETENTION_DAYS
        return min(value, MAX_AUDIT_RETENTION_DAYS)

    @property
    def enabled(self) -> bool:
        return not (self.ANALYTICS_DISABLED or self.OTEL_SDK_DISABLED)


def valid_share(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return 0 <= value <= 1


def positive_seconds(value: object) -> bool:
    """A duration a person wrote: a finite number above zero, not a bool."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) and value > 0


def _positive_float(value: object, default: float) -> float:
    if not positive_seconds(value):
        return default
    return float(value)  # type: ignore[arg-type]


conf = Settings()
