"""Install statistics as observable gauges, collected once per daily task run.

The gauges live on a meter provider of our own whose reader never collects on a
timer: ``collect()`` runs the callbacks once, in the calling thread. For Google the
daily task collects once and the GA metric exporter turns that collection into the
daily events; OTLP forwarding builds a second instance and collects it on its own
schedule.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable

from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from aa_otel_analytics.stats.app_labels import extension_labels

logger = logging.getLogger(__name__)

METER_NAME = "aa_otel_analytics.install"
INSTALL = "allianceauth.install"
USERS = "allianceauth.users"
ESI_TOKENS = "allianceauth.esi_tokens"
APPS = "allianceauth.apps"
EXTENSION = "allianceauth.extension"
DEPLOYMENT_ATTR = "deployment"
APP_LABEL_ATTR = "app_label"


def deployment() -> str:
    return "docker" if os.environ.get("AA_DOCKER_TAG") else "baremetal"


def _observe_install(options: CallbackOptions) -> Iterable[Observation]:
    yield Observation(1, {DEPLOYMENT_ATTR: deployment()})


def _observe_users(options: CallbackOptions) -> Iterable[Observation]:
    from django.contrib.auth import get_user_model

    yield Observation(get_user_model().objects.count())


def _observe_esi_tokens(options: CallbackOptions) -> Iterable[Observation]:
    try:
        from esi.models import Token
    except (ImportError, RuntimeError):
        yield Observation(0)
        return

    yield Observation(Token.objects.count())


def _observe_apps(options: CallbackOptions) -> Iterable[Observation]:
    from django.apps import apps

    yield Observation(len(apps.get_app_configs()))


def _observe_extensions(options: CallbackOptions) -> Iterable[Observation]:
    from django.apps import apps

    for label in extension_labels(apps.get_app_configs()):
        yield Observation(1, {APP_LABEL_ATTR: label})


class InstallStats:
    """Owns the gauges and the meter provider that carries them."""

    def __init__(
        self,
        reader: MetricReader,
        resource: Resource | None = None,
    ) -> None:
        self.reader = reader
        self.provider = MeterProvider(
            metric_readers=[reader],
            resource=resource or Resource.create(),
            shutdown_on_exit=False,
        )
        meter = self.provider.get_meter(METER_NAME)
        meter.create_observable_gauge(INSTALL, [_observe_install], unit="{install}")
        meter.create_observable_gauge(USERS, [_observe_users], unit="{user}")
        meter.create_observable_gauge(ESI_TOKENS, [_observe_esi_tokens], unit="{token}")
        meter.create_observable_gauge(APPS, [_observe_apps], unit="{app}")
        meter.create_observable_gauge(EXTENSION, [_observe_extensions], unit="{app}")

    def collect(self, timeout_millis: float = 30_000) -> None:
        """One collection: the callbacks run now, in this thread."""
        self.reader.collect(timeout_millis=timeout_millis)

    def shutdown(self) -> None:
        self.provider.shutdown()


def on_demand_reader(exporter: object) -> PeriodicExportingMetricReader:
    """A reader that starts no thread and exports only when asked to collect."""
    return PeriodicExportingMetricReader(
        exporter,  # type: ignore[arg-type]
        export_interval_millis=math.inf,
    )
