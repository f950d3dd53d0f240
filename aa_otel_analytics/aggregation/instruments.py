"""Names of the aggregation meter, its instruments and their attributes."""

from __future__ import annotations

METER_NAME = "aa_otel_analytics.aggregate"

PAGE_VIEWS = "aa.page_views"
TASK_RUNS = "aa.task.run_time"
TASK_VALUE = "aa.task.value"
TASK_RETRIES = "aa.task.retries"

TOKEN = "token"
KIND = "kind"
OVERFLOW = "otel.metric.overflow"
OVERFLOW_KIND = "overflow"
