"""Per-process wiring: providers, processors, instrumentation and flushing.

``setup()`` runs from ``AppConfig.ready()`` in every web and worker process and again
from Celery's ``worker_process_init``; only the first call in a process does
anything. Forked children (gunicorn ``--preload``, Celery prefork) inherit the
wiring: the SDK restarts its batch thread after a fork and our HTTP client opens
new sockets. Pool children leave through ``os._exit``, so they flush on
``worker_process_shutdown``; other processes flush at exit. When the ``OTEL_*``
variables ask for it, a forwarding pipeline to an OTLP collector is built beside
the GA one; the two are flushed side by side under one deadline.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider, sampling
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from aa_otel_analytics._ga4.drops import drops
from aa_otel_analytics._ga4.guard import absorb
from aa_otel_analytics._ga4.sender import GASender
from aa_otel_analytics.aggregation.recorder import Aggregator
from aa_otel_analytics.audit.recorder import AuditRecorder
from aa_otel_analytics.conf import conf
from aa_otel_analytics.exporters.metric_exporter import GAStatsExporter
from aa_otel_analytics.exporters.span_exporter import GASpanExporter
from aa_otel_analytics.exporters.span_filter import AnalyticsSpanProcessor
from aa_otel_analytics.forwarding import environment
from aa_otel_analytics.stats.install_stats import InstallStats, on_demand_reader

if TYPE_CHECKING:
    from aa_otel_analytics.forwarding.pipeline import Forwarding

logger = logging.getLogger(__name__)

TRACER_NAME = "aa_otel_analytics"


@dataclass
class Runtime:
    """Everything ``setup()`` built in this process."""

    sender: GASender
    span_exporter: GASpanExporter
    processor: AnalyticsSpanProcessor
    tracer_provider: trace.TracerProvider
    owns_provider: bool
    stats: InstallStats
    stats_exporter: GAStatsExporter
    aggregator: Aggregator
    audit: AuditRecorder | None = None
    forwarding: Forwarding | None = None

    def tracer(self) -> trace.Tracer:
        return self.tracer_provider.get_tracer(TRACER_NAME)


_lock = threading.Lock()
_runtime: Runtime | None = None
# The provider an earlier setup() installed: still ours after a shutdown(), since
# the SDK lets a process set its global provider only once.
_installed_provider: TracerProvider | None = None


def current() -> Runtime | None:
    return _runtime


def _sampler() -> sampling.Sampler | None:
    """Record every request, whatever an incoming ``traceparent`` says.

    The SDK's default follows a remote parent's "not sampled" flag, so any client
    or proxy sending ``traceparent: …-00`` would hide its page views from the
    counts. An operator's own ``OTEL_TRACES_SAMPLER`` is left to the SDK.
    """
    if os.environ.get("OTEL_TRACES_SAMPLER"):
        return None

    return sampling.ParentBased(
        sampling.ALWAYS_ON, remote_parent_not_sampled=sampling.ALWAYS_ON
    )


def _attach_processor(processor: AnalyticsSpanProcessor) -> tuple[object, bool]:
    """Join the host's SDK tracer provider, or install ours when there is none."""
    global _installed_provider
    existing = trace.get_tracer_provider()
    if hasattr(existing, "add_span_processor"):
        existing.add_span_processor(processor)
        return existing, existing is _installed_provider

    if not isinstance(existing, trace.ProxyTracerProvider):
        logger.warning("analytics off: the global tracer provider is not the SDK's")
        return existing, False

    provider = TracerProvider(
        resource=environment.resource(),
        sampler=_sampler(),
        shutdown_on_exit=False,
    )
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    _installed_provider = provider
    return provider, True


def _forwarding(provider: object, owns_provider: bool) -> Forwarding | None:
    """The OTLP pipeline, imported only when an ``OTEL_*`` variable asks for it."""
    if not environment.any_requested():
        return None

    from aa_otel_analytics.forwarding import pipeline

    forwarding = pipeline.build(owns_provider)
    if forwarding is not None and forwarding.span_processor is not None:
        add = provider.add_span_processor  # type: ignore[attr-defined]
        add(forwarding.span_processor)
    return forwarding


def _instrument() -> None:
    from aa_otel_analytics.instrumentation.celery import instrument_celery
    from aa_otel_analytics.instrumentation.django import instrument_django

    instrument_django()
    instrument_celery()


def setup() -> bool:
    """Wire analytics into this process once; False when analytics is off."""
    global _runtime
    with _lock:
        if _runtime is not None:
            return True
        if not conf.enabled:
            logger.debug("analytics disabled; nothing set up")
            return False

        sender = GASender()
        sender.aggregator = aggregator = Aggregator(sender)
        sender.audit = audit = AuditRecorder()
        audit.start()
        exporter = GASpanExporter(sender)
        processor = AnalyticsSpanProcessor(BatchSpanProcessor(exporter))
        provider, owned = _attach_processor(processor)
        stats_exporter = GAStatsExporter(sender)
        stats = InstallStats(on_demand_reader(stats_exporter))
        _runtime = Runtime(
            sender=sender,
            span_exporter=exporter,
            processor=processor,
            tracer_provider=provider,  # type: ignore[arg-type]
            owns_provider=owned,
            stats=stats,
            stats_exporter=stats_exporter,
            aggregator=aggregator,
            audit=audit,
            forwarding=_forwarding(provider, owned),
        )
        _instrument()
        atexit.register(_flush_at_exit)
        _connect_worker_signals()
        logger.debug("analytics set up")
        return True


def force_flush(timeout_millis: int = 30_000) -> bool:
    """Send everything pending now, within ``timeout_millis``.

    Returns True only when everything went out: a batch dropped during the flush
    (Google down, the time up) makes it False.
    """
    return _flush(timeout_millis, exiting=False)


def _flush(timeout_millis: float, *, exiting: bool) -> bool:
    runtime = _runtime
    if runtime is None:
        return True

    client = runtime.sender.client
    before = sum(drops.snapshot().values())
    until = time.monotonic() + timeout_millis / 1000
    forwarding = runtime.forwarding
    forwarded = forwarding.begin_flush(exiting=exiting) if forwarding else None
    client.limit_until(until)
    try:
        flushed = runtime.processor.force_flush(timeout_millis)
        runtime.aggregator.flush(final=True, timeout_millis=timeout_millis)
        if runtime.audit is not None:
            runtime.audit.flush(until)
    except Exception:  # never into the host
        absorb("force_flush")
        return False
    finally:
        client.limit_until(None)
    delivered = flushed and sum(drops.snapshot().values()) == before
    if forwarding is None or forwarded is None:
        return delivered

    forwarded_until = forwarding.exit_deadline(until) if exiting else until
    return forwarded.wait(forwarded_until) and delivered


def _flush_at_exit() -> None:
    runtime = _runtime
    if runtime is None:
        return

    runtime.sender.client.close()
    _flush(conf.ANALYTICS_SHUTDOWN_DEADLINE_SECS * 1000, exiting=True)


def _on_worker_process_shutdown(**kwargs: object) -> None:
    _flush_at_exit()


def _on_worker_process_init(**kwargs: object) -> None:
    setup()


def _on_beat_init(**kwargs: object) -> None:
    """The beat process, one per site, forwards the install gauges."""
    setup()
    runtime = _runtime
    if runtime is not None and runtime.forwarding is not None:
        runtime.forwarding.start_gauges()


def _connect_worker_signals() -> None:
    from celery import signals

    signals.worker_process_init.connect(_on_worker_process_init, weak=False)
    signals.worker_process_shutdown.connect(_on_worker_process_shutdown, weak=False)
    signals.beat_init.connect(_on_beat_init, weak=False)


def shutdown() -> None:
    """Undo ``setup()``; for tests and for hosts that reconfigure at run time."""
    global _runtime
    with _lock:
        runtime, _runtime = _runtime, None
    if runtime is None:
        return

    from aa_otel_analytics.instrumentation.celery import uninstrument_celery
    from aa_otel_analytics.instrumentation.django import uninstrument_django

    uninstrument_django()
    uninstrument_celery()
    runtime.processor.shutdown()
    runtime.aggregator.stop()
    if runtime.audit is not None:
        runtime.audit.shutdown()
    runtime.stats.shutdown()
    if runtime.forwarding is not None:
        runtime.forwarding.shutdown()
    atexit.unregister(_flush_at_exit)
