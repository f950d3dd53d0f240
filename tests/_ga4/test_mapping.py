"""Spans become GA events built only from allow-listed attributes."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from aa_otel_analytics._ga4.events import EventKind
from aa_otel_analytics._ga4.mapping import (
    is_analytics_span,
    session_id,
    span_to_event,
)
from aa_otel_analytics._ga4.routes import PLACEHOLDER_ORIGIN
from aa_otel_analytics.instrumentation import attributes as attr

PAGE_PARAMS = {
    "page_location",
    "page_title",
    "language",
    "count",
    "aggregated",
    "engagement_time_msec",
    "session_id",
}
TASK_PARAMS = {
    "namespace",
    "task",
    "result",
    "label",
    "value",
    "run_time_msec",
    "run_time_max_msec",
    "retries",
    "count",
    "aggregated",
    "engagement_time_msec",
    "session_id",
}
CUSTOM_PARAMS = {
    "namespace",
    "task",
    "result",
    "label",
    "value",
    "count",
    "aggregated",
    "engagement_time_msec",
    "session_id",
}
HALF_HOUR_NS = 1800 * 1_000_000_000

PII = {
    "net.peer.ip": "203.0.113.77",
    "client.address": "198.51.100.23",
    "http.user_agent": "Mozilla/5.0 (UniqueBrowser 9.9)",
    "user_agent.original": "curl/8.0-fingerprint",
    "http.url": "https://auth.example.org/profile/42/?token=tok-abc123",
    "http.host": "auth.example.org",
    "http.target": "/profile/42/?token=tok-abc123",
    "enduser.id": "pilot-4242",
}


def make_span(
    name: str = "GET",
    kind: SpanKind = SpanKind.SERVER,
    attributes: Mapping[str, Any] | None = None,
    start_ns: int | None = None,
    duration_ns: int = 5_000_000,
) -> ReadableSpan:
    start = time.time_ns() if start_ns is None else start_ns
    return ReadableSpan(
        name=name,
        kind=kind,
        attributes=dict(attributes or {}),
        start_time=start,
        end_time=start + duration_ns,
    )


def page_attrs(**extra: Any) -> dict[str, Any]:
    return {
        attr.PAGE_ROUTE: "/fleet/<int:pk>/",
        attr.PAGE_TITLE: "fleet:detail",
        attr.PAGE_LANGUAGE: "en",
        attr.PAGE_PATH: "/fleet/31337/",
        **extra,
    }


def task_attrs(
    task_name: str = "allianceauth.eveonline.tasks.update_character",
    state: str = "SUCCESS",
    **extra: Any,
) -> dict[str, Any]:
    return {
        attr.CELERY_ACTION: "run",
        attr.CELERY_STATE: state,
        attr.CELERY_TASK_NAME: task_name,
        **extra,
    }


def custom_attrs(event_type: str = "Stats", **extra: Any) -> dict[str, Any]:
    return {
        attr.EVENT_TYPE: event_type,
        attr.EVENT_NAMESPACE: "allianceauth.authentication",
        attr.EVENT_TASK: "users",
        attr.EVENT_LABEL: "active",
        attr.EVENT_RESULT: "Success",
        attr.EVENT_VALUE: 12,
        **extra,
    }


def task_span(**kwargs: Any) -> ReadableSpan:
    return make_span("run/task", SpanKind.CONSUMER, task_attrs(**kwargs))


def custom_span(event_type: str = "Stats", **extra: Any) -> ReadableSpan:
    return make_span(
        attr.EVENT_SPAN_NAME, SpanKind.INTERNAL, custom_attrs(event_type, **extra)
    )


def test_page_view_span_maps_to_page_view_with_only_allow_listed_params() -> None:
    span = make_span(attributes=page_attrs())

    event = span_to_event(span)

    assert event is not None
    assert event.kind is EventKind.PAGE_VIEW
    assert event.name == "page_view"
    assert set(event.params) == PAGE_PARAMS
    assert event.params["page_location"] == PLACEHOLDER_ORIGIN + "/fleet/<int:pk>/"
    assert event.params["page_title"] == "fleet:detail"
    assert event.params["language"] == "en"
    assert event.params["engagement_time_msec"] == 1
    assert event.timestamp_micros == span.start_time // 1000


def test_page_view_keeps_the_request_path_out_of_params_and_repr() -> None:
    event = span_to_event(make_span(attributes=page_attrs()))

    assert event is not None
    assert event.path == "/fleet/31337/"
    assert "31337" not in json.dumps(event.params)
    assert "31337" not in repr(event)


def test_page_view_route_is_normalized_again_before_sending() -> None:
    attrs = page_attrs(**{attr.PAGE_ROUTE: r"^corp/(?P<corp_id>\d+)/$"})

    event = span_to_event(make_span(attributes=attrs))

    assert event is not None
    assert event.params["page_location"] == PLACEHOLDER_ORIGIN + "/corp/<corp_id>/"


def test_page_view_cleans_title_and_language() -> None:
    attrs = page_attrs(
        **{
            attr.PAGE_TITLE: "T\n" + "t" * 1000,
            attr.PAGE_LANGUAGE: "x" * 50,
        }
    )
    attrs.pop(attr.PAGE_PATH)

    event = span_to_event(make_span(attributes=attrs))

    assert event is not None
    assert len(event.params["page_title"]) == 300
    assert "\n" not in str(event.params["page_title"])
    assert event.params["language"] == "x" * 20
    assert event.path is None


def test_page_view_without_title_sends_an_empty_title() -> None:
    attrs = page_attrs()
    del attrs[attr.PAGE_TITLE]

    event = span_to_event(make_span(attributes=attrs))

    assert event is not None
    assert event.params["page_title"] == ""


def test_server_span_without_our_page_attributes_maps_to_nothing() -> None:
    span = make_span(
        attributes={"http.route": "fleet/<int:pk>/", "http.method": "GET", **PII}
    )

    assert span_to_event(span) is None
    assert not is_analytics_span(span)


def test_server_span_personal_data_never_reaches_the_event() -> None:
    span = make_span(attributes=page_attrs(**PII, **{attr.PREFIX + "page.x": "v"}))

    event = span_to_event(span)

    assert event is not None
    assert set(event.params) == PAGE_PARAMS
    sent = json.dumps(event.params) + repr(event)
    for key, value in PII.items():
        assert value not in sent, key
    for fragment in ("203.0.113", "198.51.100", "UniqueBrowser", "tok-abc123"):
        assert fragment not in sent
    assert "auth.example.org" not in sent


@pytest.mark.parametrize(
    ("state", "result"), [("SUCCESS", "Success"), ("FAILURE", "Failure")]
)
def test_finished_task_run_maps_to_celery_event(state: str, result: str) -> None:
    span = make_span(
        "run/allianceauth.eveonline.tasks.update_character",
        SpanKind.CONSUMER,
        task_attrs(state=state),
        duration_ns=1_500_000_000,
    )

    event = span_to_event(span)

    assert event is not None
    assert event.kind is EventKind.TASK
    assert event.name == "celery_event"
    assert set(event.params) == TASK_PARAMS
    assert event.params["namespace"] == "allianceauth.eveonline"
    assert event.params["task"] == "update_character"
    assert event.params["result"] == result
    assert event.params["label"] == result
    assert event.params["value"] == 0
    assert event.params["retries"] == 0
    assert event.params["run_time_msec"] == 1500
    assert event.timestamp_micros == span.start_time // 1000


@pytest.mark.parametrize(
    ("task_name", "namespace", "task"),
    [
        ("a.b.tasks.fn", "a.b", "fn"),
        ("a.b.jobs.fn", "a.b.jobs", "fn"),
        ("fn", "", "fn"),
    ],
)
def test_task_name_splits_into_namespace_and_function(
    task_name: str, namespace: str, task: str
) -> None:
    event = span_to_event(task_span(task_name=task_name))

    assert event is not None
    assert event.params["namespace"] == namespace
    assert event.params["task"] == task


@pytest.mark.parametrize("state", ["RETRY", "STARTED", "REVOKED", "PENDING", ""])
def test_unfinished_or_retried_task_runs_map_to_nothing(state: str) -> None:
    assert span_to_event(task_span(state=state)) is None


def test_task_run_without_state_maps_to_nothing() -> None:
    attrs = task_attrs()
    del attrs[attr.CELERY_STATE]

    assert span_to_event(make_span("run/x", SpanKind.CONSUMER, attrs)) is None


@pytest.mark.parametrize("state", ["SUCCESS", "FAILURE"])
def test_our_own_tasks_map_to_nothing(state: str) -> None:
    span = task_span(
        task_name=attr.OWN_TASK_PREFIX + "send_install_stats",
        state=state,
        **{attr.TASK_NAMESPACE: "someone.else", attr.TASK_NAME: "x"},
    )

    assert span_to_event(span) is None


def test_producer_spans_map_to_nothing() -> None:
    attrs = {
        attr.CELERY_ACTION: "apply_async",
        attr.CELERY_TASK_NAME: "a.b.tasks.fn",
        attr.CELERY_STATE: "SUCCESS",
    }
    span = make_span("apply_async/a.b.tasks.fn", SpanKind.PRODUCER, attrs)

    assert span_to_event(span) is None
    assert not is_analytics_span(span)


def test_consumer_span_that_is_not_a_run_maps_to_nothing() -> None:
    attrs = task_attrs()
    attrs[attr.CELERY_ACTION] = "apply_async"

    span = make_span("x", SpanKind.CONSUMER, attrs)

    assert span_to_event(span) is None
    assert not is_analytics_span(span)


def test_task_enrichment_attributes_override_the_fallback() -> None:
    span = task_span(
        task_name="a.b.tasks.fn",
        **{
            attr.TASK_NAMESPACE: "allianceauth.corputils",
            attr.TASK_NAME: "update_corp",
            attr.TASK_RESULT: "SomeError",
            attr.TASK_VALUE: 12,
            attr.TASK_RETRIES: 2,
            attr.CELERY_RETRIES: 5,
        },
    )

    event = span_to_event(span)

    assert event is not None
    assert event.params["namespace"] == "allianceauth.corputils"
    assert event.params["task"] == "update_corp"
    assert event.params["result"] == "SomeError"
    assert event.params["label"] == "SomeError"
    assert event.params["value"] == 12
    assert event.params["retries"] == 2


def test_celery_retries_are_the_fallback_retry_count() -> None:
    event = span_to_event(task_span(**{attr.CELERY_RETRIES: 3}))

    assert event is not None
    assert event.params["retries"] == 3


def test_task_values_that_look_like_ids_are_sent_as_zero() -> None:
    event = span_to_event(task_span(**{attr.TASK_VALUE: 2_112_345_678}))

    assert event is not None
    assert event.params["value"] == 0


def test_task_enrichment_text_is_cleaned() -> None:
    span = task_span(
        **{attr.TASK_NAMESPACE: "ns\n" + "n" * 500, attr.TASK_NAME: b"\xfffn"}
    )

    event = span_to_event(span)

    assert event is not None
    assert len(event.params["namespace"]) == 100
    assert "\n" not in str(event.params["namespace"])
    assert event.params["task"] == "\ufffdfn"


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [("Stats", EventKind.STATS), ("Celery", EventKind.TASK), ("other", EventKind.TASK)],
)
def test_custom_event_span_maps_with_stats_or_celery_kind(
    event_type: str, kind: EventKind
) -> None:
    event = span_to_event(custom_span(event_type))

    assert event is not None
    assert event.kind is kind
    assert event.name == "celery_event"
    assert set(event.params) == CUSTOM_PARAMS
    assert event.params["namespace"] == "allianceauth.authentication"
    assert event.params["task"] == "users"
    assert event.params["label"] == "active"
    assert event.params["result"] == "Success"
    assert event.params["value"] == 12


def test_custom_event_without_type_counts_as_a_task() -> None:
    attrs = custom_attrs()
    del attrs[attr.EVENT_TYPE]

    event = span_to_event(make_span(attr.EVENT_SPAN_NAME, SpanKind.INTERNAL, attrs))

    assert event is not None
    assert event.kind is EventKind.TASK


def test_custom_event_value_is_cleaned() -> None:
    event = span_to_event(custom_span(**{attr.EVENT_VALUE: -3}))

    assert event is not None
    assert event.params["value"] == 0


def test_internal_span_with_another_name_maps_to_nothing() -> None:
    span = make_span("SELECT", SpanKind.INTERNAL, custom_attrs())

    assert span_to_event(span) is None
    assert not is_analytics_span(span)


def test_session_id_is_a_non_negative_integer_at_or_before_the_event() -> None:
    now_micros = time.time_ns() // 1000

    sid = session_id(now_micros)

    assert isinstance(sid, int)
    assert str(sid).isdigit()
    assert now_micros // 1_000_000 - 1800 < sid <= now_micros // 1_000_000


def test_events_in_the_same_half_hour_share_a_session() -> None:
    window_ns = (time.time_ns() // HALF_HOUR_NS) * HALF_HOUR_NS
    first = span_to_event(
        make_span(attributes=page_attrs(), start_ns=window_ns + 10**9)
    )
    second = span_to_event(
        make_span(
            "run/x",
            SpanKind.CONSUMER,
            task_attrs(),
            start_ns=window_ns + 1799 * 10**9,
        )
    )
    later = span_to_event(
        make_span(attributes=page_attrs(), start_ns=window_ns + HALF_HOUR_NS)
    )

    assert first is not None and second is not None and later is not None
    assert first.params["session_id"] == second.params["session_id"]
    assert later.params["session_id"] != first.params["session_id"]


ANALYTICS_SPANS = {
    "page view": lambda: make_span(attributes=page_attrs()),
    "task success": lambda: task_span(state="SUCCESS"),
    "task failure": lambda: task_span(state="FAILURE"),
    "custom stats": lambda: custom_span("Stats"),
    "custom celery": lambda: custom_span("Celery"),
}
OTHER_SPANS = {
    "server with http.route": lambda: make_span(attributes={"http.route": "a/"}),
    "internal db span": lambda: make_span("SELECT", SpanKind.INTERNAL),
    "producer": lambda: make_span(
        "apply_async", SpanKind.PRODUCER, {attr.CELERY_ACTION: "apply_async"}
    ),
    "client": lambda: make_span("POST", SpanKind.CLIENT, {"http.url": "x"}),
}


@pytest.mark.parametrize("name", sorted(ANALYTICS_SPANS))
def test_is_analytics_span_accepts_every_span_that_maps(name: str) -> None:
    span = ANALYTICS_SPANS[name]()

    assert is_analytics_span(span)
    assert span_to_event(span) is not None


@pytest.mark.parametrize("name", sorted(OTHER_SPANS))
def test_is_analytics_span_rejects_spans_that_map_to_nothing(name: str) -> None:
    span = OTHER_SPANS[name]()

    assert not is_analytics_span(span)
    assert span_to_event(span) is None
