"""Route patterns become value-free page locations, whatever Django hands over."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import include, path, re_path
from django.urls.resolvers import RegexPattern, URLResolver
from hypothesis import given, settings
from hypothesis import strategies as st

from aa_otel_analytics._ga4.routes import (
    PLACEHOLDER_ORIGIN,
    normalize_route,
    page_location,
)

SAFE_OUTPUT = re.compile(r"^/[A-Za-z0-9/<>:._~\-]*$")
REGEX_METACHARACTERS = set("^$()[]{}*+?|\\")


def _view(request: object) -> None:
    """Never called: the resolver only needs something to point at."""


URLPATTERNS = [
    path("", _view),
    path(
        "fleet/",
        include(
            [
                path("<int:pk>/", _view),
                re_path(r"^(?P<slug>[-\w]+)/edit/$", _view),
            ]
        ),
    ),
    re_path(
        r"^api/",
        include(
            [
                path("v1/<int:pk>/", _view),
                re_path(r"^items/(\d+)/$", _view),
            ]
        ),
    ),
]

PATH_ROUTES = [
    ("", "/"),
    ("fleet/", "/fleet/"),
    ("fleet/<int:pk>/", "/fleet/<int:pk>/"),
    ("fleet/<int:pk>/members/<slug:name>/", "/fleet/<int:pk>/members/<slug:name>/"),
    ("robots.txt", "/robots.txt"),
    ("files/<path:rest>", "/files/<path:rest>"),
]

REGEX_ROUTES = [
    (r"^legacy/(?P<year>[0-9]{4})/$", "/legacy/<year>/"),
    (r"^a/(?P<year>\d{4})/(?P<month>\d{2})/$", "/a/<year>/<month>/"),
    (r"^a/(\d+)/$", "/a/<param>/"),
    (r"^a/([^/]+)/(\d+)/$", "/a/<param>/<param>/"),
    (r"^a/(?P<x>(foo|bar)-\d+)/$", "/a/<x>/"),
    (r"^a/((?P<inner>\d+)-(\d+))/$", "/a/<param>/"),
    (r"^x/(?:draft|final)/$", "/x/<param>/"),
    (r"^a/[0-9]+/$", "/a/<param>/"),
    (r"^a/[^/]+/$", "/a/<param>/"),
    (r"^a/[\]x]+/$", "/a/<param>/"),
    (r"^a/\d+/$", "/a/<param>/"),
    (r"^a/\w{3,5}/$", "/a/<param>/"),
    (r"^static/.*$", "/static/<param>"),
    (r"^media/.+/thumb/$", "/media/<param>/thumb/"),
    (r"^robots\.txt$", "/robots.txt"),
    (r"^feeds/(?P<name>\w+)\.xml$", "/feeds/<name>.xml"),
    (r"^page/(?P<n>\d+)?/?$", "/page/<n>/"),
    (r"\Aabout/\Z", "/about/"),
    (r"fleet/(?P<pk>\d+)/$", "/fleet/<pk>/"),
    (r"^api/<int:pk>/", "/api/<int:pk>/"),
]


def resolved_route(url: str) -> str:
    resolver = URLResolver(RegexPattern(r"^/"), URLPATTERNS)
    return resolver.resolve(url).route


@pytest.mark.parametrize(("route", "expected"), PATH_ROUTES)
def test_path_routes_gain_a_leading_slash_and_keep_converters(
    route: str, expected: str
) -> None:
    assert normalize_route(route) == expected


def test_root_route_is_a_single_slash() -> None:
    assert normalize_route("") == "/"
    assert normalize_route("^$") == "/"


@pytest.mark.parametrize(("route", "expected"), REGEX_ROUTES)
def test_re_path_groups_classes_and_wildcards_become_placeholders(
    route: str, expected: str
) -> None:
    assert normalize_route(route) == expected


def test_re_path_named_groups_become_named_placeholders() -> None:
    assert normalize_route(r"^corp/(?P<corp_id>\d+)/$") == "/corp/<corp_id>/"


def test_escaped_dots_stay_literal_dots() -> None:
    assert normalize_route(r"^sitemap\.xml$") == "/sitemap.xml"
    assert "<param>" not in normalize_route(r"^a\.b\.c/$")


@pytest.mark.parametrize(
    ("url", "expected", "values"),
    [
        ("/", "/", []),
        ("/fleet/3141/", "/fleet/<int:pk>/", ["3141"]),
        ("/fleet/secret-op/edit/", "/fleet/<slug>/edit/", ["secret-op"]),
        ("/api/v1/2718/", "/api/v1/<int:pk>/", ["2718"]),
        ("/api/items/1618/", "/api/items/<param>/", ["1618"]),
    ],
)
def test_include_joined_routes_from_django_are_reported_without_values(
    url: str, expected: str, values: list[str]
) -> None:
    route = resolved_route(url)

    normalized = normalize_route(route)

    assert normalized == expected
    for value in values:
        assert value not in normalized


@pytest.mark.parametrize("route", [route for route, _ in PATH_ROUTES + REGEX_ROUTES])
def test_results_start_with_a_slash_and_hold_no_regex_syntax(route: str) -> None:
    normalized = normalize_route(route)

    assert normalized.startswith("/")
    assert not REGEX_METACHARACTERS & set(normalized)
    assert SAFE_OUTPUT.match(normalized)


def test_page_location_is_the_placeholder_origin_plus_the_route() -> None:
    location = page_location(r"^fleet/(?P<pk>\d+)/$")

    assert location == PLACEHOLDER_ORIGIN + "/fleet/<pk>/"


def test_page_location_never_exceeds_ga_limit() -> None:
    location = page_location("a/" * 2000)

    assert len(location) <= 1000
    assert location.startswith(PLACEHOLDER_ORIGIN + "/")


def test_query_and_fragment_characters_never_reach_the_page_location() -> None:
    location = page_location("search/?q=pilot#top")

    assert "?" not in location
    assert "#" not in location
    assert "=" not in location


ROUTE_ALPHABET = st.sampled_from(
    list("abcXYZ019/_-.~<>:?()[]{}*+|^$\\=&#% \t\n\x00é東") + ["(?P<", "\\d", "\\."]
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.lists(ROUTE_ALPHABET, max_size=60).map("".join),
        st.text(max_size=200),
    )
)
def test_normalize_route_never_raises_and_returns_a_safe_path(route: str) -> None:
    normalized = normalize_route(route)
    location = page_location(route)

    assert SAFE_OUTPUT.match(normalized)
    assert location.startswith(PLACEHOLDER_ORIGIN + "/")
    assert "?" not in location
    assert "#" not in location


def test_escaped_bracket_followed_by_backslashes_normalizes_quickly() -> None:
    # A valid regex: a literal "[" and then 17 literal backslashes.
    route = "^x\\[" + "\\\\" * 17
    normalize_route.cache_clear()

    started = time.monotonic()
    normalized = normalize_route(route)
    elapsed = time.monotonic() - started

    assert SAFE_OUTPUT.match(normalized)
    assert elapsed < 0.2


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ("files/[a-z]+/", "/files/<param>/"),
        ("files/.*", "/files/<param>"),
    ],
)
def test_unanchored_re_path_classes_and_wildcards_become_placeholders(
    route: str, expected: str
) -> None:
    assert normalize_route(route) == expected


def test_word_boundary_assertions_are_dropped() -> None:
    assert normalize_route(r"^about\b") == "/about"
