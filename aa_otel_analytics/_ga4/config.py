"""What to send where: tokens and the install id, read off the request path.

The database is read only from the export thread (or the daily stats task), at most
once per refresh interval, so an admin change reaches every process within that
interval and no page ever waits on our queries. When the database cannot be read,
the last good configuration stays in use.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field

from aa_otel_analytics._ga4.db import closing_connection
from aa_otel_analytics._ga4.drops import RateLimitedLog
from aa_otel_analytics.conf import conf

logger = logging.getLogger(__name__)
_log = RateLimitedLog(logger)

MEASUREMENT_ID = re.compile(r"^G-[A-Z0-9]{4,20}$")


@dataclass(frozen=True)
class TokenConfig:
    """One GA4 destination; the secret is kept out of ``repr``."""

    name: str
    measurement_id: str
    secret: str = field(repr=False)
    page_views: bool
    tasks: bool
    stats: bool
    ignore_paths: tuple[re.Pattern[str], ...] = ()

    def ignores(self, path: str | None) -> bool:
        if path is None:
            return False
        return any(pattern.search(path) for pattern in self.ignore_paths)


@dataclass(frozen=True)
class InstallConfig:
    client_id: str
    tokens: tuple[TokenConfig, ...]


def _compile(text: str, token_name: str) -> tuple[re.Pattern[str], ...]:
    from aa_otel_analytics.models import parse_ignore_paths

    compiled = []
    for pattern in parse_ignore_paths(text):
        try:
            compiled.append(re.compile(pattern))
        except re.error:
            _log.warning(
                "bad_ignore_path",
                "ignore path is not a valid regex, token=%s; ignoring it",
                token_name,
            )
    return tuple(compiled)


def _token_config(row: object) -> TokenConfig | None:
    name = str(getattr(row, "name", ""))
    if getattr(row, "type", "") != "GA-V4":
        _log.warning("ga_u", "skipping a non-GA4 token, token=%s", name)
        return None

    measurement_id = str(getattr(row, "token", "")).strip()
    secret = str(getattr(row, "secret", "")).strip()
    if not MEASUREMENT_ID.match(measurement_id) or not secret:
        _log.warning("bad_token", "skipping a token without a valid id, token=%s", name)
        return None

    return TokenConfig(
        name=name,
        measurement_id=measurement_id,
        secret=secret,
        page_views=bool(getattr(row, "send_page_views", False)),
        tasks=bool(getattr(row, "send_celery_tasks", False)),
        stats=bool(getattr(row, "send_stats", False)),
        ignore_paths=_compile(str(getattr(row, "ignore_paths", "")), name),
    )


def load_identifier() -> uuid.UUID:
    """The install id; a deleted row is replaced by a new random one."""
    from django.db import IntegrityError

    from aa_otel_analytics.models import AnalyticsIdentifier

    row = AnalyticsIdentifier.objects.filter(pk=1).first()
    if row is not None:
        return row.identifier

    try:
        row, _ = AnalyticsIdentifier.objects.get_or_create(
            pk=1, defaults={"identifier": uuid.uuid4()}
        )
    except IntegrityError:
        row = AnalyticsIdentifier.objects.get(pk=1)
    return row.identifier


def load_config() -> InstallConfig:
    from aa_otel_analytics.models import AnalyticsTokens

    rows = list(AnalyticsTokens.objects.order_by("pk"))
    tokens = tuple(t for t in map(_token_config, rows) if t is not None)
    return InstallConfig(client_id=load_identifier().hex, tokens=tokens)


class ConfigCache:
    """The configuration, refreshed from the database at most once per interval."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config: InstallConfig | None = None
        self._loaded_at = -float("inf")

    def get(self) -> InstallConfig | None:
        with self._lock:
            if time.monotonic() - self._loaded_at >= conf.ANALYTICS_CONFIG_REFRESH_SECS:
                self._refresh()
            return self._config

    def peek(self) -> InstallConfig | None:
        """The cached configuration, never reading the database."""
        return self._config

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = -float("inf")

    def _refresh(self) -> None:
        self._loaded_at = time.monotonic()
        try:
            self._config = closing_connection(load_config)
        except Exception as exc:  # the database is the host's; never fail on it
            _log.warning(
                "config_unavailable",
                "analytics configuration unreadable (%s); using the last one",
                type(exc).__name__,
            )


config_cache = ConfigCache()
