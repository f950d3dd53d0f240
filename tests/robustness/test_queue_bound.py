"""Memory stays bounded while Google is away: the queue has a maximum."""

from __future__ import annotations

import pytest

from aa_otel_analytics import analytics_event, runtime
from aa_otel_analytics._ga4.drops import drops


@pytest.fixture
def small_queue(monkeypatch):
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "50")
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "50")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "60000")


def test_overflow_drops_the_oldest_and_counts_them(
    small_queue, analytics, receiver, settings
):
    queue = analytics.processor._queue
    assert queue.maxlen == 50
    # Hold the export lock, as a hung export would, so the queue cannot drain.
    with analytics.processor.inner._batch_processor._export_lock:
        for index in range(120):
            analytics_event("bulk", f"e{index}", value=index % 10)

        assert len(queue) == 50
        assert drops.snapshot() == {"queue_full": 70}
    runtime.force_flush(10_000)

    tasks = sorted(int(e["params"]["task"][1:]) for e in receiver.events())
    assert tasks == list(range(70, 120)), "the newest 50 survive"
