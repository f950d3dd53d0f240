"""The validator is the exporter's test oracle, so every rule must be able to fail."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aa_otel_analytics.receiver.validation import validate_request

pytestmark = []

NOW_MICROS = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
MINUTE_MICROS = 60 * 1_000_000
HOUR_MICROS = 60 * MINUTE_MICROS
QUERY = {"measurement_id": "G-TEST123", "api_secret": "test-secret"}
CODES = {
    "VALUE_INVALID",
    "VALUE_REQUIRED",
    "NAME_INVALID",
    "NAME_RESERVED",
    "VALUE_OUT_OF_BOUNDS",
    "EXCEEDED_MAX_ENTITIES",
    "NAME_DUPLICATED",
}


def good_payload() -> dict[str, Any]:
    return {
        "client_id": "0123456789abcdef0123456789abcdef",
        "non_personalized_ads": True,
        "user_properties": {
            "allianceauth_version": {"value": "4.6.1"},
            "aa_otel_version": {"value": "0.1.0"},
        },
        "events": [
            {
                "name": "page_view",
                "timestamp_micros": NOW_MICROS - HOUR_MICROS,
                "params": {
                    "page_location": "https://auth.example.org/dashboard/",
                    "page_title": "Dashboard",
                    "language": "en-us",
                    "engagement_time_msec": 1200,
                    "session_id": 1767222000,
                },
            },
            {
                "name": "celery_event",
                "timestamp_micros": NOW_MICROS - MINUTE_MICROS,
                "params": {
                    "namespace": "allianceauth.eveonline",
                    "task": "update_character",
                    "result": "success",
                    "label": "allianceauth",
                    "value": 1,
                },
            },
        ],
    }


def validate(
    payload: dict[str, Any],
    path: str = "/mp/collect",
    query: dict[str, str] = QUERY,
    **kwargs: Any,
) -> list[dict[str, str]]:
    body = json.dumps(payload).encode("utf-8")
    return validate_request(path, query, body, now_micros=NOW_MICROS, **kwargs)


def found(messages: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(m["fieldPath"], m["validationCode"]) for m in messages]


def setting(*keys: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(payload: dict[str, Any]) -> None:
        target = payload
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return mutate


def removing(*keys: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(payload: dict[str, Any]) -> None:
        target = payload
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return mutate


PAGE_VIEW = ("events", 0, "params")
CELERY = ("events", 1, "params")
USER_PROPS = ("user_properties",)
LONG = "x" * 41

RULES = [
    # client_id and identifying fields
    ("client_id missing", removing("client_id"), "client_id", "VALUE_REQUIRED"),
    ("client_id empty", setting("client_id", value=""), "client_id", "VALUE_REQUIRED"),
    (
        "client_id blank",
        setting("client_id", value="  "),
        "client_id",
        "VALUE_REQUIRED",
    ),
    ("client_id number", setting("client_id", value=123), "client_id", "VALUE_INVALID"),
    ("user_id sent", setting("user_id", value="u1"), "user_id", "VALUE_INVALID"),
    (
        "ip sent",
        setting("ip_override", value="127.0.0.1"),
        "ip_override",
        "VALUE_INVALID",
    ),
    ("ua sent", setting("user_agent", value="curl/8"), "user_agent", "VALUE_INVALID"),
    (
        "location sent",
        setting("user_location", value={"city": "Oslo"}),
        "user_location",
        "VALUE_INVALID",
    ),
    (
        "device sent",
        setting("device", value={"category": "x"}),
        "device",
        "VALUE_INVALID",
    ),
    # other top-level fields
    ("unknown key", setting("debug", value=True), "debug", "VALUE_INVALID"),
    (
        "npa not bool",
        setting("non_personalized_ads", value="true"),
        "non_personalized_ads",
        "VALUE_INVALID",
    ),
    (
        "consent value",
        setting("consent", value={"ad_user_data": "YES"}),
        "consent.ad_user_data",
        "VALUE_INVALID",
    ),
    (
        "consent key",
        setting("consent", value={"x": "GRANTED"}),
        "consent.x",
        "VALUE_INVALID",
    ),
    ("consent list", setting("consent", value=[]), "consent", "VALUE_INVALID"),
    (
        "validation_behavior",
        setting("validation_behavior", value="STRICT"),
        "validation_behavior",
        "VALUE_INVALID",
    ),
    # timestamps
    (
        "timestamp float",
        setting("timestamp_micros", value=float(NOW_MICROS)),
        "timestamp_micros",
        "VALUE_INVALID",
    ),
    (
        "timestamp bool",
        setting("timestamp_micros", value=True),
        "timestamp_micros",
        "VALUE_INVALID",
    ),
    (
        "timestamp string",
        setting("timestamp_micros", value=str(NOW_MICROS)),
        "timestamp_micros",
        "VALUE_INVALID",
    ),
    (
        "timestamp 73h old",
        setting("timestamp_micros", value=NOW_MICROS - 73 * HOUR_MICROS),
        "timestamp_micros",
        "VALUE_OUT_OF_BOUNDS",
    ),
    (
        "timestamp in millis",
        setting("timestamp_micros", value=NOW_MICROS // 1000),
        "timestamp_micros",
        "VALUE_OUT_OF_BOUNDS",
    ),
    (
        "timestamp 16min ahead",
        setting("timestamp_micros", value=NOW_MICROS + 16 * MINUTE_MICROS),
        "timestamp_micros",
        "VALUE_OUT_OF_BOUNDS",
    ),
    (
        "event timestamp float",
        setting("events", 0, "timestamp_micros", value=1.5),
        "events[0].timestamp_micros",
        "VALUE_INVALID",
    ),
    (
        "event timestamp old",
        setting("events", 1, "timestamp_micros", value=NOW_MICROS - 80 * HOUR_MICROS),
        "events[1].timestamp_micros",
        "VALUE_OUT_OF_BOUNDS",
    ),
    # events
    ("events missing", removing("events"), "events", "VALUE_REQUIRED"),
    ("events empty", setting("events", value=[]), "events", "VALUE_REQUIRED"),
    ("events not list", setting("events", value={}), "events", "VALUE_INVALID"),
    (
        "26 events",
        setting("events", value=[{"name": "celery_event", "params": {}}] * 26),
        "events",
        "EXCEEDED_MAX_ENTITIES",
    ),
    ("event not object", setting("events", 1, value="x"), "events[1]", "VALUE_INVALID"),
    (
        "event extra key",
        setting("events", 0, "items", value=[]),
        "events[0].items",
        "VALUE_INVALID",
    ),
    ("name missing", removing("events", 0, "name"), "events[0].name", "VALUE_REQUIRED"),
    (
        "name number",
        setting("events", 0, "name", value=7),
        "events[0].name",
        "VALUE_INVALID",
    ),
    (
        "name 41 chars",
        setting("events", 0, "name", value=LONG),
        "events[0].name",
        "NAME_INVALID",
    ),
    (
        "name digit first",
        setting("events", 0, "name", value="1st"),
        "events[0].name",
        "NAME_INVALID",
    ),
    (
        "name dash",
        setting("events", 0, "name", value="a-b"),
        "events[0].name",
        "NAME_INVALID",
    ),
    (
        "name underscore",
        setting("events", 0, "name", value="_x"),
        "events[0].name",
        "NAME_INVALID",
    ),
    (
        "name newline",
        setting("events", 0, "name", value="ab\n"),
        "events[0].name",
        "NAME_INVALID",
    ),
    # params
    (
        "params list",
        setting("events", 0, "params", value=[]),
        "events[0].params",
        "VALUE_INVALID",
    ),
    (
        "26 params",
        setting(*CELERY, value={f"p{i}": i for i in range(26)}),
        "events[1].params",
        "EXCEEDED_MAX_ENTITIES",
    ),
    (
        "param _",
        setting(*CELERY, "_x", value=1),
        "events[1].params._x",
        "NAME_RESERVED",
    ),
    (
        "param firebase_",
        setting(*CELERY, "firebase_x", value=1),
        "events[1].params.firebase_x",
        "NAME_RESERVED",
    ),
    (
        "param ga_",
        setting(*CELERY, "ga_x", value=1),
        "events[1].params.ga_x",
        "NAME_RESERVED",
    ),
    (
        "param google_",
        setting(*CELERY, "google_x", value=1),
        "events[1].params.google_x",
        "NAME_RESERVED",
    ),
    (
        "param gtag.",
        setting(*CELERY, "gtag.x", value=1),
        "events[1].params.gtag.x",
        "NAME_RESERVED",
    ),
    (
        "param query_id",
        setting(*CELERY, "query_id_x", value=1),
        "events[1].params.query_id_x",
        "NAME_RESERVED",
    ),
    (
        "param digit first",
        setting(*CELERY, "1x", value=1),
        "events[1].params.1x",
        "NAME_INVALID",
    ),
    (
        "param dash",
        setting(*CELERY, "a-b", value=1),
        "events[1].params.a-b",
        "NAME_INVALID",
    ),
    (
        "param 41 chars",
        setting(*CELERY, LONG, value=1),
        f"events[1].params.{LONG}",
        "NAME_INVALID",
    ),
    (
        "param null",
        setting(*CELERY, "label", value=None),
        "events[1].params.label",
        "VALUE_INVALID",
    ),
    (
        "param list",
        setting(*CELERY, "label", value=[1]),
        "events[1].params.label",
        "VALUE_INVALID",
    ),
    (
        "param dict",
        setting(*CELERY, "label", value={}),
        "events[1].params.label",
        "VALUE_INVALID",
    ),
    (
        "param 101 chars",
        setting(*CELERY, "label", value="x" * 101),
        "events[1].params.label",
        "VALUE_OUT_OF_BOUNDS",
    ),
    (
        "page_title 301",
        setting(*PAGE_VIEW, "page_title", value="x" * 301),
        "events[0].params.page_title",
        "VALUE_OUT_OF_BOUNDS",
    ),
    (
        "page_referrer 421",
        setting(*PAGE_VIEW, "page_referrer", value="x" * 421),
        "events[0].params.page_referrer",
        "VALUE_OUT_OF_BOUNDS",
    ),
    (
        "page_location 1001",
        setting(*PAGE_VIEW, "page_location", value="x" * 1001),
        "events[0].params.page_location",
        "VALUE_OUT_OF_BOUNDS",
    ),
    (
        "session_id letters",
        setting(*PAGE_VIEW, "session_id", value="12a"),
        "events[0].params.session_id",
        "VALUE_INVALID",
    ),
    (
        "session_id negative",
        setting(*PAGE_VIEW, "session_id", value=-1),
        "events[0].params.session_id",
        "VALUE_INVALID",
    ),
    (
        "session_id float",
        setting(*PAGE_VIEW, "session_id", value=1.5),
        "events[0].params.session_id",
        "VALUE_INVALID",
    ),
    (
        "session_id bool",
        setting(*PAGE_VIEW, "session_id", value=True),
        "events[0].params.session_id",
        "VALUE_INVALID",
    ),
    (
        "engagement string",
        setting(*PAGE_VIEW, "engagement_time_msec", value="100"),
        "events[0].params.engagement_time_msec",
        "VALUE_INVALID",
    ),
    (
        "engagement negative",
        setting(*PAGE_VIEW, "engagement_time_msec", value=-1),
        "events[0].params.engagement_time_msec",
        "VALUE_OUT_OF_BOUNDS",
    ),
    # control characters
    (
        "control char param",
        setting(*PAGE_VIEW, "page_title", value="Dash\x07board"),
        "events[0].params.page_title",
        "VALUE_INVALID",
    ),
    (
        "control char client_id",
        setting("client_id", value="abc\n"),
        "client_id",
        "VALUE_INVALID",
    ),
    (
        "control char C1",
        setting(*USER_PROPS, "aa_otel_version", "value", value="0.1\x85"),
        "user_properties.aa_otel_version.value",
        "VALUE_INVALID",
    ),
    # user properties
    (
        "props list",
        setting("user_properties", value=[]),
        "user_properties",
        "VALUE_INVALID",
    ),
    (
        "26 props",
        setting("user_properties", value={f"p{i}": {"value": i} for i in range(26)}),
        "user_properties",
        "EXCEEDED_MAX_ENTITIES",
    ),
    (
        "prop name 25 chars",
        setting(*USER_PROPS, "aa_otel_analytics_version", value={"value": "0.1.0"}),
        "user_properties.aa_otel_analytics_version",
        "NAME_INVALID",
    ),
    (
        "prop name dash",
        setting(*USER_PROPS, "aa-version", value={"value": "1"}),
        "user_properties.aa-version",
        "NAME_INVALID",
    ),
    *[
        (
            f"prop reserved {name}",
            setting(*USER_PROPS, name, value={"value": "1"}),
            f"user_properties.{name}",
            "NAME_RESERVED",
        )
        for name in (
            "first_open_time",
            "first_visit_time",
            "last_deep_link_referrer",
            "user_id",
            "first_open_after_install",
            "non_personalized_ads",
            "session_id",
            "_x",
            "firebase_x",
            "ga_x",
            "google_x",
        )
    ],
    (
        "prop not object",
        setting(*USER_PROPS, "aa_otel_version", value="0.1.0"),
        "user_properties.aa_otel_version",
        "VALUE_INVALID",
    ),
    (
        "prop extra key",
        setting(*USER_PROPS, "aa_otel_version", "unit", value="x"),
        "user_properties.aa_otel_version.unit",
        "VALUE_INVALID",
    ),
    (
        "prop value missing",
        setting(*USER_PROPS, "aa_otel_version", value={}),
        "user_properties.aa_otel_version.value",
        "VALUE_REQUIRED",
    ),
    (
        "prop value 37",
        setting(*USER_PROPS, "aa_otel_version", "value", value="x" * 37),
        "user_properties.aa_otel_version.value",
        "VALUE_OUT_OF_BOUNDS",
    ),
    (
        "prop value null",
        setting(*USER_PROPS, "aa_otel_version", "value", value=None),
        "user_properties.aa_otel_version.value",
        "VALUE_INVALID",
    ),
    (
        "prop value list",
        setting(*USER_PROPS, "aa_otel_version", "value", value=["0.1"]),
        "user_properties.aa_otel_version.value",
        "VALUE_INVALID",
    ),
    (
        "prop timestamp float",
        setting(*USER_PROPS, "aa_otel_version", "timestamp_micros", value=1.0),
        "user_properties.aa_otel_version.timestamp_micros",
        "VALUE_INVALID",
    ),
]

RESERVED_EVENT_NAMES = [
    "session_start",
    "first_visit",
    "first_open",
    "user_engagement",
    "app_remove",
    "click",
    "scroll",
    "error",
    "form_submit",
    "notification_open",
    "ad_impression",
    "screen_view",
]


def test_good_payload_is_valid() -> None:
    assert validate(good_payload()) == []


def test_debug_path_accepts_the_same_payload() -> None:
    assert validate(good_payload(), path="/debug/mp/collect") == []


def test_default_clock_is_now() -> None:
    payload = good_payload()
    now = time.time_ns() // 1000
    for event in payload["events"]:
        event["timestamp_micros"] = now
    body = json.dumps(payload).encode()

    assert validate_request("/mp/collect", QUERY, body) == []


@pytest.mark.parametrize(
    ("mutate", "field_path", "code"),
    [rule[1:] for rule in RULES],
    ids=[rule[0] for rule in RULES],
)
def test_each_rule_reports_one_message(
    mutate: Callable[[dict[str, Any]], None], field_path: str, code: str
) -> None:
    payload = copy.deepcopy(good_payload())
    mutate(payload)

    messages = validate(payload)

    assert found(messages) == [(field_path, code)]
    assert messages[0]["description"]


@pytest.mark.parametrize("name", RESERVED_EVENT_NAMES)
def test_reserved_event_names_are_reported(name: str) -> None:
    payload = good_payload()
    payload["events"][1]["name"] = name

    assert found(validate(payload)) == [("events[1].name", "NAME_RESERVED")]


def test_values_at_each_length_limit_are_valid() -> None:
    payload = good_payload()
    payload["events"][0]["params"].update(
        page_title="t" * 300, page_referrer="r" * 420, page_location="l" * 1000
    )
    payload["events"][1]["params"]["label"] = "x" * 100
    payload["events"][1]["name"] = "e" * 40
    payload["user_properties"] = {"u" * 24: {"value": "v" * 36}}

    assert validate(payload) == []


def test_twenty_five_of_everything_is_valid() -> None:
    payload = good_payload()
    payload["events"] = [
        {"name": "celery_event", "params": {f"p{i}": i for i in range(25)}}
    ] * 25
    payload["user_properties"] = {f"p{i}": {"value": i} for i in range(25)}

    assert validate(payload) == []


def test_timestamps_at_the_window_edges_are_valid() -> None:
    payload = good_payload()
    payload["timestamp_micros"] = NOW_MICROS - 72 * HOUR_MICROS
    payload["events"][0]["timestamp_micros"] = NOW_MICROS + 15 * MINUTE_MICROS

    assert validate(payload) == []


def test_digit_string_session_id_and_float_engagement_are_valid() -> None:
    payload = good_payload()
    payload["events"][0]["params"].update(session_id="1767222000")
    payload["events"][0]["params"].update(engagement_time_msec=12.5)

    assert validate(payload) == []


def test_scalar_param_types_are_valid() -> None:
    payload = good_payload()
    payload["events"][1]["params"].update(flag=False, ratio=0.5, count=-3)
    payload["user_properties"]["aa_otel_version"]["value"] = 1.5

    assert validate(payload) == []


def test_consent_and_validation_behavior_are_accepted() -> None:
    payload = good_payload()
    payload["consent"] = {"ad_user_data": "DENIED", "ad_personalization": "DENIED"}
    payload["validation_behavior"] = "ENFORCE_RECOMMENDATIONS"

    assert validate(payload) == []


def test_identifying_fields_pass_without_strict_privacy() -> None:
    payload = good_payload()
    payload.update(
        user_id="u1",
        ip_override="127.0.0.1",
        user_agent="curl/8",
        user_location={"city": "Oslo"},
        device={"category": "desktop"},
    )

    assert validate(payload, strict_privacy=False) == []
    assert len(validate(payload)) == 5


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("user_id", "u" * 257, "VALUE_OUT_OF_BOUNDS"),
        ("user_id", 5, "VALUE_INVALID"),
        ("device", "desktop", "VALUE_INVALID"),
        ("user_location", "Oslo", "VALUE_INVALID"),
    ],
)
def test_identifying_fields_are_type_checked_without_strict_privacy(
    field: str, value: Any, code: str
) -> None:
    payload = good_payload()
    payload[field] = value

    assert found(validate(payload, strict_privacy=False)) == [(field, code)]


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/collect", QUERY, ("path", "VALUE_INVALID")),
        ("/mp/collect/", QUERY, ("path", "VALUE_INVALID")),
        ("/mp/collect", {"api_secret": "s"}, ("measurement_id", "VALUE_REQUIRED")),
        (
            "/mp/collect",
            {"api_secret": "s", "measurement_id": ""},
            ("measurement_id", "VALUE_REQUIRED"),
        ),
        (
            "/mp/collect",
            {"api_secret": "s", "measurement_id": "UA-1234-1"},
            ("measurement_id", "VALUE_INVALID"),
        ),
        (
            "/mp/collect",
            {"api_secret": "s", "measurement_id": "g-abc"},
            ("measurement_id", "VALUE_INVALID"),
        ),
        ("/mp/collect", {"measurement_id": "G-X1"}, ("api_secret", "VALUE_REQUIRED")),
        (
            "/mp/collect",
            {"measurement_id": "G-X1", "api_secret": ""},
            ("api_secret", "VALUE_REQUIRED"),
        ),
    ],
)
def test_path_and_query_are_checked(
    path: str, query: dict[str, str], expected: tuple[str, str]
) -> None:
    assert found(validate(good_payload(), path=path, query=query)) == [expected]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "VALUE_REQUIRED"),
        (b"  \n", "VALUE_REQUIRED"),
        (b"\xff\xfe{}", "VALUE_INVALID"),
        (b"client_id=1", "VALUE_INVALID"),
        (b"[]", "VALUE_INVALID"),
        (b'"text"', "VALUE_INVALID"),
        (b'{"client_id": "a", "events": [], "x": NaN}', "VALUE_INVALID"),
        (b"[" * 50_000 + b"]" * 50_000, "VALUE_INVALID"),
    ],
    ids=["empty", "blank", "not utf-8", "form", "array", "string", "nan", "deep"],
)
def test_undecodable_bodies_are_reported(body: bytes, code: str) -> None:
    messages = validate_request("/mp/collect", QUERY, body, now_micros=NOW_MICROS)

    assert found(messages) == [("body", code)]


def test_body_must_be_under_130000_bytes() -> None:
    body = json.dumps(good_payload()).encode()
    just_under = body + b" " * (129_999 - len(body))
    at_limit = just_under + b" "

    assert (
        validate_request("/mp/collect", QUERY, just_under, now_micros=NOW_MICROS) == []
    )
    assert found(
        validate_request("/mp/collect", QUERY, at_limit, now_micros=NOW_MICROS)
    ) == [("body", "VALUE_OUT_OF_BOUNDS")]


def test_number_too_large_for_a_float_is_invalid() -> None:
    body = (
        json.dumps(good_payload()).encode().replace(b'"value": 1}', b'"value": 1e999}')
    )

    messages = validate_request("/mp/collect", QUERY, body, now_micros=NOW_MICROS)

    assert found(messages) == [("events[1].params.value", "VALUE_INVALID")]


@pytest.mark.parametrize(
    ("body", "field_path"),
    [
        (
            b'{"client_id": "a", "client_id": "b", "events": [{"name": "x"}]}',
            "client_id",
        ),
        (
            b'{"client_id": "a",'
            b' "events": [{"name": "x", "params": {"p": 1, "p": 2}}]}',
            "events[0].params.p",
        ),
        (
            b'{"client_id": "a", "events": [{"name": "x"}],'
            b' "user_properties": {"v": {"value": 1}, "v": {"value": 2}}}',
            "user_properties.v",
        ),
    ],
    ids=["top level", "param", "user property"],
)
def test_names_given_twice_are_reported(body: bytes, field_path: str) -> None:
    messages = validate_request("/mp/collect", QUERY, body, now_micros=NOW_MICROS)

    assert found(messages) == [(field_path, "NAME_DUPLICATED")]


def test_every_problem_is_reported_not_just_the_first() -> None:
    payload = good_payload()
    del payload["client_id"]
    payload["events"][0]["name"] = "session_start"
    payload["events"][1]["params"]["label"] = None

    assert found(validate(payload, query={})) == [
        ("measurement_id", "VALUE_REQUIRED"),
        ("api_secret", "VALUE_REQUIRED"),
        ("client_id", "VALUE_REQUIRED"),
        ("events[0].name", "NAME_RESERVED"),
        ("events[1].params.label", "VALUE_INVALID"),
    ]


JSON_SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
NAMES = st.sampled_from(
    ["page_view", "session_id", "engagement_time_msec", "page_title", "value", "_x"]
) | st.text(max_size=45)
EVENTS = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "name": NAMES | JSON_VALUES,
            "params": st.dictionaries(NAMES, JSON_VALUES, max_size=30) | JSON_VALUES,
            "timestamp_micros": st.integers() | JSON_VALUES,
        },
    )
    | JSON_VALUES,
    max_size=30,
)
USER_PROPERTIES = st.dictionaries(
    NAMES,
    st.fixed_dictionaries(
        {}, optional={"value": JSON_VALUES, "timestamp_micros": JSON_VALUES}
    )
    | JSON_VALUES,
    max_size=30,
)
PAYLOADS = st.fixed_dictionaries(
    {},
    optional={
        "client_id": st.text(max_size=40) | JSON_VALUES,
        "events": EVENTS | JSON_VALUES,
        "user_properties": USER_PROPERTIES | JSON_VALUES,
        "timestamp_micros": st.integers() | JSON_VALUES,
        "non_personalized_ads": JSON_VALUES,
        "consent": st.dictionaries(NAMES, JSON_VALUES) | JSON_VALUES,
        "validation_behavior": JSON_VALUES,
        "user_id": JSON_VALUES,
    },
)
BODIES = (
    st.binary(max_size=300)
    | JSON_VALUES.map(lambda value: json.dumps(value).encode())
    | PAYLOADS.map(lambda value: json.dumps(value).encode())
)


@settings(max_examples=300, deadline=None)
@given(
    path=st.sampled_from(["/mp/collect", "/debug/mp/collect"]) | st.text(max_size=20),
    query=st.dictionaries(
        st.sampled_from(["measurement_id", "api_secret"]) | st.text(max_size=5),
        st.text(max_size=20),
    ),
    body=BODIES,
    now_micros=st.none() | st.integers(min_value=-(2**70), max_value=2**70),
    strict_privacy=st.booleans(),
)
def test_random_requests_never_raise(
    path: str,
    query: dict[str, str],
    body: bytes,
    now_micros: int | None,
    strict_privacy: bool,
) -> None:
    messages = validate_request(
        path, query, body, now_micros=now_micros, strict_privacy=strict_privacy
    )

    for message in messages:
        assert set(message) == {"fieldPath", "description", "validationCode"}
        assert all(isinstance(value, str) for value in message.values())
        assert message["validationCode"] in CODES
