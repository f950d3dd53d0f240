from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from aa_otel_analytics._ga4.config import config_cache, load_config
from aa_otel_analytics._ga4.drops import drops
from aa_otel_analytics.conf import conf
from aa_otel_analytics.operator import examples
from aa_otel_analytics.operator.status import disabled_by
from aa_otel_analytics.operator.text import plural, tables_unreadable, write_request


class Command(BaseCommand):
    help = "Collect the daily install statistics now and send them, as the task does."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print the requests that would be sent, and send nothing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            self._dry_run()
            return

        from aa_otel_analytics import runtime
        from aa_otel_analytics.tasks import analytics_daily_stats

        try:
            load_config()
        except DatabaseError as exc:
            raise tables_unreadable(exc) from exc

        reasons = disabled_by()
        if reasons or not runtime.setup():
            why = " and ".join(reasons) or "see the log"
            raise CommandError(f"analytics is off ({why}): nothing collected or sent")

        state = runtime.current()
        assert state is not None  # setup() returned True
        config_cache.invalidate()  # the tokens as they are now, not a minute ago
        sent_before = (state.sender.sent_events, state.sender.sent_requests)
        drops_before = drops.snapshot()
        made = analytics_daily_stats()
        flushed = runtime.force_flush(int(conf.ANALYTICS_EXPORT_DEADLINE_SECS * 1000))
        sent = state.sender.sent_events - sent_before[0]
        requests = state.sender.sent_requests - sent_before[1]
        lost = _new_drops(drops_before, drops.snapshot())

        self.stdout.write(f"collected {plural(made, 'stats event')}")
        if lost or not flushed:
            reasons_text = ", ".join(f"{n} ({r})" for r, n in sorted(lost.items()))
            raise CommandError(
                f"delivery failed: {plural(sent, 'event')} sent, dropped: "
                f"{reasons_text or 'some (the flush timed out)'}; "
                f"they are not retried later"
            )
        if made and not sent:
            self.stdout.write("nothing sent: no used token has stats switched on")
            return

        self.stdout.write(
            f"sent {plural(sent, 'event')} in {plural(requests, 'request')} "
            f"to {conf.collect_url}"
        )
        if conf.use_debug_endpoint:
            self.stdout.write(
                "DEBUG is on: that is GA's validation endpoint, which records nothing"
            )

    def _dry_run(self) -> None:
        try:
            found = examples.example_requests(load_config(), activity=False)
        except DatabaseError as exc:
            raise tables_unreadable(exc) from exc

        reasons = disabled_by()
        if reasons:
            self.stdout.write(
                f"analytics is OFF ({' and '.join(reasons)}): nothing is sent; "
                f"these are the stats requests it would send if it were on"
            )
        else:
            self.stdout.write(
                "dry run: these stats requests would be sent now; none was"
            )
        if not found and "the OTEL_SDK_DISABLED environment variable" in reasons:
            self.stdout.write("no stats collected: OpenTelemetry's SDK is disabled")
        elif not found:
            self.stdout.write("nothing would be sent: no used token has stats on")
        for request in found:
            write_request(self.stdout, request)


def _new_drops(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {
        reason: count - before.get(reason, 0)
        for reason, count in after.items()
        if count > before.get(reason, 0)
    }
