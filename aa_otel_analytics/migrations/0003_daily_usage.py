from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("aa_otel_analytics", "0002_preload"),
    ]

    operations = [
        migrations.CreateModel(
            name="AnalyticsDailyUsage",
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
                ("day", models.DateField(unique=True)),
                ("used", models.PositiveIntegerField(default=0)),
                ("detail", models.PositiveIntegerField(default=0)),
                ("aggregated", models.PositiveIntegerField(default=0)),
                ("stats", models.PositiveIntegerField(default=0)),
            ],
            options={
                "verbose_name": "analytics daily usage",
                "verbose_name_plural": "analytics daily usage",
            },
        ),
    ]
