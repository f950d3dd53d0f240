"""Write every delivered or dropped batch to the audit table, off the export path.

The sender hands each batch's outcome to ``AuditRecorder.record_batch``, which only
appends a small row to a bounded in-memory queue. A daemon thread per process
writes the queue with ``bulk_create`` every couple of seconds, and once a minute
turns the drop counter's growth that no batch accounts for (``over_budget``,
``queue_full``, ``too_old``...) into token-less ``dropped`` rows. A full queue
loses rows, never events; a failing database is logged once a minute.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import weakref
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from django.db import DatabaseError

from aa_otel_analytics._ga4.client import Outcome
from aa_otel_analytics._ga4.config import config_cache
from aa_otel_analytics._ga4.db import closing_connection
from aa_otel_analytics._ga4.drops import DropCounter, RateLimitedLog, drops
from aa_otel_analytics._ga4.events import EventKind
from aa_otel_analytics._ga4.guard import absorb
from aa_otel_analytics._ga4.payload import Batch
from aa_otel_analytics.audit.retention import trim_bodies
from aa_otel_analytics.conf import conf

if TYPE_CHECKING:
    from aa_otel_analytics.models import AnalyticsSentBatch

logger = logging.getLogger(__name__)
_log = RateLimitedLog(logger)

_DEFAULT_MAX_QUEUE = 1000
_DEFAULT_WRITE_INTERVAL_SECS = 2.0
_DEFAULT_DROPS_INTERVAL_SECS = 60.0
_BULK_SIZE = 100
THREAD_NAME = "aa-otel-analytics-audit"


@dataclass
class Row:
    """One audit row before it reaches the database; ``body`` is the raw payload."""

    sent_at: datetime
    outcome: str
    reason: str = ""
    token_name: str = ""
    http_status: int | None = None
    size_bytes: int = 0
    events: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    represented: int = 0
    body: bytes | None = field(default=None, repr=False)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def batch_row(batch: Batch, outcome: Outcome) -> Row:
    """The row for one batch. The secret is in the URL only, never in ``body``."""
    return Row(
        sent_at=_now(),
        outcome="sent" if outcome.ok else "dropped",
        reason="" if outcome.ok else outcome.reason,
        token_name=batch.token.name,
        http_status=outcome.status,
        size_bytes=len(batch.body),
        events=dict(batch.event_counts),
        kinds=dict(batch.kinds),
        represented=batch.represented,
        body=batch.body,
    )


class AuditRecorder:
    """A bounded queue of audit rows and the thread that writes them.

    Args:
        max_queue: rows held in memory at most; further rows are counted in
            ``lost`` and not written. Default 1,000.
        write_interval_secs: how often the thread writes what is queued.
        drops_interval_secs: how often drops outside any batch become rows.
        counter: the drop counter whose growth is recorded (the package's own).
    """

    def __init__(
        self,
        max_queue: int = _DEFAULT_MAX_QUEUE,
        write_interval_secs: float = _DEFAULT_WRITE_INTERVAL_SECS,
        drops_interval_secs: float = _DEFAULT_DROPS_INTERVAL_SECS,
        counter: DropCounter = drops,
    ) -> None:
        self.max_queue = max_queue
        self.write_interval_secs = write_interval_secs
        self.drops_interval_secs = drops_interval_secs
        self.counter = counter
        self.lost = 0
        self._init_state()
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _restart_in_child(ref))

    def _init_state(self) -> None:
        self._lock = threading.Lock()
        self._written = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._pending: deque[Row] = deque()
        # Rows still queued that hold a payload; only the newest few keep it.
        self._with_body: deque[Row] = deque()
        self._enqueued = 0
        self._done = 0
        self._drops_due = False
        self._seen: Counter[str] = Counter(self.counter.snapshot())
        self._last_snapshot = dict(self._seen)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping.clear()
            self._thread = threading.Thread(
                target=self._run, name=THREAD_NAME, daemon=True
            )
            self._thread.start()

    def record_batch(self, batch: Batch, outcome: Outcome) -> None:
        """Queue a batch's row; never blocks on I/O and never raises."""
        try:
            if conf.use_debug_endpoint:
                return

            row = batch_row(batch, outcome)
            if row.outcome == "dropped":
                # The sender counts these in the drop counter too: not twice.
                with self._lock:
                    self._seen[row.reason] += row.represented
            self._enqueue(row)
        except Exception:  # never into the export
            absorb("audit record", count=0)

    def _enqueue(self, row: Row) -> None:
        keep = conf.ANALYTICS_AUDIT_BODIES
        with self._lock:
            full = len(self._pending) >= self.max_queue
            if full:
                self.lost += 1
            else:
                self._pending.append(row)
                self._enqueued += 1
                if row.body is not None:
                    self._with_body.append(row)
                while len(self._with_body) > keep:
                    self._with_body.popleft().body = None
            if len(self._pending) >= _BULK_SIZE:
                self._wake.set()
        if full:
            _log.warning("audit_full", "analytics audit queue full; rows lost")

    def flush(self, until: float) -> bool:
        """Write what is queued (and the drops so far) before ``until`` (monotonic).

        Returns True when everything queued by now was written or given up.
        """
        thread = self._thread
        if (
            thread is None
            or not thread.is_alive()
            or thread is threading.current_thread()
        ):
            return False

        with self._lock:
            self._drops_due = True
            target = self._enqueued
        self._wake.set()
        with self._written:
            while self._done < target or self._drops_due:
                left = until - time.monotonic()
                if left <= 0:
                    return False
                self._written.wait(left)
        return True

    def shutdown(self, timeout_secs: float = 1.0) -> None:
        """Write what is queued within ``timeout_secs`` and stop the thread."""
        thread = self._thread
        if thread is None:
            return

        self.flush(time.monotonic() + timeout_secs)
        self._stopping.set()
        self._wake.set()
        if thread is not threading.current_thread():
            thread.join(timeout_secs)

    def _run(self) -> None:
        next_drops = time.monotonic() + self.drops_interval_secs
        while not self._stopping.is_set():
            self._wake.wait(self.write_interval_secs)
            self._wake.clear()
            with self._lock:
                drops_due = self._drops_due or time.monotonic() >= next_drops
            if drops_due:
                next_drops = time.monotonic() + self.drops_interval_secs
            self._write_pending(drops_due)

    def _write_pending(self, with_drops: bool) -> None:
        with self._lock:
            rows = list(self._pending)
            self._pending.clear()
            self._with_body.clear()
            target = self._enqueued
            if with_drops:
                rows.extend(self._drop_rows())
        try:
            if rows:
                closing_connection(lambda: _write(rows))
        except DatabaseError as exc:  # tables missing, database down or locked
            self._count_lost(len(rows))
            # With no configuration ever read, the config reader has already
            # warned that the database is unusable: one warning for one cause.
            level = logging.WARNING if config_cache.peek() else logging.DEBUG
            _log.log(
                level,
                "audit_db",
                "analytics audit rows not written, rows=%d error=%s",
                len(rows),
                type(exc).__name__,
            )
        except Exception:  # never into the host
            self._count_lost(len(rows))
            absorb("audit write", count=0)
        finally:
            with self._written:
                self._done = target
                if with_drops:
                    self._drops_due = False
                self._written.notify_all()

    def _count_lost(self, rows: int) -> None:
        with self._lock:
            self.lost += rows

    def _drop_rows(self) -> list[Row]:
        """Rows for drops no recorded batch accounts for; call with the lock held."""
        snapshot = self.counter.snapshot()
        if conf.use_debug_endpoint:
            self._seen = Counter(snapshot)
            self._last_snapshot = snapshot
            return []

        rows = []
        for reason, total in sorted(snapshot.items()):
            if total < self._last_snapshot.get(reason, 0):
                self._seen[reason] = 0  # the counter was reset
            grown = total - self._seen[reason]
            if grown > 0:
                self._seen[reason] = total
                rows.append(
                    Row(
                        sent_at=_now(),
                        outcome="dropped",
                        reason=reason,
                        represented=grown,
                    )
                )
        self._last_snapshot = snapshot
        return rows

    def _restart_in_child(self) -> None:
        """A forked child writes its own rows; its parent still writes the old ones."""
        running = self._thread is not None and not self._stopping.is_set()
        self._init_state()
        if running:
            self.start()


def _restart_in_child(ref: weakref.ref[AuditRecorder]) -> None:
    recorder = ref()
    if recorder is not None:
        recorder._restart_in_child()


def _write(rows: list[Row]) -> None:
    from aa_otel_analytics.models import AnalyticsSentBatch

    AnalyticsSentBatch.objects.bulk_create(
        [_model(row) for row in rows], batch_size=_BULK_SIZE
    )
    keep = conf.ANALYTICS_AUDIT_BODIES
    # With 0, payloads stored while the setting was higher must go too.
    if keep == 0 or any(row.body is not None for row in rows):
        trim_bodies(keep)


def _model(row: Row) -> AnalyticsSentBatch:
    from aa_otel_analytics.models import AnalyticsSentBatch

    return AnalyticsSentBatch(
        sent_at=row.sent_at,
        token_name=row.token_name[:254],
        outcome=row.outcome,
        reason=row.reason[:64],
        http_status=row.http_status,
        size_bytes=row.size_bytes,
        events=row.events,
        page_views=row.kinds.get(EventKind.PAGE_VIEW.value, 0),
        task_events=row.kinds.get(EventKind.TASK.value, 0),
        stats=row.kinds.get(EventKind.STATS.value, 0),
        represented=row.represented,
        body=_parsed(row.body),
    )


def _parsed(body: bytes | None) -> object:
    if body is None:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
