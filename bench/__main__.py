"""``make bench``: every benchmark in one run, as one table with PASS/MISS.

Each part measures its setups side by side, interleaved, and reports ratios; the
machine's name and size are printed with the table because absolute times only
make sense beside them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time

from bench.common import Row, format_table

PARTS = [
    "request_cost",
    "task_cost",
    "egress",
    "export_throughput",
    "outage_memory",
    "daily_stats",
]


def machine() -> str:
    return (
        f"{platform.node() or 'host'}: {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{platform.platform()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="a smoke run, no targets")
    parser.add_argument("--only", nargs="*", choices=PARTS, help="run only these")
    args = parser.parse_args(argv)

    rows: list[Row] = []
    started = time.monotonic()
    for name in args.only or PARTS:
        part_started = time.monotonic()
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        module = importlib.import_module(f"bench.{name}")
        rows.extend(module.run(quick=args.quick))
        elapsed = time.monotonic() - part_started
        print(f"bench: {name} done in {elapsed:.0f} s", file=sys.stderr, flush=True)

    print(machine())
    print(format_table(rows))
    missed = [row for row in rows if row.passed is False]
    total = time.monotonic() - started
    print(f"bench: {len(rows)} rows, {len(missed)} missed, {total:.0f} s")
    return 1 if missed and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
