"""Charts as inline SVG, drawn on the server: no JavaScript, no CDN, readable without colour
(every bar and point carries a <title> with its label and value)."""

from __future__ import annotations

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


def bars(values: Sequence[int | float], labels: Sequence[str], title: str) -> SafeString:
    """Vertical bars (one per label), e.g. mentions per day."""
    top = max(values, default=0) or 1
    step = (WIDTH - 2 * PAD) / max(len(values), 1)
    parts = [f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
             'stroke="#a0aec0"/>',
             f'<text x="{PAD}" y="12" font-size="11">{escape(_number(top))}</text>']  # fmt: skip
    for n, (value, label) in enumerate(zip(values, labels, strict=True)):
        height = (HEIGHT - 2 * PAD) * value / top
        x = PAD + n * step
        parts.append(
            f'<rect x="{x + step * 0.1:.1f}" y="{HEIGHT - PAD - height:.1f}" '
            f'width="{step * 0.8:.1f}" height="{height:.1f}" fill="{COLOURS["bar"]}">'
            f"<title>{escape(label)}: {escape(_number(value))}</title></rect>"
        )
    if labels:
        parts.append(f'<text x="{PAD}" y="{HEIGHT - 8}" font-size="11">{escape(labels[0])}</text>')
        parts.append(
            f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" font-size="11" text-anchor="end">'
            f"{escape(labels[-1])}</text>"
        )
    return _frame("".join(parts), title)


def stacked(rows: Sequence[dict[str, int]], labels: Sequence[str], title: str) -> SafeString:
    """Stacked bars of positive / neutral / negative per label (e.g. per week)."""
    keys = ("positive", "neutral", "negative")
    top = max((sum(row.get(k, 0) for k in keys) for row in rows), default=0) or 1
    step = (WIDTH - 2 * PAD) / max(len(rows), 1)
    parts = []
    for n, (row, label) in enumerate(zip(rows, labels, strict=True)):
        y = HEIGHT - PAD
        for key in keys:
            height = (HEIGHT - 2 * PAD) * row.get(key, 0) / top
            y -= height
            parts.append(
                f'<rect x="{PAD + n * step + step * 0.1:.1f}" y="{y:.1f}" '
                f'width="{step * 0.8:.1f}" height="{height:.1f}" fill="{COLOURS[key]}">'
                f"<title>{escape(label)} {key}: {row.get(key, 0)}</title></rect>"
            )
    legend = "".join(
        f'<rect x="{PAD + i * 110}" y="4" width="10" height="10" fill="{COLOURS[key]}"/>'
        f'<text x="{PAD + 14 + i * 110}" y="13" font-size="11">{key}</text>'
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
