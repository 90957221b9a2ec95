"""Server-rendered SVG pictures of the network: the concentric-circle map and the weekly contact chart.

Both have a data table beside them in the page as their text alternative.
"""

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from circles.lib import svg
from circles.network import logic

SIZE = 640
CENTRE = SIZE / 2
# Outer radius of each circle's band, innermost first; the member sits inside the first 40 px.
RING_EDGES = {logic.INNER: (44, 120), logic.MIDDLE: (120, 200), logic.OUTER: (200, 280)}
RING_FILL = {logic.INNER: "#e6eefa", logic.MIDDLE: "#eef3fb", logic.OUTER: "#f6f8fc"}
# Each pillar owns a third of the disc; angles in degrees, clockwise from the right, 0 = east.
SECTORS = {logic.FAMILY_FRIENDS: (-150, -30), logic.PROFESSIONAL: (-30, 90), logic.PEER: (90, 210)}
STANCE_COLOUR = {
    logic.SUPPORTS_RECOVERY: "#17694a",
    logic.NEUTRAL: "#44546a",
    logic.SUPPORTS_USE: "#b3261e",
}
STRAIN_COLOUR = "#6b2c91"
PILLAR_COLOUR = {logic.FAMILY_FRIENDS: "#2e64a8", logic.PROFESSIONAL: "#8a5300", logic.PEER: "#17694a"}
MARK_SPACING = 38
LABEL_LIMIT = 60  # beyond this many marks, names would overlap: the table beside the map lists them


def _point(radius: float, degrees: float) -> tuple[float, float]:
    angle = math.radians(degrees)
    return CENTRE + radius * math.cos(angle), CENTRE + radius * math.sin(angle)


def layout(ties: Sequence[logic.TieFacts]) -> dict[int, tuple[float, float]]:
    """Where each tie's mark goes: in its circle's band, inside its pillar's sector, evenly spread."""
    groups: dict[tuple[str, str], list[logic.TieFacts]] = {}
    for tie in ties:
        groups.setdefault((tie.circle, tie.pillar), []).append(tie)
    positions: dict[int, tuple[float, float]] = {}
    for (circle, pillar), members in groups.items():
        low, high = RING_EDGES[circle]
        start, end = SECTORS[pillar]
        margin = 10  # degrees kept clear of the sector lines
        span = end - start - 2 * margin
        # One row along the middle of the band when the marks fit; otherwise as many rows as needed.
        middle = (low + high) / 2
        per_row = max(1, int(math.radians(span) * middle // MARK_SPACING))
        order = sorted(members, key=lambda t: (-t.importance, t.name, t.id))
        rows = min(max(1, math.ceil(len(order) / per_row)), max(1, int((high - low) // 8)))
        per_row = math.ceil(len(order) / rows)
        for row in range(rows):
            radius = middle if rows == 1 else low + 6 + (high - low - 12) * row / (rows - 1)
            items = order[row * per_row : (row + 1) * per_row]
            for index, tie in enumerate(items):
                degrees = start + margin + span * (index + 0.5) / len(items)
                positions[tie.id] = _point(radius, degrees)
    return positions


def _mark(tie: logic.TieFacts, x: float, y: float, size: float) -> str:
    colour = STANCE_COLOUR.get(tie.stance, STANCE_COLOUR[logic.NEUTRAL])
    paused = tie.status != logic.ACTIVE
    fill = "#ffffff" if paused else colour
    common: dict = {"fill": fill, "stroke": colour, "stroke_width": 2}
    if tie.stance == logic.SUPPORTS_RECOVERY:
        shape = svg.element("circle", cx=x, cy=y, r=size, **common)
    elif tie.stance == logic.SUPPORTS_USE:
        corners = [(x, y - size * 1.2), (x + size * 1.1, y + size * 0.8), (x - size * 1.1, y + size * 0.8)]
        points = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in corners)
        shape = svg.element("polygon", points=points, **common)
    else:
        shape = svg.element(
            "rect", x=x - size * 0.85, y=y - size * 0.85, width=size * 1.7, height=size * 1.7, **common
        )
    if tie.strain_flags:
        shape += svg.element(
            "circle",
            cx=x,
            cy=y,
            r=size + 5,
            fill="none",
            stroke=STRAIN_COLOUR,
            stroke_width=2.5,
            stroke_dasharray="4 3",
        )
    return shape


@dataclass(frozen=True)
class MapEntry:
    """One tie as the map and its table show it; built once per tie and shared by both."""

    tie: logic.TieFacts
    url: str
    description: str  # "Sam, supports recovery, strained"
    circle_label: str
    pillar_label: str


def map_entries(ties: Sequence[logic.TieFacts]) -> list[MapEntry]:
    """The current (not ended) ties, innermost circle first, with their links and descriptions."""
    stance_words = {
        logic.SUPPORTS_RECOVERY: _("supports recovery"),
        logic.NEUTRAL: _("neutral"),
        logic.SUPPORTS_USE: _("supports use"),
    }
    strained, paused = _("strained"), _("paused")
    circles = {logic.INNER: _("Inner"), logic.MIDDLE: _("Middle"), logic.OUTER: _("Outer")}
    pillars = {pillar: logic.pillar_label(pillar).capitalize() for pillar in logic.PILLARS}
    url = reverse("network:tie_detail", args=[0]).replace("/0/", "/{}/")
    entries = []
    for tie in sorted(ties, key=lambda t: (logic.CIRCLES.index(t.circle), t.pillar, t.name)):
        if tie.status == "ended":
            continue
        words = [tie.name, stance_words[tie.stance]]
        if tie.strain_flags:
            words.append(strained)
        if tie.status != logic.ACTIVE:
            words.append(paused)
        entries.append(
            MapEntry(tie, url.format(tie.id), ", ".join(words), circles[tie.circle], pillars[tie.pillar])
        )
    return entries


def shared_map_entries(ties: Sequence[logic.TieFacts]) -> list[MapEntry]:
    """The map as a supporter sees it: names, circles and pillars only.

    What the member recorded about each person (stance, strain, their use, contact) stays private, and
    nothing links into the member's own pages.
    """
    blank = [
        dataclasses.replace(
            tie, stance=logic.NEUTRAL, strain_flags=(), status=logic.ACTIVE, last_contact=None
        )
        for tie in ties
        if tie.status != "ended"
    ]
    return [dataclasses.replace(entry, url="", description=entry.tie.name) for entry in map_entries(blank)]


def map_table_rows(entries: Sequence[MapEntry]) -> str:
    """The map's text alternative: one table row per tie (built here, as the map is, to stay fast)."""
    return format_html_join(
        "\n",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                format_html('<a href="{}">{}</a>', e.url, e.tie.name) if e.url else e.tie.name,
                e.circle_label,
                e.pillar_label,
                e.description,
                date_format(e.tie.last_contact, "M j") if e.tie.last_contact else "—",
            )
            for e in entries
        ),
    )


def map_label(name: str, limit: int = 12) -> str:
    """The name under a mark, shortened to whole words so it stays part of the link's spoken name."""
    if len(name) <= limit:
        return name
    words = name.split()
    label = words[0]
    for word in words[1:]:
        if len(label) + 1 + len(word) >= limit:
            break
        label += " " + word
    return label if label == name else label + "…"


def network_map(entries: Sequence[MapEntry], member_name: str, *, viewer_is_member: bool = True) -> str:
    """The concentric-circle map: inner, middle and outer circles, split into the three pillars."""
    shown = [entry.tie for entry in entries]
    by_id = {entry.tie.id: entry for entry in entries}
    parts: list[str] = []
    for circle in reversed(logic.CIRCLES):
        parts.append(
            svg.element(
                "circle",
                cx=CENTRE,
                cy=CENTRE,
                r=RING_EDGES[circle][1],
                fill=RING_FILL[circle],
                stroke="#8796ad",
                stroke_width=1,
            )
        )
    for start, _end in SECTORS.values():
        x1, y1 = _point(RING_EDGES[logic.INNER][0], start)
        x2, y2 = _point(RING_EDGES[logic.OUTER][1], start)
        parts.append(svg.element("line", x1=x1, y1=y1, x2=x2, y2=y2, stroke="#8796ad", stroke_width=1))
    for pillar, (start, end) in SECTORS.items():
        x, y = _point(RING_EDGES[logic.OUTER][1] + 22, (start + end) / 2)
        parts.append(
            svg.text(
                logic.pillar_label(pillar).capitalize(),
                x=x,
                y=y + 5,
                text_anchor="middle",
                font_size=16,
                font_weight="bold",
                fill=PILLAR_COLOUR[pillar],
            )
        )
    parts.append(svg.element("circle", cx=CENTRE, cy=CENTRE, r=34, fill="#1f2a44"))
    parts.append(
        svg.text(
            _("You") if viewer_is_member else map_label(member_name, limit=8),
            x=CENTRE,
            y=CENTRE + 5,
            text_anchor="middle",
            font_size=15,
            fill="#ffffff",
            font_weight="bold",
        )
    )

    positions = layout(shown)
    size = 12.0 if len(shown) <= LABEL_LIMIT else 7.0  # 24 px across: WCAG 2.2 target size
    for tie in shown:
        x, y = positions[tie.id]
        inner = _mark(tie, x, y, size)
        if len(shown) <= LABEL_LIMIT:
            inner += svg.text(
                map_label(tie.name), x=x, y=y + size + 15, text_anchor="middle", font_size=14, fill="#1f2a44"
            )
        entry = by_id[tie.id]
        inner = svg.element("title", svg.escape(entry.description)) + inner
        if entry.url:
            parts.append(svg.element("a", inner, href=entry.url, aria_label=entry.description))
        else:
            parts.append(svg.element("g", inner, role="img", aria_label=entry.description))
    summary = _(
        "Map of %(name)s's support network: %(count)d ties in inner, middle and outer circles, "
        "across family & friends, professional and peer pillars."
    ) % {"name": member_name, "count": len(shown)}
    return svg.document(
        parts,
        width=SIZE,
        height=SIZE,
        title=_("Your support network")
        if viewer_is_member
        else _("%(name)s's support network") % {"name": member_name},
        description=summary,
        role="group",
        class_="network-map",
    )


def weekly_chart(weeks: Sequence[logic.WeekOfContact]) -> str:
    """Stacked bars: contacts per pillar in each of the last weeks."""
    width, height, left, bottom, top = 640, 260, 40, 40, 16
    plot_height = height - bottom - top
    peak = max((week.total for week in weeks), default=0)
    scale_max = max(4, math.ceil(peak / 4) * 4)
    slot = (width - left - 10) / max(1, len(weeks))
    parts: list[str] = []
    for step in range(5):
        value = scale_max * step / 4
        y = top + plot_height - plot_height * step / 4
        parts.append(
            svg.element("line", x1=left, y1=y, x2=width - 10, y2=y, stroke="#d0d7e2", stroke_width=1)
        )
        parts.append(
            svg.text(f"{value:.0f}", x=left - 6, y=y + 4, text_anchor="end", font_size=11, fill="#44546a")
        )
    for index, week in enumerate(weeks):
        x = left + slot * index + slot * 0.15
        y = top + plot_height
        for pillar in logic.PILLARS:
            count = week.counts.get(pillar, 0)
            if not count:
                continue
            bar = plot_height * count / scale_max
            y -= bar
            parts.append(
                svg.element(
                    "rect",
                    x=x,
                    y=y,
                    width=slot * 0.7,
                    height=bar,
                    fill=PILLAR_COLOUR[pillar],
                    stroke="#ffffff",
                    stroke_width=1,
                )
            )
        if index % 2 == 0 or len(weeks) <= 6:
            parts.append(
                svg.text(
                    date_format(week.week_start, "M j"),
                    x=x + slot * 0.35,
                    y=height - bottom + 16,
                    text_anchor="middle",
                    font_size=11,
                    fill="#44546a",
                )
            )
    total = sum(week.total for week in weeks)
    description = _(
        "Contacts per pillar in each of the last %(weeks)d weeks; %(total)d in all. "
        "The table below gives every number."
    ) % {"weeks": len(weeks), "total": total}
    return svg.document(
        parts,
        width=width,
        height=height,
        title=_("Contact per week"),
        description=description,
        class_="chart",
    )
