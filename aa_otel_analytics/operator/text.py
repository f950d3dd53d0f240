"""Wording the commands share: counts, request listings, database errors."""

from __future__ import annotations

import json

from django.core.management.base import CommandError, OutputWrapper

from aa_otel_analytics.conf import conf
from aa_otel_analytics.operator.examples import ExampleRequest, masked_url


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def tables_unreadable(exc: Exception) -> CommandError:
    return CommandError(
        f"cannot read or write the analytics tables ({type(exc).__name__}); "
        f"has `python manage.py migrate` been run?"
    )


def write_request(
    stdout: OutputWrapper,
    request: ExampleRequest,
    url: str | None = None,
    *,
    body: bool = True,
    pretty: bool = False,
) -> None:
    """One request: token, what it holds, the URL (secret masked), then the body.

    ``url`` defaults to the collect URL in use.
    """
    url = conf.collect_url if url is None else url
    where = (
        masked_url(url, request.token)
        if url is not None
        else "nowhere: ANALYTICS_ENDPOINT is malformed"
    )
    count = sum(request.event_counts.values())
    stdout.write("")
    stdout.write(f"# {request.token.name}: {request.what}, {plural(count, 'event')}")
    stdout.write(f"POST {where}")
    if body:
        write_body(stdout, request, pretty=pretty)


def write_body(stdout: OutputWrapper, request: ExampleRequest, *, pretty: bool) -> None:
    if pretty:
        stdout.write(json.dumps(json.loads(request.body), indent=2))
    else:
        stdout.write(request.body.decode())
