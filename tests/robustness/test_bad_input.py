"""Bad input is absorbed: analytics never raises and never sends an invalid payload."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from aa_otel_analytics import analytics_event, runtime
from aa_otel_analytics._ga4.drops import drops
from aa_otel_analytics.instrumentation import attributes as attr
from tests.conftest import flush

ANYTHING = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=300)
    | st.binary(max_size=300)
    | st.just(math.nan)
    | st.builds(pow, st.just(10), st.just(5000))
    | st.just("\x00\x1f\u2028é東" * 50),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=10,
)


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    required=st.lists(ANYTHING, min_size=2, max_size=2),
    optional=st.dictionaries(
        st.sampled_from(["label", "result", "value", "event_type"]),
        ANYTHING,
        max_size=4,
    ),
)
def test_analytics_event_never_raises_whatever_values_it_gets(
    analytics, required, optional
):
    assert analytics_event(*required, **optional) is None


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(values=st.lists(ANYTHING, min_size=5, max_size=5), stats=st.booleans())
def test_what_analytics_event_sends_is_always_valid(analytics, receiver, values, stats):
    receiver.clear()
    event_type = "Stats" if stats else "Celery"

    analytics_event(*values, event_type=event_type)
    flush()

    [request] = receiver.received
    assert request.messages == []
    [event] = request.body["events"]
    assert isinstance(event["params"]["value"], int)
    assert 0 <= event["params"]["value"] <= 100_000


def test_events_older_than_ga_accepts_are_dropped_and_counted(analytics, receiver):
    import time

    now = time.time_ns()
    old = now - 73 * 3600 * 10**9
    spans = [
        ReadableSpan(
            name=attr.EVENT_SPAN_NAME,
            kind=SpanKind.INTERNAL,
            attributes={attr.EVENT_NAMESPACE: "n", attr.EVENT_TASK: f"t{i}"},
            start_time=start,
            end_time=start + 1000,
        )
        for i, start in enumerate([old, now])
    ]

    analytics.span_exporter.export(spans)

    assert [e["params"]["task"] for e in receiver.events()] == ["t1"]
    assert drops.snapshot() == {"too_old": 1}


def test_a_disallowed_host_gets_django_400_and_no_page_view(
    analytics, receiver, client
):
    response = client.get("/fleet/1/", HTTP_HOST="evil.example")
    runtime.force_flush(5000)

    assert response.status_code == 400
    assert receiver.events() == []


@pytest.mark.absorbs_errors
def test_our_own_bugs_are_absorbed_and_counted_not_raised(
    analytics, receiver, client, monkeypatch
):
    from aa_otel_analytics._ga4 import mapping
    from aa_otel_analytics.demo import tasks
    from aa_otel_analytics.exporters import span_exporter
    from aa_otel_analytics.instrumentation import celery as celery_hooks
    from aa_otel_analytics.instrumentation import django as django_hooks

    def broken(*args, **kwargs):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(django_hooks, "normalize_route", broken)
    monkeypatch.setattr(celery_hooks, "_namespace", broken)
    assert client.get("/fleet/1/").status_code == 200
    assert tasks.add.delay(1, 1).get() == 2

    monkeypatch.setattr(span_exporter, "span_to_event", broken)
    analytics_event("x", "y")
    runtime.force_flush(5_000)

    assert drops.snapshot()["internal_error"] >= 3
    assert mapping.span_to_event is not broken
