from __future__ import annotations

import uuid

from django.db import migrations, models

import aa_otel_analytics.models


class Migration(migrations.Migration):
    initial = True

    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.CreateModel(
            name="AnalyticsIdentifier",
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
                (
                    "identifier",
                    models.UUIDField(default=uuid.uuid4, editable=False),
                ),
            ],
            options={
                "verbose_name": "analytics identifier",
                "verbose_name_plural": "analytics identifier",
            },
        ),
        migrations.CreateModel(
            name="AnalyticsTokens",
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
                ("name", models.CharField(max_length=254)),
                (
                    "type",
                    models.CharField(
                        choices=[
                            ("GA-U", "Google Analytics Universal (no longer accepted)"),
                            ("GA-V4", "Google Analytics 4"),
                        ],
                        default="GA-V4",
                        max_length=10,
                    ),
                ),
                (
                    "token",
                    models.CharField(
                        help_text="The GA4 measurement id, for example G-XXXXXXXXXX",
                        max_length=254,
                    ),
                ),
                (
                    "secret",
                    models.CharField(
                        blank=True,
                        help_text=(
                            "The Measurement Protocol API secret of the data stream"
                        ),
                        max_length=254,
                    ),
                ),
                ("send_page_views", models.BooleanField(default=False)),
                ("send_celery_tasks", models.BooleanField(default=False)),
                ("send_stats", models.BooleanField(default=False)),
                (
                    "ignore_paths",
                    models.TextField(
                        blank=True,
                        help_text=(
                            "Regular expressions, one per line, matched against the "
                            "request path; a page whose path matches is never "
                            "reported."
                        ),
                        validators=[aa_otel_analytics.models.validate_ignore_paths],
                    ),
                ),
            ],
            options={
                "verbose_name": "analytics token",
                "verbose_name_plural": "analytics tokens",
            },
        ),
    ]
