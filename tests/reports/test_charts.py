"""The one chart component: scales and ticks (unit), and the macro's SVG."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import jinja2
import pytest

from export_hub.reports.charts import (
    Series,
    chart,
    format_number,
    nice_ceiling,
    text_width,
)
from export_hub.web.app import TEMPLATES

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("peak", "top", "step"),
    [
        (0, 1, 0.2),
        (0.3, 1, 0.2),
        (1, 2, 0.4),
        (5, 10, 2),
        (7, 10, 2),
        (12, 20, 4),
        (21, 25, 5),
        (26, 50, 10),
        (51, 100, 20),
        (1_234_567, 2_000_000, 400_000),
        (9_000_000_000, 10_000_000_000, 2_000_000_000),
    ],
)
def test_nice_ceiling(peak: float, top: float, step: float) -> None:
    assert nice_ceiling(peak) == pytest.approx((top, step))


def test_numbers_are_short() -> None:
    assert format_number(0) == "0"
    assert format_number(0.2) == "0.2"
    assert format_number(12_500) == "12.5k"
    assert format_number(2_000_000) == "2M"
    assert format_number(3e12) == "3T"


def test_wide_glyphs_count_wider() -> None:
    assert text_width("한국") > text_width("ab")


def lines(values: list[list[float]], categories: list[str] | None = None):
    cats = categories or [f"2026-{m:02d}" for m in range(1, len(values[0]) + 1)]
    return chart(
        "lines",
        title="T",
        desc="D",
        categories=cats,
        series=[Series(f"S{i}", v) for i, v in enumerate(values)],
        unit="KRW",
    )


def test_equal_series_stay_distinguishable() -> None:
    view = lines([[5, 5, 5], [5, 5, 5], [5, 5, 5]])
    assert len({s.dash for s in view.shapes}) == 3
    assert len({s.w for s in view.shapes}) == 3
    assert len({s.r for s in view.shapes}) == 3
    assert [i.dash for i in view.legend] == [s.dash for s in view.shapes]
    # A flat series sits well below the top of the axis (0..10, not a spike).
    assert view.value_ticks[-1].label == "10"
    ys = {float(p.split(",")[1]) for p in view.shapes[0].points.split()}
    _, top, _, height = view.plot
    assert len(ys) == 1
    assert ys.pop() == pytest.approx(top + height / 2, abs=0.1)


def test_all_zeros_draw_an_axis_from_0_to_1_and_say_so() -> None:
    view = lines([[0, 0, 0]])
    assert [t.label for t in view.value_ticks] == ["0", "0.2", "0.4", "0.6", "0.8", "1"]
    assert view.empty


def test_one_point_is_in_the_middle_of_the_plot() -> None:
    view = lines([[3]], ["2026-12"])
    left, _, width, _ = view.plot
    assert view.shapes[0].markers[0][0] == pytest.approx(left + width / 2)
    assert not view.empty


def test_large_numbers_fit_in_the_left_margin() -> None:
    view = chart(
        "columns",
        title="T",
        desc="D",
        categories=["a", "b"],
        series=[Series("s", [1_234_567_890, 5])],
        unit="원",
    )
    assert view.value_ticks[-1].label == "2B"
    for tick in view.value_ticks:
        assert tick.x - text_width(tick.label) >= 0


def test_category_labels_stay_inside_and_do_not_overlap() -> None:
    days = [f"2026-01-{d:02d}" for d in range(1, 32)]
    view = lines([[float(d) for d in range(31)]], days)
    shown = view.category_ticks
    assert 2 <= len(shown) < len(days)
    for tick in shown:
        half = text_width(tick.label) / 2
        low = {"start": tick.x, "middle": tick.x - half, "end": tick.x - 2 * half}
        assert low[tick.anchor] >= 0
        assert low[tick.anchor] + 2 * half <= view.width
    centres = [t.x for t in shown if t.anchor == "middle"]
    assert all(b - a >= text_width(days[0]) for a, b in itertools.pairwise(centres))


def test_bars_leave_room_for_korean_labels_and_unit() -> None:
    view = chart(
        "bars",
        title="T",
        desc="D",
        categories=["대한민국 대전광역시 유성구", "US"],
        series=[Series("매출", [3, 4]), Series("건수", [1, 1])],
        unit="개사",
    )
    assert view.plot[0] >= text_width("대한민국 대전광역시 유성구")
    assert len(view.legend) == 2
    assert view.legend[-1].y < view.height


def test_wrong_length_and_unknown_kind_are_refused() -> None:
    with pytest.raises(ValueError, match="values"):
        chart("lines", title="", desc="", categories=["a"], series=[Series("s", [])],
              unit="")  # fmt: skip
    with pytest.raises(ValueError, match="kind"):
        chart("pie", title="", desc="", categories=[], series=[], unit="")


def render(view, id_: str = "c") -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(default=True),
    )
    macro = env.get_template("_charts.html").module.chart
    return str(macro(view, id_))


@pytest.mark.parametrize("kind", ["columns", "lines", "bars"])
def test_macro_draws_labelled_svg_without_external_urls(kind: str) -> None:
    view = chart(
        kind,
        title="월별 <매출>",
        desc="1월: 5",
        categories=["2026-01", "2026-02"],
        series=[Series("아마존 & Co", [5, 5]), Series("eBay", [5, 5])],
        unit="원",
    )
    html = render(view, "m")
    svg = ET.fromstring(  # noqa: S314 - our own markup
        html.removeprefix('<figure class="chart-box">').removesuffix("</figure>")
    )
    assert svg.get("role") == "img"
    assert svg.get("viewBox") == f"0 0 {view.width} {view.height}"
    assert svg.get("aria-labelledby") == "m-title m-desc"
    assert svg.find(f"{SVG}title").text == "월별 <매출>"  # escaped in the markup
    assert "&lt;매출&gt;" in html
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "원" in texts
    assert "2026-01" in texts
    assert "아마존 & Co" in texts
    assert "eBay" in texts
    assert {t.label for t in view.value_ticks} <= set(texts)
    assert "0" in texts
    assert not re.search(
        r"(?:href|src)=|url\(|https?://(?!www\.w3\.org/2000/svg)", html
    )
    assert "<script" not in html


def test_macro_says_when_there_is_nothing_to_draw() -> None:
    view = chart("columns", title="T", desc="-", categories=[], series=[], unit="원",
                 empty_text="자료 없음")  # fmt: skip
    assert 'class="empty">자료 없음<' in render(view)
