"""The one place that talks HTTP to Google, with the whole retry policy.

Only transient failures are retried (connection errors, timeouts, 408, 429, 5xx),
with jittered exponential backoff, ``Retry-After`` honoured, all under one deadline
that a shutdown shortens. Nothing here raises: every call ends in an ``Outcome``.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from opentelemetry import context as otel_context

from aa_otel_analytics._ga4 import redaction

logger = logging.getLogger(__name__)

_RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_BASE_BACKOFF_SECS = 0.5
_MAX_BACKOFF_SECS = 8.0
_USER_AGENT = "aa-otel-analytics"

try:
    from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY as _SUPPRESS_KEY
except ImportError:  # older API versions
    _SUPPRESS_KEY = "suppress_instrumentation"


@dataclass(frozen=True)
class Outcome:
    """How one send ended: ``ok`` or a drop reason, and what the server said."""

    ok: bool
    reason: str
    status: int | None = None
    attempts: int = 0
    body: bytes = field(default=b"", repr=False)


def retry_after_secs(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None

    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_secs(attempt: int) -> float:
    base = min(_MAX_BACKOFF_SECS, _BASE_BACKOFF_SECS * 2**attempt)
    return base * random.uniform(0.5, 1.5)


class _Breaker:
    """After a batch fails for a transient reason, skip the network for a while.

    A Google that hangs would otherwise cost every batch its full deadline, so the
    export thread would fall ever further behind. While open, sends fail at once
    with the reason that opened it, and are counted like any other drop.
    """

    _FIRST_SECS = 30.0
    _MAX_SECS = 300.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0
        self._secs = 0.0
        self._reason = ""

    def blocked(self) -> str | None:
        with self._lock:
            return self._reason if time.monotonic() < self._until else None

    def trip(self, reason: str) -> None:
        with self._lock:
            self._secs = min(self._MAX_SECS, self._secs * 2 or self._FIRST_SECS)
            self._until = time.monotonic() + self._secs
            self._reason = reason

    def reset(self) -> None:
        with self._lock:
            self._until, self._secs, self._reason = 0.0, 0.0, ""


class GAClient:
    """POSTs bodies to the collect URL; one ``requests.Session`` per process."""

    def __init__(self, request_timeout_secs: float) -> None:
        redaction.install()
        self.request_timeout_secs = request_timeout_secs
        self._closing = threading.Event()
        self._session_pid = -1
        self._session: requests.Session | None = None
        self._environment: dict[str, dict[str, Any]] = {}
        self._breaker = _Breaker()
        self._cap: float | None = None

    def close(self) -> None:
        """Stop waiting between retries; later sends make one short attempt."""
        self._closing.set()

    @property
    def closing(self) -> bool:
        return self._closing.is_set()

    def limit_until(self, deadline: float | None) -> None:
        """Bound every send, retries included, by one ``time.monotonic()`` deadline.

        A flush must end in its time however many batches are queued; None lifts
        the bound.
        """
        self._cap = deadline

    def _http(self) -> requests.Session:
        # A session inherited through fork shares its sockets with the parent.
        if self._session is None or self._session_pid != os.getpid():
            self._session = requests.Session()
            self._session.headers["User-Agent"] = _USER_AGENT
            # Reading proxies, CA bundle and .netrc from the environment on every
            # request costs a third of each POST; they are read once per URL.
            self._session.trust_env = False
            self._session_pid = os.getpid()
            self._environment = {}
        return self._session

    def _settings_for(self, url: str) -> dict[str, Any]:
        settings = self._environment.get(url)
        if settings is None:
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get(
                "CURL_CA_BUNDLE"
            )
            settings = {
                "proxies": requests.utils.get_environ_proxies(url),
                "verify": bundle or True,
            }
            self._environment[url] = settings
        return settings

    def post(
        self, url: str, params: dict[str, str], body: bytes, deadline: float
    ) -> Outcome:
        cap = self._cap
        if cap is not None:
            deadline = min(deadline, cap)
        blocked = self._breaker.blocked()
        if blocked is not None:
            return Outcome(False, blocked)
        if time.monotonic() >= deadline:
            return Outcome(False, "deadline")

        outcome = self._post(url, params, body, deadline)
        if outcome.ok:
            self._breaker.reset()
        elif outcome.status is None or outcome.status in _RETRYABLE_STATUS:
            self._breaker.trip(outcome.reason)
        return outcome

    def _post(
        self, url: str, params: dict[str, str], body: bytes, deadline: float
    ) -> Outcome:
        attempt = 0
        while True:
            outcome, retry = self._attempt(url, params, body, deadline, attempt)
            attempt += 1
            if retry is None:
                return outcome
            if self.closing or time.monotonic() + retry > deadline:
                return outcome
            if self._closing.wait(retry):
                return Outcome(False, "shutdown", outcome.status, attempt)

    def _attempt(
        self,
        url: str,
        params: dict[str, str],
        body: bytes,
        deadline: float,
        attempt: int,
    ) -> tuple[Outcome, float | None]:
        """One try: the outcome, and how long to wait before another (None: don't)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return Outcome(False, "deadline", None, attempt), None

        timeout = min(self.request_timeout_secs, remaining)
        token = otel_context.attach(otel_context.set_value(_SUPPRESS_KEY, True))
        try:
            response = self._http().post(
                url,
                params=params,
                data=body,
                headers={"Content-Type": "application/json"},
                timeout=(min(timeout, 3.0), timeout),
                stream=True,
                **self._settings_for(url),
            )
        except requests.Timeout:
            return Outcome(False, "timeout", None, attempt + 1), backoff_secs(attempt)
        except requests.RequestException:
            return Outcome(False, "network", None, attempt + 1), backoff_secs(attempt)
        finally:
            otel_context.detach(token)

        return self._judge(response, attempt)

    def _judge(
        self, response: requests.Response, attempt: int
    ) -> tuple[Outcome, float | None]:
        status = response.status_code
        try:
            content = response.raw.read(65536, decode_content=True) or b""
        except Exception:  # a broken body must not lose the status we already have
            content = b""
        finally:
            response.close()
        if 200 <= status < 300:
            return Outcome(True, "ok", status, attempt + 1, content), None

        outcome = Outcome(False, f"http_{status}", status, attempt + 1)
        if status not in _RETRYABLE_STATUS:
            return outcome, None

        wait = backoff_secs(attempt)
        told = retry_after_secs(response.headers.get("Retry-After"))
        return outcome, wait if told is None else max(told, wait)
