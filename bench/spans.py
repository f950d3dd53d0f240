"""Page-view and task spans as OpenTelemetry's instrumentation ends them.

The spans are made by a real SDK tracer provider with one shared resource, carrying
the attributes the Django and Celery instrumentations set next to the ones our
hooks add, so the exporter reads what it reads on a site. They are collected as
the batch span processor would receive them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.trace import SpanKind

from aa_otel_analytics._ga4.config import InstallConfig, TokenConfig
from aa_otel_analytics.instrumentation import attributes as attr

ROUTES = [f"section{s}/<int:pk>/page{p}/" for s in range(30) for p in range(4)]
TASKS = [f"app{a}.tasks.job{j}" for a in range(12) for j in range(5)]
LANGUAGES = ["en"] * 6 + ["de", "fr", "ru"]
TEAM_IGNORE_PATHS = (
    r"^/admin/.*",
    r"^/user_notifications_count/.*",
    r"^/account/activate/.*",
)


class _Collect(SpanProcessor):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.spans.append(span)


def team_config() -> InstallConfig:
    """The preloaded Alliance Auth team token, with its three ignore paths."""
    token = TokenConfig(
        name="AA Team Public Google Analytics (V4)",
        measurement_id="G-BENCH00001",
        secret="bench-secret",
        page_views=True,
        tasks=True,
        stats=True,
        ignore_paths=tuple(re.compile(p) for p in TEAM_IGNORE_PATHS),
    )
    return InstallConfig(client_id="0123456789abcdef0123456789abcdef", tokens=(token,))


def _page(tracer: Any, rng: random.Random, index: int) -> None:
    route = rng.choice(ROUTES)
    path = "/" + route.replace("<int:pk>", str(index))
    attributes = {
        "http.method": "GET",
        "http.server_name": "auth.example.org",
        "http.scheme": "https",
        "net.host.port": 443,
        "http.host": "auth.example.org",
        "http.url": f"https://auth.example.org{path}?page={index % 7}",
        "net.peer.ip": "203.0.113.7",
        "http.user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0",
        "http.flavor": "1.1",
        "http.route": route,
        "http.status_code": 200,
        attr.PAGE_ROUTE: "/" + route,
        attr.PAGE_TITLE: route.split("/")[0],
        attr.PAGE_LANGUAGE: rng.choice(LANGUAGES),
        attr.PAGE_PATH: path,
    }
    with tracer.start_as_current_span(
        "GET " + route, kind=SpanKind.SERVER, attributes=attributes
    ):
        pass


def _task(tracer: Any, rng: random.Random, index: int) -> None:
    name = rng.choice(TASKS)
    module, _, function = name.rpartition(".")
    failed = rng.random() < 0.04
    attributes = {
        "celery.action": "run",
        "celery.state": "FAILURE" if failed else "SUCCESS",
        "celery.task_name": name,
        "messaging.message.id": f"5f0c1e2a-0000-4000-8000-{index:012d}",
        "messaging.conversation_id": f"5f0c1e2a-0000-4000-8000-{index:012d}",
        "messaging.destination": "celery",
        "celery.delivery_info": "{'exchange': '', 'routing_key': 'celery', "
        "'priority': 0, 'redelivered': False}",
        "celery.reply_to": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "celery.hostname": "celery@worker-1",
        attr.TASK_NAMESPACE: module.removesuffix(".tasks"),
        attr.TASK_NAME: function,
        attr.TASK_RESULT: "RuntimeError" if failed else "Success",
        attr.TASK_VALUE: rng.randrange(3),
        attr.TASK_RETRIES: 0,
    }
    with tracer.start_as_current_span(
        "run/" + name, kind=SpanKind.CONSUMER, attributes=attributes
    ):
        pass


def make_spans(
    count: int, page_share: float = 0.6, seed: int = 7
) -> list[ReadableSpan]:
    """``count`` ended spans, page views and task runs mixed at ``page_share``."""
    collect = _Collect()
    provider = TracerProvider(resource=Resource.create(), shutdown_on_exit=False)
    provider.add_span_processor(collect)
    tracer = provider.get_tracer("bench")
    rng = random.Random(seed)
    for index in range(count):
        if rng.random() < page_share:
            _page(tracer, rng, index)
        else:
            _task(tracer, rng, index)
    provider.shutdown()
    return collect.spans


def batches(spans: Sequence[ReadableSpan], size: int = 512) -> list[list[ReadableSpan]]:
    """Spans as the batch span processor hands them over (512 at most)."""
    return [list(spans[i : i + size]) for i in range(0, len(spans), size)]
