"""The recovery's trajectory next to the network's engagement, loaded in a fixed number of queries."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, Subquery

from circles.checkins import logic
from circles.checkins.models import SUBSCALE_LABELS, Assessment, CheckIn
from circles.lib.time import local_today, user_zone
from circles.network import logic as network_logic
from circles.network.health import weekly_contact

WINDOWS = (30, 90, 365)
DEFAULT_WINDOW = 90
# Up to this many days, the chart's table lists every day; a longer view lists each week's averages
# (a year of daily rows would be most of the page), and every day stays in the check-in history.
DAILY_TABLE_DAYS = 90


@dataclass(frozen=True)
class DayPoint:
    day: dt.date
    mood: int
    craving: int
    stress: int
    used: bool


@dataclass(frozen=True)
class WeekOfCheckIns:
    monday: dt.date
    days: int  # days checked in that week
    mood: float
    craving: float
    stress: float
    days_used: int


@dataclass(frozen=True)
class ScorePoint:
    day: dt.date
    assessment_id: int
    total: float | None
    band: str
    subscales: dict[str, float]


@dataclass
class InstrumentSeries:
    instrument: logic.Instrument
    points: list[ScorePoint] = field(default_factory=list)

    def rows(self) -> list[tuple[ScorePoint, str, str]]:
        """Each result with the words for its band and its subscales, for the chart's data table."""
        labels = {band.code: str(band.label) for band in self.instrument.bands}
        return [
            (
                point,
                labels.get(point.band, ""),
                "; ".join(
                    f"{SUBSCALE_LABELS.get(name, name)} {value:g}" for name, value in point.subscales.items()
                ),
            )
            for point in self.points
        ]


@dataclass(frozen=True)
class Trajectory:
    start: dt.date
    today: dt.date
    days: int
    checkins: list[DayPoint]
    instruments: list[InstrumentSeries]
    weeks: list[network_logic.WeekOfContact]

    def average(self, name: str) -> float | None:
        values = [getattr(point, name) for point in self.checkins]
        return round(sum(values) / len(values), 1) if values else None

    @property
    def daily_table(self) -> bool:
        return self.days <= DAILY_TABLE_DAYS

    def checkin_weeks(self) -> list[WeekOfCheckIns]:
        """Each week (Monday to Sunday) with a check-in: how many, their averages, days with use."""
        by_week: dict[dt.date, list[DayPoint]] = {}
        for point in self.checkins:
            by_week.setdefault(point.day - dt.timedelta(days=point.day.weekday()), []).append(point)
        return [
            WeekOfCheckIns(
                monday=monday,
                days=len(points),
                mood=round(sum(p.mood for p in points) / len(points), 1),
                craving=round(sum(p.craving for p in points) / len(points), 1),
                stress=round(sum(p.stress for p in points) / len(points), 1),
                days_used=sum(1 for p in points if p.used),
            )
            for monday, points in by_week.items()
        ]


def load_trajectory(
    member,
    days: int,
    *,
    checkins: bool = True,
    used: bool = True,
    instruments: frozenset[str] | None = None,
    contact: bool = True,
) -> Trajectory:
    """Check-ins, scores and weekly contact over the last `days` days: three queries whatever the history.

    Someone else's view (circles/sharing/access.py) reads only what the member shares: no check-ins
    (`checkins`), days with use shown as none (`used`), only the `instruments` named, no contact
    (`contact`); what is not read costs no query.
    """
    zone = user_zone(member)
    today = local_today(member)
    start = today - dt.timedelta(days=days - 1)
    points = []
    if checkins:
        points = [
            DayPoint(day, mood, craving, stress, used and day_used)
            for day, mood, craving, stress, day_used in CheckIn.objects.filter(
                member=member, day__gte=start, day__lte=today
            )
            .order_by("day")
            .values_list("day", "mood", "craving", "stress", "used")
        ]
    wanted = set(logic.INSTRUMENTS) if instruments is None else set(instruments) & set(logic.INSTRUMENTS)
    by_instrument = {
        code: InstrumentSeries(spec) for code, spec in logic.INSTRUMENTS.items() if code in wanted
    }
    if wanted:
        completed = Assessment.objects.completed().filter(member=member, day__gte=start, day__lte=today)
        if instruments is not None:
            completed = completed.filter(instrument__in=wanted)
        rows = completed.order_by("day", "completed_at").values_list(
            "instrument", "day", "id", "total", "band", "subscales"
        )
        for instrument, day, assessment_id, total, band, subscales in rows:
            if instrument in by_instrument:
                by_instrument[instrument].points.append(
                    ScorePoint(day, assessment_id, total, band, subscales)
                )
    first_monday = start - dt.timedelta(days=start.weekday())
    mondays = []
    monday = first_monday
    while monday <= today:
        mondays.append(monday)
        monday += dt.timedelta(weeks=1)
    return Trajectory(
        start=start,
        today=today,
        days=days,
        checkins=points,
        instruments=[series for series in by_instrument.values() if series.points],
        weeks=weekly_contact(member, mondays, zone) if contact else [],
    )


def load_latest_scores(member, codes: tuple[str, ...]) -> dict[str, Assessment]:
    """The most recent completed result of each instrument named, in one query."""
    completed = Assessment.objects.completed().filter(member=member)
    newest = Q()
    for code in codes:
        newest |= Q(
            pk=Subquery(completed.filter(instrument=code).order_by("-completed_at", "-pk").values("pk")[:1])
        )
    return {assessment.instrument: assessment for assessment in completed.filter(newest)}
