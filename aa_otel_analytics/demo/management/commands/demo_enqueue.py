from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from aa_otel_analytics import analytics_event, force_flush


class Command(BaseCommand):
    help = "Queue the demo's tasks and report one custom event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--adds", type=int, default=0, help="queue only this many add tasks"
        )
        parser.add_argument(
            "--prepare",
            action="store_true",
            help="only create the broker's queue, before any worker starts",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from aa_otel_analytics.demo import tasks
        from aa_otel_analytics.tasks import analytics_daily_stats

        if options["prepare"]:
            # Two processes creating the SQLite broker's tables at once make one
            # of them fail; creating them first, alone, avoids the race.
            from aa_otel_analytics.demo.celery_app import app

            with app.connection_for_write() as connection:
                connection.default_channel.queue_declare(queue="celery")
            self.stdout.write("broker ready")
            return

        if options["adds"]:
            for index in range(options["adds"]):
                tasks.add.delay(index, 0)
            self.stdout.write(f"queued {options['adds']} add tasks")
            return

        tasks.add.delay(2, 3)
        tasks.add.delay(40, 2)
        tasks.fail.delay(90000001)
        tasks.retry_once.delay("k-1")
        tasks.update_characters.delay(12)
        analytics_daily_stats.delay()
        analytics_event("demo.command", "demo_enqueue", label="queued", value=6)
        force_flush(10_000)
        self.stdout.write("queued 6 tasks")
