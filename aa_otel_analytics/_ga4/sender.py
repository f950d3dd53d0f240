"""Deliver events: configuration, packing, HTTP, and accounting in one call.

``send`` is called from the span batch processor's thread and from the daily stats
task. It never raises and never blocks longer than its deadline.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Sequence
from typing import Protocol

from aa_otel_analytics._ga4.budget import budget, clock, utc_day
from aa_otel_analytics._ga4.client import GAClient, Outcome
from aa_otel_analytics._ga4.config import ConfigCache, config_cache
from aa_otel_analytics._ga4.drops import RateLimitedLog, drops
from aa_otel_analytics._ga4.events import AnalyticsEvent, EventKind
from aa_otel_analytics._ga4.payload import Addressed, Batch, address, pack
from aa_otel_analytics.conf import conf

logger = logging.getLogger(__name__)
_log = RateLimitedLog(logger)


class Recorder(Protocol):
    def record(self, addressed: Addressed) -> None: ...


class Audit(Protocol):
    def record_batch(self, batch: Batch, outcome: Outcome) -> None: ...


def _needed(addressed: Addressed) -> int:
    """Budget is per install per day, so a batch costs its largest token's share."""
    return max((len(events) for _, events in addressed), default=0)


class GASender:
    """Sends events to every token that wants them, within the daily budget.

    Page views and task events go one by one while the budget's detail share
    lasts (and ``ANALYTICS_AGGREGATION`` is ``"auto"``); after that, and always in
    ``"always"`` mode, they are handed to the ``aggregator`` to be counted.
    """

    def __init__(
        self, client: GAClient | None = None, config: ConfigCache | None = None
    ) -> None:
        self.client = client or GAClient(conf.ANALYTICS_REQUEST_TIMEOUT_SECS)
        self.config = config or config_cache
        self._lock = threading.Lock()
        self.sent_events = 0
        self.sent_requests = 0
        self.last_success: dict[str, float] = {}
        self.aggregator: Recorder | None = None
        self.audit: Audit | None = None
        self._aggregating_day: dt.date | None = None

    def send(self, events: Sequence[AnalyticsEvent]) -> bool:
        """True when every batch was accepted (or there was nothing to send)."""
        if not events:
            return True

        config = self.config.get()
        if config is None:
            drops.add("config_unavailable", len(events))
            return False

        stats = [e for e in events if e.kind is EventKind.STATS]
        activity = [e for e in events if e.kind is not EventKind.STATS]
        ok = True
        if stats:
            addressed = address(stats, config)
            budget.reserve("stats", _needed(addressed))
            ok = self.send_addressed(addressed, config.client_id)
        if activity:
            ok = self._send_activity(address(activity, config), config.client_id) and ok
        return ok

    def _detail_allowed(self) -> bool:
        if conf.ANALYTICS_AGGREGATION == "always" and self.aggregator is not None:
            return False
        return self._aggregating_day != utc_day(clock.time())

    def _send_activity(self, addressed: Addressed, client_id: str) -> bool:
        needed = _needed(addressed)
        if needed == 0:
            return True
        if self._detail_allowed() and budget.reserve("detail", needed):
            return self.send_addressed(addressed, client_id)
        if self.aggregator is None:
            drops.add("over_budget", needed)
            return False

        if self._aggregating_day != utc_day(clock.time()):
            self._aggregating_day = utc_day(clock.time())
            logger.info("analytics: aggregating page views and tasks for the day")
        self.aggregator.record(addressed)
        return True

    def send_addressed(self, addressed: Addressed, client_id: str) -> bool:
        ok = True
        for batch in pack(addressed, client_id):
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
        url = conf.collect_url
        if url is None:
            outcome = Outcome(False, "bad_endpoint")
        else:
            outcome = self.client.post(url, params, batch.body, self._deadline())
        if self.audit is not None:
            # Before the drop is counted, so the audit does not record it twice.
            self.audit.record_batch(batch, outcome)
        if outcome.ok:
            self._record_success(batch)
            if conf.use_debug_endpoint:
                _log_validation(batch, outcome)
            return True

        # Counted in page views and task runs, the unit the totals are in.
        drops.add(outcome.reason, batch.represented)
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
        _log.warning(
            f"validation:{message.get('validationCode')}:{message.get('fieldPath')}",
            "ga validation: token=%s code=%s field=%s: %s",
            batch.token.name,
            message.get("validationCode"),
            message.get("fieldPath"),
            str(message.get("description", ""))[:200],
        )
    if not messages:
        logger.debug("ga validation: token=%s no messages", batch.token.name)
