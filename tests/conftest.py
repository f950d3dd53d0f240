"""Shared fixtures: a local GA receiver, and the analytics pipeline wired to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aa_otel_analytics import runtime
from aa_otel_analytics._ga4 import drops as drops_module
from aa_otel_analytics._ga4.config import config_cache
from aa_otel_analytics.receiver import GAReceiver


@pytest.fixture
def receiver() -> Iterator[GAReceiver]:
    with GAReceiver(port=0) as server:
        yield server


@pytest.fixture
def analytics(settings, receiver, db) -> Iterator[runtime.Runtime]:
    """The real pipeline in this process, sending to ``receiver``.

    The configuration is loaded here, on the test's own database connection, so
    the export thread uses the cached copy and never needs the test database.
    """
    settings.ANALYTICS_DISABLED = False
    settings.ANALYTICS_ENDPOINT = receiver.url
    drops_module.drops.reset()
    assert runtime.setup()
    reload_config()
    yield runtime.current()
    runtime.shutdown()
    config_cache.invalidate()


def reload_config() -> None:
    config_cache.invalidate()
    assert config_cache.get() is not None


def flush() -> None:
    assert runtime.force_flush(10_000)
