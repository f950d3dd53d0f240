"""The data of the "What this server sent" admin page, ready for its template."""

from __future__ import annotations

import json
from typing import Any

from aa_otel_analytics.audit import chart, summary
from aa_otel_analytics.conf import conf

DAYS = 30


def pretty_json(body: object) -> str:
    return json.dumps(body, indent=2, sort_keys=True)


def page_context(days: int = DAYS) -> dict[str, Any]:
    since = summary.start_of_window(days)
    payloads = [
        (row, pretty_json(row.body))
        for row in summary.latest_payloads(conf.ANALYTICS_AUDIT_BODIES)
    ]
    return {
        "title": "What this server sent",
        "days": days,
        "chart": chart.build(summary.daily_events(days)),
        "totals": summary.totals(since),
        "drops": summary.drops_by_reason(since),
        "last_success": sorted(summary.last_success_by_token().items()),
        "payloads": payloads,
        "recording": not conf.use_debug_endpoint,
        "retention_days": conf.ANALYTICS_AUDIT_RETENTION_DAYS,
    }
