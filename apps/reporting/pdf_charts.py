"""The PDF report's charts (reportlab drawings): mentions by day, sentiment against the previous
period, the acknowledgement-to-advocacy funnel; in the colours of the agency's look."""

from __future__ import annotations

import math
from datetime import date

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

MAX_DAY_LABELS = 10

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#616e7c")
RULE = colors.HexColor("#cbd2d9")
ACCENT = colors.HexColor("#2563eb")
SENTIMENT_COLOURS = {
    "positive": colors.HexColor("#16a34a"),
    "neutral": colors.HexColor("#9ca3af"),
    "negative": colors.HexColor("#dc2626"),
}
WIDTH = A4[0] - 36 * mm  # the frame's width with 18 mm margins


# --- charts --------------------------------------------------------------------------------------


def _nice_step(top: float, ticks: int = 5) -> int:
    raw = max(top / ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return int(factor * magnitude)
    return int(10 * magnitude)


def _bars(width: float, height: float, data: list[list[int]], names: list[str]) -> tuple:
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 10 * mm
    chart.width, chart.height = width - 16 * mm, height - 18 * mm
    chart.data = data
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.fillColor = MUTED
    chart.categoryAxis.strokeColor = RULE
    top = max([sum(column) for column in zip(*data, strict=True)] or [0])
    step = _nice_step(top)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = step * max(1, math.ceil(top * 1.1 / step))  # room for labels
    chart.valueAxis.valueStep = step
    chart.valueAxis.labels.fontName = "Helvetica"
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labels.fillColor = MUTED
    chart.valueAxis.labelTextFormat = lambda value: f"{value:,.0f}"
    chart.valueAxis.strokeColor = RULE
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#eef2f6")
    drawing.add(chart)
    return drawing, chart


def volume_chart(by_day: list[dict], accent=ACCENT) -> Drawing:
    """Mentions per local day, with about ten dates along the axis."""
    every = max(1, math.ceil(len(by_day) / MAX_DAY_LABELS))
    names = [
        formats.date_format(date.fromisoformat(d["date"]), "j M") if n % every == 0 else ""
        for n, d in enumerate(by_day)
    ]
    drawing, chart = _bars(WIDTH, 62 * mm, [[d["count"] for d in by_day] or [0]], names or [""])
    chart.bars[0].fillColor = accent
    chart.bars.strokeColor = None
    chart.barSpacing = 0.5
    chart.groupSpacing = 1 if len(by_day) > 60 else 3
    return drawing


def sentiment_chart(current: dict, previous: dict) -> Drawing:
    """The period's sentiment beside the previous period's, stacked."""
    keys = list(SENTIMENT_COLOURS)
    data = [[previous[key], current[key]] for key in keys]
    names = [_("Previous period"), _("This period")]
    drawing, chart = _bars(WIDTH / 2 - 4 * mm, 62 * mm, data, names)
    chart.width -= 22 * mm
    chart.categoryAxis.style = "stacked"
    chart.bars.strokeColor = None
    for n, key in enumerate(keys):
        chart.bars[n].fillColor = SENTIMENT_COLOURS[key]
    legend = Legend()
    legend.x, legend.y = chart.x + chart.width + 4 * mm, chart.y + chart.height
    legend.fontName, legend.fontSize = "Helvetica", 7
    legend.alignment = "right"
    legend.colorNamePairs = [(SENTIMENT_COLOURS[key], key.title()) for key in keys]
    drawing.add(legend)
    return drawing


def funnel_chart(funnel: dict) -> Drawing:
    """People acknowledged → came back → came back positive → advocates."""
    steps = [("acknowledged", _("Acknowledged")), ("returned", _("Came back")),
             ("positive", _("Positive")), ("advocate", _("Advocate"))]  # fmt: skip
    drawing, chart = _bars(
        WIDTH / 2 - 4 * mm, 62 * mm, [[funnel[key] for key, _ in steps]], [n for _, n in steps]
    )
    chart.bars[0].fillColor = colors.HexColor("#7c3aed")
    chart.bars.strokeColor = None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName, chart.barLabels.fontSize = "Helvetica", 7
    chart.barLabels.nudge = 6
    return drawing


def titled(title: str, drawing: Drawing) -> Drawing:
    drawing.add(String(0, drawing.height - 4 * mm, title, fontName="Helvetica-Bold", fontSize=9))
    return drawing
