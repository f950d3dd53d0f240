from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("aa_otel_analytics", "0003_daily_usage"),
    ]

    operations = [
        migrations.CreateModel(
            name="AnalyticsSentBatch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                ("sent_at", models.DateTimeField(db_index=True)),
                ("token_name", models.CharField(blank=True, max_length=254)),
                (
                    "outcome",
                    models.CharField(
                        choices=[("sent", "sent"), ("dropped", "dropped")],
                        max_length=16,
                    ),
                ),
                ("reason", models.CharField(blank=True, max_length=64)),
                (
                    "http_status",
                    models.PositiveSmallIntegerField(blank=True, null=True),
                ),
                ("size_bytes", models.PositiveIntegerField(default=0)),
                (
                    "events",
                    models.JSONField(default=dict, help_text="Events per event name."),
                ),
                ("page_views", models.PositiveIntegerField(default=0)),
                ("task_events", models.PositiveIntegerField(default=0)),
                ("stats", models.PositiveIntegerField(default=0)),
                (
                    "represented",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="Page views and task runs the events stand for.",
                    ),
                ),
                ("body", models.JSONField(blank=True, null=True)),
            ],
            options={
                "verbose_name": "sent batch",
                "verbose_name_plural": "sent batches",
                "ordering": ("-sent_at", "-pk"),
            },
        ),
    ]
