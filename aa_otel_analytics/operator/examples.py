"""Example requests built through the real pipeline, sending nothing.

The daily stats are collected from the real gauges with an in-memory reader; the
example page view and task event are real SDK spans, marked by the Django hook or
carrying the attributes OpenTelemetry's Celery instrumentation sets, then mapped by
the exporter's own ``span_to_event``. Everything is addressed and packed per token
by ``build_batches``, so a body printed here is byte for byte what would be sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from aa_otel_analytics._ga4.config import InstallConfig, TokenConfig
from aa_otel_analytics._ga4.events import AnalyticsEvent
from aa_otel_analytics._ga4.mapping import span_to_event
from aa_otel_analytics._ga4.payload import build_batches
from aa_otel_analytics.exporters.metric_exporter import metrics_to_events
from aa_otel_analytics.instrumentation import attributes as attr
from aa_otel_analytics.stats.install_stats import InstallStats

MASKED_SECRET = "***"
EXAMPLE_TASK = "allianceauth.eveonline.tasks.update_character"
STATS = "daily stats"
ACTIVITY = "example page view and task event"

_PAGE_MILLIS = 40
_TASK_MILLIS = 250


@dataclass(frozen=True)
class ExampleRequest:
    """One request body for one token, as the exporter would post it."""

    token: TokenConfig
    what: str
    body: bytes = field(repr=False)
    event_counts: dict[str, int]


def masked_url(collect_url: str, token: TokenConfig) -> str:
    """The request's URL with the API secret replaced by ``***``."""
    return (
        f"{collect_url}?measurement_id={token.measurement_id}"
        f"&api_secret={MASKED_SECRET}"
    )


def stats_events() -> list[AnalyticsEvent]:
    """One collection of the install gauges, as the daily task would make it."""
    reader = InMemoryMetricReader()
    stats = InstallStats(reader)
    try:
        data = reader.get_metrics_data()
    finally:
        stats.shutdown()
    return metrics_to_events(data) if data is not None else []


class _MarkedAttributes:
    """Takes what the page-view hook sets, as a recording span would.

    The examples are plain ``ReadableSpan`` objects, never started on a provider:
    they reach no exporter, and ``OTEL_SDK_DISABLED`` (which hands out spans that
    record nothing) does not stop the preview from showing what would be sent.
    """

    def __init__(self) -> None:
        self.attributes: dict[str, object] = {}

    def is_recording(self) -> bool:
        return True

    def set_attributes(self, attributes: dict[str, object]) -> None:
        self.attributes.update(attributes)

    def set_attribute(self, key: str, value: object) -> None:
        self.attributes[key] = value


def page_view_event(path: str = "/") -> AnalyticsEvent:
    """The page view a GET of ``path`` on this site would send.

    Raises:
        ValueError: ``path`` matches none of the site's URL patterns.
    """
    from django.http import HttpRequest, HttpResponse
    from django.urls import Resolver404, resolve

    from aa_otel_analytics.instrumentation.django import mark_page_view

    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = urlsplit(path).path or "/"
    try:
        request.resolver_match = resolve(request.path_info)
    except Resolver404:
        raise ValueError(f"{path} matches no URL pattern of this site") from None
    response = HttpResponse(content_type="text/html; charset=utf-8")

    end = time.time_ns()
    marked = _MarkedAttributes()
    mark_page_view(marked, request, response)  # type: ignore[arg-type]
    span = ReadableSpan(
        "GET",
        kind=SpanKind.SERVER,
        attributes=marked.attributes,
        start_time=end - _PAGE_MILLIS * 1_000_000,
        end_time=end,
    )
    event = span_to_event(span)
    if event is None:
        raise ValueError(f"a GET of {path} would not be reported as a page view")
    return event


def task_event(task_name: str = EXAMPLE_TASK) -> AnalyticsEvent:
    """The event a worker sends when a task of this name succeeds."""
    end = time.time_ns()
    span = ReadableSpan(
        f"run/{task_name}",
        kind=SpanKind.CONSUMER,
        start_time=end - _TASK_MILLIS * 1_000_000,
        end_time=end,
        attributes={
            attr.CELERY_ACTION: "run",
            attr.CELERY_STATE: "SUCCESS",
            attr.CELERY_TASK_NAME: task_name,
        },
    )
    event = span_to_event(span)
    if event is None:
        raise ValueError(f"a run of {task_name} would not be reported")
    return event


def _requests(
    events: list[AnalyticsEvent], config: InstallConfig, what: str
) -> list[ExampleRequest]:
    return [
        ExampleRequest(batch.token, what, batch.body, batch.event_counts)
        for batch in build_batches(events, config)
    ]


def example_requests(
    config: InstallConfig, *, path: str = "/", activity: bool = True
) -> list[ExampleRequest]:
    """The daily stats' requests and, with ``activity``, one page view's and task's.

    Stats and activity are packed apart, as the daily task and the span exporter
    send them apart.
    """
    found = _requests(stats_events(), config, STATS)
    if activity:
        events = [page_view_event(path), task_event()]
        found += _requests(events, config, ACTIVITY)
    return found


def left_out(token: TokenConfig, path: str | None) -> list[str]:
    """What a token's requests lack, and why, in words for a person."""
    reasons = []
    if not token.stats:
        reasons.append("no stats (switched off)")
    if not token.page_views:
        reasons.append("no page views (switched off)")
    elif path is not None and token.ignores(urlsplit(path).path or "/"):
        reasons.append(f"no page view of {path} (it matches an ignore path)")
    if not token.tasks:
        reasons.append("no task events (switched off)")
    return reasons
