"""GA4's documented limits, and the cleaning that keeps every value inside them.

Google answers 2xx even for payloads it then discards, so nothing may rely on the
server to reject a bad value: everything sent is cleaned here first.
"""

from __future__ import annotations

import math
import re

MAX_EVENTS_PER_REQUEST = 25
MAX_PARAMS_PER_EVENT = 25
MAX_BODY_BYTES = 130_000 - 2_000  # "under 130 kB", with room for rounding
MAX_EVENT_AGE_MICROS = 72 * 3600 * 1_000_000
SAFE_EVENT_AGE_MICROS = MAX_EVENT_AGE_MICROS - 3600 * 1_000_000

MAX_VALUE_CHARS = 100
LONG_VALUE_CHARS = {"page_title": 300, "page_referrer": 420, "page_location": 1000}
MAX_USER_PROPERTY_NAME = 24
MAX_USER_PROPERTY_VALUE = 36

# A count bigger than this is more likely an EVE id (characters, corporations and
# structures are all far above it) than a count, so it is sent as 0.
MAX_REPORTED_VALUE = 100_000

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean_text(value: object, max_chars: int = MAX_VALUE_CHARS) -> str:
    """Any object as printable text of at most ``max_chars`` characters."""
    if value is None:
        return ""

    if isinstance(value, str):
        cut = value[: max_chars * 2]
        if cut.isprintable():  # the common case: nothing to replace
            return cut.strip()[:max_chars]
        text = cut
    elif isinstance(value, bytes):
        text = value.decode("utf-8", errors="replace")
    elif isinstance(value, (bool, int, float)):
        try:
            text = str(value)
        except ValueError:  # an int too long to print
            text = type(value).__name__
    else:
        text = type(value).__name__
    # Cut first (a huge input must not cost the caller), then clean and cut again.
    text = text[: max_chars * 2]
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates
    text = _CONTROL.sub(" ", text).strip()
    return text[:max_chars]


def clean_param(name: str, value: object) -> str:
    return clean_text(value, LONG_VALUE_CHARS.get(name, MAX_VALUE_CHARS))


def clean_count(value: object) -> int:
    """A small non-negative count; bools become 0/1, anything else 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            return 0
        value = int(value)
    if not isinstance(value, int):
        return 0
    if value < 0 or value > MAX_REPORTED_VALUE:
        return 0
    return value


def clean_millis(value: float) -> int:
    if not math.isfinite(value) or value < 0:
        return 0
    return min(int(round(value)), 86_400_000)
