"""``python -m aa_otel_analytics receiver``: run the GA stand-in until stopped.

Point an install's exporter at ``http://127.0.0.1:8799/mp/collect`` to watch what
it would send to Google, one line per request, without sending anything out::

    $ python -m aa_otel_analytics receiver --port 8799
    receiver: listening on http://127.0.0.1:8799
    POST /mp/collect G-TEST123 2 events (page_view x2) 812 bytes ok

Ctrl-C or SIGTERM stops it and prints a one-line summary.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from aa_otel_analytics.receiver.faults import Fault
from aa_otel_analytics.receiver.server import GAReceiver

_DEFAULT_HOST = "127.0.0.1"
_DEFAULT_PORT = 8799
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_STOP_POLL_SECS = 1.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aa_otel_analytics receiver",
        description="Run a local stand-in for Google's GA4 Measurement Protocol.",
    )
    parser.add_argument(
        "--host",
        default=_DEFAULT_HOST,
        help="loopback address to bind (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=_DEFAULT_PORT,
        help="TCP port, 0 for any free one (default: %(default)s)",
    )
    parser.add_argument(
        "--fault",
        choices=[fault.value for fault in Fault],
        default=Fault.NONE.value,
        help="misbehave on purpose, to test senders (default: %(default)s)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; must run in the main thread (signals).

    Args:
        argv: Options after the ``receiver`` subcommand. Defaults to
            ``sys.argv[1:]``.

    Returns:
        0 after a clean stop, 1 if the port cannot be bound, 2 for a bad host.
    """
    args = build_parser().parse_args(argv)
    listening = threading.Event()

    def echo(line: str) -> None:
        # Request lines must not overtake the "listening" line.
        listening.wait()
        _print_line(line)

    try:
        receiver = GAReceiver(args.host, args.port, echo=echo, fault=Fault(args.fault))
    except ValueError as exc:
        print(f"receiver: {exc}", file=sys.stderr)
        return 2

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in _STOP_SIGNALS}
    try:
        return _serve(receiver, listening, stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve(
    receiver: GAReceiver, listening: threading.Event, stop: threading.Event
) -> int:
    try:
        receiver.start()
    except OSError as exc:
        print(f"receiver: cannot listen: {exc}", file=sys.stderr)
        return 1

    with receiver:
        _print_line(f"receiver: listening on {receiver.url}")
        listening.set()
        while not stop.wait(_STOP_POLL_SECS):
            pass
    _print_line(_summary(receiver))
    return 0


def _summary(receiver: GAReceiver) -> str:
    requests = len(receiver.received)
    return (
        f"receiver: stopped after {requests} requests "
        f"({receiver.invalid_count()} invalid), {len(receiver.events())} events"
    )


def _print_line(line: str) -> None:
    print(line, flush=True)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range: {port}")
    return port
