"""The one place where our own failures are absorbed at the host's boundary.

Every hook, exporter and public call that must never raise into the host ends in
``absorb`` from its ``except Exception`` block. The test suite replaces it with a
re-raise, so a bug that production would swallow still fails a test.
"""

from __future__ import annotations

import logging

from aa_otel_analytics._ga4.drops import RateLimitedLog, drops

logger = logging.getLogger(__name__)
_log = RateLimitedLog(logger)


def absorb(what: str, *, reason: str = "internal_error", count: int = 1) -> None:
    """Count and log (once a minute, no traceback) a failure we must not raise."""
    drops.add(reason, count)
    _log.log(logging.ERROR, what, "analytics: %s failed; absorbed", what)
    logger.debug("analytics: %s failed", what, exc_info=True)
