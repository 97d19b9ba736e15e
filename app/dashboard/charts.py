"""Charts drawn on the server as inline SVG: no JavaScript, crisp in print, readable by a screen
reader (role="img" named by its <title>, summarised by its <desc>; the page puts every number in a
table beside it too).

Every text that reaches the SVG is escaped here: location and reward names come from the merchant.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Contrast of at least 4.5:1 on white for each, and told apart by more than hue (navy vs orange).
COLOURS = ("#1f3a5f", "#c2410c", "#2e7d32")
WIDTH = 720
COLUMN_HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 52
ROW = 30
Number = Callable[[int], str]  # writes a figure the page language's way (12.345 / 12,345)
LABEL_WIDTH = 200
MAX_LABEL = 28
TICKS = 6
ALL_TICKS = 10  # up to this many days, every day gets its date under it


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[int]
    colour: str = COLOURS[0]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    desc: str
    svg: Markup
    series: Sequence[Series]
    labels: Sequence[str]

    @property
    def rows(self) -> list[tuple[str, list[int]]]:
        """The chart's numbers as table rows: a label and a value per series."""
        return [(label, [s.values[i] for s in self.series]) for i, label in enumerate(self.labels)]


def nice_step(largest: float, intervals: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) so `intervals` steps cover `largest`."""
    raw = max(largest / intervals, 1)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover (the loop always returns)


def _axis_top(values: Sequence[Sequence[int]]) -> tuple[int, int]:
    largest = max((v for series in values for v in series), default=0)
    step = nice_step(largest)
    return step, max(step, math.ceil(largest / step) * step)


def _open(chart_id: str, title: str, desc: str, height: int, kind: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" id="{escape(chart_id)}" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'preserveAspectRatio="xMidYMid meet">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
    )


def _tick_indices(count: int) -> list[int]:
    if count <= ALL_TICKS:
        return list(range(count))
    return sorted({round(i * (count - 1) / (TICKS - 1)) for i in range(TICKS)})


def _y_axis(step: int, top: int, plot_h: float, y_label: str, number: Number) -> list[str]:
    parts = []
    for value in range(0, top + 1, step):
        y = TOP + plot_h - value / top * plot_h
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{number(value)}</text>')
    middle = TOP + plot_h / 2
    parts.append(f'<text class="axis-label" transform="translate(14 {middle:.1f}) rotate(-90)" '
                 f'text-anchor="middle">{escape(y_label)}</text>')
    return parts


def column_chart(chart_id: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series],
                 y_label: str, x_label: str, number: Number = str) -> Chart:
    """Columns per day (one per series, side by side), a labelled y axis and a few dated ticks."""
    count = len(labels)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, COLUMN_HEIGHT - TOP - BOTTOM
    step, top = _axis_top([s.values for s in series])
    parts = [_open(chart_id, title, desc, COLUMN_HEIGHT, "columns"), *_y_axis(step, top, plot_h, y_label, number)]
    slot = plot_w / max(count, 1)
    bar = slot * 0.8 / max(len(series), 1)
    for s_index, one in enumerate(series):
        for i, value in enumerate(one.values):
            if not value:
                continue
            height = value / top * plot_h
            x = LEFT + i * slot + slot * 0.1 + s_index * bar
            parts.append(
                f'<rect x="{x:.2f}" y="{TOP + plot_h - height:.2f}" width="{max(bar, 0.6):.2f}" '
                f'height="{height:.2f}" fill="{one.colour}"><title>{escape(labels[i])}: '
                f'{escape(one.label)} {number(value)}</title></rect>'
            )
    baseline = TOP + plot_h
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{baseline}" y2="{baseline}"/>')
    for i in _tick_indices(count):
        x = LEFT + (i + 0.5) * slot
        parts.append(f'<text class="tick" x="{x:.1f}" y="{baseline + 18}" text-anchor="middle">'
                     f'{escape(labels[i])}</text>')
    parts.append(f'<text class="axis-label" x="{LEFT + plot_w / 2:.1f}" y="{COLUMN_HEIGHT - 8}" '
                 f'text-anchor="middle">{escape(x_label)}</text>')
    parts.append("</svg>")
    return Chart(chart_id, title, desc, Markup("".join(parts)), series, labels)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def bar_chart(chart_id: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series],
              number: Number = str) -> Chart:
    """Horizontal bars, one row per label (a tier, a reward, a location), the value at the end."""
    rows = max(len(labels), 1)
    band = ROW * max(len(series), 1)
    height = TOP + rows * (band + 10) + 8
    _, top = _axis_top([s.values for s in series])
    plot_w = WIDTH - LABEL_WIDTH - RIGHT - 48  # room for the value after the longest bar
    parts = [_open(chart_id, title, desc, height, "bars")]
    for i, label in enumerate(labels):
        y = TOP + i * (band + 10)
        parts.append(f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + band / 2 + 5:.1f}" '
                     f'text-anchor="end">{escape(_short(label))}</text>')
        for s_index, one in enumerate(series):
            value = one.values[i]
            width = value / top * plot_w
            bar_y = y + s_index * ROW + 4
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{bar_y}" width="{width:.2f}" height="{ROW - 8}" '
                         f'fill="{one.colour}"><title>{escape(label)}: {escape(one.label)} {number(value)}</title></rect>')
            parts.append(f'<text class="value" x="{LABEL_WIDTH + width + 6:.2f}" y="{bar_y + ROW / 2:.1f}">'
                         f'{number(value)}</text>')
    parts.append(f'<line class="axis" x1="{LABEL_WIDTH}" x2="{LABEL_WIDTH}" y1="{TOP - 4}" y2="{height - 8}"/>')
    parts.append("</svg>")
    return Chart(chart_id, title, desc, Markup("".join(parts)), series, labels)
