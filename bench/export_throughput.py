"""Export throughput: spans turned into GA request bodies per second, on one core.

The span exporter's work without the network: each span mapped to an event, the
events addressed to the team token (with its ignore paths) and packed into
Measurement Protocol bodies of at most 25 events, as bytes. The spans come from a
real SDK tracer provider with one shared resource (``bench.spans``), 60 % page
views and 40 % task runs, handed over in batches of 512 as the batch span
processor does. Each repetition runs every batch; the table gives the median. A
quick run is too small to judge.

Run it with ``python -m bench.export_throughput [--quick]``.
"""

from __future__ import annotations

import gc
import sys
import time
from dataclasses import replace

from bench.common import Row, median, target_row

TARGET_SPANS_PER_SEC = 50_000.0


def convert(batches: list, config: object) -> tuple[int, int]:  # type: ignore[type-arg]
    """Map and pack every batch; returns (request bodies, bytes)."""
    from aa_otel_analytics._ga4.mapping import span_to_event
    from aa_otel_analytics._ga4.payload import address, pack

    bodies = size = 0
    for batch in batches:
        events = [e for e in map(span_to_event, batch) if e is not None]
        for packed in pack(address(events, config), config.client_id):
            bodies += 1
            size += len(packed.body)
    return bodies, size


def _map_only(batches: list) -> None:  # type: ignore[type-arg]
    from aa_otel_analytics._ga4.mapping import span_to_event

    for batch in batches:
        [e for e in map(span_to_event, batch) if e is not None]


def _timed(fn, *args) -> float:  # type: ignore[no-untyped-def]
    gc.collect()
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def measure(spans: int, repetitions: int) -> dict[str, float]:
    from bench.spans import batches, make_spans, team_config

    config = team_config()
    batched = batches(make_spans(spans))
    convert(batched[:2], config)  # warm up: imports, caches
    totals = [_timed(convert, batched, config) for _ in range(repetitions)]
    mapping = [_timed(_map_only, batched) for _ in range(repetitions)]
    bodies, size = convert(batched, config)
    return {
        "spans": spans,
        "total_secs": median(totals),
        "best_secs": min(totals),
        "map_secs": median(mapping),
        "bodies": bodies,
        "bytes": size,
    }


def rows_from(result: dict[str, float]) -> list[Row]:
    section = "export throughput"
    spans = result["spans"]
    rate = spans / result["total_secs"]
    map_us = result["map_secs"] / spans * 1e6
    pack_us = (result["total_secs"] - result["map_secs"]) / spans * 1e6
    return [
        target_row(
            section,
            "spans mapped and packed per second",
            rate,
            ">=",
            TARGET_SPANS_PER_SEC,
            fmt="{:,.0f}",
            detail=f"best {spans / result['best_secs']:,.0f}/s, {spans:,} spans",
        ),
        Row(section, "mapping per span", f"{map_us:.2f} us"),
        Row(section, "addressing and packing per span", f"{pack_us:.2f} us"),
        Row(
            section,
            "bodies per 1,000 spans",
            f"{result['bodies'] / spans * 1000:.1f}",
            detail=f"{result['bytes'] / spans:.0f} bytes per event",
        ),
    ]


def run(quick: bool = False) -> list[Row]:
    spans, repetitions = (2_048, 1) if quick else (51_200, 7)
    rows = rows_from(measure(spans, repetitions))
    return [replace(r, passed=None) for r in rows] if quick else rows


def main(argv: list[str] | None = None) -> int:
    from bench.common import part_main

    return part_main(argv, "python -m bench.export_throughput", run)


if __name__ == "__main__":
    sys.exit(main())
