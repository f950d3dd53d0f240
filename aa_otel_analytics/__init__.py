"""Anonymous, opt-out install analytics for Alliance Auth, built on OpenTelemetry.

Add ``"aa_otel_analytics"`` to ``INSTALLED_APPS`` and run ``migrate``: page views and
Celery tasks are then reported to Google Analytics 4 as anonymised events. Other apps
report their own events with :func:`analytics_event`.

The public names are imported lazily so that importing the package never needs Django
settings (the receiver and the command line work without them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "analytics_event", "force_flush"]

if TYPE_CHECKING:
    from aa_otel_analytics.custom_events import analytics_event
    from aa_otel_analytics.runtime import force_flush


def __getattr__(name: str) -> Any:
    if name == "analytics_event":
        from aa_otel_analytics.custom_events import analytics_event

        return analytics_event
    if name == "force_flush":
        from aa_otel_analytics.runtime import force_flush

        return force_flush
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
