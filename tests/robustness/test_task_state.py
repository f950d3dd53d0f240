"""Many tasks leave no per-task state behind."""

from __future__ import annotations

import gc
import logging
import sys

import pytest
from celery import signals

from aa_otel_analytics.demo import tasks

pytestmark = pytest.mark.slow

CTX_KEY = "__otel_task_span"
ALL_TASKS = (tasks.add, tasks.fail, tasks.retry_once, tasks.update_characters)


def run_mix(count: int, offset: int) -> None:
    for index in range(offset, offset + count):
        kind = index % 4
        if kind == 0:
            tasks.add.apply(args=(index, 1))
        elif kind == 1:
            tasks.fail.apply(args=(index,))
        elif kind == 2:
            tasks.retry_once.apply(args=(f"k{index}",))
        else:
            signals.task_revoked.send(
                sender=tasks.add,
                request=None,
                terminated=False,
                signum=None,
                expired=False,
            )


@pytest.fixture
def quiet_logging():
    """Celery logs every failure with its traceback; the test's log capture would
    keep all of them, which is the harness's memory, not ours."""
    logging.disable(logging.CRITICAL)
    yield
    logging.disable(logging.NOTSET)


def test_ten_thousand_tasks_leave_no_per_task_state(quiet_logging, analytics):
    queue = analytics.processor._queue
    # With exports held, the queue stays full, so its size cannot hide a leak.
    with analytics.processor.inner._batch_processor._export_lock:
        run_mix(3_000, 0)
        assert len(queue) == queue.maxlen
        gc.collect()
        before = sys.getallocatedblocks()

        run_mix(7_000, 3_000)
        gc.collect()
        after = sys.getallocatedblocks()

    for task in ALL_TASKS:
        assert not getattr(task, CTX_KEY, {}), task.name
    assert len(queue) == queue.maxlen
    # One leaked object per task would be thousands of blocks.
    assert after - before < 3_000, f"{after - before} more allocated blocks"
