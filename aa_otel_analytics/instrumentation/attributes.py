"""Span attributes our hooks add; the only ones the GA exporter ever reads.

Events are built from this allow-list, never by copying span attributes, so the
client address, user agent, host, query string and exception text that
OpenTelemetry records cannot reach Google.
"""

from __future__ import annotations

PREFIX = "aa_otel_analytics."

PAGE_ROUTE = PREFIX + "page.route"
PAGE_TITLE = PREFIX + "page.title"
PAGE_LANGUAGE = PREFIX + "page.language"
PAGE_PATH = PREFIX + "page.path"

TASK_NAMESPACE = PREFIX + "task.namespace"
TASK_NAME = PREFIX + "task.name"
TASK_RESULT = PREFIX + "task.result"
TASK_VALUE = PREFIX + "task.value"
TASK_RETRIES = PREFIX + "task.retries"

EVENT_SPAN_NAME = PREFIX + "event"
EVENT_TYPE = PREFIX + "event.type"
EVENT_NAMESPACE = PREFIX + "event.namespace"
EVENT_TASK = PREFIX + "event.task"
EVENT_LABEL = PREFIX + "event.label"
EVENT_RESULT = PREFIX + "event.result"
EVENT_VALUE = PREFIX + "event.value"

# Attributes OpenTelemetry's Celery instrumentation sets on the worker's span.
CELERY_ACTION = "celery.action"
CELERY_STATE = "celery.state"
CELERY_TASK_NAME = "celery.task_name"
CELERY_RETRIES = "celery.retries"

OWN_TASK_PREFIX = "aa_otel_analytics.tasks."
