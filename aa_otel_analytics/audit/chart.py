"""The geometry of the events-per-day chart, drawn as SVG by the admin template.

Nothing here touches the network or needs JavaScript: the template turns these
rectangles and ticks into an inline ``<svg>``. Bars stack page views at the
bottom, then task events, then stats; every segment carries its own ``<title>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aa_otel_analytics.audit.summary import DayEvents

WIDTH = 760
HEIGHT = 280
LEFT = 56
RIGHT = 12
TOP = 16
BOTTOM = 48
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Series:
    field: str
    label: str
    colour: str


SERIES = (
    Series("page_views", "Page views", "#417690"),
    Series("task_events", "Task events", "#e0a030"),
    Series("stats", "Stats", "#70bf2b"),
)


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str
    kind: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    baseline: float
    y_max: int
    segments: list[Segment]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    series: tuple[Series, ...]
    total: int

    @property
    def x_label_x(self) -> float:
        return self.left + self.plot_width / 2

    @property
    def y_label_x(self) -> float:
        """Where the rotated y-axis label sits (rotation swaps and negates x)."""
        return -(self.top + self.plot_height / 2)


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50... that is at least ``value`` (>= 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def build(days: Sequence[DayEvents]) -> Chart:
    """Stacked bars, one per day, scaled so the busiest day nearly fills the plot."""
    y_max = nice_ceiling(max((d.total for d in days), default=0))
    scale = PLOT_HEIGHT / y_max
    slot = PLOT_WIDTH / max(len(days), 1)
    bar_width = round(slot * 0.7, 2)
    baseline = TOP + PLOT_HEIGHT
    segments = []
    x_ticks = []
    for index, day in enumerate(days):
        x = round(LEFT + index * slot + (slot - bar_width) / 2, 2)
        top = float(baseline)
        for series in SERIES:
            count = getattr(day, series.field)
            if count <= 0:
                continue
            height = count * scale
            top -= height
            title = f"{day.day:%Y-%m-%d}: {count} {series.label.lower()}"
            segments.append(
                Segment(
                    x,
                    round(top, 2),
                    bar_width,
                    round(height, 2),
                    series.colour,
                    title,
                    series.field,
                )
            )
        if index % 5 == 0 or index == len(days) - 1:
            x_ticks.append(Tick(round(x + bar_width / 2, 2), f"{day.day:%m-%d}"))
    y_ticks = [
        Tick(round(baseline - PLOT_HEIGHT * i / 4, 2), compact(y_max * i // 4))
        for i in range(5)
        if y_max * i % 4 == 0
    ]
    return Chart(
        WIDTH,
        HEIGHT,
        LEFT,
        TOP,
        PLOT_WIDTH,
        PLOT_HEIGHT,
        baseline,
        y_max,
        segments,
        y_ticks,
        x_ticks,
        SERIES,
        sum(d.total for d in days),
    )


def compact(count: int) -> str:
    """An axis label that fits the left margin: 9,999, then 12k, 3.4M, 2G."""
    if count < 10_000:
        return f"{count:,}"

    for size, suffix in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if count >= size:
            value = count / size
            return (
                f"{value:.1f}".rstrip("0").rstrip(".") + suffix
                if value < 10
                else f"{value:.0f}{suffix}"
            )
    return str(count)
