"""Strip forwarded spans down to what Google would see, unless told otherwise.

An operator's collector is their own, but it often fans out to hosted backends, so
by default the forwarded spans carry only an allow-list of attributes: the method,
route, status and duration of a page, the name and outcome of a task, and the
anonymized attributes our hooks add. Client address, user agent, host names,
query strings, raw paths, user ids, exception text and span events stay home.
Spans from instrumentation other than Django's, Celery's and ours are not
forwarded in this mode, because nothing is known about what they carry. The
resource keeps the service's name, version and namespace, the SDK's description
of itself, and whatever the operator wrote into ``OTEL_RESOURCE_ATTRIBUTES``;
what resource detectors found (host, process, container) stays home.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from opentelemetry.sdk.resources import Resource
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


KEPT_RESOURCE_PREFIXES = ("service.", "telemetry.", "deployment.")


def _operator_keys() -> set[str]:
    raw = os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "")
    return {pair.split("=", 1)[0].strip() for pair in raw.split(",") if "=" in pair}


def redact_resource(resource: Resource) -> Resource:
    chosen = _operator_keys()
    kept = {
        key: value
        for key, value in resource.attributes.items()
        if key.startswith(KEPT_RESOURCE_PREFIXES) or key in chosen
    }
    return Resource(kept, resource.schema_url)


class _ResourceCache:
    """Spans of one provider share one resource; redact it once."""

    def __init__(self) -> None:
        self._source: Resource | None = None
        self._redacted: Resource | None = None

    def get(self, resource: Resource) -> Resource:
        if resource is not self._source or self._redacted is None:
            self._source, self._redacted = resource, redact_resource(resource)
        return self._redacted


_resources = _ResourceCache()


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
        resource=_resources.get(span.resource),
        attributes=kept(span.attributes),  # type: ignore[arg-type]
        kind=span.kind,
        status=Status(span.status.status_code),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def redact_batch(spans: Sequence[ReadableSpan]) -> list[ReadableSpan]:
    return [redact(span) for span in spans if forwarded_scope(span)]
