"""Strip forwarded spans down to what Google would see, unless told otherwise.

An operator's collector is their own, but it often fans out to hosted backends, so
by default the forwarded spans carry only an allow-list of attributes: the method,
route, status and duration of a page, the name and outcome of a task, and the
anonymized attributes our hooks add. Client address, user agent, host names,
query strings, raw paths, user ids, exception text and span events stay home.
Spans from instrumentation other than Django's, Celery's and ours are not
forwarded in this mode, because nothing is known about what they carry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import Status

from aa_otel_analytics.instrumentation import attributes as ours

FORWARDED_SCOPES = (
    "opentelemetry.instrumentation.django",
    "opentelemetry.instrumentation.celery",
    "aa_otel_analytics",
)

KEPT_ATTRIBUTES = frozenset(
    {
        "http.request.method",
        "http.method",
        "http.route",
        "http.response.status_code",
        "http.status_code",
        "url.scheme",
        "http.scheme",
        "network.protocol.version",
        "http.flavor",
        "error.type",
        ours.CELERY_ACTION,
        ours.CELERY_STATE,
        ours.CELERY_TASK_NAME,
        ours.CELERY_RETRIES,
        ours.PAGE_ROUTE,
        ours.PAGE_TITLE,
        ours.PAGE_LANGUAGE,
        ours.TASK_NAMESPACE,
        ours.TASK_NAME,
        ours.TASK_RESULT,
        ours.TASK_VALUE,
        ours.TASK_RETRIES,
        ours.EVENT_TYPE,
        ours.EVENT_NAMESPACE,
        ours.EVENT_TASK,
        ours.EVENT_LABEL,
        ours.EVENT_RESULT,
        ours.EVENT_VALUE,
    }
)


def forwarded_scope(span: ReadableSpan) -> bool:
    scope = span.instrumentation_scope
    return scope is not None and scope.name.startswith(FORWARDED_SCOPES)


def kept(attributes: Mapping[str, object] | None) -> dict[str, object]:
    if not attributes:
        return {}

    return {key: value for key, value in attributes.items() if key in KEPT_ATTRIBUTES}


def redact(span: ReadableSpan) -> ReadableSpan:
    """A copy of ``span`` with the allow-listed attributes only and no events."""
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=kept(span.attributes),  # type: ignore[arg-type]
        kind=span.kind,
        status=Status(span.status.status_code),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def redact_batch(spans: Sequence[ReadableSpan]) -> list[ReadableSpan]:
    return [redact(span) for span in spans if forwarded_scope(span)]
