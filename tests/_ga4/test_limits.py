"""Every value is cleaned into GA's limits before it can reach a payload."""

from __future__ import annotations

import math
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aa_otel_analytics._ga4 import limits
from aa_otel_analytics._ga4.limits import (
    clean_count,
    clean_millis,
    clean_param,
    clean_text,
)

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class Pilot:
    """An object whose str and repr would leak personal data."""

    def __str__(self) -> str:
        return "pilot-email@example.org"

    def __repr__(self) -> str:
        return "Pilot(password='hunter2')"


def test_none_becomes_empty_text() -> None:
    assert clean_text(None) == ""


def test_utf8_bytes_are_decoded() -> None:
    assert clean_text("café".encode()) == "café"


def test_invalid_utf8_bytes_are_replaced_not_raised() -> None:
    text = clean_text(b"\xff\xfeok\xc3")

    assert "ok" in text
    assert "\ufffd" in text


def test_huge_strings_are_cut_to_the_limit() -> None:
    assert clean_text("x" * 1_000_000) == "x" * limits.MAX_VALUE_CHARS
    assert len(clean_text("x" * 1_000_000, max_chars=300)) == 300


def test_length_is_counted_in_characters_not_bytes() -> None:
    assert clean_text("é" * 150) == "é" * 100


@pytest.mark.parametrize(
    "char",
    ["\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9f", "\u2028", "\u2029"],
)
def test_control_characters_become_spaces(char: str) -> None:
    assert clean_text(f"a{char}b") == "a b"


def test_surrounding_whitespace_and_controls_are_stripped() -> None:
    assert clean_text("\n\t  hello world \r\n\u2028") == "hello world"


def test_non_ascii_text_is_kept() -> None:
    assert clean_text("Zoë, 東京 🚀") == "Zoë, 東京 🚀"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Pilot(), "Pilot"),
        ({"password": "hunter2"}, "dict"),
        (["pilot-email@example.org"], "list"),
        (ValueError("pilot-email@example.org"), "ValueError"),
        (object(), "object"),
    ],
)
def test_other_objects_become_their_type_name_never_their_text(
    value: object, expected: str
) -> None:
    text = clean_text(value)

    assert text == expected
    assert "hunter2" not in text
    assert "example.org" not in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "True"),
        (False, "False"),
        (0, "0"),
        (-42, "-42"),
        (1.5, "1.5"),
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
    ],
)
def test_bools_ints_and_floats_become_their_literal_text(
    value: object, expected: str
) -> None:
    assert clean_text(value) == expected


def test_enormous_ints_do_not_raise() -> None:
    assert len(clean_text(10**5000)) <= limits.MAX_VALUE_CHARS


@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("page_title", 300),
        ("page_referrer", 420),
        ("page_location", 1000),
        ("task", 100),
        ("label", 100),
    ],
)
def test_clean_param_uses_the_per_param_length_limit(name: str, limit: int) -> None:
    assert len(clean_param(name, "y" * 5000)) == limit


@settings(max_examples=300, deadline=None)
@given(
    value=st.one_of(
        st.none(),
        st.text(max_size=500),
        st.binary(max_size=200),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.floats(),
        st.booleans(),
        st.lists(st.text(max_size=5), max_size=3),
        st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
    ),
    max_chars=st.integers(min_value=0, max_value=400),
)
def test_clean_text_always_returns_bounded_printable_text(
    value: object, max_chars: int
) -> None:
    text = clean_text(value, max_chars)

    assert isinstance(text, str)
    assert len(text) <= max_chars
    assert not CONTROL.search(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, 1),
        (False, 0),
        (0, 0),
        (7, 7),
        (limits.MAX_REPORTED_VALUE, limits.MAX_REPORTED_VALUE),
        (-1, 0),
        (limits.MAX_REPORTED_VALUE + 1, 0),
        (2_112_345_678, 0),  # an EVE character id, not a count
        (math.nan, 0),
        (math.inf, 0),
        (-math.inf, 0),
        (3.0, 3),
        (-0.0, 0),
        (3.5, 0),
        (1e300, 0),
        ("5", 0),
        (b"5", 0),
        (None, 0),
        (Decimal("5"), 0),
        ([1], 0),
    ],
)
def test_clean_count_keeps_only_small_non_negative_integers(
    value: object, expected: int
) -> None:
    result = clean_count(value)

    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, 0),
        (12.4, 12),
        (12.6, 13),
        (1500, 1500),
        (-5.0, 0),
        (math.nan, 0),
        (math.inf, 0),
        (-math.inf, 0),
        (1e12, 86_400_000),
    ],
)
def test_clean_millis_rounds_and_caps_at_one_day(value: float, expected: int) -> None:
    result = clean_millis(value)

    assert result == expected
    assert type(result) is int
