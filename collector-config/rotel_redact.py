"""rotel processor: delete identifying attributes before telemetry leaves the host.

rotel loads this file for its traces and metrics pipelines (see rotel.env) and
calls ``process_spans`` / ``process_metrics`` with each batch, which is changed
in place. It deletes the same keys as the attributes and resource processors
of otelcol-contrib.yaml, from resources, spans, span events and links, metric
data points and exemplars.

It runs in rotel's embedded interpreter, not in this project's virtualenv, so
it imports nothing outside the standard library. If it raised, rotel would drop
the batch (and log a panic) rather than forward it unredacted.
"""

from __future__ import annotations

from typing import Any

# Keep in step with otelcol-contrib.yaml (tests/forwarding checks both).
IDENTIFYING_KEYS = frozenset(
    {
        # the visitor's address and browser
        "client.address",
        "net.peer.ip",
        "net.sock.peer.addr",
        "network.peer.address",
        "http.client_ip",
        "user_agent.original",
        "http.user_agent",
        # full URLs and query strings (the route stays, in http.route)
        "url.query",
        "url.full",
        "http.url",
        "http.target",
        # the signed-in user
        "enduser.id",
        "user.id",
        "user.name",
        "user.email",
        # the site's own host names and machines
        "server.address",
        "net.host.name",
        "http.host",
        "http.server_name",
        "host.name",
        "host.id",
        "host.ip",
        "host.mac",
        "celery.hostname",
    }
)


def delete_identifying(attributes: Any) -> None:
    """Delete the identifying pairs from a list of key-value pairs, in place.

    In place, because rotel's attribute lists are views into its own batch:
    some of them (span events') cannot be replaced by a plain list.
    """
    for index in range(len(attributes) - 1, -1, -1):
        if attributes[index].key in IDENTIFYING_KEYS:
            del attributes[index]


def process_spans(resource_spans: Any) -> None:
    if resource_spans.resource is not None:
        delete_identifying(resource_spans.resource.attributes)
    for scope_spans in resource_spans.scope_spans:
        for span in scope_spans.spans:
            delete_identifying(span.attributes)
            for event in span.events:
                delete_identifying(event.attributes)
            for link in span.links:
                delete_identifying(link.attributes)


def process_metrics(resource_metrics: Any) -> None:
    if resource_metrics.resource is not None:
        delete_identifying(resource_metrics.resource.attributes)
    for scope_metrics in resource_metrics.scope_metrics:
        for metric in scope_metrics.metrics:
            if metric.data is None:
                continue
            # metric.data wraps one of Gauge, Sum, Histogram, ExponentialHistogram
            # or Summary; each has data_points with attributes.
            for point in metric.data[0].data_points:
                delete_identifying(point.attributes)
                for exemplar in getattr(point, "exemplars", ()):
                    delete_identifying(exemplar.filtered_attributes)
