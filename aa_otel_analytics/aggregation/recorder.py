"""Record events on delta instruments and collect them once per interval.

Each process owns its aggregation state. A forked child starts afresh on its first
record, because a meter provider inherited through fork carries the parent's
unreported counts and would report them again. Collection runs on a named daemon
thread every ``ANALYTICS_AGGREGATION_INTERVAL_SECS``, on ``force_flush`` and at
exit, so no count stays behind when a process ends.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Iterable

from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from aa_otel_analytics._ga4.config import TokenConfig
from aa_otel_analytics._ga4.events import AnalyticsEvent, EventKind
from aa_otel_analytics._ga4.sender import GASender
from aa_otel_analytics.aggregation import instruments as names
from aa_otel_analytics.conf import conf
from aa_otel_analytics.exporters.aggregate_exporter import GAAggregateExporter

logger = logging.getLogger(__name__)

THREAD_NAME = "aa-otel-analytics-aggregate"
# Far above any site's routes x languages or tasks x results; beyond it the SDK
# folds points into one overflow series, which is dropped and counted.
_CARDINALITY_LIMIT = 20_000


def _reader(exporter: GAAggregateExporter) -> PeriodicExportingMetricReader:
    limits = {Counter: _CARDINALITY_LIMIT, Histogram: _CARDINALITY_LIMIT}
    try:
        return PeriodicExportingMetricReader(
            exporter, export_interval_millis=math.inf, cardinality_limits=limits
        )
    except TypeError:  # SDKs before cardinality limits were configurable
        return PeriodicExportingMetricReader(exporter, export_interval_millis=math.inf)


class _ProcessState:
    """One process's provider, instruments and collection thread."""

    def __init__(self, sender: GASender) -> None:
        self.pid = os.getpid()
        self.exporter = GAAggregateExporter(sender)
        self.reader = _reader(self.exporter)
        self.provider = MeterProvider(
            metric_readers=[self.reader],
            resource=Resource.create(),
            shutdown_on_exit=False,
        )
        meter = self.provider.get_meter(names.METER_NAME)
        self.page_views = meter.create_counter(names.PAGE_VIEWS, unit="{view}")
        self.task_runs = meter.create_histogram(names.TASK_RUNS, unit="ms")
        self.task_value = meter.create_counter(names.TASK_VALUE)
        self.task_retries = meter.create_counter(names.TASK_RETRIES)
        self.wake = threading.Event()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None


def _page_attributes(token: str, params: dict[str, object]) -> dict[str, str]:
    return {
        names.TOKEN: token,
        names.KIND: "page",
        "route": _route(str(params.get("page_location", "/"))),
        "title": str(params.get("page_title", "")),
        "language": str(params.get("language", "")),
    }


def _route(location: str) -> str:
    from aa_otel_analytics._ga4.routes import PLACEHOLDER_ORIGIN

    return location.removeprefix(PLACEHOLDER_ORIGIN) or "/"


def _task_attributes(token: str, params: dict[str, object]) -> dict[str, str]:
    return {
        names.TOKEN: token,
        names.KIND: "task",
        "namespace": str(params.get("namespace", "")),
        "task": str(params.get("task", "")),
        "result": str(params.get("result", "")),
        "label": str(params.get("label", "")),
    }


class Aggregator:
    """Counts page views and task events instead of sending each one."""

    def __init__(self, sender: GASender) -> None:
        self.sender = sender
        self._state: _ProcessState | None = None
        self._lock = threading.Lock()

    def _current(self) -> _ProcessState:
        state = self._state
        if state is not None and state.pid == os.getpid():
            return state

        with self._lock:
            if self._state is None or self._state.pid != os.getpid():
                self._state = _ProcessState(self.sender)
            return self._state

    def record(
        self, addressed: Iterable[tuple[TokenConfig, list[AnalyticsEvent]]]
    ) -> None:
        state = self._current()
        for token, events in addressed:
            for event in events:
                self._record_one(state, token.name, event)
        self._ensure_thread(state)

    def _record_one(
        self, state: _ProcessState, token: str, event: AnalyticsEvent
    ) -> None:
        params = event.params
        if event.kind is EventKind.PAGE_VIEW:
            state.page_views.add(1, _page_attributes(token, params))
            return

        attributes = _task_attributes(token, params)
        state.task_runs.record(float(params.get("run_time_msec", 0)), attributes)
        value = int(params.get("value", 0))
        if value:
            state.task_value.add(value, attributes)
        retries = int(params.get("retries", 0))
        if retries:
            state.task_retries.add(retries, attributes)

    def _ensure_thread(self, state: _ProcessState) -> None:
        if state.thread is not None:
            return

        with state.lock:
            if state.thread is None:
                state.thread = threading.Thread(
                    target=self._run, args=(state,), name=THREAD_NAME, daemon=True
                )
                state.thread.start()

    def _run(self, state: _ProcessState) -> None:
        while not state.wake.wait(conf.ANALYTICS_AGGREGATION_INTERVAL_SECS):
            self.flush()

    def flush(self, *, final: bool = False, timeout_millis: float = 10_000) -> None:
        """Collect this interval and send what the budget allows (all, if final)."""
        state = self._state
        if state is None or state.pid != os.getpid():
            return

        with state.lock:
            state.exporter.final = final
            try:
                state.reader.collect(timeout_millis=timeout_millis)
                # An interval with no new points exports nothing, but what an
                # earlier interval held back may fit now.
                state.exporter.send_pending()
            finally:
                state.exporter.final = False

    def pending_count(self) -> int:
        state = self._state
        if state is None or state.pid != os.getpid():
            return 0
        return state.exporter.pending.total_count()

    def stop(self) -> None:
        state = self._state
        if state is not None and state.pid == os.getpid():
            state.wake.set()
