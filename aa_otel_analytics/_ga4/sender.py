"""Deliver events: configuration, packing, HTTP, and accounting in one call.

``send`` is called from the span batch processor's thread and from the daily stats
task. It never raises and never blocks longer than its deadline.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence

from aa_otel_analytics._ga4.client import GAClient, Outcome
from aa_otel_analytics._ga4.config import ConfigCache, config_cache
from aa_otel_analytics._ga4.drops import RateLimitedLog, drops
from aa_otel_analytics._ga4.events import AnalyticsEvent
from aa_otel_analytics._ga4.payload import Batch, build_batches
from aa_otel_analytics.conf import conf

logger = logging.getLogger(__name__)
_log = RateLimitedLog(logger)


class GASender:
    """Sends events to every token that wants them."""

    def __init__(
        self, client: GAClient | None = None, config: ConfigCache | None = None
    ) -> None:
        self.client = client or GAClient(conf.ANALYTICS_REQUEST_TIMEOUT_SECS)
        self.config = config or config_cache
        self._lock = threading.Lock()
        self.sent_events = 0
        self.sent_requests = 0
        self.last_success: dict[str, float] = {}

    def send(self, events: Sequence[AnalyticsEvent]) -> bool:
        """True when every batch was accepted (or there was nothing to send)."""
        if not events:
            return True

        config = self.config.get()
        if config is None:
            drops.add("config_unavailable", len(events))
            return False

        ok = True
        for batch in build_batches(events, config):
            ok = self._deliver(batch) and ok
        return ok

    def _deadline(self) -> float:
        secs = conf.ANALYTICS_EXPORT_DEADLINE_SECS
        if self.client.closing:
            secs = min(secs, conf.ANALYTICS_SHUTDOWN_DEADLINE_SECS)
        return time.monotonic() + secs

    def _deliver(self, batch: Batch) -> bool:
        params = {
            "measurement_id": batch.token.measurement_id,
            "api_secret": batch.token.secret,
        }
        outcome = self.client.post(
            conf.collect_url, params, batch.body, self._deadline()
        )
        if outcome.ok:
            self._record_success(batch)
            if conf.use_debug_endpoint:
                _log_validation(batch, outcome)
            return True

        drops.add(outcome.reason, batch.size)
        _log.warning(
            outcome.reason,
            "analytics batch dropped, token=%s events=%d reason=%s attempts=%d",
            batch.token.name,
            batch.size,
            outcome.reason,
            outcome.attempts,
        )
        return False

    def _record_success(self, batch: Batch) -> None:
        with self._lock:
            self.sent_events += batch.size
            self.sent_requests += 1
            self.last_success[batch.token.name] = time.time()


def _log_validation(batch: Batch, outcome: Outcome) -> None:
    """In DEBUG, GA's validation server explains what it would have rejected."""
    try:
        messages = json.loads(outcome.body or b"{}").get("validationMessages") or []
    except (ValueError, AttributeError):
        messages = []
    for message in messages[:5]:
        if not isinstance(message, dict):
            continue
        logger.warning(
            "ga validation: token=%s code=%s field=%s: %s",
            batch.token.name,
            message.get("validationCode"),
            message.get("fieldPath"),
            str(message.get("description", ""))[:200],
        )
    if not messages:
        logger.debug("ga validation: token=%s no messages", batch.token.name)
