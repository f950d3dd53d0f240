"""Page views from OpenTelemetry's Django instrumentation, through a response hook.

The hook runs after the view, when Django has resolved the route and the locale
middleware has chosen a language. It only marks spans that are page views (a GET
answered 2xx with HTML from a resolved view) with the allow-listed attributes; it
does no queries and no I/O.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.trace import Span

from aa_otel_analytics._ga4.guard import absorb
from aa_otel_analytics._ga4.routes import normalize_route
from aa_otel_analytics.instrumentation import attributes as attr

logger = logging.getLogger(__name__)

_LANGUAGE = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,3}$")
# Ignore paths are the operator's regexes; a bounded input bounds their cost.
_MAX_PATH_CHARS = 2_000

ResponseHook = Callable[[Span, Any, Any], None]


def _language(request: Any) -> str:
    code = getattr(request, "LANGUAGE_CODE", None)
    if not isinstance(code, str) or not _LANGUAGE.match(code):
        from django.conf import settings

        code = getattr(settings, "LANGUAGE_CODE", "")
    return code[:20] if isinstance(code, str) and _LANGUAGE.match(code) else "und"


def _title(match: Any, route: str) -> str:
    """``namespace:name`` of the URL pattern; the route when it has no name.

    Django's ``view_name`` falls back to the view's dotted Python path for unnamed
    patterns, which names the site's own code, so it is not used.
    """
    if not match.url_name:
        return route
    return ":".join([*match.namespaces, match.url_name])


def _is_page_view(request: Any, response: Any) -> bool:
    if request.method != "GET" or not 200 <= response.status_code < 300:
        return False
    if getattr(request, "resolver_match", None) is None:
        return False
    return str(response.get("Content-Type", "")).startswith("text/html")


def mark_page_view(span: Span, request: Any, response: Any) -> None:
    """Response hook: add the page-view attributes to a server span."""
    try:
        if not span.is_recording() or not _is_page_view(request, response):
            return

        match = request.resolver_match
        route = normalize_route(match.route or "")
        span.set_attributes(
            {
                attr.PAGE_ROUTE: route,
                attr.PAGE_TITLE: _title(match, route),
                attr.PAGE_LANGUAGE: _language(request),
                # Without the script prefix, as Alliance Auth's ignore paths
                # (``^/admin/.*``) are written.
                attr.PAGE_PATH: request.path_info[:_MAX_PATH_CHARS],
            }
        )
    except Exception:  # a hook must never break a page
        absorb("page view hook")


def _chain(first: ResponseHook | None, second: ResponseHook) -> ResponseHook:
    if first is None:
        return second

    def both(span: Span, request: Any, response: Any) -> None:
        first(span, request, response)
        second(span, request, response)

    return both


def instrument_django() -> None:
    """Instrument Django with our hook, keeping a host's earlier instrumentation.

    ``instrument()`` ignores a second call and its hooks (as under
    ``opentelemetry-instrument``), so an existing instrumentation is undone and
    redone with the host's hooks chained before ours. This runs in ``ready()``,
    before Django builds its middleware chain.
    """
    instrumentor = DjangoInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        # Without a meter provider of its own the middleware would record an HTTP
        # histogram on every request that nothing exports.
        instrumentor.instrument(
            response_hook=mark_page_view, meter_provider=NoOpMeterProvider()
        )
        return

    from opentelemetry.instrumentation.django.middleware import otel_middleware

    middleware = otel_middleware._DjangoMiddleware
    if getattr(middleware, "_aa_otel_analytics", False):
        return

    request_hook = middleware._otel_request_hook
    response_hook = middleware._otel_response_hook
    instrumentor.uninstrument()
    instrumentor.instrument(
        request_hook=request_hook,
        response_hook=_chain(response_hook, mark_page_view),
    )
    middleware._aa_otel_analytics = True  # type: ignore[attr-defined]


def uninstrument_django() -> None:
    DjangoInstrumentor().uninstrument()
