"""Spans to GA events, built only from the allow-listed attributes.

A span that is not a page view, a finished task run or an ``analytics_event`` maps
to nothing. The mapping never copies a span attribute it does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from aa_otel_analytics._ga4 import limits
from aa_otel_analytics._ga4.events import AnalyticsEvent, EventKind, ParamValue
from aa_otel_analytics._ga4.routes import page_location
from aa_otel_analytics.instrumentation import attributes as attr

PAGE_VIEW = "page_view"
CELERY_EVENT = "celery_event"

_FINAL_STATES = {"SUCCESS": "Success", "FAILURE": "Failure"}
_SESSION_SECS = 1800


def session_id(timestamp_micros: int) -> int:
    """A numeric session per half hour of the install: it never follows a person."""
    secs = timestamp_micros // 1_000_000
    return secs - secs % _SESSION_SECS


def _common(timestamp_micros: int) -> dict[str, ParamValue]:
    # ``count`` is 1 here and N on an aggregated event: reports sum it either way.
    return {
        "count": 1,
        "aggregated": 0,
        "engagement_time_msec": 1,
        "session_id": session_id(timestamp_micros),
    }


CELERY_RUN_PREFIX = "run/"


def is_analytics_span(span: ReadableSpan) -> bool:
    """Cheap test used on every ended span, before anything is queued.

    OpenTelemetry names the worker's span ``run/<task>`` whenever it sets
    ``celery.action = run``; the name is cheaper to read than the attributes.
    """
    kind = span.kind
    if kind is SpanKind.CONSUMER:
        return span.name.startswith(CELERY_RUN_PREFIX)
    if kind is SpanKind.SERVER:
        return attr.PAGE_ROUTE in (span.attributes or {})
    return span.name == attr.EVENT_SPAN_NAME


def span_to_event(span: ReadableSpan) -> AnalyticsEvent | None:
    attrs: Mapping[str, Any] = span.attributes or {}
    timestamp = (span.start_time or 0) // 1000
    if span.kind is SpanKind.SERVER and attr.PAGE_ROUTE in attrs:
        return _page_view(attrs, timestamp)
    if span.kind is SpanKind.CONSUMER and attrs.get(attr.CELERY_ACTION) == "run":
        return _task_run(span, attrs, timestamp)
    if span.name == attr.EVENT_SPAN_NAME:
        return _custom_event(attrs, timestamp)
    return None


def _page_view(attrs: Mapping[str, Any], timestamp: int) -> AnalyticsEvent:
    route = str(attrs.get(attr.PAGE_ROUTE, ""))
    params: dict[str, ParamValue] = {
        "page_location": page_location(route),
        "page_title": limits.clean_param("page_title", attrs.get(attr.PAGE_TITLE)),
        "language": limits.clean_text(attrs.get(attr.PAGE_LANGUAGE), 20),
        **_common(timestamp),
    }
    path = attrs.get(attr.PAGE_PATH)
    return AnalyticsEvent(
        EventKind.PAGE_VIEW,
        PAGE_VIEW,
        params,
        timestamp,
        path=path if isinstance(path, str) else None,
    )


def _split_task_name(name: str) -> tuple[str, str]:
    module, _, function = name.rpartition(".")
    return module.removesuffix(".tasks"), function or name


def _task_run(
    span: ReadableSpan, attrs: Mapping[str, Any], timestamp: int
) -> AnalyticsEvent | None:
    task_name = str(attrs.get(attr.CELERY_TASK_NAME, ""))
    state = str(attrs.get(attr.CELERY_STATE, ""))
    if task_name.startswith(attr.OWN_TASK_PREFIX) or state not in _FINAL_STATES:
        return None

    namespace, function = _split_task_name(task_name)
    namespace = attrs.get(attr.TASK_NAMESPACE, namespace)
    function = attrs.get(attr.TASK_NAME, function)
    result = attrs.get(attr.TASK_RESULT, _FINAL_STATES[state])
    duration_ms = ((span.end_time or 0) - (span.start_time or 0)) / 1_000_000
    retries = attrs.get(attr.TASK_RETRIES, attrs.get(attr.CELERY_RETRIES, 0))
    params: dict[str, ParamValue] = {
        "namespace": limits.clean_text(namespace),
        "task": limits.clean_text(function),
        "result": limits.clean_text(result),
        "label": limits.clean_text(result),
        "value": limits.clean_count(attrs.get(attr.TASK_VALUE, 0)),
        "run_time_msec": limits.clean_millis(duration_ms),
        "run_time_max_msec": limits.clean_millis(duration_ms),
        "retries": limits.clean_count(retries),
        **_common(timestamp),
    }
    return AnalyticsEvent(EventKind.TASK, CELERY_EVENT, params, timestamp)


def _custom_event(attrs: Mapping[str, Any], timestamp: int) -> AnalyticsEvent:
    is_stats = attrs.get(attr.EVENT_TYPE) == "Stats"
    params: dict[str, ParamValue] = {
        "namespace": limits.clean_text(attrs.get(attr.EVENT_NAMESPACE)),
        "task": limits.clean_text(attrs.get(attr.EVENT_TASK)),
        "result": limits.clean_text(attrs.get(attr.EVENT_RESULT)),
        "label": limits.clean_text(attrs.get(attr.EVENT_LABEL)),
        "value": limits.clean_count(attrs.get(attr.EVENT_VALUE, 0)),
        **_common(timestamp),
    }
    kind = EventKind.STATS if is_stats else EventKind.TASK
    return AnalyticsEvent(kind, CELERY_EVENT, params, timestamp)
