"""Turn Django route patterns into readable, value-free page locations.

Django gives ``path()`` routes without a leading slash (``fleet/<int:pk>/``), an
empty string for the root route, and the raw regular expression for ``re_path()``
(``^legacy/(?P<year>[0-9]{4})/$``). Pages are reported by pattern, never by the path
a visitor asked for, so no id, key or name in a URL can reach Google.
"""

from __future__ import annotations

import re
from functools import lru_cache

from aa_otel_analytics._ga4.limits import LONG_VALUE_CHARS, clean_text

# Every install reports the same host, so the host says nothing about the site.
PLACEHOLDER_ORIGIN = "https://allianceauth.invalid"

_NAMED_GROUP = re.compile(r"\(\?P<([A-Za-z_][A-Za-z0-9_]*)>")
_ANCHORS = re.compile(r"\\A|\\Z|\\z|\\b|\\B|(?<!\\)\^|(?<!\\)\$")
_REGEX_SYNTAX = re.compile(r"[\[\](){}*+?|]")
# Lookarounds and inline flags match no characters, so they leave no placeholder.
_INVISIBLE_GROUP = re.compile(r"\(\?(<?[=!]|[aiLmsux-]+\))")
_QUANTIFIER = re.compile(r"\{\d*,?\d*\}")
_CODE_ESCAPE = re.compile(r"\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}")
_ESCAPED = re.compile(r"\\(.)")
_UNSAFE = re.compile(r"[^A-Za-z0-9/<>:._~\-]")
_CLASS_OR_WILDCARD = re.compile(
    r"(\[(\\.|[^\]\\])*\]|\\[dDwWsS]|(?<!\\)\.)([*+?]|\{\d*,?\d*\})*"
)


def _replace_groups(pattern: str) -> str:
    """Replace each regex group, however nested, by a ``<name>`` placeholder."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if char != "(":
            out.append(char)
            index += 1
            continue

        named = _NAMED_GROUP.match(pattern, index)
        end = _group_end(pattern, index)
        if not _INVISIBLE_GROUP.match(pattern, index):
            out.append(f"<{named.group(1)}>" if named else "<param>")
        index = end
    return "".join(out)


def _group_end(pattern: str, start: int) -> int:
    depth = 0
    index = start
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(pattern)


def _looks_like_regex(route: str) -> bool:
    return (
        route.startswith("^")
        or route.endswith("$")
        or _REGEX_SYNTAX.search(route) is not None
    )


@lru_cache(maxsize=2048)
def normalize_route(route: str) -> str:
    """A route pattern as ``/a/<b>/``: leading slash, no regex syntax, no values."""
    text = route or ""
    if _looks_like_regex(text) or "\\" in text:
        text = _replace_groups(text)
        text = _CLASS_OR_WILDCARD.sub("<param>", text)
        text = _ANCHORS.sub("", text)
        text = _QUANTIFIER.sub("", text)
        text = _CODE_ESCAPE.sub(lambda m: chr(int(m.group()[2:], 16)), text)
        text = _ESCAPED.sub(r"\1", text)
        text = re.sub(r"[\[\]{}*+?|]", "", text)

    text = _UNSAFE.sub("", text)
    text = re.sub(r"/{2,}", "/", "/" + text.lstrip("/"))
    return text


def page_location(route: str) -> str:
    limit = LONG_VALUE_CHARS["page_location"]
    return clean_text(PLACEHOLDER_ORIGIN + normalize_route(route), limit)
