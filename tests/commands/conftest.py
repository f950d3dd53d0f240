"""Running the operator's commands in process, with their output captured."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import preload_rows
from tests.otel_env import clear_otel_environment

SECRET = "KLlpjLZ-SRGozS5f5wb_kw"


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch):
    """Status reads the OTEL_* variables; the runner's own must not leak in."""
    clear_otel_environment(monkeypatch)


@pytest.fixture
def site(db, settings):
    """The migrated site with analytics on and no pipeline running in the test."""
    preload_rows()
    settings.ANALYTICS_DISABLED = False
    return settings


@dataclass
class Ran:
    out: str
    err: str


def run(name: str, *args: str) -> Ran:
    """Run a command; its output never holds the API secret."""
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    ran = Ran(out.getvalue(), err.getvalue())
    assert SECRET not in ran.out + ran.err
    return ran


def fails(name: str, *args: str) -> Ran:
    """Run a command that must fail: what it printed, and its error as ``err``."""
    out = StringIO()
    with pytest.raises(CommandError) as info:
        call_command(name, *args, stdout=out, stderr=StringIO())
    failed = Ran(out.getvalue(), str(info.value))
    assert SECRET not in failed.out + failed.err
    return failed


def requests_in(text: str) -> list[tuple[str, str, str]]:
    """The ``(heading, url, body)`` of each request a command printed."""
    lines = text.splitlines()
    return [
        (lines[index - 1], line.removeprefix("POST "), lines[index + 1])
        for index, line in enumerate(lines)
        if line.startswith("POST ")
    ]


@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to open a connection fails, and is remembered."""
    attempts: list[object] = []

    def refuse(sock, address, *args):
        attempts.append(address)
        raise OSError("the test allows no network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts
