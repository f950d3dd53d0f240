from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

from aa_otel_analytics.operator.status import UNKNOWN, install_status
from aa_otel_analytics.operator.text import tables_unreadable

_KINDS = (
    ("page_views", "send_page_views", "page views"),
    ("celery_tasks", "send_celery_tasks", "celery tasks"),
    ("stats", "send_stats", "stats"),
)


def _on(flag: bool) -> str:
    return "on" if flag else "off"


class Command(BaseCommand):
    help = "Show whether analytics is on, the install id, tokens and endpoint."
    # The diagnosis tool must run when a check (such as E002) stops the others.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", help="print the status as one JSON object"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            status = install_status()
        except DatabaseError as exc:
            raise tables_unreadable(exc) from exc

        if options["json"]:
            self.stdout.write(json.dumps(status, indent=2))
            return

        for line in _lines(status):
            self.stdout.write(line)


def _lines(status: dict[str, Any]) -> list[str]:
    return [
        *_switches(status),
        f"install id:   {status['install_id'] or 'none yet (made on first send)'}",
        *_endpoint(status),
        *_forwarding(status["forwarding"]),
        f"tokens:       {len(status['tokens'])}",
        *(line for token in status["tokens"] for line in _token(token)),
    ]


def _switches(status: dict[str, Any]) -> list[str]:
    if not status["enabled"]:
        return [
            f"analytics:    OFF, switched off by {' and '.join(status['disabled_by'])}"
        ]

    sending = status["sending"]
    kinds = ", ".join(f"{label} {_on(sending[key])}" for key, _, label in _KINDS)
    headline = "on" if any(sending.values()) else "on, but no token sends anything"
    return [f"analytics:    {headline}", f"sending:      {kinds}"]


def _endpoint(status: dict[str, Any]) -> list[str]:
    if status["endpoint"] is None:
        return [f"endpoint:     none: {status['endpoint_problem']}"]

    if status["mode"] == "debug":
        mode = "debug: GA's validation endpoint, which records nothing (DEBUG = True)"
    else:
        mode = "production"
    return [f"endpoint:     {status['endpoint']}", f"mode:         {mode}"]


def _forwarding(forwarding: dict[str, Any]) -> list[str]:
    parts = []
    for signal in ("traces", "metrics"):
        plan = forwarding[signal]
        if plan["on"]:
            parts.append(f"{signal} on ({plan['protocol']})")
        elif plan["requested"]:
            parts.append(f"{signal} off ({plan['problem']})")
        else:
            parts.append(f"{signal} off")
    if forwarding["traces"]["on"]:
        parts.append("full detail" if forwarding["full_detail"] else "redacted")
    lines = [f"OTLP:         {', '.join(parts)}"]
    if forwarding["collector_down"]:
        lines.append("              the collector refused or failed an export here")
        lines.append("              in the last minute")
    return lines


def _token(token: dict[str, Any]) -> list[str]:
    used = "used" if token["used"] else f"SKIPPED: {token['skipped_because']}"
    kinds = ", ".join(f"{label} {_on(token[field])}" for _, field, label in _KINDS)
    last = token["last_success"]
    if last is None:
        last = "never"
    elif last == UNKNOWN:
        last = "unknown (no audit trail)"
    return [
        f"  - {token['name']}: {used}",
        f"    {token['type']} {token['measurement_id']}, secret {token['secret']}",
        f"    {kinds}; {token['ignore_paths']} ignore paths",
        f"    last successful send: {last}",
    ]
