"""What a supporter's pages show of a member, arranged from the data a live consent allowed to load."""

import datetime as dt
from dataclasses import dataclass, field

from circles.checkins import drawing as checkin_drawing
from circles.checkins.models import Assessment
from circles.checkins.trajectory import DayPoint
from circles.lib.contact_links import ContactLink
from circles.sharing import logic
from circles.sharing.access import MOOD_DAYS, Disclosure, SharedData


@dataclass
class ResultGroup:
    label: str
    results: list[Assessment]


@dataclass
class Person:
    """One member as one supporter sees them. A section is None when it is not shared."""

    disclosure: Disclosure
    scope_labels: list[str]
    checked_in_today: bool | None = None
    last_checkin: dt.date | None = None
    mood_averages: tuple[float, float, float] | None = None
    mood_days: int = 0
    mood_chart: str = ""
    mood_rows: list[tuple[dt.date, int, int, int]] = field(default_factory=list)
    returns_to_use: list[tuple[dt.date, str]] | None = None
    struggles: list[tuple[dt.date, str]] | None = None
    results: list[ResultGroup] | None = None
    plan_shared: bool = False
    map_shared: bool = False
    reach: list[ContactLink] | None = None  # None: not shared; empty never happens (email is always there)

    @property
    def member(self):
        return self.disclosure.member

    @property
    def shares_anything(self) -> bool:
        return bool(self.scope_labels)


def _average(values: list[int]) -> float:
    return round(sum(values) / len(values), 1)


def present(disclosure: Disclosure, data: SharedData | None, *, compact: bool) -> Person:
    scopes = logic.ordered_scopes(disclosure.scopes)
    person = Person(disclosure, [str(logic.SCOPE_BY_CODE[code].label) for code in scopes])
    if data is None:
        return person
    if logic.CHECKED_IN in scopes:
        person.checked_in_today, person.last_checkin = data.checked_in_today, data.last_checkin
    if logic.MOOD in scopes:
        person.mood_days = len(data.mood)
        if data.mood:
            person.mood_averages = (
                _average([row[1] for row in data.mood[-7:]]),
                _average([row[2] for row in data.mood[-7:]]),
                _average([row[3] for row in data.mood[-7:]]),
            )
        if not compact:
            axis = checkin_drawing.TimeAxis(data.today - dt.timedelta(days=MOOD_DAYS - 1), data.today)
            # Days with use are never marked here: returns to use are a scope of their own.
            points = [DayPoint(day, mood, craving, stress, False) for day, mood, craving, stress in data.mood]
            person.mood_chart = checkin_drawing.checkin_chart(points, axis) if points else ""
            person.mood_rows = list(reversed(data.mood))
    if logic.RETURNS_TO_USE in scopes:
        person.returns_to_use = list(reversed(data.returns_to_use))
    if logic.STRUGGLES in scopes:
        person.struggles = data.struggles[:3] if compact else data.struggles
    result_scopes = [scope for scope in logic.RESULT_SCOPES if scope.code in scopes]
    if result_scopes:
        person.results = [
            ResultGroup(
                str(scope.label),
                data.results.get(scope.code, [])[: 1 if compact else None],
            )
            for scope in result_scopes
        ]
    if logic.REACH in scopes:
        person.reach = data.reach
    person.plan_shared = logic.PLAN in scopes
    person.map_shared = logic.NETWORK_MAP in scopes
    return person
