"""Whether the collector was seen down lately, shared by every process on the host.

A site recycles processes (Celery's ``--max-tasks-per-child``, gunicorn's
``--max-requests``), and each new process would otherwise find out for itself
that the collector is down: by waiting on it at exit and by logging the failure.
A marker file's modification time carries the news between them. Any error with
the file means "not known to be down": it can only make us wait or log as if the
marker did not exist.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

DOWN_FOR_SECS = 60.0
LOG_EVERY_SECS = 600.0


def _endpoint_key() -> str:
    names = (
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    )
    raw = "|".join(os.environ.get(name, "") for name in names)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _touch(path: Path) -> None:
    try:
        path.touch()
        os.utime(path)
    except OSError:
        pass


def _fresh(path: Path, within_secs: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime < within_secs
    except OSError:
        return False


class CollectorHealth:
    """Marker files in the temporary directory, one set per collector endpoint."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or Path(tempfile.gettempdir())
        self._known_down = False

    def _marker(self, suffix: str) -> Path:
        return self.directory / f"aa-otel-analytics-otlp-{_endpoint_key()}.{suffix}"

    @property
    def down_marker(self) -> Path:
        return self._marker("down")

    @property
    def logged_marker(self) -> Path:
        return self._marker("logged")

    def mark_down(self) -> None:
        self._known_down = True
        _touch(self.down_marker)

    def mark_up(self) -> None:
        if not self._known_down and not self.down_marker.exists():
            return

        self._known_down = False
        try:
            self.down_marker.unlink()
        except OSError:
            pass

    def down(self) -> bool:
        return _fresh(self.down_marker, DOWN_FOR_SECS)

    def log_due(self) -> bool:
        """True at most once per ``LOG_EVERY_SECS`` across the host's processes."""
        if _fresh(self.logged_marker, LOG_EVERY_SECS):
            return False

        _touch(self.logged_marker)
        return True


health = CollectorHealth()
