"""The cost structure of Alliance Auth 3.x's page-view middleware, re-created.

Written for the benchmark from a description, not copied: for every response it
parses the HTML for its ``<title>``, reads the tokens and the install identifier
(two queries on this package's models) and queues one Celery task per token that
wants page views. Alliance Auth parsed with BeautifulSoup's ``html.parser``
backend, and so does this (``beautifulsoup4`` comes with the ``bench`` extra);
without it, the standard library's ``html.parser`` alone is used, which skips
the tree BeautifulSoup builds and so costs less than the original did.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

from celery import shared_task
from django.http import HttpRequest, HttpResponse

QUEUE = "celery"


@shared_task(name="bench.old_middleware.send_page_view", ignore_result=True)
def send_page_view(**params: str) -> None:
    """Never runs: the benchmark has no worker, messages stay on the broker."""


class _TitleParser(HTMLParser):
    """Collects the text of the first ``<title>``, reading the whole document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: str | None = None
        self._parts: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "title" and self.title is None:
            self._parts = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._parts is not None:
            self.title, self._parts = "".join(self._parts).strip(), None

    def handle_data(self, data: str) -> None:
        if self._parts is not None:
            self._parts.append(data)


def page_title(html: str) -> str:
    try:
        from bs4 import BeautifulSoup
    except ImportError:
        parser = _TitleParser()
        parser.feed(html)
        parser.close()
        return parser.title or ""

    title = BeautifulSoup(html, "html.parser").title
    return title.string or "" if title is not None else ""


class PageViewMiddleware:
    """Queues a page-view task per token after every HTML response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(response, "streaming", False):
            return response

        from aa_otel_analytics.models import AnalyticsIdentifier, AnalyticsTokens

        title = page_title(response.content.decode(response.charset or "utf-8"))
        tokens = list(AnalyticsTokens.objects.all())
        client_id = AnalyticsIdentifier.objects.get(pk=1).identifier.hex
        for token in tokens:
            if not token.send_page_views or _ignored(token.ignore_paths, request.path):
                continue
            send_page_view.s(
                measurement_id=token.token,
                secret=token.secret,
                client_id=client_id,
                page_location=request.build_absolute_uri(),
                page_title=title,
                language=getattr(request, "LANGUAGE_CODE", ""),
                user_agent=request.headers.get("User-Agent", ""),
                referrer=request.headers.get("Referer", ""),
            ).apply_async(priority=9)
        return response


def _ignored(patterns: str, path: str) -> bool:
    return any(
        re.search(line.strip(), path) for line in patterns.splitlines() if line.strip()
    )


def queued_messages() -> int:
    """Messages waiting on this process's ``memory://`` broker."""
    from kombu.transport.memory import Channel

    queue = Channel.queues.get(QUEUE)
    return queue.qsize() if queue is not None else 0
