from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from aa_otel_analytics._ga4.config import config_cache
from aa_otel_analytics.conf import conf
from aa_otel_analytics.operator.text import tables_unreadable

_QUESTION = (
    "This gives the install a new random id. Google Analytics will count it as a "
    "new install; what was sent under the old id stays there.\n"
    "Type 'yes' to continue, or anything else to cancel: "
)


class Command(BaseCommand):
    help = "Give this install a new random identifier, used from then on."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interactive"] and not _confirmed():
            raise CommandError("cancelled: the install id is unchanged")

        new = uuid.uuid4()
        try:
            _replace_identifier(new)
        except DatabaseError as exc:
            raise tables_unreadable(exc) from exc
        config_cache.invalidate()

        refresh = conf.ANALYTICS_CONFIG_REFRESH_SECS
        self.stdout.write(f"new install id: {new.hex}")
        self.stdout.write(
            f"This process uses it from now on; running web and worker processes "
            f"pick it up within {refresh:g} seconds (ANALYTICS_CONFIG_REFRESH_SECS), "
            f"or at once when restarted."
        )


def _confirmed() -> bool:
    try:
        return input(_QUESTION).strip().lower() == "yes"
    except EOFError:
        return False


def _replace_identifier(new: uuid.UUID) -> None:
    from aa_otel_analytics.models import AnalyticsIdentifier

    AnalyticsIdentifier.objects.update_or_create(pk=1, defaults={"identifier": new})
