"""Read what a receiver got and summarise it for people and for scripts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests

STATS_NAMESPACE = "allianceauth.analytics"


def fetch_received(endpoint: str, since: int = 0) -> list[dict[str, Any]]:
    """The requests a receiver started by this package recorded, oldest first.

    ``since`` skips requests that were there before, so a receiver someone else
    is also using is read without its older traffic.
    """
    try:
        response = requests.get(endpoint + "/_receiver/received", timeout=5)
        response.raise_for_status()
        return list(response.json().get("requests", []))[since:]
    except (requests.RequestException, ValueError):
        return []


def _kind(event: dict[str, Any]) -> str:
    if event.get("name") == "page_view":
        return "page_view"
    if event.get("params", {}).get("namespace") == STATS_NAMESPACE:
        return "stats"
    return "celery_event"


def _row(event: dict[str, Any]) -> tuple[str, ...]:
    params = event.get("params", {})
    if event.get("name") == "page_view":
        return ("page_view", str(params.get("page_location")), "")
    where = f"{params.get('namespace')}.{params.get('task')}"
    return (_kind(event), where, f"{params.get('label')}={params.get('value')}")


@dataclass
class Summary:
    requests: int = 0
    invalid: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    rows: Counter[tuple[str, ...]] = field(default_factory=Counter)
    example: dict[str, Any] | None = None

    @property
    def page_views(self) -> int:
        return self.kinds["page_view"]

    @property
    def task_events(self) -> int:
        return self.kinds["celery_event"]

    @property
    def stats(self) -> int:
        return self.kinds["stats"]

    def healthy(self, expected: tuple[int, int, int] | None = None) -> bool:
        """No invalid payload, and every kind present (or exactly as expected)."""
        counts = (self.page_views, self.task_events, self.stats)
        if self.invalid:
            return False
        if expected is not None:
            return counts == expected
        return min(counts) > 0

    def table(self) -> list[str]:
        lines = [f"{'count':>5}  {'kind':<12}  {'what':<52}  detail"]
        for (kind, what, detail), count in sorted(self.rows.items()):
            lines.append(f"{count:>5}  {kind:<12}  {what:<52}  {detail}")
        return lines

    def last_line(self) -> str:
        return (
            f"demo: page_view={self.page_views} celery_event={self.task_events} "
            f"stats={self.stats} requests={self.requests} invalid={self.invalid}"
        )


def summarize(received: list[dict[str, Any]]) -> Summary:
    summary = Summary(requests=len(received))
    for request in received:
        if request.get("messages"):
            summary.invalid += 1
        body = request.get("body") or {}
        events = body.get("events") or []
        if summary.example is None and any(
            e.get("name") == "page_view" for e in events
        ):
            summary.example = body
        for event in events:
            # An aggregated event stands for ``count`` page views or task runs.
            count = event.get("params", {}).get("count", 1)
            summary.kinds[_kind(event)] += count
            summary.rows[_row(event)] += count
    return summary
