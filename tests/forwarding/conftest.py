"""Each forwarding test gets its own collector-health markers and a loud log filter."""

from __future__ import annotations

import pytest

from aa_otel_analytics.forwarding import quiet_logs
from aa_otel_analytics.forwarding.health import health


@pytest.fixture(autouse=True)
def own_health_markers(tmp_path, monkeypatch):
    monkeypatch.setattr(health, "directory", tmp_path)
    monkeypatch.setattr(quiet_logs.repeat_filter, "silent", False)
    return tmp_path
