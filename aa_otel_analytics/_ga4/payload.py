"""Address events to tokens and pack them into valid Measurement Protocol bodies.

Each token gets only the kinds of event it has switched on and none of the pages it
ignores. A body holds at most 25 events and stays under GA's size limit; events too
old for GA to accept are dropped here rather than sent to be discarded.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata

from aa_otel_analytics._ga4 import limits
from aa_otel_analytics._ga4.config import InstallConfig, TokenConfig
from aa_otel_analytics._ga4.drops import drops
from aa_otel_analytics._ga4.events import AnalyticsEvent, EventKind

UNKNOWN_VERSION = "not-installed"
_encode_event = json.JSONEncoder(separators=(",", ":")).encode


@dataclass(frozen=True)
class Batch:
    """One HTTP request's worth of events for one token."""

    token: TokenConfig
    body: bytes = field(repr=False)
    event_counts: dict[str, int]
    represented: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(self.event_counts.values())


def represented(event: AnalyticsEvent) -> int:
    """How many page views or task runs an event stands for (its ``count``)."""
    count = event.params.get("count", 1)
    return count if isinstance(count, int) and count > 0 else 1


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return UNKNOWN_VERSION


@lru_cache(maxsize=1)
def user_properties() -> dict[str, dict[str, str]]:
    """Read once per process: ``importlib.metadata`` costs most of a millisecond."""
    limit = limits.MAX_USER_PROPERTY_VALUE
    return {
        "allianceauth_version": {"value": _version("allianceauth")[:limit]},
        "aa_otel_version": {"value": _version("aa-otel-analytics")[:limit]},
    }


def _wants(token: TokenConfig, event: AnalyticsEvent) -> bool:
    if event.kind is EventKind.PAGE_VIEW:
        return token.page_views and not token.ignores(event.path)
    if event.kind is EventKind.TASK:
        return token.tasks
    return token.stats


def _fresh(events: Iterable[AnalyticsEvent], now_micros: int) -> list[AnalyticsEvent]:
    oldest = now_micros - limits.SAFE_EVENT_AGE_MICROS
    return [
        _clamped(e, now_micros) if e.timestamp_micros > now_micros else e
        for e in events
        if e.timestamp_micros >= oldest
    ]


def _clamped(event: AnalyticsEvent, now_micros: int) -> AnalyticsEvent:
    return AnalyticsEvent(event.kind, event.name, event.params, now_micros, event.path)


def _event_json(event: AnalyticsEvent) -> dict[str, object]:
    return {
        "name": event.name,
        "params": event.params,
        "timestamp_micros": event.timestamp_micros,
    }


def _encode(parts: list[str], head: str) -> bytes:
    return (head + ",".join(parts) + "]}").encode()


def _chunks(
    token: TokenConfig, events: list[AnalyticsEvent], head: str
) -> Iterator[Batch]:
    parts: list[str] = []
    counts: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    stands_for = 0
    size = len(head) + 2
    for event in events:
        # ensure_ascii (the default) makes characters and bytes the same count.
        part = _encode_event(_event_json(event))
        if len(head) + 2 + len(part) + 1 > limits.MAX_BODY_BYTES:
            drops.add("too_large", represented(event))
            continue
        full = len(parts) >= limits.MAX_EVENTS_PER_REQUEST
        if full or size + len(part) + 1 > limits.MAX_BODY_BYTES:
            yield Batch(
                token, _encode(parts, head), dict(counts), stands_for, dict(kinds)
            )
            parts, counts, kinds = [], Counter(), Counter()
            stands_for, size = 0, len(head) + 2
        parts.append(part)
        counts[event.name] += 1
        kinds[event.kind.value] += 1
        stands_for += represented(event)
        size += len(part) + 1
    if parts:
        yield Batch(token, _encode(parts, head), dict(counts), stands_for, dict(kinds))


Addressed = list[tuple[TokenConfig, list[AnalyticsEvent]]]


def address(events: Iterable[AnalyticsEvent], config: InstallConfig) -> Addressed:
    """Each token with the events it wants (its switches and ignore paths)."""
    all_events = list(events)
    return [(t, [e for e in all_events if _wants(t, e)]) for t in config.tokens]


def _head(client_id: str) -> str:
    head = json.dumps(
        {
            "client_id": client_id,
            "non_personalized_ads": True,
            "user_properties": user_properties(),
        },
        separators=(",", ":"),
    )
    return head[:-1] + ',"events":['


def pack(
    addressed: Addressed, client_id: str, now_micros: int | None = None
) -> list[Batch]:
    """Bodies for already addressed events; stale ones are dropped and counted."""
    now = time.time_ns() // 1000 if now_micros is None else now_micros
    head = _head(client_id)
    batches: list[Batch] = []
    for token, events in addressed:
        fresh = _fresh(events, now)
        kept = {id(e) for e in fresh}
        drops.add("too_old", sum(represented(e) for e in events if id(e) not in kept))
        batches.extend(_chunks(token, fresh, head))
    return batches


def build_batches(
    events: Iterable[AnalyticsEvent],
    config: InstallConfig,
    now_micros: int | None = None,
) -> list[Batch]:
    return pack(address(events, config), config.client_id, now_micros)
