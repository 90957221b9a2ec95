"""What is due for a member today: the check-in, missed days, and scheduled questionnaires.

A fixed number of queries whatever the history's length. Shown in the app; circles/notices sends
the check-in and questionnaire reminders a person opted into from the same rules.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max

from circles.checkins import logic, timing
from circles.checkins.models import Assessment, CheckIn, MeasureSchedule
from circles.lib.time import local_today, user_zone


@dataclass(frozen=True)
class MeasureStatus:
    instrument: logic.Instrument
    interval_days: int | None
    last_completed: dt.date | None
    next_due: dt.date | None
    is_due: bool
    in_progress_id: int | None


@dataclass(frozen=True)
class Reminders:
    today: dt.date
    checked_in_today: bool
    missed_days: list[dt.date]
    measures: list[MeasureStatus]

    @property
    def due_measures(self) -> list[MeasureStatus]:
        return [m for m in self.measures if m.is_due]

    @property
    def count(self) -> int:
        return (0 if self.checked_in_today else 1) + len(self.due_measures)


def load_measures(member, today: dt.date) -> list[MeasureStatus]:
    """Every instrument with the member's schedule and when it is next due (two queries)."""
    intervals: dict[str, int | None] = {
        code: spec.default_interval_days for code, spec in logic.INSTRUMENTS.items()
    }
    for instrument, interval in MeasureSchedule.objects.filter(member=member).values_list(
        "instrument", "interval_days"
    ):
        intervals[instrument] = interval
    # The last completed day and the questionnaire saved part-way, per instrument, in one query.
    last: dict[str, dt.date] = {}
    saved: dict[str, int] = {}
    for instrument, status, last_day, newest_id in (
        Assessment.objects.filter(member=member)
        .values("instrument", "status")
        .annotate(last_day=Max("day"), newest_id=Max("id"))
        .values_list("instrument", "status", "last_day", "newest_id")
    ):
        if status == Assessment.Status.COMPLETED:
            last[instrument] = last_day
        else:
            saved[instrument] = newest_id
    joined = timing.local_day(member.date_joined, user_zone(member))
    return measure_statuses(intervals, last, saved, joined, today)


def measure_statuses(
    intervals: dict[str, int | None],
    last: dict[str, dt.date],
    saved: dict[str, int],
    joined: dt.date,
    today: dt.date,
) -> list[MeasureStatus]:
    """Each instrument's status from plain values (the worker's reminders load them for many people)."""
    statuses = []
    for position, (code, spec) in enumerate(logic.INSTRUMENTS.items()):
        # A new member is not handed six questionnaires on day one: first ones are a day apart.
        due = timing.next_due(last.get(code), intervals[code], joined + dt.timedelta(days=position))
        statuses.append(
            MeasureStatus(
                instrument=spec,
                interval_days=intervals[code],
                last_completed=last.get(code),
                next_due=due,
                is_due=due is not None and due <= today,
                in_progress_id=saved.get(code),
            )
        )
    return statuses


def load_reminders(member) -> Reminders:
    today = local_today(member)
    recent = set(
        CheckIn.objects.filter(
            member=member, day__gte=today - dt.timedelta(days=timing.BACKFILL_DAYS), day__lte=today
        ).values_list("day", flat=True)
    )
    joined = timing.local_day(member.date_joined, user_zone(member))
    return Reminders(
        today=today,
        checked_in_today=today in recent,
        missed_days=timing.missed_days(today, recent, joined),
        measures=load_measures(member, today),
    )
