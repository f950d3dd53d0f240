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
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.metrics import NoOpMeterProvider

from aa_otel_analytics._ga4.guard import absorb
from aa_otel_analytics._ga4.limits import (
    MAX_REPORTED_VALUE,
    clean_count,
    clean_text,
)
from aa_otel_analytics.instrumentation import attributes as attr

logger = logging.getLogger(__name__)

try:
    from opentelemetry.trace.propagation import _SPAN_KEY
except ImportError:  # an API version that moved it: use the public call
    _SPAN_KEY = None


def _result(state: str, retval: Any) -> str:
    if state == "SUCCESS":
        return "Success"
    if isinstance(retval, BaseException):
        return type(retval).__name__
    return clean_text(state.title())


# Task name -> the attributes its namespace adds; a site has a few hundred tasks.
_NAMESPACES: dict[str, dict[str, str]] = {}
_MAX_NAMESPACES = 4096


def _namespace(task: Any) -> tuple[str, str] | None:
    """Module and function, when the task's name does not already say them."""
    name = str(getattr(task, "name", "") or "")
    run = getattr(task, "run", None)
    module = getattr(run, "__module__", None)
    function = getattr(run, "__name__", None)
    if not module or not function or function == "run":
        return None
    if name == f"{module}.{function}":
        return None
    return str(module).removesuffix(".tasks"), str(function)


def _namespace_attributes(task: Any) -> dict[str, str]:
    """Looked up once per task name: the receiver runs after every task."""
    name = getattr(task, "name", None)
    found = _NAMESPACES.get(name) if isinstance(name, str) else None
    if found is not None:
        return found

    named = _namespace(task)
    found = {}
    if named is not None:
        found = {
            attr.TASK_NAMESPACE: clean_text(named[0]),
            attr.TASK_NAME: clean_text(named[1]),
        }
    if isinstance(name, str) and len(_NAMESPACES) < _MAX_NAMESPACES:
        _NAMESPACES[name] = found
    return found


def _current_span() -> trace.Span:
    """The current span, without ``get_current_span``'s slow ABC ``isinstance``.

    Only OpenTelemetry itself stores a value under its span key, and always a
    span; older or newer API versions without the key fall back to the API call.
    """
    if _SPAN_KEY is None:
        return trace.get_current_span()

    span = otel_context.get_value(_SPAN_KEY)
    if span is None:
        return trace.INVALID_SPAN
    return span  # type: ignore[return-value]


def _value(retval: Any) -> int:
    if retval is None:
        return 0
    if type(retval) is int:  # the usual case, without clean_count's checks
        return retval if 0 < retval <= MAX_REPORTED_VALUE else 0
    return clean_count(retval)


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
        if task is None:
            return

        # A span that is not recording ignores what is set on it, so there is no
        # need to ask; one set_attribute per attribute is cheaper than
        # set_attributes for the usual zero or one.
        span = _current_span()
        if state != "SUCCESS":
            span.set_attribute(attr.TASK_RESULT, _result(str(state or ""), retval))
        value = _value(retval)
        if value:
            span.set_attribute(attr.TASK_VALUE, value)
        named = _namespace_attributes(task)
        if named:
            span.set_attributes(named)
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
