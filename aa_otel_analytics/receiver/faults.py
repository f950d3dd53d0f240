"""Ways the receiver can misbehave, to prove that a misbehaving Google hurts nobody.

``refuse`` is not a mode: stop the receiver (or use a closed port) and connections
are refused by the operating system.
"""

from __future__ import annotations

from enum import Enum

GARBAGE_BODY = b"\x00\xff<html>not json {{{" + b"\xfe" * 2048


class Fault(str, Enum):
    """How the collect endpoints answer."""

    NONE = "none"  # like GA: 204, or 200 with validationMessages on /debug
    HANG = "hang"  # read the request, never answer, hold the connection
    ERROR = "error"  # 500
    RATE_LIMIT = "rate-limit"  # 429 with Retry-After
    SLOW = "slow"  # answer normally, but only after a delay
    GARBAGE = "garbage"  # 200 with a body that is not JSON

    @property
    def accepts(self) -> bool:
        """Whether a request answered in this mode counts as delivered."""
        return self in (Fault.NONE, Fault.SLOW, Fault.GARBAGE)
