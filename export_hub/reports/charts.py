"""Chart geometry for the one chart component (``templates/_charts.html``).

Python computes scales, ticks and shapes; the autoescaped Jinja macro draws
them as inline SVG (no script, nothing from another host). Every chart of
the application goes through :func:`chart`. Three kinds:

* ``columns``: categories along x (months, days), grouped bars per series;
* ``lines``: the same axes, a polyline per series, each with its own dash
  pattern, width and marker size so series with equal values stay visible;
* ``bars``: categories down the side (countries, offices), one stacked
  horizontal bar per category.

The value axis always starts at 0 and ends at a "nice" round number a
little above the largest value (at least 1), so a flat series is not drawn as a spike.
Margins grow with the longest label (Hangul counted as wide glyphs) and
edge labels are anchored inwards, so no label leaves the viewBox.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

#: Distinguishable colours (Okabe–Ito), in series order.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2")
KINDS = ("columns", "lines", "bars")
#: Average advance of a Latin glyph and of a wide (Hangul, CJK) glyph at FONT px.
CHAR_WIDTH = 7.2
WIDE_CHAR_WIDTH = 12.5
FONT = 12
LEGEND_ROW = 18
#: Category labels on the bars chart are cut to this many characters.
BAR_LABEL_CHARS = 28
EMPTY_TEXT = "자료 없음 / No data"
#: The axis ends at least this factor above the largest value.
HEADROOM = 1.05


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    colour: str = ""


@dataclass(frozen=True)
class Shape:
    """A rectangle, or a polyline when ``points`` is set; ``tip`` is its title.

    For a polyline ``w`` is the stroke width and ``r`` the marker radius."""

    colour: str
    tip: str
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0
    points: str = ""
    dash: str = ""
    r: float = 0
    markers: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str
    anchor: str = "middle"


@dataclass(frozen=True)
class LegendItem:
    """One legend entry at (x, y): a swatch (or a line sample with the series'
    dash pattern for line charts) and the series name."""

    x: float
    y: float
    colour: str
    name: str
    dash: str = ""
    line: bool = False


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
    legend: list[LegendItem]
    #: Where the unit label goes (start-anchored on columns/lines, end on bars).
    unit_at: tuple[float, float, str] = (0.0, 0.0, "start")
    grid: Sequence[tuple[float, float, float, float]] = field(default_factory=list)
    empty: bool = False
    empty_text: str = EMPTY_TEXT


def text_width(text: str) -> float:
    """Estimated width of ``text`` at :data:`FONT` px (wide glyphs count more)."""
    return sum(
        WIDE_CHAR_WIDTH if unicodedata.east_asian_width(c) in "WF" else CHAR_WIDTH
        for c in text
    )


def nice_ceiling(value: float) -> tuple[float, float]:
    """A round upper bound (at least 1) a little above ``value``, so the
    largest value never touches the top of the plot, and a tick step (a
    fifth of it)."""
    value = max(value * HEADROOM, 1.0)
    exponent = math.floor(math.log10(value))
    top = 10.0 ** (exponent + 1)
    for factor in (1, 2, 2.5, 5, 10):
        candidate = factor * 10.0**exponent
        if candidate >= value:
            top = candidate
            break
    return top, top / 5


def format_number(value: float) -> str:
    """``1234567`` → ``1.2M``; ``12500`` → ``12.5k``; small values as is."""
    size = abs(value)
    for bound, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= bound:
            text = f"{value / bound:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


def _legend(
    series: Sequence[Series], left: float, width: float, line: bool
) -> tuple[list[LegendItem], int]:
    """Legend items laid out from ``left`` in rows (y relative to the first
    row's baseline) and the number of rows."""
    out: list[LegendItem] = []
    x, row = left, 0
    for j, s in enumerate(series):
        item = 34 + text_width(s.name)
        if x + item > width - 4 and x > left:
            x, row = left, row + 1
        dash = DASHES[j % len(DASHES)] if line else ""
        out.append(LegendItem(x, row * LEGEND_ROW, s.colour, s.name, dash, line))
        x += item
    return out, row + 1


def _placed(items: list[LegendItem], baseline: float) -> list[LegendItem]:
    return [
        LegendItem(i.x, i.y + baseline, i.colour, i.name, i.dash, i.line) for i in items
    ]


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
    empty_text: str = EMPTY_TEXT,
) -> ChartView:
    """The geometry of a chart of ``kind`` (``columns``, ``lines`` or ``bars``).

    Every series has one value per category. Raises :class:`ValueError` for
    an unknown kind or a series of the wrong length."""
    if kind not in KINDS:
        raise ValueError(f"unknown chart kind {kind!r}")
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values")
    coloured = _coloured(series)
    if kind == "bars":
        view = _bars(title, desc, categories, coloured, unit, width)
    else:
        view = _vertical(kind, title, desc, categories, coloured, unit, width, stacked)
    return replace(view, empty_text=empty_text)


def _category_ticks(
    categories: Sequence[str], left: float, slot: float, y: float, width: float
) -> list[Tick]:
    """Labels under the slots, thinned so they never overlap, kept inside."""
    longest = max((text_width(c) for c in categories), default=CHAR_WIDTH)
    every = max(1, math.ceil((longest + 8) / slot))
    ticks = []
    for i, c in enumerate(categories):
        if i % every:
            continue
        x, half = left + slot * (i + 0.5), text_width(c) / 2
        if x + half > width - 2:
            ticks.append(Tick(width - 2, y, c, "end"))
        elif x - half < 2:
            ticks.append(Tick(2, y, c, "start"))
        else:
            ticks.append(Tick(x, y, c))
    return ticks


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
    left = 8 + max(max(text_width(x) for x in labels), text_width(unit) / 2) + 10
    legend, legend_rows = _legend(series, left, width, kind == "lines")
    top, right, height = 30, 12, 300
    bottom = 30 + LEGEND_ROW * legend_rows
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(v: float) -> float:
        return top + plot_h * (1 - v / top_value)

    value_ticks = [Tick(left - 6, y(step * k) + 4, labels[k], "end") for k in range(6)]
    grid = [(left, y(step * k), left + plot_w, y(step * k)) for k in range(6)]
    slot = plot_w / n
    category_ticks = _category_ticks(categories, left, slot, top + plot_h + 16, width)
    if kind == "columns":
        shapes = _columns(categories, series, unit, left, slot, stacked, y)
    else:
        shapes = _lines(series, unit, left, slot, y)
    return ChartView(
        title=title, desc=desc, kind=kind, width=width, height=height, unit=unit,
        plot=(left, top, plot_w, plot_h), value_ticks=value_ticks,
        category_ticks=category_ticks, shapes=shapes,
        legend=_placed(legend, top + plot_h + 38),
        unit_at=(max(2.0, left - text_width(unit) / 2), top - 12, "start"),
        grid=grid, empty=not categories or peak == 0,
    )  # fmt: skip


def _columns(
    categories: Sequence[str],
    series: list[Series],
    unit: str,
    left: float,
    slot: float,
    stacked: bool,
    y: Callable[[float], float],
) -> list[Shape]:
    group = slot * 0.8
    bar = group if stacked else group / max(len(series), 1)
    base = [0.0] * len(categories)
    scale = y(0) - y(1)
    shapes = []
    for j, s in enumerate(series):
        for i, v in enumerate(s.values):
            x0 = left + slot * i + slot * 0.1 + (0 if stacked else j * bar)
            low = base[i] if stacked else 0.0
            shapes.append(
                Shape(
                    s.colour,
                    f"{s.name} · {categories[i]}: {format_number(v)} {unit}",
                    x=x0,
                    y=y(low + v),
                    w=max(bar - 1, 1),
                    h=scale * v,
                )
            )
            if stacked:
                base[i] += v
    return shapes


def _lines(
    series: list[Series],
    unit: str,
    left: float,
    slot: float,
    y: Callable[[float], float],
) -> list[Shape]:
    shapes = []
    for j, s in enumerate(series):
        coords = [(left + slot * (i + 0.5), y(v)) for i, v in enumerate(s.values)]
        # Earlier series are drawn wider with bigger markers, later ones on
        # top thinner and dashed: equal values still show every series.
        shapes.append(
            Shape(
                s.colour,
                f"{s.name} ({unit})",
                points=" ".join(f"{a:.1f},{b:.1f}" for a, b in coords),
                dash=DASHES[j % len(DASHES)],
                w=4.0 - min(j, 3) * 0.8,
                r=max(4.5 - j * 0.9, 1.8),
                markers=tuple(coords) if len(coords) <= 40 else (),
            )
        )
    return shapes


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
    labels = [c[:BAR_LABEL_CHARS] for c in categories]
    left = 10 + max((text_width(c) for c in labels), default=4 * CHAR_WIDTH)
    left = min(left, width * 0.45)
    row, top = 24.0, 10.0
    right = 8 + text_width(format_number(top_value)) / 2 + 4
    legend, legend_rows = _legend(series, left, width, False)
    plot_h = row * max(len(categories), 1)
    height = int(top + plot_h + 40 + LEGEND_ROW * legend_rows + 10)
    plot_w = width - left - right

    def x(v: float) -> float:
        return left + plot_w * v / top_value

    value_ticks = [
        Tick(x(step * k), top + plot_h + 16, format_number(step * k)) for k in range(6)
    ]
    grid = [(x(step * k), top, x(step * k), top + plot_h) for k in range(6)]
    category_ticks = [
        Tick(left - 6, top + row * i + row / 2 + 4, c, "end")
        for i, c in enumerate(labels)
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
        legend=_placed(legend, top + plot_h + 52),
        unit_at=(width - 2, top + plot_h + 32, "end"),
        grid=grid, empty=not categories or max(totals, default=0) == 0,
    )  # fmt: skip
