"""What every benchmark returns, and the statistics they share.

Benchmarks compare setups measured side by side in one run and report ratios; the
machines are shared and noisy, so absolute times are context only.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Row:
    """One line of the benchmark table.

    ``target`` is a human-readable target such as ``"<= 1.05"``; ``passed`` is None
    for context-only rows (no target).
    """

    section: str
    name: str
    measured: str
    target: str = ""
    passed: bool | None = None
    detail: str = ""


def check(value: float, op: str, bound: float) -> bool:
    return value <= bound if op == "<=" else value >= bound


def target_row(
    section: str,
    name: str,
    value: float,
    op: str,
    bound: float,
    fmt: str = "{:.3f}",
    detail: str = "",
) -> Row:
    return Row(
        section,
        name,
        fmt.format(value),
        f"{op} {fmt.format(bound)}",
        check(value, op, bound),
        detail,
    )


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def format_table(rows: list[Row]) -> str:
    header = ("section", "measurement", "measured", "target", "result")
    lines = [header]
    for row in rows:
        result = "" if row.passed is None else ("PASS" if row.passed else "MISS")
        lines.append((row.section, row.name, row.measured, row.target, result))
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    out = []
    for line in lines:
        out.append(
            "  ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=True))
        )
    return "\n".join(out)


def part_main(
    argv: list[str] | None,
    prog: str,
    run: Callable[..., list[Row]],
    child: Callable[[], None] | None = None,
) -> int:
    """The command line of one benchmark part: ``--quick``, and its child mode."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    if child is not None:
        parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if child is not None and args.child:
        child()
        return 0

    print(format_table(run(quick=args.quick)))
    return 0
