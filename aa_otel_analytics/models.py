"""The install identifier and the GA tokens an operator can switch off."""

from __future__ import annotations

import re
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def parse_ignore_paths(text: str) -> list[str]:
    """One regular expression per line; blank lines are ignored."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def validate_ignore_paths(text: str) -> None:
    for pattern in parse_ignore_paths(text):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValidationError(
                _("%(pattern)s is not a valid regular expression: %(error)s"),
                params={"pattern": pattern, "error": exc},
            ) from None


class AnalyticsIdentifier(models.Model):
    """The install's only identity: a random UUIDv4, nothing derived from the site."""

    identifier = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("analytics identifier")
        verbose_name_plural = _("analytics identifier")

    def __str__(self) -> str:
        return "install identifier"

    def save(self, *args: object, **kwargs: object) -> None:
        self.pk = 1
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class AnalyticsTokens(models.Model):
    """A GA property this install reports to, with a switch per kind of event."""

    class TokenType(models.TextChoices):
        GA_U = "GA-U", _("Google Analytics Universal (no longer accepted)")
        GA_V4 = "GA-V4", _("Google Analytics 4")

    name = models.CharField(max_length=254)
    type = models.CharField(
        max_length=10, choices=TokenType.choices, default=TokenType.GA_V4
    )
    token = models.CharField(
        max_length=254, help_text=_("The GA4 measurement id, for example G-XXXXXXXXXX")
    )
    secret = models.CharField(
        max_length=254,
        blank=True,
        help_text=_("The Measurement Protocol API secret of the data stream"),
    )
    send_page_views = models.BooleanField(default=False)
    send_celery_tasks = models.BooleanField(default=False)
    send_stats = models.BooleanField(default=False)
    ignore_paths = models.TextField(
        blank=True,
        validators=[validate_ignore_paths],
        help_text=_(
            "Regular expressions, one per line, matched against the request path; "
            "a page whose path matches is never reported."
        ),
    )

    class Meta:
        verbose_name = _("analytics token")
        verbose_name_plural = _("analytics tokens")

    def __str__(self) -> str:
        return self.name


class AnalyticsDailyUsage(models.Model):
    """Events this install sent on one UTC day, shared by all its processes.

    GA keeps at most 100,000 events per user (here: per install) per day; every
    process reserves from the same row before it sends, one write per batch.
    """

    day = models.DateField(unique=True)
    used = models.PositiveIntegerField(default=0)
    detail = models.PositiveIntegerField(default=0)
    aggregated = models.PositiveIntegerField(default=0)
    stats = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("analytics daily usage")
        verbose_name_plural = _("analytics daily usage")

    def __str__(self) -> str:
        return f"{self.day}: {self.used} events"


class AnalyticsSentBatch(models.Model):
    """One batch that left (or failed to leave) this server: the audit trail.

    Operators read it in the admin to see what was sent, day by day. It holds event
    names and counts, never the API secret; ``body`` keeps the secret-free payload
    only on the most recent few rows. Rows with ``outcome = dropped`` and no token
    are events dropped before a batch was formed (budget, queue, age), counted per
    reason in ``represented``.
    """

    class Outcome(models.TextChoices):
        SENT = "sent", _("sent")
        DROPPED = "dropped", _("dropped")

    sent_at = models.DateTimeField(db_index=True)
    token_name = models.CharField(max_length=254, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(max_length=64, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    size_bytes = models.PositiveIntegerField(default=0)
    events = models.JSONField(default=dict, help_text=_("Events per event name."))
    page_views = models.PositiveIntegerField(default=0)
    task_events = models.PositiveIntegerField(default=0)
    stats = models.PositiveIntegerField(default=0)
    represented = models.PositiveIntegerField(
        default=0, help_text=_("Page views and task runs the events stand for.")
    )
    body = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("sent batch")
        verbose_name_plural = _("sent batches")
        ordering = ("-sent_at", "-pk")

    def __str__(self) -> str:
        return f"{self.sent_at:%Y-%m-%d %H:%M} {self.token_name or '-'} {self.outcome}"
