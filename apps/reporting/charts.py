"""Charts as inline SVG, drawn on the server: no JavaScript, no CDN, readable without colour
(every bar and point carries a <title> with its label and value)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 640, 200, 28
COLOURS = {"positive": "#2f855a", "neutral": "#718096", "negative": "#c53030", "bar": "#2b6cb0"}


def _frame(body: str, title: str, height: int = HEIGHT) -> SafeString:
    return mark_safe(  # noqa: S308 - every text inside is escaped below
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


LEFT = 48  # room for the y axis's values


def _nice(top: float) -> float:
    """The axis's top: ``top`` rounded up to 1, 2, 2.5 or 5 times a power of ten."""
    if top <= 0:
        return 1
    power = 10 ** math.floor(math.log10(top))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= top)


def _axes(top: float, labels: Sequence[str], step: float, unit: str) -> list[str]:
    """Gridlines with the y axis's values (0, half, top), the x axis and every few labels."""
    parts = []
    for share in (0, 0.5, 1):
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * share
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - PAD}" y2="{y:.1f}" '
            f'stroke="{"#a0aec0" if share == 0 else "#e2e8f0"}"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#4a5568">{escape(_number(top * share))}</text>'
        )
    if unit:
        parts.append(f'<text x="{LEFT}" y="12" font-size="11" fill="#4a5568">{escape(unit)}</text>')
    every = max(1, math.ceil(len(labels) / 6))  # at most about six labels along the x axis
    for n, label in enumerate(labels):
        if n % every == 0:
            x = LEFT + n * step + step / 2
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - 8}" font-size="11" text-anchor="middle" '
                f'fill="#4a5568">{escape(_short(label))}</text>'
            )
    return parts


def _short(label: str) -> str:
    """An ISO day as ``12-05`` (month-day) on an axis; other labels as they are."""
    return label[5:] if len(label) == 10 and label[4] == "-" and label[7] == "-" else label


def _linked(shape: str, href: str | None) -> str:
    """``shape`` inside a link (a bar leading to the mentions behind it), if there is one."""
    return f'<a href="{escape(href)}">{shape}</a>' if href else shape


def bars(
    values: Sequence[int | float],
    labels: Sequence[str],
    title: str,
    unit: str = "",
    links: Sequence[str] | None = None,
) -> SafeString:
    """Vertical bars (one per label), e.g. mentions per day, on a y axis with its values; each
    bar a link to ``links[n]`` when given."""
    top = _nice(max(values, default=0))
    step = (WIDTH - LEFT - PAD) / max(len(values), 1)
    parts = _axes(top, labels, step, unit)
    for n, (value, label) in enumerate(zip(values, labels, strict=True)):
        height = (HEIGHT - 2 * PAD) * value / top
        x = LEFT + n * step
        bar = (
            f'<rect x="{x + step * 0.1:.1f}" y="{HEIGHT - PAD - height:.1f}" '
            f'width="{step * 0.8:.1f}" height="{height:.1f}" fill="{COLOURS["bar"]}">'
            f"<title>{escape(label)}: {escape(_number(value))}</title></rect>"
        )
        parts.append(_linked(bar, links[n] if links else None))
    return _frame("".join(parts), title)


def stacked(
    rows: Sequence[dict[str, int]],
    labels: Sequence[str],
    title: str,
    unit: str = "",
    links: Sequence[dict[str, str]] | None = None,
) -> SafeString:
    """Stacked bars of positive / neutral / negative per label (e.g. per day), with a legend;
    each part a link to ``links[n][sentiment]`` when given."""
    keys = ("positive", "neutral", "negative")
    top = _nice(max((sum(row.get(k, 0) for k in keys) for row in rows), default=0))
    step = (WIDTH - LEFT - PAD) / max(len(rows), 1)
    parts = _axes(top, labels, step, unit)
    for n, (row, label) in enumerate(zip(rows, labels, strict=True)):
        y = HEIGHT - PAD
        for key in keys:
            height = (HEIGHT - 2 * PAD) * row.get(key, 0) / top
            y -= height
            part = (
                f'<rect x="{LEFT + n * step + step * 0.1:.1f}" y="{y:.1f}" '
                f'width="{step * 0.8:.1f}" height="{height:.1f}" fill="{COLOURS[key]}">'
                f"<title>{escape(label)} {key}: {row.get(key, 0)}</title></rect>"
            )
            parts.append(_linked(part, links[n][key] if links else None))
    legend = "".join(
        f'<rect x="{WIDTH - PAD - 330 + i * 110}" y="2" width="10" height="10" '
        f'fill="{COLOURS[key]}"/>'
        f'<text x="{WIDTH - PAD - 316 + i * 110}" y="11" font-size="11">{key}</text>'
        for i, key in enumerate(keys)
    )
    return _frame(legend + "".join(parts), title)


def funnel(stages: Sequence[tuple[str, int]], title: str) -> SafeString:
    """Horizontal bars narrowing stage by stage, each with its count and share of the first."""
    first = stages[0][1] if stages and stages[0][1] else 1
    row = 34
    height = row * len(stages) + 8
    parts = []
    for n, (label, value) in enumerate(stages):
        width = (WIDTH - 220) * value / first
        share = f"{100 * value / first:.0f}%" if stages[0][1] else "n/a"
        parts.append(
            f'<text x="0" y="{n * row + 22}" font-size="13">{escape(label)}</text>'
            f'<rect x="120" y="{n * row + 6}" width="{width:.1f}" height="24" '
            f'fill="{COLOURS["bar"]}"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{126 + width:.1f}" y="{n * row + 22}" font-size="13">'
            f"{value} ({share})</text>"
        )
    return _frame("".join(parts), title, height)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
