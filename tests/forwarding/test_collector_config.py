"""Static checks of the shipped collector configurations in collector-config/."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.forwarding.collector import (
    CONFIG_DIR,
    ENV_FILE,
    IDENTIFYING_KEYS,
    read_env_file,
    rotel_binary,
)

OTELCOL_FILE = CONFIG_DIR / "otelcol-contrib.yaml"
PROCESSOR_FILE = CONFIG_DIR / "rotel_redact.py"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
KINDS = ("receivers", "processors", "exporters", "connectors", "extensions")

# Component types that otelcol-contrib ships (a subset: the ones a config for
# this package could plausibly use). A type outside the list, a typo or a
# component removed upstream such as the old "logging" exporter, fails the test.
CONTRIB_TYPES: dict[str, frozenset[str]] = {
    "receivers": frozenset(
        {
            "otlp",
            "prometheus",
            "hostmetrics",
            "filelog",
            "journald",
            "statsd",
            "zipkin",
            "jaeger",
            "kafka",
            "postgresql",
            "mysql",
            "redis",
            "nginx",
            "httpcheck",
        }
    ),
    "processors": frozenset(
        {
            "memory_limiter",
            "batch",
            "attributes",
            "resource",
            "resourcedetection",
            "transform",
            "filter",
            "redaction",
            "probabilistic_sampler",
            "tail_sampling",
            "groupbyattrs",
            "cumulativetodelta",
            "deltatorate",
            "metricstransform",
            "span",
        }
    ),
    "exporters": frozenset(
        {
            "debug",
            "otlp",
            "otlphttp",
            "prometheus",
            "prometheusremotewrite",
            "file",
            "kafka",
            "loadbalancing",
            "zipkin",
            "clickhouse",
            "elasticsearch",
        }
    ),
    "connectors": frozenset({"forward", "routing", "spanmetrics", "count"}),
    "extensions": frozenset(
        {
            "health_check",
            "pprof",
            "zpages",
            "basicauth",
            "bearertokenauth",
            "headers_setter",
            "oauth2client",
            "file_storage",
        }
    ),
}


@pytest.fixture(scope="module")
def otelcol() -> dict[str, Any]:
    config = yaml.safe_load(OTELCOL_FILE.read_text())
    assert isinstance(config, dict)
    return config


def pipelines(config: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    found = config["service"]["pipelines"]
    assert found, "no pipelines"
    return found


def component_type(name: str) -> str:
    return name.split("/", 1)[0]


def deleted_keys(config: dict[str, Any], processor: str) -> set[str]:
    settings = config["processors"][processor] or {}
    actions = settings.get("actions") or settings.get("attributes") or []
    return {action["key"] for action in actions if action.get("action") == "delete"}


def endpoints(tree: object) -> Iterator[str]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == "endpoint" and isinstance(value, str):
                yield value
            else:
                yield from endpoints(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from endpoints(item)


def test_otelcol_defines_traces_and_metrics_pipelines(otelcol):
    assert {"traces", "metrics"} <= set(pipelines(otelcol))


def test_otelcol_pipelines_name_only_defined_components(otelcol):
    for name, pipeline in pipelines(otelcol).items():
        for kind in ("receivers", "processors", "exporters"):
            assert pipeline.get(kind) or kind == "processors", f"{name} has no {kind}"
            for component in pipeline.get(kind, []):
                assert component in (otelcol.get(kind) or {}), f"{name}: {component}"
    for extension in otelcol["service"].get("extensions", []):
        assert extension in otelcol["extensions"]


def test_otelcol_component_types_are_ones_contrib_ships(otelcol):
    for kind in KINDS:
        for component in otelcol.get(kind) or {}:
            assert component_type(component) in CONTRIB_TYPES[kind], component


def test_otelcol_memory_limiter_runs_first_and_batch_last(otelcol):
    for name, pipeline in pipelines(otelcol).items():
        processors = [component_type(p) for p in pipeline["processors"]]
        assert processors[0] == "memory_limiter", name
        assert processors[-1] == "batch", name


def test_otelcol_listens_on_loopback_only(otelcol):
    listening = [
        *endpoints(otelcol["receivers"]),
        *endpoints(otelcol.get("extensions")),
        *endpoints(otelcol["exporters"].get("prometheus")),
    ]

    assert listening
    for endpoint in listening:
        assert endpoint.rsplit(":", 1)[0] in LOOPBACK_HOSTS, endpoint


def test_otelcol_strips_identifying_attributes_in_every_pipeline(otelcol):
    for name, pipeline in pipelines(otelcol).items():
        processors = pipeline["processors"]
        for kind in ("attributes", "resource"):
            deleted = set().union(
                *(
                    deleted_keys(otelcol, processor)
                    for processor in processors
                    if component_type(processor) == kind
                )
            )
            assert set(IDENTIFYING_KEYS) <= deleted, (name, kind)


def test_otelcol_exports_to_debug_a_backend_from_the_environment_and_prometheus(
    otelcol,
):
    exporters = otelcol["exporters"]
    assert re.fullmatch(r"\$\{env:[A-Z_]+\}", exporters["otlphttp"]["endpoint"])
    assert "prometheus" in pipelines(otelcol)["metrics"]["exporters"]
    for pipeline in pipelines(otelcol).values():
        assert {"debug", "otlphttp"} <= set(pipeline["exporters"])


def test_otelcol_and_rotel_delete_the_same_keys(otelcol):
    rotel_keys = set(load_processor_keys())

    for processor in otelcol["processors"]:
        if component_type(processor) in ("attributes", "resource"):
            assert deleted_keys(otelcol, processor) == rotel_keys, processor


def load_processor_keys() -> frozenset[str]:
    namespace: dict[str, Any] = {}
    exec(compile(PROCESSOR_FILE.read_text(), str(PROCESSOR_FILE), "exec"), namespace)
    return namespace["IDENTIFYING_KEYS"]


def rotel_env_names() -> set[str]:
    """The variables rotel reads, from its own ``start --help``."""
    result = subprocess.run(
        [str(rotel_binary()), "start", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return set(re.findall(r"\[env: (ROTEL_[A-Z0-9_]+)=", result.stdout))


def test_rotel_env_file_sets_only_variables_rotel_reads():
    known = rotel_env_names()

    assert "ROTEL_OTLP_WITH_TRACE_PROCESSOR" in known
    assert set(read_env_file(ENV_FILE)) <= known


def test_rotel_receivers_listen_on_loopback_only():
    env = read_env_file(ENV_FILE)

    for key in ("ROTEL_OTLP_GRPC_ENDPOINT", "ROTEL_OTLP_HTTP_ENDPOINT"):
        assert env[key].rsplit(":", 1)[0] in LOOPBACK_HOSTS, key


def test_rotel_runs_the_processor_in_traces_and_metrics_and_takes_no_logs():
    env = read_env_file(ENV_FILE)

    assert env["ROTEL_OTLP_WITH_TRACE_PROCESSOR"] == PROCESSOR_FILE.name
    assert env["ROTEL_OTLP_WITH_METRICS_PROCESSOR"] == PROCESSOR_FILE.name
    assert env["ROTEL_OTLP_RECEIVER_LOGS_DISABLED"] == "true"
    assert "ROTEL_OTLP_EXPORTER_ENDPOINT" not in env, "the backend is the operator's"


def test_rotel_processor_covers_the_identifying_keys():
    assert set(IDENTIFYING_KEYS) <= load_processor_keys()


def test_rotel_processor_imports_only_the_standard_library():
    # rotel runs it in the system's CPython, outside any virtualenv.
    tree = ast.parse(PROCESSOR_FILE.read_text())
    modules = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }

    assert modules <= set(sys.stdlib_module_names) | {"__future__"}


def test_rotel_processor_defines_the_entry_points_rotel_calls():
    tree = ast.parse(PROCESSOR_FILE.read_text())
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}

    assert {"process_spans", "process_metrics"} <= functions
