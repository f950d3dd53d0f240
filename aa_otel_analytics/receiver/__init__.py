"""A local stand-in for Google's GA4 Measurement Protocol endpoint, for tests and demos.

Only the standard library is used, so the receiver runs without Django settings.
"""

from __future__ import annotations

from aa_otel_analytics.receiver.faults import Fault
from aa_otel_analytics.receiver.server import GAReceiver, ReceivedRequest
from aa_otel_analytics.receiver.validation import validate_request

__all__ = ["Fault", "GAReceiver", "ReceivedRequest", "validate_request"]
