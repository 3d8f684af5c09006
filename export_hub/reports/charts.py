"""Chart geometry for the one chart component (``templates/_charts.html``).

Python computes scales, ticks and shapes; the autoescaped Jinja macro draws
them as inline SVG (no script, nothing from another host). Three kinds:

* ``columns``: categories along x (months, days), grouped bars per series;
* ``lines``: the same axes, a polyline per series, each with its own dash
  pattern and markers so series with equal values stay visible;
* ``bars``: categories down the side (countries, offices), one stacked
  horizontal bar per category.

The value axis always starts at 0 and ends at a "nice" round number above
the largest value (at least 1), so a flat series is not drawn as a spike.
Margins grow with the longest label, so labels are never clipped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

#: Distinguishable colours (Okabe–Ito), in series order.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2")
CHAR_WIDTH = 7.2
FONT = 12


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    colour: str = ""


@dataclass(frozen=True)
class Shape:
    """A rectangle, or a polyline when ``points`` is set; ``tip`` is its title."""

    colour: str
    tip: str
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0
    points: str = ""
    dash: str = ""
    markers: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str
    anchor: str = "middle"


@dataclass(frozen=True)
class ChartView:
    """Everything the macro draws, in viewBox units."""

    title: str
    desc: str
    kind: str
    width: int
    height: int
    unit: str
    plot: tuple[float, float, float, float]
    value_ticks: list[Tick]
    category_ticks: list[Tick]
    shapes: list[Shape]
    legend: list[tuple[float, float, str, str]]
    grid: Sequence[tuple[float, float, float, float]] = field(default_factory=list)
    empty: bool = False


def nice_ceiling(value: float) -> tuple[float, float]:
    """A round upper bound ≥ ``value`` (at least 1) and a tick step for it."""
    value = max(value, 1.0)
    exponent = math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        top = factor * 10**exponent
        if top >= value:
            break
    return top, top / 5


def format_number(value: float) -> str:
    """``1234567`` → ``1.2M``; ``12500`` → ``12.5k``; small values as is."""
    size = abs(value)
    for bound, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= bound:
            text = f"{value / bound:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


def _legend(
    series: Sequence[Series], left: float, y: float, width: float
) -> list[tuple[float, float, str, str]]:
    out, x, row = [], left, y
    for s in series:
        item = 24 + len(s.name) * CHAR_WIDTH
        if x + item > width and x > left:
            x, row = left, row + 18
        out.append((x, row, s.colour, s.name))
        x += item
    return out


def _coloured(series: Sequence[Series]) -> list[Series]:
    return [
        Series(s.name, list(s.values), s.colour or PALETTE[i % len(PALETTE)])
        for i, s in enumerate(series)
    ]


def chart(
    kind: str,
    *,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    unit: str,
    width: int = 640,
    stacked: bool = False,
) -> ChartView:
    """The geometry of a chart of ``kind`` (``columns``, ``lines`` or ``bars``)."""
    if kind not in ("columns", "lines", "bars"):
        raise ValueError(f"unknown chart kind {kind!r}")
    coloured = _coloured(series)
    if kind == "bars":
        return _bars(title, desc, categories, coloured, unit, width)
    return _vertical(kind, title, desc, categories, coloured, unit, width, stacked)


def _vertical(
    kind: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: list[Series],
    unit: str,
    width: int,
    stacked: bool,
) -> ChartView:
    n = max(len(categories), 1)
    if stacked:
        peak = max(
            (sum(s.values[i] for s in series) for i in range(len(categories))),
            default=0,
        )
    else:
        peak = max((v for s in series for v in s.values), default=0)
    top_value, step = nice_ceiling(peak)
    labels = [format_number(step * k) for k in range(6)]
    left = 14 + max(len(x) for x in labels) * CHAR_WIDTH + 18
    legend_rows = 1 + int(
        sum(24 + len(s.name) * CHAR_WIDTH for s in series) // (width - 20)
    )
    top, right = 28, 12
    bottom = 30 + 18 * legend_rows
    height = 300
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(v: float) -> float:
        return top + plot_h * (1 - v / top_value)

    value_ticks = [Tick(left - 6, y(step * k) + 4, labels[k], "end") for k in range(6)]
    grid = [(left, y(step * k), left + plot_w, y(step * k)) for k in range(6)]
    slot = plot_w / n
    longest = max((len(c) for c in categories), default=1)
    every = max(1, math.ceil(longest * CHAR_WIDTH / slot))
    category_ticks = [
        Tick(left + slot * (i + 0.5), top + plot_h + 16, c)
        for i, c in enumerate(categories)
        if i % every == 0
    ]
    shapes: list[Shape] = []
    if kind == "columns":
        group = slot * 0.8
        bar = group if stacked else group / max(len(series), 1)
        base = [0.0] * len(categories)
        for j, s in enumerate(series):
            for i, v in enumerate(s.values):
                x0 = left + slot * i + slot * 0.1 + (0 if stacked else j * bar)
                low = base[i] if stacked else 0.0
                h = plot_h * v / top_value
                shapes.append(
                    Shape(
                        s.colour,
                        f"{s.name} · {categories[i]}: {format_number(v)} {unit}",
                        x=x0,
                        y=y(low + v),
                        w=max(bar - 1, 1),
                        h=h,
                    )
                )
                if stacked:
                    base[i] += v
    else:
        for j, s in enumerate(series):
            coords = [(left + slot * (i + 0.5), y(v)) for i, v in enumerate(s.values)]
            shapes.append(
                Shape(
                    s.colour,
                    f"{s.name} ({unit})",
                    points=" ".join(f"{a:.1f},{b:.1f}" for a, b in coords),
                    dash=DASHES[j % len(DASHES)],
                    w=3.5 - min(j, 3) * 0.7,
                    markers=tuple(coords) if len(coords) <= 40 else (),
                )
            )
    return ChartView(
        title=title, desc=desc, kind=kind, width=width, height=height, unit=unit,
        plot=(left, top, plot_w, plot_h), value_ticks=value_ticks,
        category_ticks=category_ticks, shapes=shapes,
        legend=_legend(series, left, height - 18 * legend_rows + 4, width),
        grid=grid, empty=not categories or peak == 0,
    )  # fmt: skip


def _bars(
    title: str,
    desc: str,
    categories: Sequence[str],
    series: list[Series],
    unit: str,
    width: int,
) -> ChartView:
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    top_value, step = nice_ceiling(max(totals, default=0))
    left = 10 + min(max((len(c) for c in categories), default=4), 28) * CHAR_WIDTH
    row, top, right = 24.0, 10.0, 20 + len(format_number(top_value)) * CHAR_WIDTH
    legend_rows = 1 + int(
        sum(24 + len(s.name) * CHAR_WIDTH for s in series) // (width - 20)
    )
    plot_h = row * max(len(categories), 1)
    height = int(top + plot_h + 24 + 18 * legend_rows + 8)
    plot_w = width - left - right

    def x(v: float) -> float:
        return left + plot_w * v / top_value

    value_ticks = [
        Tick(x(step * k), top + plot_h + 16, format_number(step * k)) for k in range(6)
    ]
    grid = [(x(step * k), top, x(step * k), top + plot_h) for k in range(6)]
    category_ticks = [
        Tick(left - 6, top + row * i + row / 2 + 4, c[:28], "end")
        for i, c in enumerate(categories)
    ]
    shapes: list[Shape] = []
    for i, name in enumerate(categories):
        start = 0.0
        for s in series:
            v = s.values[i]
            if v:
                shapes.append(
                    Shape(
                        s.colour,
                        f"{name} · {s.name}: {format_number(v)} {unit}",
                        x=x(start),
                        y=top + row * i + 4,
                        w=max(x(start + v) - x(start), 1),
                        h=row - 8,
                    )
                )
            start += v
    return ChartView(
        title=title, desc=desc, kind="bars", width=width, height=height, unit=unit,
        plot=(left, top, plot_w, plot_h), value_ticks=value_ticks,
        category_ticks=category_ticks, shapes=shapes,
        legend=_legend(series, left, height - 18 * legend_rows + 4, width),
        grid=grid, empty=not categories or max(totals, default=0) == 0,
    )  # fmt: skip
