"""When check-ins and questionnaires are due, and time in recovery: pure functions on dates.

No ORM, no I/O: the caller passes the member's local "today" and what is already recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

BACKFILL_DAYS = 3  # missed days that can still be filled in, marked late


def local_day(moment: dt.datetime, zone: dt.tzinfo) -> dt.date:
    return moment.astimezone(zone).date()


def checkin_day_problem(day: dt.date, today: dt.date) -> str | None:
    """Why a check-in cannot be recorded for `day`, or None when it can."""
    if day > today:
        return _("That day has not come yet.")
    if day < today - dt.timedelta(days=BACKFILL_DAYS):
        return ngettext(
            "Missed days can be filled in for up to %(count)d day back.",
            "Missed days can be filled in for up to %(count)d days back.",
            BACKFILL_DAYS,
        ) % {"count": BACKFILL_DAYS}
    return None


def missed_days(today: dt.date, checked_in: Iterable[dt.date], joined: dt.date) -> list[dt.date]:
    """Recent days without a check-in that can still be filled in, newest first (today excluded)."""
    done = set(checked_in)
    days = [today - dt.timedelta(days=n) for n in range(1, BACKFILL_DAYS + 1)]
    return [day for day in days if day >= joined and day not in done]


def next_due(last_completed: dt.date | None, interval_days: int | None, first_day: dt.date) -> dt.date | None:
    """The day a scheduled questionnaire is next due; None when it is not scheduled.

    Never filled in: due from `first_day` (when the member joined or turned the schedule on).
    """
    if interval_days is None:
        return None
    if last_completed is None:
        return first_day
    return last_completed + dt.timedelta(days=interval_days)


@dataclass(frozen=True)
class ReturnToUse:
    day: dt.date
    substance: str
    note: str


@dataclass(frozen=True)
class RecoveryDays:
    """Time in recovery counted from the member's chosen date; returns to use are listed, not reset."""

    started_on: dt.date
    days_in_recovery: int
    days_without_use_last_30: int  # of the check-ins in the last 30 days, how many recorded no use
    checkins_last_30: int
    returns: list[ReturnToUse]  # newest first, since started_on


def recovery_days(
    started_on: dt.date, today: dt.date, checkins: Sequence[tuple[dt.date, bool, str, str]]
) -> RecoveryDays:
    """`checkins` are (day, used, substance, note) tuples, any order."""
    window_start = today - dt.timedelta(days=29)
    recent = [c for c in checkins if window_start <= c[0] <= today]
    returns = sorted(
        (
            ReturnToUse(day, substance, note)
            for day, used, substance, note in checkins
            if used and day >= started_on
        ),
        key=lambda r: r.day,
        reverse=True,
    )
    return RecoveryDays(
        started_on=started_on,
        days_in_recovery=max(0, (today - started_on).days),
        days_without_use_last_30=sum(1 for c in recent if not c[1]),
        checkins_last_30=len(recent),
        returns=returns,
    )
