"""Living beside the host's own OpenTelemetry setup, checked in fresh processes."""

from __future__ import annotations

from tests.scripting import run_script

RUN = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from aa_otel_analytics import force_flush, runtime
from aa_otel_analytics.demo import tasks
runtime.setup()
Client().get("/fleet/3/")
tasks.add.delay(1, 2)
force_flush(5000)
from opentelemetry import trace
result["provider"] = type(trace.get_tracer_provider()).__name__
"""


HOST_PROVIDER = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
host_exporter = InMemorySpanExporter()
host = TracerProvider()
host.add_span_processor(SimpleSpanProcessor(host_exporter))
trace.set_tracer_provider(host)
"""


def test_host_provider_stays_global_and_keeps_its_exporters(receiver, tmp_path):
    body = (
        HOST_PROVIDER
        + RUN
        + """
result["host_is_global"] = trace.get_tracer_provider() is host
result["host_spans"] = sorted(s.name for s in host_exporter.get_finished_spans())
result["ours"] = sum(
    type(p).__name__ == "AnalyticsSpanProcessor"
    for p in host._active_span_processor._span_processors
)
"""
    )
    result = run_script(receiver, tmp_path, body)

    assert result["host_is_global"]
    assert result["ours"] == 1
    assert "GET fleet/<int:pk>/" in result["host_spans"]
    assert any(name.startswith("run/") for name in result["host_spans"])
    assert not any("Overriding" in w for w in result["warnings"])
    assert len(receiver.events("page_view")) == 1
    assert len(receiver.events("celery_event")) == 1


def test_hooks_work_when_django_and_celery_were_instrumented_first(receiver, tmp_path):
    calls = """
hook_calls = []
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.instrumentation.celery import CeleryInstrumentor
DjangoInstrumentor().instrument(
    response_hook=lambda span, request, response: hook_calls.append(1)
)
CeleryInstrumentor().instrument()
"""
    body = HOST_PROVIDER + calls + RUN + "result['host_hook'] = len(hook_calls)\n"
    result = run_script(receiver, tmp_path, body)

    assert result["host_hook"] == 1, "the host's own hook still runs"
    [page] = receiver.events("page_view")
    assert page["params"]["page_title"] == "fleet"
    [task] = receiver.events("celery_event")
    assert task["params"]["value"] == 3, "our task hook ran before OTel's"


def test_ready_makes_no_queries_and_opens_no_sockets(receiver, tmp_path):
    body = """
import socket
connects = []
real_connect = socket.socket.connect
def spy(self, address):
    connects.append(str(address))
    return real_connect(self, address)
socket.socket.connect = spy
import django
from django.db import connection
queries = []
def wrapper(execute, sql, params, many, context):
    queries.append(sql)
    return execute(sql, params, many, context)
with connection.execute_wrapper(wrapper):
    django.setup()
from aa_otel_analytics import runtime
result.update(queries=queries, connects=connects,
              active=runtime.current() is not None)
"""
    result = run_script(receiver, tmp_path, body, AA_DEMO_DB="/nonexistent/x.db")

    assert result["active"]
    assert result["queries"] == []
    assert result["connects"] == []


def test_otel_environment_variables_keep_their_meaning(receiver, tmp_path):
    body = (
        RUN
        + """
state = runtime.current()
resource = state.tracer_provider.resource.attributes
batch = state.processor.inner._batch_processor
result["service"] = resource.get("service.name")
result["team"] = resource.get("team")
result["queue"] = batch._max_queue_size
result["batch"] = batch._max_export_batch_size
"""
    )
    result = run_script(
        receiver,
        tmp_path,
        body,
        OTEL_SERVICE_NAME="auth-web",
        OTEL_RESOURCE_ATTRIBUTES="team=ops",
        OTEL_BSP_MAX_QUEUE_SIZE="123",
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE="17",
    )

    assert result["service"] == "auth-web"
    assert result["team"] == "ops"
    assert (result["queue"], result["batch"]) == (123, 17)


def test_an_operators_sampler_is_left_to_the_sdk(receiver, tmp_path):
    body = (
        RUN
        + """
result["sampler"] = type(runtime.current().tracer_provider.sampler).__name__
"""
    )
    ours = run_script(receiver, tmp_path, body)
    theirs = run_script(receiver, tmp_path, body, OTEL_TRACES_SAMPLER="always_off")

    assert ours["sampler"] == "ParentBased"
    assert theirs["sampler"] == "StaticSampler"
