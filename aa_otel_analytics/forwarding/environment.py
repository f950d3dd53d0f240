"""Read the standard OpenTelemetry variables that decide OTLP forwarding.

The SDK's own auto-configuration treats an unset ``OTEL_TRACES_EXPORTER`` as
"otlp". We do not: an Alliance Auth site that set no OTLP variable must not
start exporting to ``localhost:4318`` because it upgraded this package. A signal is
forwarded when its exporter variable names ``otlp``, or when that variable is
unset and an OTLP endpoint variable is set.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from typing import Literal

from opentelemetry.sdk.resources import Resource

Signal = Literal["traces", "metrics"]

DEFAULT_SERVICE_NAME = "allianceauth"

HTTP_PROTOBUF = "http/protobuf"
GRPC = "grpc"
SUPPORTED_PROTOCOLS = (HTTP_PROTOBUF, GRPC)
_EXPORTER_MODULES = {
    HTTP_PROTOBUF: "opentelemetry.exporter.otlp.proto.http",
    GRPC: "opentelemetry.exporter.otlp.proto.grpc",
}
_EXTRAS = {HTTP_PROTOBUF: "otlp", GRPC: "otlp-grpc"}
# Exporter names the SDK's auto-configuration knows, and the protocol each fixes.
OTLP_NAMES: dict[str, str | None] = {
    "otlp": None,
    "otlp_proto_http": HTTP_PROTOBUF,
    "otlp_proto_grpc": GRPC,
}


@dataclass(frozen=True)
class SignalPlan:
    """Whether one signal is forwarded, over which protocol, and if not, why."""

    signal: Signal
    requested: bool
    protocol: str
    problem: str | None = None
    ignored: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.requested and self.problem is None


def _exporter_names(signal: Signal) -> list[str] | None:
    raw = os.environ.get(f"OTEL_{signal.upper()}_EXPORTER")
    if raw is None or not raw.strip():
        return None

    return [name.strip().lower() for name in raw.split(",") if name.strip()]


def _endpoint_set(signal: Signal) -> bool:
    names = (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT",
    )
    return any(os.environ.get(name, "").strip() for name in names)


def _protocol(signal: Signal, names: list[str] | None) -> str:
    for name in names or ():
        fixed = OTLP_NAMES.get(name)
        if fixed is not None:
            return fixed

    specific = os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL", "")
    general = os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "")
    return (specific.strip() or general.strip() or HTTP_PROTOBUF).lower()


def _requested(signal: Signal, names: list[str] | None) -> bool:
    if names is None:
        return _endpoint_set(signal)

    return any(name in OTLP_NAMES for name in names)


def _ignored(names: list[str] | None) -> tuple[str, ...]:
    return tuple(n for n in names or () if n not in OTLP_NAMES and n != "none")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a parent namespace package is missing
        return False


def _problem(signal: Signal, protocol: str) -> str | None:
    from aa_otel_analytics.forwarding import values

    if protocol not in SUPPORTED_PROTOCOLS:
        supported = " or ".join(SUPPORTED_PROTOCOLS)
        return f"OTLP protocol {protocol!r} is not supported; use {supported}"

    module = _EXPORTER_MODULES[protocol]
    if not _installed(module):
        package = module.replace(".", "-")
        return (
            f"OTLP export over {protocol} needs {package}: "
            f"pip install 'aa-otel-analytics[{_EXTRAS[protocol]}]'"
        )
    return values.endpoint_problem(signal, protocol) or values.timeout_problem(signal)


def plan(signal: Signal) -> SignalPlan:
    """What the environment asks for one signal; never raises."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return SignalPlan(signal, requested=False, protocol=HTTP_PROTOBUF)

    names = _exporter_names(signal)
    requested = _requested(signal, names)
    protocol = _protocol(signal, names)
    problem = _problem(signal, protocol) if requested else None
    return SignalPlan(signal, requested, protocol, problem, _ignored(names))


def any_requested() -> bool:
    return plan("traces").requested or plan("metrics").requested


def resource() -> Resource:
    """The SDK's resource from ``OTEL_*`` variables, named for the site if unnamed."""
    detected = Resource.create()
    named = os.environ.get("OTEL_SERVICE_NAME") or (
        "service.name=" in os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "")
    )
    if named:
        return detected

    return detected.merge(Resource({"service.name": DEFAULT_SERVICE_NAME}))
