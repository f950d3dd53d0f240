"""Events are addressed to tokens and packed into bodies GA accepts."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from aa_otel_analytics._ga4 import limits, payload
from aa_otel_analytics._ga4.config import InstallConfig, TokenConfig
from aa_otel_analytics._ga4.drops import drops
from aa_otel_analytics._ga4.events import AnalyticsEvent, EventKind
from aa_otel_analytics._ga4.mapping import span_to_event
from aa_otel_analytics._ga4.payload import Batch, build_batches, user_properties
from aa_otel_analytics.instrumentation import attributes as attr
from aa_otel_analytics.receiver import GAReceiver

CLIENT_ID = "0123456789abcdef0123456789abcdef"
COLLECT_QUERY = "/mp/collect?measurement_id=G-TEST1234&api_secret=x"
GA_BODY_LIMIT = 130_000
HOUR_MICROS = 3600 * 1_000_000


@pytest.fixture(autouse=True)
def clean_drops() -> Iterator[None]:
    drops.reset()
    yield
    drops.reset()


def token(
    name: str = "main",
    *,
    page_views: bool = True,
    tasks: bool = True,
    stats: bool = True,
    ignore: tuple[str, ...] = (),
) -> TokenConfig:
    return TokenConfig(
        name=name,
        measurement_id="G-TEST1234",
        secret="s3cret",
        page_views=page_views,
        tasks=tasks,
        stats=stats,
        ignore_paths=tuple(re.compile(pattern) for pattern in ignore),
    )


def config(*tokens: TokenConfig) -> InstallConfig:
    return InstallConfig(client_id=CLIENT_ID, tokens=tokens or (token(),))


def now_micros() -> int:
    return time.time_ns() // 1000


def page(
    ts: int, path: str | None = "/fleet/1/", route: str = "/fleet/<pk>/"
) -> AnalyticsEvent:
    params = {
        "page_location": "https://allianceauth.invalid" + route,
        "page_title": "fleet",
        "language": "en",
        "engagement_time_msec": 1,
        "session_id": ts // 1_000_000,
    }
    return AnalyticsEvent(EventKind.PAGE_VIEW, "page_view", params, ts, path)


def task(ts: int, n: int = 0, path: str | None = None) -> AnalyticsEvent:
    params = {"namespace": "a.b", "task": f"fn{n}", "value": n, "session_id": 1}
    return AnalyticsEvent(EventKind.TASK, "celery_event", params, ts, path)


def stats(ts: int) -> AnalyticsEvent:
    params = {"namespace": "aa", "task": "users", "value": 3, "session_id": 1}
    return AnalyticsEvent(EventKind.STATS, "celery_event", params, ts)


def body(batch: Batch) -> dict[str, Any]:
    return json.loads(batch.body)


def sent_events(batches: list[Batch]) -> list[dict[str, Any]]:
    return [event for batch in batches for event in body(batch)["events"]]


def post(receiver: GAReceiver, data: bytes) -> None:
    response = requests.post(
        receiver.url + COLLECT_QUERY,
        data=data,
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 204


def test_each_token_gets_only_the_kinds_it_switched_on() -> None:
    ts = now_micros()
    pages_only = token("pages", tasks=False, stats=False)
    tasks_and_stats = token("rest", page_views=False)
    events = [page(ts), task(ts), stats(ts)]

    batches = build_batches(events, config(pages_only, tasks_and_stats), ts)

    by_token = {batch.token.name: batch for batch in batches}
    assert set(by_token) == {"pages", "rest"}
    assert by_token["pages"].event_counts == {"page_view": 1}
    assert by_token["rest"].event_counts == {"celery_event": 2}
    rest_tasks = [e["params"]["task"] for e in body(by_token["rest"])["events"]]
    assert rest_tasks == ["fn0", "users"]


@pytest.mark.parametrize(
    ("switches", "names"),
    [
        ({"page_views": False, "tasks": False, "stats": True}, ["users"]),
        ({"page_views": False, "tasks": True, "stats": False}, ["fn0"]),
    ],
)
def test_tasks_and_stats_switches_are_independent(
    switches: dict[str, bool], names: list[str]
) -> None:
    ts = now_micros()

    batches = build_batches([page(ts), task(ts), stats(ts)], config(token(**switches)))

    assert [e["params"]["task"] for e in sent_events(batches)] == names


def test_token_with_every_switch_off_gets_no_batch() -> None:
    ts = now_micros()
    off = token(page_views=False, tasks=False, stats=False)

    assert build_batches([page(ts), task(ts), stats(ts)], config(off), ts) == []


def test_ignore_paths_drop_matching_page_views_only() -> None:
    ts = now_micros()
    ignoring = token("ignoring", ignore=(r"^/admin/", r"secret"))
    plain = token("plain")
    events = [
        page(ts, "/admin/login/", "/admin/login/"),
        page(ts, "/fleet/1/", "/fleet/<pk>/"),
        page(ts, "/x/secret/", "/x/<slug>/"),
        page(ts, None, "/unknown/"),
        task(ts, path="/admin/"),
    ]

    batches = build_batches(events, config(ignoring, plain), ts)

    by_token = {batch.token.name: body(batch)["events"] for batch in batches}
    ignoring_pages = [
        e["params"]["page_location"]
        for e in by_token["ignoring"]
        if e["name"] == "page_view"
    ]
    assert ignoring_pages == [
        "https://allianceauth.invalid/fleet/<pk>/",
        "https://allianceauth.invalid/unknown/",
    ]
    assert [e["name"] for e in by_token["ignoring"]].count("celery_event") == 1
    assert len(by_token["plain"]) == 5


def test_sixty_events_make_three_batches_of_at_most_twenty_five() -> None:
    ts = now_micros()
    events = [task(ts, n) for n in range(60)]

    batches = build_batches(events, config(), ts)

    assert [batch.size for batch in batches] == [25, 25, 10]
    assert [len(body(batch)["events"]) for batch in batches] == [25, 25, 10]
    sent = [e["params"]["task"] for e in sent_events(batches)]
    assert sent == [f"fn{n}" for n in range(60)]


def test_twenty_five_events_fit_one_batch() -> None:
    ts = now_micros()

    batches = build_batches([task(ts, n) for n in range(25)], config(), ts)

    assert [batch.size for batch in batches] == [25]


def test_no_events_make_no_batches() -> None:
    assert build_batches([], config(), now_micros()) == []


def big_event(ts: int, n: int) -> AnalyticsEvent:
    # Non-ASCII is escaped as \\uXXXX, so each value is ~600 bytes on the wire.
    params: dict[str, Any] = {f"p{i}": "é" * 100 for i in range(20)}
    params["n"] = n
    return AnalyticsEvent(EventKind.TASK, "celery_event", params, ts)


def test_large_events_are_split_so_every_body_stays_under_ga_limit() -> None:
    ts = now_micros()
    events = [big_event(ts, n) for n in range(60)]

    batches = build_batches(events, config(), ts)

    assert len(batches) > 3  # size, not the 25-event cap, split them
    for batch in batches:
        assert len(batch.body) < GA_BODY_LIMIT
        assert len(body(batch)["events"]) == batch.size <= 25
    assert [e["params"]["n"] for e in sent_events(batches)] == list(range(60))
    assert drops.snapshot() == {}


def test_a_single_event_larger_than_the_limit_is_dropped_as_too_large() -> None:
    ts = now_micros()
    huge = AnalyticsEvent(EventKind.TASK, "celery_event", {"x": "y" * 200_000}, ts)

    batches = build_batches([huge, task(ts)], config(), ts)

    assert [batch.size for batch in batches] == [1]
    assert all(len(batch.body) < GA_BODY_LIMIT for batch in batches)
    assert drops.snapshot() == {"too_large": 1}


def test_an_oversize_event_after_others_is_dropped_not_sent() -> None:
    ts = now_micros()
    huge = AnalyticsEvent(EventKind.TASK, "celery_event", {"x": "y" * 200_000}, ts)

    batches = build_batches([task(ts), huge], config(), ts)

    assert all(len(batch.body) < GA_BODY_LIMIT for batch in batches)
    assert drops.snapshot() == {"too_large": 1}


def test_events_older_than_seventy_one_hours_are_dropped_and_counted() -> None:
    now = now_micros()
    oldest_kept = now - limits.SAFE_EVENT_AGE_MICROS
    events = [
        task(now - 72 * HOUR_MICROS, 1),
        task(oldest_kept - 1, 2),
        task(oldest_kept, 3),
        task(now - 70 * HOUR_MICROS, 4),
    ]

    batches = build_batches(events, config(token("a"), token("b")), now)

    for batch in batches:
        assert [e["params"]["task"] for e in body(batch)["events"]] == ["fn3", "fn4"]
    assert len(batches) == 2
    # Like every drop reason, counted per event per token: 2 events x 2 tokens.
    assert drops.snapshot() == {"too_old": 4}


def test_future_timestamps_are_clamped_to_now() -> None:
    now = now_micros()

    batches = build_batches([task(now + 24 * HOUR_MICROS)], config(), now)

    assert sent_events(batches)[0]["timestamp_micros"] == now


def test_each_event_carries_its_own_integer_timestamp() -> None:
    now = now_micros()
    stamps = [now - 5 * HOUR_MICROS, now - 1]

    batches = build_batches([task(ts) for ts in stamps], config(), now)

    assert [e["timestamp_micros"] for e in sent_events(batches)] == stamps


def test_body_carries_the_install_client_id_and_no_identifying_fields() -> None:
    ts = now_micros()

    document = body(build_batches([task(ts)], config(), ts)[0])

    assert document["client_id"] == CLIENT_ID
    assert document["non_personalized_ads"] is True
    assert set(document) == {
        "client_id",
        "non_personalized_ads",
        "user_properties",
        "events",
    }


def test_user_properties_fit_ga_name_and_value_limits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(payload.metadata, "version", lambda name: "9." * 60)
    ts = now_micros()

    properties = body(build_batches([task(ts)], config(), ts)[0])["user_properties"]

    assert properties == user_properties()
    assert properties
    for name, entry in properties.items():
        assert len(name) <= limits.MAX_USER_PROPERTY_NAME
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name)
        assert set(entry) == {"value"}
        assert len(entry["value"]) <= limits.MAX_USER_PROPERTY_VALUE


def test_missing_distributions_report_a_placeholder_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(name: str) -> str:
        raise payload.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(payload.metadata, "version", missing)
    user_properties.cache_clear()  # read once per process, so read it afresh

    try:
        values = {entry["value"] for entry in user_properties().values()}
    finally:
        user_properties.cache_clear()

    assert values == {payload.UNKNOWN_VERSION}


def test_batch_repr_shows_neither_body_nor_secret() -> None:
    ts = now_micros()

    batch = build_batches([task(ts)], config(), ts)[0]

    assert "s3cret" not in repr(batch)
    assert CLIENT_ID not in repr(batch)


def span(kind: SpanKind, attributes: dict[str, Any], name: str = "s") -> ReadableSpan:
    start = time.time_ns()
    return ReadableSpan(
        name=name,
        kind=kind,
        attributes=attributes,
        start_time=start,
        end_time=start + 2_000_000,
    )


def test_mapped_events_from_every_source_pass_the_receiver_oracle(
    receiver: GAReceiver,
) -> None:
    spans = [
        span(
            SpanKind.SERVER,
            {
                attr.PAGE_ROUTE: r"^fleet/(?P<pk>\d+)/$",
                attr.PAGE_TITLE: "Fleet — détail\u2028",
                attr.PAGE_LANGUAGE: "de",
                attr.PAGE_PATH: "/fleet/9/",
                "net.peer.ip": "203.0.113.9",
            },
        ),
        span(
            SpanKind.CONSUMER,
            {
                attr.CELERY_ACTION: "run",
                attr.CELERY_STATE: "FAILURE",
                attr.CELERY_TASK_NAME: "a.b.tasks.fn",
            },
        ),
        span(
            SpanKind.INTERNAL,
            {attr.EVENT_TYPE: "Stats", attr.EVENT_VALUE: 7},
            attr.EVENT_SPAN_NAME,
        ),
    ] * 12
    events = [e for e in map(span_to_event, spans) if e is not None]

    batches = build_batches(events, config(token("a"), token("b")))
    for batch in batches:
        post(receiver, batch.body)

    received = receiver.received
    assert len(received) == len(batches) == 4
    assert [r.messages for r in received] == [[] for _ in received]
    assert len(receiver.events()) == 2 * len(events)
    assert "203.0.113.9" not in b"".join(batch.body for batch in batches).decode()


anything = st.one_of(
    st.none(),
    st.text(max_size=400),
    st.binary(max_size=60),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.booleans(),
)
texts = st.one_of(st.text(max_size=400), st.none())


def attributes(draw: st.DrawFn, keys: list[str]) -> dict[str, Any]:
    values = {key: draw(anything) for key in keys}
    return {key: value for key, value in values.items() if value is not None}


@st.composite
def random_spans(draw: st.DrawFn) -> ReadableSpan:
    offset_ns = draw(st.integers(min_value=-24 * 3600, max_value=70 * 3600)) * 10**9
    start = time.time_ns() - offset_ns
    shape = draw(st.sampled_from(["page", "task", "custom"]))
    if shape == "page":
        attrs = attributes(draw, [attr.PAGE_TITLE, attr.PAGE_LANGUAGE, attr.PAGE_PATH])
        attrs[attr.PAGE_ROUTE] = draw(st.text(max_size=300))
        kind, name = SpanKind.SERVER, "GET"
    elif shape == "task":
        attrs = attributes(
            draw,
            [
                attr.TASK_NAMESPACE,
                attr.TASK_NAME,
                attr.TASK_RESULT,
                attr.TASK_VALUE,
                attr.TASK_RETRIES,
                attr.CELERY_RETRIES,
            ],
        )
        attrs[attr.CELERY_ACTION] = "run"
        attrs[attr.CELERY_STATE] = draw(st.sampled_from(["SUCCESS", "FAILURE"]))
        attrs[attr.CELERY_TASK_NAME] = draw(st.text(max_size=200))
        kind, name = SpanKind.CONSUMER, "run"
    else:
        attrs = attributes(
            draw,
            [
                attr.EVENT_TYPE,
                attr.EVENT_NAMESPACE,
                attr.EVENT_TASK,
                attr.EVENT_LABEL,
                attr.EVENT_RESULT,
                attr.EVENT_VALUE,
            ],
        )
        kind, name = SpanKind.INTERNAL, attr.EVENT_SPAN_NAME
    duration_ns = draw(st.integers(min_value=-(10**12), max_value=10**15))
    return ReadableSpan(
        name=name,
        kind=kind,
        attributes=attrs,
        start_time=start,
        end_time=start + duration_ns,
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(spans=st.lists(random_spans(), min_size=1, max_size=40))
def test_random_mapped_events_always_pass_the_receiver_oracle(
    receiver: GAReceiver, spans: list[ReadableSpan]
) -> None:
    receiver.clear()
    events = [e for e in map(span_to_event, spans) if e is not None]

    batches = build_batches(events, config())
    for batch in batches:
        assert len(batch.body) < GA_BODY_LIMIT
        post(receiver, batch.body)

    assert [r.messages for r in receiver.received] == [[] for _ in batches]
    assert len(receiver.events()) == len(events)
