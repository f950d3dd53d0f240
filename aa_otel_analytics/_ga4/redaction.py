"""Keep the API secret out of urllib3's debug log.

GA wants the secret in the query string, and urllib3 logs every request line at
DEBUG. This filter rewrites those records, so the secret is never written to a log
at any level, whatever the host's logging configuration.
"""

from __future__ import annotations

import logging
import re

_SECRET = re.compile(r"(api_secret=)[^&\s\"']+")
_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry")


def redact(text: str) -> str:
    return _SECRET.sub(r"\1***", text)


class SecretRedactingFilter(logging.Filter):
    """Replaces ``api_secret=…`` in a record's message; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the host's problem, not ours
            return True

        if "api_secret=" in message:
            record.msg, record.args = redact(message), None
        return True


_filter = SecretRedactingFilter()


def install() -> None:
    """Attach the filter once to the loggers that can see request lines."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)
