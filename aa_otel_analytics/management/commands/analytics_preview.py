from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from aa_otel_analytics._ga4.config import load_config
from aa_otel_analytics.operator import examples
from aa_otel_analytics.operator.status import disabled_by, skipped_tokens
from aa_otel_analytics.operator.text import tables_unreadable, write_request


class Command(BaseCommand):
    help = "Print the exact request bodies analytics would send now; sends nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--path", default="/", help="the page whose page view to show (default: /)"
        )
        parser.add_argument(
            "--pretty",
            action="store_true",
            help="indent the JSON for reading (the bytes sent are compact)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["path"]
        try:
            config = load_config()
            skipped = skipped_tokens()
            found = examples.example_requests(config, path=path)
        except DatabaseError as exc:
            raise tables_unreadable(exc) from exc
        except ValueError as exc:
            raise CommandError(f"{exc}; pass another page with --path") from exc

        self.stdout.write(_headline())
        for name, reason in skipped:
            self.stdout.write(f"token {name!r} is skipped: {reason}")
        for token in config.tokens:
            for reason in examples.left_out(token, path):
                self.stdout.write(f"token {token.name!r}: {reason}")
        if not found:
            self.stdout.write("nothing would be sent: no token wants these events")
        for request in found:
            write_request(self.stdout, request, pretty=options["pretty"])


def _headline() -> str:
    reasons = disabled_by()
    if reasons:
        return (
            f"analytics is OFF ({' and '.join(reasons)}): nothing is sent. "
            f"Were it on, these would be the requests:"
        )
    return "These are the requests analytics would send now (this command sends none):"
