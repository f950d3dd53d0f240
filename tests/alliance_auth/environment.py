"""What a real Alliance Auth site runs on: its own virtualenv, Redis, MariaDB.

Every server binds 127.0.0.1 on a free port and is started (and stopped) by the
test itself: no systemd, no shared state with the machine's own services.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLIANCE_AUTH = "allianceauth==5.5.*"
VENV_CACHE = ROOT / ".venv-aa"
_STAMP = ".stamp"

requires_integration = pytest.mark.skipif(
    os.environ.get("AA_INTEGRATION") != "1",
    reason="installs Alliance Auth and runs Redis/MariaDB; set AA_INTEGRATION=1",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(predicate, timeout_secs: float, what: str) -> None:
    deadline = time.monotonic() + timeout_secs
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_secs}s waiting for {what}")
        time.sleep(0.2)


def venv_stamp() -> str:
    """Changes whenever the venv would install something else."""
    parts = [
        ALLIANCE_AUTH,
        sys.version,
        (ROOT / "pyproject.toml").read_text(),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def alliance_auth_venv() -> Path:
    """Alliance Auth 5.5, gunicorn and this package (editable) in ``.venv-aa``.

    Reused while its stamp matches; rebuilt from scratch otherwise. Building
    needs the package registry (about 35 s: mysqlclient compiles).
    """
    stamp = VENV_CACHE / _STAMP
    wanted = venv_stamp()
    if stamp.exists() and stamp.read_text() == wanted:
        return VENV_CACHE

    shutil.rmtree(VENV_CACHE, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV_CACHE)], check=True)
    pip = [str(VENV_CACHE / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run(
        [*pip, ALLIANCE_AUTH, "gunicorn", "-e", f"{ROOT}[otlp]"],
        check=True,
    )
    stamp.write_text(wanted)
    return VENV_CACHE


class Server:
    """A server process of ours, stopped by its pid (and its session) only."""

    def __init__(self, argv: list[str], log: Path, **kwargs) -> None:
        self.log = log
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **kwargs,
            )

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout_secs: float = 30) -> int | None:
        """SIGTERM, then SIGKILL to its own process group if it will not go."""
        if self.running():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout_secs)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            return None


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A throwaway Redis on 127.0.0.1; yields its ``redis://`` base URL."""
    port = free_port()
    server = Server(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        directory / "redis.log",
    )
    try:
        wait_until(lambda: _redis_pong(port), 20, "redis")
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.stop()


def _redis_pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def mariadb_server(directory: Path) -> Iterator[dict[str, str]]:
    """A throwaway MariaDB on 127.0.0.1 with an empty ``alliance_auth`` database.

    Yields the Django ``DATABASES`` entry for it.
    """
    data = directory / "mariadb"
    sock = directory / "mariadb.sock"
    port = free_port()
    user = getpass.getuser()
    subprocess.run(
        [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={data}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            f"--user={user}",
        ],
        check=True,
        capture_output=True,
    )
    server = Server(
        [
            "mariadbd",
            "--no-defaults",
            f"--datadir={data}",
            f"--user={user}",
            "--bind-address=127.0.0.1",
            f"--port={port}",
            f"--socket={sock}",
            f"--pid-file={directory / 'mariadb.pid'}",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=64M",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
        ],
        directory / "mariadb.log",
    )
    client = ["--no-defaults", f"--socket={sock}", "-uroot"]
    try:
        wait_until(
            lambda: (
                subprocess.run(
                    ["mariadb-admin", *client, "ping"], capture_output=True
                ).returncode
                == 0
            ),
            60,
            "mariadb",
        )
        subprocess.run(
            [
                "mariadb",
                *client,
                "-e",
                "CREATE DATABASE alliance_auth CHARACTER SET utf8mb4"
                " COLLATE utf8mb4_unicode_ci;"
                " CREATE USER 'aa'@'127.0.0.1' IDENTIFIED BY 'aa-test-pw';"
                " GRANT ALL PRIVILEGES ON alliance_auth.* TO 'aa'@'127.0.0.1';",
            ],
            check=True,
        )
        yield {
            "ENGINE": "django.db.backends.mysql",
            "NAME": "alliance_auth",
            "USER": "aa",
            "PASSWORD": "aa-test-pw",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "OPTIONS": {"charset": "utf8mb4"},
        }
    finally:
        server.stop(60)


class _TrapHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline(4096).decode("latin-1").strip()
        self.server.attempts.append(line)  # type: ignore[attr-defined]
        self.wfile.write(
            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )


class TrapProxy(socketserver.ThreadingTCPServer):
    """An HTTP(S) proxy on 127.0.0.1 that records each request line and refuses it.

    Alliance Auth's processes get it as ``HTTP(S)_PROXY``: anything they try to
    reach beyond 127.0.0.1 is logged here and never leaves the machine.
    """

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TrapHandler)
        self.attempts: list[str] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> TrapProxy:
        threading.Thread(
            target=self.serve_forever, name="aa-trap-proxy", daemon=True
        ).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
        self.server_close()
