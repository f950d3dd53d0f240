"""The neutral event record that spans, metrics and ``analytics_event`` turn into."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

ParamValue = str | int | float


class EventKind(str, Enum):
    """Which token switch governs an event."""

    PAGE_VIEW = "page_view"
    TASK = "task"
    STATS = "stats"


@dataclass(frozen=True, slots=True)
class AnalyticsEvent:
    """One GA event before it is addressed to a token.

    ``path`` is the raw request path, kept only to match a token's ignore paths in
    this process; it is never part of a payload.
    """

    kind: EventKind
    name: str
    params: dict[str, ParamValue]
    timestamp_micros: int
    path: str | None = field(default=None, repr=False)
