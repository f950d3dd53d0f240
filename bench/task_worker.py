"""The worker side of ``bench.task_cost``: the timed task and the floor setup.

A Celery worker imports this module (``-I bench.task_worker``) in its main process,
before it forks its pool child. ``hold`` keeps the child waiting until the driver
opens the round's gate, so the round then runs back to back with a quiet broker. The
child times every run of ``add`` (wall clock, and CPU time of the task's thread)
around the task's tracer, the function Celery's pool calls for each message: it
covers the ``task_prerun`` and ``task_postrun`` receivers (where OpenTelemetry
starts and ends its span), the task itself and Celery's bookkeeping, but not the
broker. ``dump`` writes the timings so far to a file and forgets them.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from celery import shared_task, signals
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

SETUP = os.environ.get("AA_BENCH_SETUP", "bare")
TASK_NAME = "bench.task_worker.add"
DUMP_NAME = "bench.task_worker.dump"
HOLD_NAME = "bench.task_worker.hold"
_HOLD_POLL_SECS = 0.002

_wall_ns: list[int] = []
_cpu_ns: list[int] = []
_hold_cpu_ns = 0  # the gates' polling, left out of the child's CPU time


class _NullExporter(SpanExporter):
    """A span exporter that does nothing, for the floor setup."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _setup_floor() -> None:
    """Plain OpenTelemetry: SDK provider, batch processor, Celery instrumentation."""
    from opentelemetry import trace
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create())
    provider.add_span_processor(BatchSpanProcessor(_NullExporter()))
    trace.set_tracer_provider(provider)
    CeleryInstrumentor().instrument(meter_provider=NoOpMeterProvider())


if SETUP == "floor":
    _setup_floor()

try:  # an idle worker looks for new messages every 100 ms, not every second
    from kombu.transport.sqlalchemy import Transport as _SQLTransport

    _SQLTransport.polling_interval = 0.1
except ImportError:  # no SQLAlchemy: the filesystem broker is in use
    pass


@shared_task(name=TASK_NAME)
def add(x: int, y: int) -> int:
    return x + y


@shared_task(name=HOLD_NAME)
def hold(path: str, timeout_secs: float) -> bool:
    """Keep the pool child busy until ``path`` exists: the round's gate."""
    global _hold_cpu_ns
    cpu = time.thread_time_ns()
    deadline = time.monotonic() + timeout_secs
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(_HOLD_POLL_SECS)
    _hold_cpu_ns += time.thread_time_ns() - cpu
    return os.path.exists(path)


@shared_task(name=DUMP_NAME)
def dump(path: str, flush: bool = False) -> int:
    """Write the timings so far and the child's CPU time, then forget the timings.

    The child's CPU time covers all its threads, less the time spent at gates.

    With ``flush``, spans still queued are exported first, so the child's CPU time
    includes the export of every span.
    """
    from opentelemetry import trace

    provider_flush = getattr(trace.get_tracer_provider(), "force_flush", None)
    if flush and provider_flush is not None:
        provider_flush()
    count = len(_wall_ns)
    result = {
        "wall_ns": _wall_ns,
        "cpu_ns": _cpu_ns,
        "process_cpu_ns": time.process_time_ns() - _hold_cpu_ns,
    }
    partial = Path(path + ".part")
    partial.write_text(json.dumps(result))
    partial.rename(path)  # the driver never sees a half-written file
    _wall_ns.clear()
    _cpu_ns.clear()
    return count


def _timed(trace_task: Any) -> Any:
    def timed(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter_ns(), time.thread_time_ns()
        try:
            return trace_task(*args, **kwargs)
        finally:
            _cpu_ns.append(time.thread_time_ns() - cpu)
            _wall_ns.append(time.perf_counter_ns() - wall)

    return timed


@signals.worker_process_init.connect(weak=False)
def _time_the_task(**kwargs: Any) -> None:
    # Celery has just rebuilt each task's tracer for this child; wrap ours.
    from celery import current_app

    task = current_app.tasks[TASK_NAME]
    task.__trace__ = _timed(task.__trace__)
