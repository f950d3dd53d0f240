from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from aa_otel_analytics._ga4.client import GAClient
from aa_otel_analytics._ga4.config import load_config
from aa_otel_analytics.conf import conf
from aa_otel_analytics.operator import examples
from aa_otel_analytics.operator.status import disabled_by
from aa_otel_analytics.operator.text import (
    plural,
    tables_unreadable,
    write_body,
    write_request,
)

VALIDATION_PATH = "/debug/mp/collect"
NOTE = (
    "Note: GA's validation endpoint checks only the format of a payload. It does\n"
    "not check the measurement id or the API secret: a wrong id or secret passes\n"
    "here, and Google then silently discards every event."
)


class Command(BaseCommand):
    help = "Send example payloads to GA's validation endpoint and print its messages."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--path",
            default="/",
            help="the page whose page view to validate (default: /)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url = _validation_url()
        found = _examples(options["path"])
        self.stdout.write(NOTE)

        client = GAClient(conf.ANALYTICS_REQUEST_TIMEOUT_SECS)
        problems = 0
        for request in found:
            problems += self._validate(client, url, request)

        if problems:
            raise CommandError(
                f"GA's validation endpoint reported {plural(problems, 'problem')}"
            )
        self.stdout.write(f"all {plural(len(found), 'payload')} valid")

    def _validate(
        self, client: GAClient, url: str, request: examples.ExampleRequest
    ) -> int:
        token = request.token
        write_request(self.stdout, request, url, body=False)
        params = {"measurement_id": token.measurement_id, "api_secret": token.secret}
        deadline = time.monotonic() + conf.ANALYTICS_EXPORT_DEADLINE_SECS
        outcome = client.post(url, params, request.body, deadline)
        if not outcome.ok:
            raise CommandError(
                f"could not reach GA's validation endpoint at {url} ({outcome.reason})"
            )

        messages = _messages(outcome.body)
        if not messages:
            self.stdout.write("valid: no validation messages")
            return 0

        for message in messages:
            self.stdout.write(
                f"{message.get('validationCode', '?')} "
                f"{message.get('fieldPath', '?')}: {message.get('description', '')}"
            )
        write_body(self.stdout, request, pretty=True)
        return len(messages)


def _validation_url() -> str:
    reasons = disabled_by()
    if reasons:
        raise CommandError(
            f"analytics is off ({' and '.join(reasons)}); this command sends "
            f"nothing to GA while it is off"
        )
    base = conf.ANALYTICS_ENDPOINT
    if base is None:
        raise CommandError(
            "ANALYTICS_ENDPOINT is malformed (see `python manage.py check`); "
            "nothing can be sent"
        )
    return base + VALIDATION_PATH


def _examples(path: str) -> list[examples.ExampleRequest]:
    try:
        config = load_config()
        found = examples.example_requests(config, path=path)
    except DatabaseError as exc:
        raise tables_unreadable(exc) from exc
    except ValueError as exc:
        raise CommandError(f"{exc}; pass another page with --path") from exc

    if not config.tokens:
        raise CommandError(
            "nothing to validate: no token is used (see analytics_status)"
        )
    if not found:
        raise CommandError("nothing to validate: every used token has its kinds off")
    return found


def _messages(body: bytes) -> list[dict[str, Any]]:
    try:
        answer = json.loads(body or b"{}")
        messages = answer.get("validationMessages", [])
    except (ValueError, AttributeError):
        raise CommandError(
            "the validation endpoint's answer is not GA's JSON; is "
            "ANALYTICS_ENDPOINT a GA-compatible server?"
        ) from None
    if not isinstance(messages, list):
        raise CommandError("the validation endpoint's validationMessages is not a list")
    return [m if isinstance(m, dict) else {"description": str(m)} for m in messages]
