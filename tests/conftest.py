"""Shared fixtures: a local GA receiver, and the analytics pipeline wired to it."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest

from aa_otel_analytics import custom_events, runtime
from aa_otel_analytics._ga4 import drops as drops_module
from aa_otel_analytics._ga4 import guard
from aa_otel_analytics._ga4.budget import budget
from aa_otel_analytics._ga4.config import config_cache
from aa_otel_analytics.audit import recorder as audit_recorder
from aa_otel_analytics.exporters import (
    aggregate_exporter,
    metric_exporter,
    span_exporter,
)
from aa_otel_analytics.forwarding import exporters as forwarding_exporters
from aa_otel_analytics.forwarding import gauges as forwarding_gauges
from aa_otel_analytics.forwarding import pipeline as forwarding_pipeline
from aa_otel_analytics.instrumentation import celery as celery_hooks
from aa_otel_analytics.instrumentation import django as django_hooks
from aa_otel_analytics.receiver import GAReceiver


@pytest.fixture(autouse=True)
def loud_bugs(request, monkeypatch):
    """Production absorbs our own failures at the host's boundary; tests must not.

    A test that checks the absorbing itself marks itself ``absorbs_errors``.
    """
    if request.node.get_closest_marker("absorbs_errors"):
        return

    def reraise(what: str, **kwargs: object) -> None:
        raise

    absorbing = (span_exporter, metric_exporter, aggregate_exporter, audit_recorder)
    forwarding = (forwarding_exporters, forwarding_gauges, forwarding_pipeline)
    for module in (guard, *absorbing, *forwarding):
        monkeypatch.setattr(module, "absorb", reraise, raising=False)
    for module in (custom_events, celery_hooks, django_hooks, runtime):
        monkeypatch.setattr(module, "absorb", reraise)


@pytest.fixture
def receiver() -> Iterator[GAReceiver]:
    with GAReceiver(port=0) as server:
        yield server


@pytest.fixture
def analytics(settings, receiver, transactional_db) -> Iterator[runtime.Runtime]:
    """The real pipeline in this process, sending to ``receiver``.

    The export thread writes the daily budget on a connection of its own, so the
    test's data is committed (``transactional_db``) rather than held in a
    transaction; the preloaded rows are put back after each test's flush.
    """
    preload_rows()
    budget.forget()
    settings.ANALYTICS_DISABLED = False
    settings.ANALYTICS_ENDPOINT = receiver.url
    drops_module.drops.reset()
    assert runtime.setup()
    reload_config()
    yield runtime.current()
    runtime.shutdown()
    config_cache.invalidate()


def preload_rows() -> None:
    """What migration 0002 creates: the identifier and the team's token."""
    from django.apps import apps as django_apps

    migration = importlib.import_module("aa_otel_analytics.migrations.0002_preload")
    migration.preload(django_apps, None)


def reload_config() -> None:
    config_cache.invalidate()
    assert config_cache.get() is not None


def flush(*, delivered: bool = True) -> None:
    """Flush, and check whether everything went out (or, if not, that it did not)."""
    assert runtime.force_flush(10_000) is delivered
