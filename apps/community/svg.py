"""The conversation map as inline SVG drawn on the server: the brand in the middle, the most
active people around it, an arrow per "replied to" with its count. Readable without colour:
every node is labelled with its name and role, every arrow carries its count."""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .selectors import BRAND_NODE, ConversationMap

WIDTH, HEIGHT = 720, 520
COLOURS = {"brand": "#2b6cb0", "helper": "#2f855a", "customer": "#718096",
           "competitor": "#c05621"}  # fmt: skip


def _positions(conversation_map: ConversationMap) -> dict[int, tuple[float, float]]:
    centre = (WIDTH / 2, HEIGHT / 2)
    others = [node for node in conversation_map.nodes if node.key != BRAND_NODE]
    positions = {BRAND_NODE: centre}
    radius = min(WIDTH, HEIGHT) / 2 - 70
    for n, node in enumerate(others):
        angle = -math.pi / 2 + 2 * math.pi * n / max(len(others), 1)
        positions[node.key] = (
            centre[0] + radius * 1.25 * math.cos(angle),
            centre[1] + radius * math.sin(angle),
        )
    return positions


def _size(activity: int, top: int) -> float:
    return 10 + 14 * math.sqrt(activity / top) if top else 10


def conversation_map_svg(conversation_map: ConversationMap, title: str) -> SafeString:
    """``conversation_map`` drawn: nodes sized by activity, arrows from who replied to whom."""
    positions = _positions(conversation_map)
    top = max((node.activity for node in conversation_map.nodes), default=0)
    sizes = {node.key: _size(node.activity, top) for node in conversation_map.nodes}
    widest = max((count for _, _, count in conversation_map.edges), default=1)
    parts = [
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" '
        'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#4a5568"/></marker></defs>'
    ]
    for source, target, count in conversation_map.edges:
        (x1, y1), (x2, y2) = positions[source], positions[target]
        length = math.hypot(x2 - x1, y2 - y1) or 1
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        # A slight offset sideways keeps A→B and B→A apart.
        ox, oy = -uy * 4, ux * 4
        start = (x1 + ux * sizes[source] + ox, y1 + uy * sizes[source] + oy)
        end = (x2 - ux * (sizes[target] + 2) + ox, y2 - uy * (sizes[target] + 2) + oy)
        width = 1 + 4 * count / widest
        parts.append(
            f'<g class="edge"><line x1="{start[0]:.1f}" y1="{start[1]:.1f}" x2="{end[0]:.1f}" '
            f'y2="{end[1]:.1f}" stroke="#4a5568" stroke-opacity="0.6" '
            f'stroke-width="{width:.1f}" marker-end="url(#arrow)"/>'
            f'<text x="{(start[0] + end[0]) / 2 + ox * 2:.1f}" '
            f'y="{(start[1] + end[1]) / 2 + oy * 2:.1f}" font-size="11" '
            f'text-anchor="middle" fill="#1a202c">{count}</text></g>'
        )
    for node in conversation_map.nodes:
        x, y = positions[node.key]
        label = f"{node.label} ({node.role})"
        parts.append(
            f'<g class="node node-{node.role}"><circle cx="{x:.1f}" cy="{y:.1f}" '
            f'r="{sizes[node.key]:.1f}" fill="{COLOURS[node.role]}">'
            f"<title>{escape(label)}: {node.activity} replies given or received</title></circle>"
            f'<text x="{x:.1f}" y="{y + sizes[node.key] + 13:.1f}" font-size="12" '
            f'text-anchor="middle" fill="#1a202c">{escape(node.label[:28])}</text></g>'
        )
    legend_y = HEIGHT - 12
    for n, (role, colour) in enumerate(COLOURS.items()):
        x = 12 + n * 110
        parts.append(
            f'<circle cx="{x}" cy="{legend_y - 4}" r="5" fill="{colour}"/>'
            f'<text x="{x + 9}" y="{legend_y}" font-size="11">{role}</text>'
        )
    return mark_safe(  # noqa: S308 - every text inside is escaped above
        f'<svg class="chart conversation-map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )
