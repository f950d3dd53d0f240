"""The notice an operator sees when ``migrate`` first switches analytics on.

Opt-out analytics is only fair when the operator is told, at the moment it starts,
what leaves the server and how to stop it.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

logger = logging.getLogger(__name__)

FIRST_RUN_NOTICE = """

aa-otel-analytics: anonymous usage analytics is now on for this site.
  Sent to the Alliance Auth team's Google Analytics: daily install statistics
  (counts of users, ESI tokens and apps, the extension apps installed), page
  views (route patterns, never raw paths, titles or query strings) and task
  outcomes, under a random install id and nothing else.
  See it:    python manage.py analytics_status / analytics_preview, or the
             admin page "What this server sent".
  Opt out:   untick the features of the team token in the admin (Analytics
             (OpenTelemetry) > Tokens), or set ANALYTICS_DISABLED = True.
"""


OFF_NOTICE = """
aa-otel-analytics: installed with analytics switched off ({why}); nothing is
  sent. The team token is preloaded in the admin under Analytics
  (OpenTelemetry) > Tokens; see python manage.py analytics_status.
"""


KEPT_OPT_OUT_NOTICE = """
aa-otel-analytics: installed, and Alliance Auth's analytics opt-out is kept: the
  team token's features are off, so nothing is sent to the team. See
  python manage.py analytics_status.
"""

# Set when the preload migration creates the team token; the last migration of
# the same ``migrate`` then announces once, knowing whether an opt-out was kept.
_preloaded = False


def preloaded() -> None:
    global _preloaded
    _preloaded = True


def announce_if_preloaded(opted_out: bool) -> None:
    global _preloaded
    if _preloaded:
        _preloaded = False
        announce(opted_out=opted_out)


def announce(stream: TextIO | None = None, *, opted_out: bool = False) -> None:
    """Print the notice and log it once, after the migrations that preload."""
    from aa_otel_analytics.conf import conf

    text = FIRST_RUN_NOTICE
    if not conf.enabled:
        why = "ANALYTICS_DISABLED" if conf.ANALYTICS_DISABLED else "OTEL_SDK_DISABLED"
        text = OFF_NOTICE.format(why=why)
    elif opted_out:
        text = KEPT_OPT_OUT_NOTICE
    print(text, file=stream or sys.stdout)
    logger.info("%s", text.strip().splitlines()[0])
