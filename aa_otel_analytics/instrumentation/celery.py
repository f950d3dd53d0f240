"""Task events from OpenTelemetry's Celery instrumentation, plus what it leaves out.

OpenTelemetry records the task's state on the worker's ``run/`` span but not its
return value, its module or its retry count. A ``task_postrun`` receiver connected
*before* the instrumentation's own adds them while the span is still current;
signal receivers run in the order they were connected.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import signals
from opentelemetry import trace
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.metrics import NoOpMeterProvider

from aa_otel_analytics._ga4.guard import absorb
from aa_otel_analytics._ga4.limits import clean_count, clean_text
from aa_otel_analytics.instrumentation import attributes as attr

logger = logging.getLogger(__name__)


def _result(state: str, retval: Any) -> str:
    if state == "SUCCESS":
        return "Success"
    if isinstance(retval, BaseException):
        return type(retval).__name__
    return clean_text(state.title())


def _namespace(task: Any) -> tuple[str, str]:
    name = str(getattr(task, "name", "") or "")
    module = getattr(getattr(task, "run", None), "__module__", None)
    function = getattr(getattr(task, "run", None), "__name__", None)
    if not module or not function or function == "run":
        module, _, function = name.rpartition(".")
    return str(module).removesuffix(".tasks"), str(function or name)


def enrich_task_span(
    sender: Any = None,
    task: Any = None,
    retval: Any = None,
    state: str | None = None,
    **kwargs: Any,
) -> None:
    """``task_postrun`` receiver: add namespace, result, value and retries."""
    try:
        span = trace.get_current_span()
        if not span.is_recording() or task is None:
            return

        namespace, function = _namespace(task)
        request = getattr(task, "request", None)
        span.set_attributes(
            {
                attr.TASK_NAMESPACE: clean_text(namespace),
                attr.TASK_NAME: clean_text(function),
                attr.TASK_RESULT: _result(str(state or ""), retval),
                attr.TASK_VALUE: clean_count(retval),
                attr.TASK_RETRIES: clean_count(getattr(request, "retries", 0) or 0),
            }
        )
    except Exception:  # a receiver must never fail a task
        absorb("task hook")


def instrument_celery() -> None:
    """Connect our receiver, then (re-)instrument so OpenTelemetry's runs after it."""
    signals.task_postrun.connect(enrich_task_span, weak=False)
    instrumentor = CeleryInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
        instrumentor.instrument()
        return

    instrumentor.instrument(meter_provider=NoOpMeterProvider())


def uninstrument_celery() -> None:
    signals.task_postrun.disconnect(enrich_task_span)
    CeleryInstrumentor().uninstrument()
