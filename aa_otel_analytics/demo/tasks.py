"""Tasks that succeed, fail, retry and report their own events."""

from __future__ import annotations

from celery import shared_task

from aa_otel_analytics import analytics_event


@shared_task
def add(x: int, y: int) -> int:
    return x + y


@shared_task
def fail(character_id: int) -> None:
    raise RuntimeError(f"character {character_id} could not be updated")


@shared_task(bind=True, max_retries=3)
def retry_once(self, key: str) -> bool:  # type: ignore[no-untyped-def]
    if self.request.retries == 0:
        raise self.retry(countdown=0, exc=ConnectionError("transient " + key))
    return True


@shared_task
def update_characters(count: int) -> int:
    analytics_event("demo.characters", "update_characters", label="bulk", value=count)
    return count


@shared_task
def echo(text: str, *, note: str = "") -> str:
    return text + note
