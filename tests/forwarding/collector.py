"""A real rotel collector on 127.0.0.1, configured by collector-config/rotel.env.

The shipped env file and processor script are what the tests run: the helper
reads ``rotel.env``, starts rotel's own binary from the ``collector-config``
directory (so the relative processor path resolves as it does for an operator)
and overrides only what a test must own: the receiver ports, the exporter
endpoint (a local sink) and the pid and log files.

In a test::

    with OtlpSink() as sink, RotelCollector(sink.endpoint) as collector:
        exporter = OTLPSpanExporter(endpoint=collector.http_url("/v1/traces"))
        ...
        collector.kill()  # the host must not notice
        collector.restart()  # same ports as before
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

CONFIG_DIR = Path(__file__).resolve().parents[2] / "collector-config"
ENV_FILE = CONFIG_DIR / "rotel.env"

# What both shipped configurations must delete, kept here rather than read from
# them, so that a key dropped from a config fails the tests.
IDENTIFYING_KEYS = (
    "client.address",
    "net.peer.ip",
    "net.sock.peer.addr",
    "http.client_ip",
    "user_agent.original",
    "http.user_agent",
    "url.query",
    "url.full",
    "http.url",
    "http.target",
    "enduser.id",
    "server.address",
    "net.host.name",
    "http.host",
    "host.name",
    "celery.hostname",
)

_HOST = "127.0.0.1"
_READY_TIMEOUT_SECS = 15.0
# rotel opens its ports before its pipelines load the processor script, and exits
# (with status 0) a few tens of milliseconds later if the script fails to load.
_SETTLE_SECS = 0.5
_POLL_SECS = 0.02
_CONNECT_TIMEOUT_SECS = 0.2
_STOP_TIMEOUT_SECS = 5.0
_START_ATTEMPTS = 3
_LOG_TAIL_CHARS = 4000


class CollectorError(RuntimeError):
    """rotel did not start, or is not runnable on this machine."""


def rotel_binary() -> Path:
    """The agent binary shipped inside the ``rotel`` wheel."""
    import rotel.agent

    path = Path(rotel.agent.Agent.agent_path)
    if not path.is_file():
        raise CollectorError(f"rotel wheel has no agent binary at {path}")
    return path


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines, as systemd's EnvironmentFile= and docker read them."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue

        key, sep, value = line.partition("=")
        if not sep or not key.isidentifier():
            raise ValueError(f"{path}:{number}: not a KEY=VALUE line")
        values[key] = value
    return values


class RotelCollector:
    """One rotel process, exporting over OTLP/HTTP to a loopback endpoint.

    Args:
        exporter_endpoint: Base URL of the backend rotel forwards to, e.g. an
            :class:`~tests.forwarding.otlp_sink.OtlpSink`'s ``endpoint``. Must
            be a loopback address.
        env_file: The env file to run. Defaults to ``collector-config/rotel.env``.
        overrides: Extra ``ROTEL_*`` variables applied after the env file, for
            a test that needs, say, a shorter retry. Defaults to none.
    """

    def __init__(
        self,
        exporter_endpoint: str,
        *,
        env_file: Path = ENV_FILE,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        _require_loopback_url(exporter_endpoint)
        self.exporter_endpoint = exporter_endpoint
        self.env_file = env_file
        self.overrides = dict(overrides or {})
        self.grpc_port = 0
        self.http_port = 0
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._starts = 0

    def __enter__(self) -> RotelCollector:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def http_endpoint(self) -> str:
        """The OTLP/HTTP receiver's base URL (``OTEL_EXPORTER_OTLP_ENDPOINT``)."""
        return f"http://{_HOST}:{self.http_port}"

    @property
    def grpc_endpoint(self) -> str:
        return f"http://{_HOST}:{self.grpc_port}"

    def http_url(self, path: str) -> str:
        return self.http_endpoint + path

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> RotelCollector:
        """Start rotel and wait until it accepts connections on both ports.

        The first start picks free ports; later starts (see :meth:`restart`)
        reuse them, so exporters pointed at the collector find it again.
        """
        if self.running:
            raise RuntimeError("collector is already running")
        if self._workdir is None:
            self._workdir = tempfile.TemporaryDirectory(prefix="rotel-test-")

        fresh_ports = self.http_port == 0
        attempts = _START_ATTEMPTS if fresh_ports else 1
        for attempt in range(1, attempts + 1):
            if fresh_ports:
                self.grpc_port, self.http_port = _free_port(), _free_port()
            try:
                self._launch()
                return self
            except CollectorError:
                if attempt == attempts:
                    raise
                logger.debug("collector: start failed, retrying attempt=%d", attempt)
        raise AssertionError("unreachable")

    def kill(self) -> None:
        """SIGKILL: the collector vanishes mid-run, unflushed batches and all."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM, so rotel flushes; SIGKILL if it takes longer than 5 s."""
        self._end(signal.SIGTERM)

    def restart(self) -> RotelCollector:
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop rotel and remove its working files; safe to call twice."""
        self.stop()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def log_text(self) -> str:
        """What rotel printed, over all starts; empty before the first one."""
        if self._workdir is None:
            return ""

        texts = []
        for number in range(1, self._starts + 1):
            path = Path(self._workdir.name) / f"output-{number}.log"
            if path.exists():
                texts.append(path.read_text(errors="replace"))
        return "".join(texts)

    def environment(self) -> dict[str, str]:
        """The variables rotel runs with: env file, then test-owned overrides."""
        if self._workdir is None:
            raise RuntimeError("collector has no working directory yet")

        workdir = Path(self._workdir.name)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("ROTEL_", "OTEL_"))
        }
        env.update(read_env_file(self.env_file))
        env.update(self.overrides)
        env.update(
            {
                "ROTEL_OTLP_GRPC_ENDPOINT": f"{_HOST}:{self.grpc_port}",
                "ROTEL_OTLP_HTTP_ENDPOINT": f"{_HOST}:{self.http_port}",
                "ROTEL_OTLP_EXPORTER_ENDPOINT": self.exporter_endpoint,
                "ROTEL_PID_FILE": str(workdir / "rotel.pid"),
                "ROTEL_LOG_FILE": str(workdir / "rotel.log"),
                "NO_COLOR": "1",
            }
        )
        return env

    def _launch(self) -> None:
        assert self._workdir is not None
        binary = rotel_binary()
        env = self.environment()
        self._starts += 1
        output_path = Path(self._workdir.name) / f"output-{self._starts}.log"
        with output_path.open("wb") as output:
            process = subprocess.Popen(
                [str(binary), "start"],
                cwd=self.env_file.parent,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self._process = process
        try:
            self._wait_ready(process)
        except CollectorError:
            self._end(signal.SIGKILL)
            raise
        logger.debug(
            "collector: started pid=%d http_port=%d grpc_port=%d",
            process.pid,
            self.http_port,
            self.grpc_port,
        )

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + _READY_TIMEOUT_SECS
        while not (_accepts(self.http_port) and _accepts(self.grpc_port)):
            if process.poll() is not None:
                raise self._failure(f"exited with status {process.returncode}")
            if time.monotonic() > deadline:
                raise self._failure(f"not listening after {_READY_TIMEOUT_SECS}s")
            time.sleep(_POLL_SECS)

        try:
            status = process.wait(_SETTLE_SECS)
        except subprocess.TimeoutExpired:
            return
        raise self._failure(f"exited with status {status} right after starting")

    def _failure(self, what: str) -> CollectorError:
        tail = self.log_text()[-_LOG_TAIL_CHARS:]
        return CollectorError(f"rotel {what}; its output ends:\n{tail}")

    def _end(self, how: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return

        process.send_signal(how)
        try:
            process.wait(_STOP_TIMEOUT_SECS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(_STOP_TIMEOUT_SECS)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        return int(probe.getsockname()[1])


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError):
        socket.create_connection((_HOST, port), _CONNECT_TIMEOUT_SECS).close()
        return True
    return False


def _require_loopback_url(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"tests export to loopback addresses only, not {url!r}")
