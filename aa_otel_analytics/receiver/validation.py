"""Check Measurement Protocol requests the way Google's validation server would.

Google's production endpoint answers 2xx to anything it receives, so a malformed
payload is invisible unless something local looks at it. These rules are the test
oracle for the exporter: they are written from the Measurement Protocol reference
alone and import nothing else from this package, so a wrong limit in the exporter
cannot also hide itself here.

The rules are a little stricter than Google's default ``RELAXED`` behaviour: what
Google would silently drop is reported, and with ``strict_privacy`` so are the
identifying fields this package promises never to send.

Field paths use dots for object keys and ``[i]`` for list indexes, for example
``events[0].params.page_title``. The request path and the query parameters are
reported as ``path``, ``measurement_id`` and ``api_secret``; the raw body as ``body``.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

VALUE_INVALID = "VALUE_INVALID"
VALUE_REQUIRED = "VALUE_REQUIRED"
NAME_INVALID = "NAME_INVALID"
NAME_RESERVED = "NAME_RESERVED"
VALUE_OUT_OF_BOUNDS = "VALUE_OUT_OF_BOUNDS"
EXCEEDED_MAX_ENTITIES = "EXCEEDED_MAX_ENTITIES"
NAME_DUPLICATED = "NAME_DUPLICATED"

_COLLECT_PATHS = frozenset({"/mp/collect", "/debug/mp/collect"})
_MEASUREMENT_ID_RE = re.compile(r"G-[A-Z0-9]+")

# Google: "the POST body must be under 130 kB"; a body of exactly this size fails.
_MAX_BODY_BYTES = 130_000
_MAX_EVENTS = 25
_MAX_PARAMS = 25
_MAX_USER_PROPERTIES = 25
_MAX_USER_ID_CHARS = 256
_MAX_USER_PROPERTY_VALUE_CHARS = 36
_MAX_PARAM_VALUE_CHARS = 100
_LONG_PARAM_VALUE_CHARS = {
    "page_title": 300,
    "page_referrer": 420,
    "page_location": 1000,
}
_MAX_PAST_MICROS = 72 * 3600 * 1_000_000
_MAX_FUTURE_MICROS = 15 * 60 * 1_000_000

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
_USER_PROPERTY_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,23}")
_DIGITS_RE = re.compile(r"[0-9]+")
# Control characters, and lone surrogates: JSON can spell them but they are not
# Unicode, so a strict parser may reject the whole request.
_CONTROL_CHAR_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")

_TOP_LEVEL_KEYS = frozenset(
    {
        "client_id",
        "user_id",
        "timestamp_micros",
        "user_properties",
        "consent",
        "non_personalized_ads",
        "user_location",
        "ip_override",
        "device",
        "user_agent",
        "validation_behavior",
        "events",
    }
)
_EVENT_KEYS = frozenset({"name", "params", "timestamp_micros"})
_USER_PROPERTY_KEYS = frozenset({"value", "timestamp_micros"})
_CONSENT_VALUES = {
    "ad_user_data": frozenset({"GRANTED", "DENIED"}),
    "ad_personalization": frozenset({"GRANTED", "DENIED"}),
}
_VALIDATION_BEHAVIORS = frozenset({"RELAXED", "ENFORCE_RECOMMENDATIONS"})

# Fields that identify a person or a device. The package never sends them, so under
# strict_privacy their mere presence is a bug in the sender.
_IDENTIFYING_FIELDS = (
    "user_id",
    "ip_override",
    "user_agent",
    "user_location",
    "device",
)
_IDENTIFYING_FIELD_TYPES: dict[str, type] = {
    "user_id": str,
    "ip_override": str,
    "user_agent": str,
    "user_location": dict,
    "device": dict,
}

# Both lists of the reference, section 5: the web list of the naming support article
# and the Measurement Protocol reference list, plus the app-only names. page_view is
# left out on purpose: the package sends it.
_RESERVED_EVENT_NAMES = frozenset(
    """
    ad_activeview ad_click ad_exposure ad_impression ad_query ad_reward
    adunit_exposure app_clear_data app_exception app_install app_remove
    app_store_refund app_store_subscription_cancel app_store_subscription_renew
    app_update app_upgrade click dynamic_link_app_open dynamic_link_app_update
    dynamic_link_first_open error file_download firebase_campaign
    firebase_in_app_message_action firebase_in_app_message_dismiss
    firebase_in_app_message_impression first_open first_visit form_start
    form_submit in_app_purchase notification_dismiss notification_foreground
    notification_open notification_receive notification_send os_update scroll
    screen_view session_start user_engagement video_complete video_progress
    video_start view_complete view_search_results
    """.split()
)
_RESERVED_PARAM_PREFIXES = ("_", "firebase_", "ga_", "google_", "gtag.", "query_id")
_RESERVED_USER_PROPERTY_PREFIXES = ("_", "firebase_", "ga_", "google_")
_RESERVED_USER_PROPERTY_NAMES = frozenset(
    """
    first_open_time first_visit_time last_deep_link_referrer user_id
    first_open_after_install cid customer_id customerid
    google_allow_ad_personalization_signals last_advertising_id_reset last_gclid
    lifetime_user_engagement non_personalized_ads session_id session_number
    sessionid sfmc_id sid uid
    """.split()
)

Message = dict[str, str]


def validate_request(
    path: str,
    query: Mapping[str, str],
    body: bytes,
    *,
    now_micros: int | None = None,
    strict_privacy: bool = True,
) -> list[Message]:
    """Return GA-shaped validation messages for one request; empty means valid.

    Args:
        path: The URL path without the query string.
        query: Query parameters, one value each.
        body: The raw request body.
        now_micros: Reference time for ``timestamp_micros`` checks, in Unix
            microseconds. Defaults to the current time.
        strict_privacy: Also report identifying fields (``user_id``,
            ``ip_override``, ``user_agent``, ``user_location``, ``device``) that
            Google accepts but this package must never send. Defaults to True.

    Returns:
        A list of ``{"fieldPath", "description", "validationCode"}`` dicts.
    """
    now = time.time_ns() // 1000 if now_micros is None else now_micros
    messages = [*_check_target(path, query), *_check_size(body)]
    payload, decode_messages = _decode(body)
    messages.extend(decode_messages)
    if payload is None:
        return messages

    messages.extend(_check_payload(payload, now, strict_privacy))
    return messages


def _message(field_path: str, code: str, description: str) -> Message:
    return {"fieldPath": field_path, "description": description, "validationCode": code}


def _invalid(path: str, description: str) -> Message:
    return _message(path, VALUE_INVALID, description)


def _required(path: str, description: str) -> Message:
    return _message(path, VALUE_REQUIRED, description)


def _bad_name(path: str, description: str) -> Message:
    return _message(path, NAME_INVALID, description)


def _reserved(path: str, description: str) -> Message:
    return _message(path, NAME_RESERVED, description)


def _out_of_bounds(path: str, description: str) -> Message:
    return _message(path, VALUE_OUT_OF_BOUNDS, description)


def _too_many(path: str, description: str) -> Message:
    return _message(path, EXCEEDED_MAX_ENTITIES, description)


def _duplicated(path: str, description: str) -> Message:
    return _message(path, NAME_DUPLICATED, description)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _check_target(path: str, query: Mapping[str, str]) -> Iterator[Message]:
    if path not in _COLLECT_PATHS:
        yield _invalid(
            "path", f"Path [{path}] is not /mp/collect or /debug/mp/collect."
        )
    measurement_id = query.get("measurement_id", "")
    if not measurement_id:
        yield _required("measurement_id", "measurement_id is required.")
    elif not _MEASUREMENT_ID_RE.fullmatch(measurement_id):
        yield _invalid(
            "measurement_id",
            f"measurement_id [{measurement_id}] does not look like G-XXXXXXXXXX.",
        )
    if not query.get("api_secret"):
        yield _required("api_secret", "api_secret is required.")


def _check_size(body: bytes) -> Iterator[Message]:
    if len(body) >= _MAX_BODY_BYTES:
        yield _out_of_bounds(
            "body",
            f"Body is {len(body)} bytes; it must be under {_MAX_BODY_BYTES} bytes.",
        )


class _JsonObject(dict[str, Any]):
    """A decoded JSON object that remembers keys given more than once.

    ``json`` keeps only the last of repeated keys; Google reports them as
    NAME_DUPLICATED, so the repeats must survive decoding to be checked.
    """

    duplicates: tuple[str, ...] = ()


def _object_from_pairs(pairs: list[tuple[str, Any]]) -> _JsonObject:
    obj = _JsonObject(pairs)
    if len(obj) == len(pairs):
        return obj

    keys = [key for key, _ in pairs]
    obj.duplicates = tuple(dict.fromkeys(k for k in keys if keys.count(k) > 1))
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _decode(body: bytes) -> tuple[dict[str, Any] | None, list[Message]]:
    if not body.strip():
        return None, [_required("body", "Body is empty.")]

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, [_invalid("body", "Body is not valid UTF-8.")]

    try:
        payload = json.loads(
            text, object_pairs_hook=_object_from_pairs, parse_constant=_reject_constant
        )
    except (ValueError, RecursionError):
        return None, [_invalid("body", "Body is not valid JSON.")]

    if not isinstance(payload, dict):
        return None, [_invalid("body", "Body is not a JSON object.")]
    return payload, []


def _check_payload(
    payload: dict[str, Any], now: int, strict_privacy: bool
) -> list[Message]:
    messages = list(_check_fields(payload, now, strict_privacy))
    # One message per field: a control character in a name already made it invalid.
    reported = {message["fieldPath"] for message in messages}
    messages.extend(_check_walked_values(payload, reported))
    return messages


def _check_fields(
    payload: dict[str, Any], now: int, strict_privacy: bool
) -> Iterator[Message]:
    yield from _check_unknown_keys("", payload, _TOP_LEVEL_KEYS)
    yield from _check_client_id(payload)
    if strict_privacy:
        yield from _check_no_identifying_fields(payload)
    else:
        yield from _check_identifying_field_types(payload)
    yield from _check_flags(payload)
    if "timestamp_micros" in payload:
        yield from _check_timestamp(
            "timestamp_micros", payload["timestamp_micros"], now
        )
    yield from _check_events(payload, now)
    yield from _check_user_properties(payload, now)


def _check_unknown_keys(
    path: str, obj: dict[str, Any], allowed: frozenset[str]
) -> Iterator[Message]:
    for key in obj:
        if key not in allowed:
            yield _invalid(_join(path, key), f"Unknown field [{key}].")


def _check_client_id(payload: dict[str, Any]) -> Iterator[Message]:
    client_id = payload.get("client_id")
    if client_id is None or (isinstance(client_id, str) and not client_id.strip()):
        yield _required("client_id", "client_id is required.")
    elif not isinstance(client_id, str):
        yield _invalid("client_id", "client_id must be a string.")


def _check_no_identifying_fields(payload: dict[str, Any]) -> Iterator[Message]:
    for key in _IDENTIFYING_FIELDS:
        if key in payload:
            yield _invalid(
                key,
                f"{key} identifies a person or device; this package never sends it.",
            )


def _check_identifying_field_types(payload: dict[str, Any]) -> Iterator[Message]:
    for key, expected in _IDENTIFYING_FIELD_TYPES.items():
        if key in payload and not isinstance(payload[key], expected):
            yield _invalid(key, f"{key} has the wrong type.")
    user_id = payload.get("user_id")
    if isinstance(user_id, str) and len(user_id) > _MAX_USER_ID_CHARS:
        yield _out_of_bounds(
            "user_id", f"user_id is longer than {_MAX_USER_ID_CHARS} characters."
        )


def _check_flags(payload: dict[str, Any]) -> Iterator[Message]:
    if "non_personalized_ads" in payload and not isinstance(
        payload["non_personalized_ads"], bool
    ):
        yield _invalid(
            "non_personalized_ads", "non_personalized_ads must be a boolean."
        )
    behavior = payload.get("validation_behavior", "RELAXED")
    if not isinstance(behavior, str) or behavior not in _VALIDATION_BEHAVIORS:
        yield _invalid(
            "validation_behavior",
            "validation_behavior must be RELAXED or ENFORCE_RECOMMENDATIONS.",
        )
    if "consent" in payload:
        yield from _check_consent(payload["consent"])


def _check_consent(consent: Any) -> Iterator[Message]:
    if not isinstance(consent, dict):
        yield _invalid("consent", "consent must be an object.")
        return

    for key, value in consent.items():
        allowed = _CONSENT_VALUES.get(key)
        if allowed is None:
            yield _invalid(f"consent.{key}", f"Unknown field [{key}].")
        elif not isinstance(value, str) or value not in allowed:
            yield _invalid(f"consent.{key}", f"{key} must be GRANTED or DENIED.")


def _check_timestamp(path: str, value: Any, now: int) -> Iterator[Message]:
    if isinstance(value, bool) or not isinstance(value, int):
        yield _invalid(path, "timestamp_micros must be an integer (Unix microseconds).")
        return

    if value < now - _MAX_PAST_MICROS:
        yield _out_of_bounds(
            path,
            "timestamp_micros is more than 72 hours in the past (milliseconds sent?).",
        )
    elif value > now + _MAX_FUTURE_MICROS:
        yield _out_of_bounds(path, "timestamp_micros is more than 15 minutes ahead.")


def _check_events(payload: dict[str, Any], now: int) -> Iterator[Message]:
    events = payload.get("events")
    if events is None or events == []:
        yield _required("events", "At least one event is required.")
        return
    if not isinstance(events, list):
        yield _invalid("events", "events must be a list.")
        return

    if len(events) > _MAX_EVENTS:
        yield _too_many(
            "events", f"{len(events)} events sent; at most {_MAX_EVENTS} are allowed."
        )
    for index, event in enumerate(events):
        yield from _check_event(f"events[{index}]", event, now)


def _check_event(path: str, event: Any, now: int) -> Iterator[Message]:
    if not isinstance(event, dict):
        yield _invalid(path, "An event must be an object.")
        return

    yield from _check_unknown_keys(path, event, _EVENT_KEYS)
    yield from _check_event_name(f"{path}.name", event.get("name"))
    if "params" in event:
        yield from _check_params(f"{path}.params", event["params"])
    if "timestamp_micros" in event:
        yield from _check_timestamp(
            f"{path}.timestamp_micros", event["timestamp_micros"], now
        )


def _check_event_name(path: str, name: Any) -> Iterator[Message]:
    if name is None or name == "":
        yield _required(path, "Event name is required.")
    elif not isinstance(name, str):
        yield _invalid(path, "Event name must be a string.")
    elif not _NAME_RE.fullmatch(name):
        yield _bad_name(
            path,
            f"Event name [{name}] must start with a letter and use only letters, "
            "digits and underscores, at most 40 characters.",
        )
    elif name in _RESERVED_EVENT_NAMES:
        yield _reserved(path, f"Event name [{name}] is reserved.")


def _check_params(path: str, params: Any) -> Iterator[Message]:
    if not isinstance(params, dict):
        yield _invalid(path, "params must be an object.")
        return

    if len(params) > _MAX_PARAMS:
        yield _too_many(
            path,
            f"{len(params)} params sent; at most {_MAX_PARAMS} are allowed per event.",
        )
    for name, value in params.items():
        yield from _check_param(f"{path}.{name}", name, value)


def _check_param(path: str, name: str, value: Any) -> Iterator[Message]:
    if name.startswith(_RESERVED_PARAM_PREFIXES):
        yield _reserved(path, f"Param name [{name}] uses a reserved prefix.")
    elif not _NAME_RE.fullmatch(name):
        yield _bad_name(
            path,
            f"Param name [{name}] must start with a letter and use only letters, "
            "digits and underscores, at most 40 characters.",
        )
    if not _is_scalar(value):
        yield _invalid(path, f"Param [{name}] must be a string, number or boolean.")
        return

    limit = _LONG_PARAM_VALUE_CHARS.get(name, _MAX_PARAM_VALUE_CHARS)
    if isinstance(value, str) and len(value) > limit:
        yield _out_of_bounds(
            path,
            f"Param [{name}] is {len(value)} characters; at most {limit} are allowed.",
        )
    rule = _PARAM_RULES.get(name)
    if rule is not None:
        yield from rule(path, value)


def _is_scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (str, int))


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False

    return _is_scalar(value)


def _check_session_id(path: str, value: Any) -> Iterator[Message]:
    if isinstance(value, str) and _DIGITS_RE.fullmatch(value):
        return
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return

    yield _invalid(path, "session_id must contain digits only.")


def _check_engagement_time(path: str, value: Any) -> Iterator[Message]:
    if not _is_number(value):
        yield _invalid(path, "engagement_time_msec must be a number.")
    elif value < 0:
        yield _out_of_bounds(path, "engagement_time_msec must not be negative.")


_PARAM_RULES: dict[str, Callable[[str, Any], Iterator[Message]]] = {
    "session_id": _check_session_id,
    "engagement_time_msec": _check_engagement_time,
}


def _check_user_properties(payload: dict[str, Any], now: int) -> Iterator[Message]:
    if "user_properties" not in payload:
        return
    properties = payload["user_properties"]
    if not isinstance(properties, dict):
        yield _invalid("user_properties", "user_properties must be an object.")
        return

    if len(properties) > _MAX_USER_PROPERTIES:
        yield _too_many(
            "user_properties",
            f"{len(properties)} user properties sent; at most "
            f"{_MAX_USER_PROPERTIES} are allowed.",
        )
    for name, entry in properties.items():
        path = f"user_properties.{name}"
        yield from _check_user_property_name(path, name)
        yield from _check_user_property_entry(path, entry, now)


def _check_user_property_name(path: str, name: str) -> Iterator[Message]:
    if name in _RESERVED_USER_PROPERTY_NAMES or name.startswith(
        _RESERVED_USER_PROPERTY_PREFIXES
    ):
        yield _reserved(path, f"User property name [{name}] is reserved.")
    elif not _USER_PROPERTY_NAME_RE.fullmatch(name):
        yield _bad_name(
            path,
            f"User property name [{name}] must start with a letter and use only "
            "letters, digits and underscores, at most 24 characters.",
        )


def _check_user_property_entry(path: str, entry: Any, now: int) -> Iterator[Message]:
    if not isinstance(entry, dict):
        yield _invalid(path, 'A user property must be {"value": ...}.')
        return

    yield from _check_unknown_keys(path, entry, _USER_PROPERTY_KEYS)
    if "timestamp_micros" in entry:
        yield from _check_timestamp(
            f"{path}.timestamp_micros", entry["timestamp_micros"], now
        )
    if "value" not in entry:
        yield _required(f"{path}.value", "User property value is required.")
        return

    yield from _check_user_property_value(f"{path}.value", entry["value"])


def _check_user_property_value(path: str, value: Any) -> Iterator[Message]:
    if not _is_scalar(value):
        yield _invalid(path, "User property value must be a string, number or boolean.")
    elif isinstance(value, str) and len(value) > _MAX_USER_PROPERTY_VALUE_CHARS:
        yield _out_of_bounds(
            path,
            f"User property value is {len(value)} characters; at most "
            f"{_MAX_USER_PROPERTY_VALUE_CHARS} are allowed.",
        )


def _walk(root: Any) -> Iterator[tuple[str, Any]]:
    """Yield every value with its field path, without recursion.

    Decoded JSON can nest deeper than Python's recursion limit allows a recursive
    walk to go, and a validator must not raise on hostile input.
    """
    stack: list[tuple[str, Any]] = [("", root)]
    while stack:
        path, value = stack.pop()
        yield path, value
        if isinstance(value, dict):
            children = [(_join(path, key), child) for key, child in value.items()]
        elif isinstance(value, list):
            children = [(f"{path}[{i}]", child) for i, child in enumerate(value)]
        else:
            continue
        stack.extend(reversed(children))


def _check_walked_values(
    payload: dict[str, Any], reported: set[str]
) -> Iterator[Message]:
    for path, value in _walk(payload):
        if (
            isinstance(value, str)
            and path not in reported
            and _CONTROL_CHAR_RE.search(value)
        ):
            yield _invalid(
                path, "Value contains a control character or a lone surrogate."
            )
        for key in getattr(value, "duplicates", ()):
            yield _duplicated(_join(path, key), f"Name [{key}] is given twice.")
