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
from django.utils.translation import gettext_lazy, ngettext

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
CIRCLE_WORDS = {
    logic.INNER: gettext_lazy("Inner"),
    logic.MIDDLE: gettext_lazy("Middle"),
    logic.OUTER: gettext_lazy("Outer"),
}
PILLAR_COLOUR = {logic.FAMILY_FRIENDS: "#2e64a8", logic.PROFESSIONAL: "#8a5300", logic.PEER: "#17694a"}
MARK_SPACING = 38
# A circle's band holds this many rows of marks, 60 px apart: room for a strain ring and a name.
MAX_ROWS = 2
# At most this many people are drawn one by one. A pillar of a circle whose people would not fit in
# its part of the band, or beyond this many, shows how many people it holds instead: a map of 500 marks
# is neither legible nor small. The table below the map lists everyone.
MAP_MARKS = 60
MARGIN_DEGREES = 10  # kept clear of the sector lines
TIGHT_SPACING = 30  # px between marks when a pillar needs two rows: 24 px marks, 6 px apart
LABEL_CHAR_WIDTH = 7.5  # px per character of a 14 px label, a little over the average


def _point(radius: float, degrees: float) -> tuple[float, float]:
    angle = math.radians(degrees)
    return CENTRE + radius * math.cos(angle), CENTRE + radius * math.sin(angle)


def _fits(radius: float, spacing: float = MARK_SPACING) -> int:
    """How many marks fit side by side on an arc of this radius inside a pillar's sector."""
    return max(1, int(math.radians(120 - 2 * MARGIN_DEGREES) * radius // spacing))


def _rows(circle: str, count: int) -> int:
    """Rows of marks a pillar's people need in a circle's band: one along its middle if they fit there,
    else as many as the shortest row (the innermost, 10 px inside the band) needs."""
    low, high = RING_EDGES[circle]
    if count <= _fits((low + high) / 2):
        return 1
    return max(2, math.ceil(count / _fits(low + 10, TIGHT_SPACING)))


@dataclass(frozen=True)
class Place:
    x: float
    y: float
    label: str  # "below", "above" or "" (no room for the name: it is in the link and the table)


def layout(ties: Sequence[logic.TieFacts]) -> dict[int, Place]:
    """Where each tie's mark goes: in its circle's band, inside its pillar's sector, evenly spread.

    Names go under the marks when a pillar's people fit in one row with room for them, alternately under
    and over when there is room for every second one, and are left out when even that would overlap.
    """
    groups: dict[tuple[str, str], list[logic.TieFacts]] = {}
    for tie in ties:
        groups.setdefault((tie.circle, tie.pillar), []).append(tie)
    places: dict[int, Place] = {}
    for (circle, pillar), members in groups.items():
        low, high = RING_EDGES[circle]
        start, end = SECTORS[pillar]
        span = end - start - 2 * MARGIN_DEGREES
        middle = (low + high) / 2
        order = sorted(members, key=lambda t: (-t.importance, t.name, t.id))
        rows = _rows(circle, len(order))
        per_row = math.ceil(len(order) / rows)
        room = math.radians(span) * middle / len(order)  # px between neighbours on a single row
        widest = max(len(map_label(tie.name)) for tie in order) * LABEL_CHAR_WIDTH
        label_mode = (
            "" if rows > 1 else "below" if room >= widest else "alternate" if 2 * room >= widest else ""
        )
        for row in range(rows):
            radius = middle if rows == 1 else low + 10 + (high - low - 20) * row / (rows - 1)
            items = order[row * per_row : (row + 1) * per_row]
            for index, tie in enumerate(items):
                degrees = start + MARGIN_DEGREES + span * (index + 0.5) / len(items)
                x, y = _point(radius, degrees)
                label = (
                    "above"
                    if label_mode == "alternate" and index % 2
                    else label_mode.replace("alternate", "below")
                )
                places[tie.id] = Place(x, y, label)
    return places


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


def drawn_and_summarised(
    entries: Sequence[MapEntry], limit: int = MAP_MARKS
) -> tuple[list[MapEntry], dict[tuple[str, str], int]]:
    """Which people the map draws one by one, and how many it counts per (circle, pillar) instead.

    Innermost circle first, each pillar of a circle is drawn when its people fit in its part of the band
    (MAX_ROWS rows) and within `limit` marks in all; otherwise it shows its number of people.
    """
    groups: dict[tuple[str, str], list[MapEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.tie.circle, entry.tie.pillar), []).append(entry)
    drawn: list[MapEntry] = []
    counted: dict[tuple[str, str], int] = {}
    for key in sorted(groups, key=lambda k: (logic.CIRCLES.index(k[0]), logic.PILLARS.index(k[1]))):
        members = groups[key]
        if _rows(key[0], len(members)) <= MAX_ROWS and len(drawn) + len(members) <= limit:
            drawn.extend(members)
        else:
            counted[key] = len(members)
    return drawn, counted


def _counted_group(circle: str, pillar: str, count: int) -> str:
    """A badge in the middle of a circle's band, in the pillar's sector: how many people are there."""
    low, high = RING_EDGES[circle]
    start, end = SECTORS[pillar]
    x, y = _point((low + high) / 2, (start + end) / 2)
    label = ngettext(
        "%(circle)s circle, %(pillar)s: %(count)d person, listed in the table below the map",
        "%(circle)s circle, %(pillar)s: %(count)d people, listed in the table below the map",
        count,
    ) % {"circle": CIRCLE_WORDS[circle], "pillar": logic.pillar_label(pillar), "count": count}
    inner = svg.element("title", svg.escape(label))
    inner += svg.element(
        "circle", cx=x, cy=y, r=24, fill="#ffffff", stroke=PILLAR_COLOUR[pillar], stroke_width=3
    )
    inner += svg.text(
        str(count), x=x, y=y + 2, text_anchor="middle", font_size=16, font_weight="bold", fill="#1f2a44"
    )
    inner += svg.text(
        ngettext("person", "people", count), x=x, y=y + 14, text_anchor="middle", font_size=10, fill="#1f2a44"
    )
    return svg.element("g", inner, role="img", aria_label=label)


def network_map(entries: Sequence[MapEntry], member_name: str, *, viewer_is_member: bool = True) -> str:
    """The concentric-circle map: inner, middle and outer circles, split into the three pillars.

    Up to MAP_MARKS people are drawn one by one; a pillar of a circle too full to draw shows its count.
    """
    drawn, counted = drawn_and_summarised(entries)
    shown = [entry.tie for entry in drawn]
    by_id = {entry.tie.id: entry for entry in drawn}
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
        # A pillar's name beside the disc ends at the picture's edge, so it stays whole when the map
        # shrinks to a phone and its names are drawn larger (circles.css).
        anchor = "middle"
        if x > CENTRE + RING_EDGES[logic.INNER][1]:
            anchor, x = "end", SIZE - 4
        elif x < CENTRE - RING_EDGES[logic.INNER][1]:
            anchor, x = "start", 4
        parts.append(
            svg.text(
                logic.pillar_label(pillar).capitalize(),
                x=x,
                y=y + 5,
                text_anchor=anchor,
                font_size=16,
                font_weight="bold",
                fill=PILLAR_COLOUR[pillar],
                class_="pillar-label",
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

    places = layout(shown)
    size = 12.0  # 24 px across: WCAG 2.2 target size
    for tie in shown:
        place = places[tie.id]
        inner = _mark(tie, place.x, place.y, size)
        if place.label:
            y = place.y + size + 15 if place.label == "below" else place.y - size - 6
            inner += svg.text(
                map_label(tie.name),
                x=place.x,
                y=y,
                text_anchor="middle",
                font_size=14,
                fill="#1f2a44",
                class_="mark-label",
            )
        entry = by_id[tie.id]
        inner = svg.element("title", svg.escape(entry.description)) + inner
        if entry.url:
            parts.append(svg.element("a", inner, href=entry.url, aria_label=entry.description))
        else:
            parts.append(svg.element("g", inner, role="img", aria_label=entry.description))
    for (circle, pillar), count in counted.items():
        parts.append(_counted_group(circle, pillar, count))
    summary = _(
        "Map of %(name)s's support network: %(count)d ties in inner, middle and outer circles, "
        "across family & friends, professional and peer pillars."
    ) % {"name": member_name, "count": len(entries)}
    if counted:
        summary += " " + _(
            "%(drawn)d are drawn one by one; the other circles show how many people each pillar holds."
        ) % {"drawn": len(drawn)}
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
