"""Server-rendered SVG charts of the trajectory, all on one shared time axis.

Each chart has a data table beside it in the page as its text alternative.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from circles.checkins.models import SUBSCALE_LABELS
from circles.checkins.trajectory import DayPoint, InstrumentSeries
from circles.lib import svg
from circles.network import logic as network_logic
from circles.network.drawing import PILLAR_COLOUR

WIDTH = 480
LEFT, RIGHT, TOP, BOTTOM = 36, 10, 12, 30
GRID = "#d0d7e2"
AXIS_TEXT = "#44546a"
# Each line differs by colour AND by dash and marker, so it reads without colour vision.
CHECKIN_LINES = (
    ("mood", "#1d4a82", None, "circle"),
    ("craving", "#b3261e", "6 4", "square"),
    ("stress", "#8a5300", "2 3", "diamond"),
)
BAND_FILLS = ("#e7f4ec", "#f3f6d9", "#fdf1dc", "#fbe3d6", "#f8d7d5")


@dataclass(frozen=True)
class TimeAxis:
    """Maps days to x, the same for every chart on the page."""

    start: dt.date
    end: dt.date

    @property
    def span(self) -> int:
        return max(1, (self.end - self.start).days + 1)

    def x(self, day: dt.date | float) -> float:
        offset = (day - self.start).days + 0.5 if isinstance(day, dt.date) else day
        return LEFT + (WIDTH - LEFT - RIGHT) * offset / self.span

    def ticks(self) -> list[dt.date]:
        step = 7 if self.span <= 45 else 14 if self.span <= 120 else 61
        return [self.start + dt.timedelta(days=n) for n in range(0, self.span, step)]


def _frame(axis: TimeAxis, low: float, high: float, height: int, ticks: Sequence[float]) -> list[str]:
    """Grid lines and labels at `ticks` (values on the y scale), and the shared date labels."""
    parts = []
    for value in ticks:
        y = _y(value, low, high, height)
        parts.append(svg.element("line", x1=LEFT, y1=y, x2=WIDTH - RIGHT, y2=y, stroke=GRID, stroke_width=1))
        label = f"{value:g}"
        parts.append(svg.text(label, x=LEFT - 6, y=y + 4, text_anchor="end", font_size=12, fill=AXIS_TEXT))
    for day in axis.ticks():
        parts.append(
            svg.text(
                date_format(day, "M j"),
                x=axis.x(day),
                y=height - BOTTOM + 16,
                text_anchor="middle",
                font_size=12,
                fill=AXIS_TEXT,
            )
        )
    return parts


def even_ticks(low: float, high: float, steps: int = 4) -> list[float]:
    return [low + (high - low) * step / steps for step in range(steps + 1)]


def band_fills(bands: Sequence, higher_is_better: bool) -> list[str]:
    """Green for the best band through red for the worst, whichever end of the scale is better."""
    count = len(bands)
    if count == 0:
        return []
    if count == 2:  # a cut-off, not a severity scale: the other side is amber, not alarm red
        shades = [BAND_FILLS[0], BAND_FILLS[2]]
    else:
        shades = [BAND_FILLS[round(i * (len(BAND_FILLS) - 1) / max(1, count - 1))] for i in range(count)]
    return shades[::-1] if higher_is_better else shades


def _y(value: float, low: float, high: float, height: int) -> float:
    plot = height - TOP - BOTTOM
    return TOP + plot - plot * (value - low) / ((high - low) or 1)


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return svg.element("rect", x=x - 3, y=y - 3, width=6, height=6, fill=colour)
    if shape == "diamond":
        return svg.element(
            "polygon",
            points=f"{x:.1f},{y - 4:.1f} {x + 4:.1f},{y:.1f} {x:.1f},{y + 4:.1f} {x - 4:.1f},{y:.1f}",
            fill=colour,
        )
    return svg.element("circle", cx=x, cy=y, r=3, fill=colour)


def _line(points: Sequence[tuple[dt.date, float]], axis: TimeAxis, low, high, height, colour, dash, shape):
    """A line broken wherever a day is missing, so a gap is never drawn as a trend.

    Its pieces share one group that carries the line's style, so a year of check-ins stays small.
    """
    pieces = []
    run: list[tuple[float, float]] = []
    previous: dt.date | None = None
    for day, value in points:
        xy = (axis.x(day), _y(value, low, high, height))
        if previous is not None and (day - previous).days > 1 and run:
            pieces.append(_points(run))
            run = []
        run.append(xy)
        previous = day
    if run:
        pieces.append(_points(run))
    parts = []
    if pieces:
        style = {"fill": "none", "stroke": colour, "stroke_width": 2, "stroke_dasharray": dash}
        parts.append(svg.element("g", "".join(svg.element("polyline", points=p) for p in pieces), **style))
    if len(points) <= 120:
        parts.extend(_marker(shape, x, y, colour) for x, y in _xy(points, axis, low, high, height))
    return parts


def _xy(points, axis, low, high, height):
    return [(axis.x(day), _y(value, low, high, height)) for day, value in points]


def _points(run: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in run)


def _polyline(run: list[tuple[float, float]], colour: str, dash: str | None) -> str:
    return svg.element(
        "polyline", points=_points(run), fill="none", stroke=colour, stroke_width=2, stroke_dasharray=dash
    )


def checkin_chart(points: Sequence[DayPoint], axis: TimeAxis, *, daily_table: bool = True) -> str:
    """Mood, craving and stress (0–10) per day; the table below gives every day, or each week's averages."""
    height = 210
    parts = _frame(axis, 0, 10, height, ticks=[0, 2, 4, 6, 8, 10])
    for name, colour, dash, shape in CHECKIN_LINES:
        series = [(p.day, float(getattr(p, name))) for p in points]
        parts.extend(_line(series, axis, 0, 10, height, colour, dash, shape))
    description = _(
        "Mood, craving and stress from 0 to 10 on each day you checked in, %(start)s to %(end)s; "
        "%(count)d check-ins."
    ) % {"start": date_format(axis.start, "M j"), "end": date_format(axis.end, "M j"), "count": len(points)}
    description += " " + (
        _("The table below gives every number.")
        if daily_table
        else _("The table below gives each week's averages.")
    )
    return svg.document(
        parts,
        width=WIDTH,
        height=height,
        title=_("Mood, craving and stress"),
        description=description,
        class_="chart trend",
    )


def instrument_chart(series: InstrumentSeries, axis: TimeAxis) -> str:
    """One instrument's scores over time with its bands shaded; BAM draws its three subscales."""
    spec = series.instrument
    height = 180
    if spec.scale_min is not None and spec.scale_max is not None:
        low, high = spec.scale_min, spec.scale_max
        lines = [("total", [(p.day, p.total) for p in series.points if p.total is not None])]
    else:
        names = sorted({name for p in series.points for name in p.subscales})
        values = [v for p in series.points for v in p.subscales.values()]
        # BAM subscales: use 0–12, risk and protective 0–24; one scale fits all three.
        low, high = 0.0, max(24.0, max(values, default=0.0))
        lines = [
            (name, [(p.day, p.subscales[name]) for p in series.points if name in p.subscales])
            for name in names
        ]
    parts: list[str] = []
    plot_left, plot_right = LEFT, WIDTH - RIGHT
    fills = band_fills(spec.bands, spec.higher_is_better)
    for index, band in enumerate(spec.bands):
        top = _y(min(band.high, high), low, high, height)
        bottom = _y(max(band.low, low), low, high, height)
        parts.append(
            svg.element(
                "rect",
                x=plot_left,
                y=top,
                width=plot_right - plot_left,
                height=max(1.0, bottom - top),
                fill=fills[index],
            )
        )
        parts.append(
            svg.text(
                str(band.label),
                x=plot_left + 4,
                y=top + 12,
                text_anchor="start",
                font_size=11,
                fill=AXIS_TEXT,
            )
        )
    # Label the band edges when there are bands (the numbers people look up), else even steps.
    ticks = sorted({band.low for band in spec.bands} | {low, high}) if spec.bands else even_ticks(low, high)
    parts.extend(_frame(axis, low, high, height, ticks=ticks))
    styles = [("#1d4a82", None, "circle"), ("#b3261e", "6 4", "square"), ("#17694a", "2 3", "diamond")]
    for (name, points), (colour, dash, shape) in zip(lines, styles, strict=False):
        # Scores taken weeks apart are joined: each is a reading, not a daily series.
        parts.extend(_scores_line(points, axis, low, high, height, colour, dash, shape))
        if len(lines) > 1 and points:  # several subscales: name each line where it ends
            x, y = _xy(points[-1:], axis, low, high, height)[0]
            label = str(SUBSCALE_LABELS.get(name, name))
            parts.append(svg.text(label, x=min(x + 6, WIDTH - 90), y=y - 6, font_size=12, fill=colour))
    description = _(
        "%(name)s scores from %(start)s to %(end)s: %(count)d results. The table below gives each one."
    ) % {
        "name": spec.name,
        "start": date_format(axis.start, "M j"),
        "end": date_format(axis.end, "M j"),
        "count": len(series.points),
    }
    return svg.document(
        parts,
        width=WIDTH,
        height=height,
        title=spec.label,
        description=description,
        class_="chart trend",
    )


def _scores_line(points, axis, low, high, height, colour, dash, shape) -> list[str]:
    xy = _xy(points, axis, low, high, height)
    parts = [_polyline(xy, colour, dash)] if len(xy) > 1 else []
    parts.extend(_marker(shape, x, y, colour) for x, y in xy)
    return parts


def contact_chart(weeks: Sequence[network_logic.WeekOfContact], axis: TimeAxis) -> str:
    """Weekly contact per pillar as stacked bars placed on the same days as the charts above."""
    height = 180
    peak = max((week.total for week in weeks), default=0)
    top_value = max(4, -(-peak // 4) * 4)
    parts = _frame(axis, 0, top_value, height, ticks=even_ticks(0, top_value))
    # One group per pillar carries the colours, so a year of weeks stays small.
    bars: dict[str, list[str]] = {pillar: [] for pillar in network_logic.PILLARS}
    for week in weeks:
        left = max(axis.x(float((week.week_start - axis.start).days)), LEFT)
        right = min(axis.x(float((week.week_start - axis.start).days + 7)), WIDTH - RIGHT)
        if right <= left:
            continue
        base = _y(0, 0, top_value, height)
        for pillar in network_logic.PILLARS:
            count = week.counts.get(pillar, 0)
            if not count:
                continue
            top = _y(count, 0, top_value, height) - (_y(0, 0, top_value, height) - base)
            bars[pillar].append(
                svg.element("rect", x=left + 1, y=top, width=max(1.0, right - left - 2), height=base - top)
            )
            base = top
    for pillar, rects in bars.items():
        if rects:
            parts.append(
                svg.element("g", "".join(rects), fill=PILLAR_COLOUR[pillar], stroke="#ffffff", stroke_width=1)
            )
    total = sum(week.total for week in weeks)
    description = _(
        "Contacts with your network per week, by pillar, on the same dates as the charts above; "
        "%(total)d in all. The table below gives every number."
    ) % {"total": total}
    return svg.document(
        parts,
        width=WIDTH,
        height=height,
        title=_("Contact with your network per week"),
        description=description,
        class_="chart trend",
    )
