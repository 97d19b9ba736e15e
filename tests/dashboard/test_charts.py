"""The SVG charts: valid, named for a screen reader, scaled to round numbers, escaped."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.dashboard.charts import COLOURS, Series, bar_chart, column_chart, nice_step

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(("largest", "step"), [(0, 1), (3, 1), (4, 1), (5, 2), (9, 5), (40, 10), (41, 20),
                                               (155, 50), (1999, 500), (100_000, 50_000)])
def test_steps_are_round(largest: int, step: int) -> None:
    assert nice_step(largest) == step


def _ticks(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text") if t.attrib.get("class") == "tick"]


def test_columns_have_a_named_image_a_bar_per_value_and_dated_ticks() -> None:
    labels = [f"Nov {d}" for d in range(1, 31)]
    chart = column_chart("c", "New members per day", "12 new members.", labels,
                         [Series("Added", [0] * 29 + [7]), Series("Removed", [5] + [0] * 29, COLOURS[1])],
                         "Members", "Day (UTC)")
    root = ET.fromstring(str(chart.svg))
    assert root.attrib["role"] == "img" and root.attrib["aria-labelledby"] == "c-title c-desc"
    assert root.find(f"{SVG}title").text == "New members per day"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "12 new members."  # type: ignore[union-attr]
    bars = list(root.iter(f"{SVG}rect"))
    assert [b.attrib["fill"] for b in bars] == [COLOURS[0], COLOURS[1]]  # zeros draw nothing
    assert bars[0].find(f"{SVG}title").text == "Nov 30: Added 7"  # type: ignore[union-attr]
    ticks = _ticks(root)
    assert ticks[:3] == ["0", "2", "4"] and ticks[3] == "6" and "8" in ticks  # y axis to 8 by 2
    assert "Nov 1" in ticks and "Nov 30" in ticks and len([t for t in ticks if t.startswith("Nov")]) == 6
    axis_labels = [t.text for t in root.iter(f"{SVG}text") if t.attrib.get("class") == "axis-label"]
    assert axis_labels == ["Members", "Day (UTC)"]
    # The taller bar reaches 7/8 of the plot: heights are to scale.
    plot = 260 - 16 - 52
    assert float(bars[0].attrib["height"]) == pytest.approx(plot * 7 / 8, abs=0.01)


def test_an_empty_period_still_draws_its_axes() -> None:
    chart = column_chart("e", "T", "D", ["a", "b"], [Series("S", [0, 0])], "Y", "X")
    root = ET.fromstring(str(chart.svg))
    assert not list(root.iter(f"{SVG}rect"))
    assert _ticks(root)[:2] == ["0", "1"]


def test_bars_escape_names_and_shorten_long_ones() -> None:
    name = '<b onclick="x">Vetrina & "porta" di Via Garibaldi 12, Milano</b>'
    chart = bar_chart("b", "Per location <1>", "desc & more", [name, "Cassa"], [Series("Members", [3, 1])])
    text = str(chart.svg)
    assert "<b " not in text and "&lt;b onclick=" in text
    root = ET.fromstring(text)  # still well-formed XML
    labels = [t.text or "" for t in root.iter(f"{SVG}text") if t.attrib.get("class") == "label"]
    assert labels[0].endswith("…") and len(labels[0]) == 28 and labels[1] == "Cassa"
    assert [t.text for t in root.iter(f"{SVG}text") if t.attrib.get("class") == "value"] == ["3", "1"]
    assert chart.rows == [(name, [3]), ("Cassa", [1])]  # the table beside it keeps the whole name


def test_a_week_dates_every_day() -> None:
    labels = [f"Nov {d}" for d in range(23, 30)]
    root = ET.fromstring(str(column_chart("w", "T", "D", labels, [Series("S", [1] * 7)], "Y", "X").svg))
    assert [t for t in _ticks(root) if t.startswith("Nov")] == labels
