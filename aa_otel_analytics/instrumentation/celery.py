"""Task events from OpenTelemetry's Celery instrumentation, plus what it leaves out.

OpenTelemetry records the task's state on the worker's ``run/`` span but not its
return value, its module or its retry count. A ``task_postrun`` receiver connected
*before* the instrumentation's own adds them while the span is still current;
signal receivers run in the order they were connected.
"""

from __future__ import annotations

import logging
from functools import lru_cache
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


@lru_cache(maxsize=4096)
def _named_by_module(name: str, module: str, function: str) -> bool:
    return name == f"{module}.{function}"


def _namespace(task: Any) -> tuple[str, str] | None:
    """Module and function, when the task's name does not already say them."""
    name = str(getattr(task, "name", "") or "")
    run = getattr(task, "run", None)
    module = getattr(run, "__module__", None)
    function = getattr(run, "__name__", None)
    if not module or not function or function == "run":
        return None
    if _named_by_module(name, str(module), str(function)):
        return None
    return str(module).removesuffix(".tasks"), str(function)


def enrich_task_span(
    sender: Any = None,
    task: Any = None,
    retval: Any = None,
    state: str | None = None,
    **kwargs: Any,
) -> None:
    """``task_postrun`` receiver: add what OpenTelemetry's span does not carry.

    Only the attributes the mapping cannot derive from OpenTelemetry's own
    ``celery.*`` ones are set (a failure's exception class, a non-zero value, a
    custom task name's module), since every attribute costs the worker time.
    """
    try:
        span = trace.get_current_span()
        if not span.is_recording() or task is None:
            return

        attributes: dict[str, str | int] = {}
        if state != "SUCCESS":
            attributes[attr.TASK_RESULT] = _result(str(state or ""), retval)
        value = clean_count(retval)
        if value:
            attributes[attr.TASK_VALUE] = value
        named = _namespace(task)
        if named is not None:
            attributes[attr.TASK_NAMESPACE] = clean_text(named[0])
            attributes[attr.TASK_NAME] = clean_text(named[1])
        if attributes:
            span.set_attributes(attributes)
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
