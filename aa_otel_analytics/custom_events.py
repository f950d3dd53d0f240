"""``analytics_event``: how other apps report their own events.

The event becomes a short span that travels the same pipeline as page views and
tasks (batching, token switches, limits). It is cleaned here, on the caller's
thread, and never raises, whatever it is given.
"""

from __future__ import annotations

import logging

from aa_otel_analytics._ga4.guard import absorb
from aa_otel_analytics._ga4.limits import clean_count, clean_text
from aa_otel_analytics.instrumentation import attributes as attr

logger = logging.getLogger(__name__)

EVENT_TYPES = ("Celery", "Stats")


def analytics_event(
    namespace: str,
    task: str,
    label: str = "",
    result: str = "",
    value: int = 1,
    event_type: str = "Celery",
) -> None:
    """Report one event; ``Celery`` obeys a token's task switch, ``Stats`` its stats.

    Args:
        namespace: the reporting app, for example ``"allianceauth.eveonline"``.
        task: what happened, for example the task's function name.
        label: a free label; keep it free of names and ids.
        result: ``"Success"`` or an exception's class name.
        value: a count or a bool; values above 100,000 are sent as 0.
        event_type: ``"Celery"`` (default) or ``"Stats"``.
    """
    try:
        _record(namespace, task, label, result, value, event_type)
    except Exception:  # the caller's work matters more than its analytics
        absorb("analytics_event", reason="bad_input")


def _record(
    namespace: object,
    task: object,
    label: object,
    result: object,
    value: object,
    event_type: object,
) -> None:
    from aa_otel_analytics import runtime

    state = runtime.current()
    if state is None:
        return

    kind = event_type if event_type in EVENT_TYPES else "Celery"
    span = state.tracer().start_span(
        attr.EVENT_SPAN_NAME,
        attributes={
            attr.EVENT_TYPE: kind,
            attr.EVENT_NAMESPACE: clean_text(namespace),
            attr.EVENT_TASK: clean_text(task),
            attr.EVENT_LABEL: clean_text(label),
            attr.EVENT_RESULT: clean_text(result),
            attr.EVENT_VALUE: clean_count(value),
        },
    )
    span.end()
