"""Take over from Alliance Auth's built-in analytics when both are installed.

GA must see the same install before and after the switch, and an operator who
said no to Alliance Auth's analytics must not find this package saying yes for
them. Alliance Auth 5.5 sends only the daily stats, under a random id it keeps in
a singleton row; that row exists only where its analytics module actually ran,
because 5.x's squashed migration creates none. So:

- its id, when there is one, becomes ours;
- on a site where the id row exists, a team token that could not send (stats
  switched off, deleted, turned into a Universal Analytics token, or without a
  secret) is an opt-out, and our team token is switched off entirely (on a fresh
  5.5 site its ``send_stats = False`` is only the squashed migration's default);
- the operator's own GA4 tokens that could send are copied with their stats
  switch; page views and task events, which Alliance Auth 5.5 never sent, start
  off for them. Tokens Google would refuse are left behind.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from aa_otel_analytics._ga4.config import MEASUREMENT_ID

logger = logging.getLogger(__name__)

TEAM_MEASUREMENT_ID = "G-6LYSMYK8DE"


@dataclass(frozen=True)
class AllianceAuthToken:
    name: str
    type: str
    measurement_id: str
    secret: str
    send_stats: bool


@dataclass
class Takeover:
    """What was taken over, for the migration's one-line report."""

    identifier: bool = False
    opted_out: bool = False
    copied: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = []
        if self.identifier:
            parts.append("kept Alliance Auth's install id")
        if self.opted_out:
            parts.append("kept its opt-out (team token switched off)")
        if self.copied:
            parts.append(f"copied {len(self.copied)} token(s) of this site")
        if self.left:
            parts.append(
                f"left {len(self.left)} token(s) Google would refuse "
                f"({', '.join(self.left)})"
            )
        return "; ".join(parts)


def could_send(token: AllianceAuthToken) -> bool:
    """Whether Alliance Auth 5.5 could have sent anything with this token."""
    return (
        token.type == "GA-V4"
        and bool(MEASUREMENT_ID.match(token.measurement_id))
        and bool(token.secret.strip())
    )


def apply(
    our_identifier: Any,
    our_tokens: Any,
    identifier: uuid.UUID | None,
    tokens: list[AllianceAuthToken],
    ignore_paths: str,
) -> Takeover:
    """Write what Alliance Auth had into our (historical or real) models."""
    done = Takeover()
    if identifier is None:
        return done

    our_identifier.objects.update_or_create(pk=1, defaults={"identifier": identifier})
    done.identifier = True
    team = [t for t in tokens if t.measurement_id == TEAM_MEASUREMENT_ID]
    if not any(could_send(t) and t.send_stats for t in team):
        our_tokens.objects.filter(token=TEAM_MEASUREMENT_ID).update(
            send_page_views=False, send_celery_tasks=False, send_stats=False
        )
        done.opted_out = True
    for token in tokens:
        if token.measurement_id == TEAM_MEASUREMENT_ID:
            continue
        if not could_send(token):
            done.left.append(token.name)
            continue
        if our_tokens.objects.filter(token=token.measurement_id).exists():
            continue
        our_tokens.objects.create(
            name=token.name,
            type=token.type,
            token=token.measurement_id,
            secret=token.secret,
            send_stats=token.send_stats,
            send_page_views=False,
            send_celery_tasks=False,
            ignore_paths=ignore_paths,
        )
        done.copied.append(token.name)
    return done


def read_alliance_auth(apps: Any) -> tuple[uuid.UUID | None, list[AllianceAuthToken]]:
    """Alliance Auth's id and tokens from a migration's app registry, if present."""
    try:
        identifiers = apps.get_model("analytics", "AnalyticsIdentifier")
        tokens = apps.get_model("analytics", "AnalyticsTokens")
    except LookupError:
        return None, []

    row = identifiers.objects.order_by("pk").first()
    found = [
        AllianceAuthToken(
            name=t.name,
            type=t.type,
            measurement_id=str(t.token).strip(),
            secret=t.secret,
            send_stats=bool(t.send_stats),
        )
        for t in tokens.objects.order_by("pk")
    ]
    return (row.identifier if row is not None else None), found
