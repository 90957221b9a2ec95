"""When a reminder or notice is due: pure functions on times, no ORM and no I/O.

Every time is aware. A person's times of day (check-in at 20:00, quiet hours 22:00–07:00, a commitment
at 19:00) are wall-clock times in their own timezone, so they stay put across a DST change while the UTC
moment moves (docs/reminders.md).
"""

import datetime as dt
from dataclasses import dataclass

from circles.alerts.logic import in_quiet_hours
from circles.network.logic import EVERY_N_DAYS, WEEKDAYS

CHECKIN = "checkin"
QUESTIONNAIRE = "questionnaire"
ENCOURAGEMENT = "encouragement"
COMMITMENT = "commitment"
INVITATION = "invitation"
KINDS = (CHECKIN, QUESTIONNAIRE, ENCOURAGEMENT, COMMITMENT, INVITATION)

EMAIL = "email"
PUSH = "push"
PUSH_ELSE_EMAIL = "push_else_email"  # push, and email when no device took it

LEAD_MINUTES_MIN = 5
LEAD_MINUTES_MAX = 12 * 60
# Something that happened (encouragement, an invitation accepted) is told for this long at most: long
# enough to wait out any quiet hours, short enough that turning a notice on does not replay old news.
EVENT_LOOKBACK = dt.timedelta(hours=24)

UTC = dt.UTC


@dataclass(frozen=True)
class Due:
    """One reminder or notice: sent from `send_at`, pointless from `too_late_at` (None: never)."""

    kind: str
    occurrence: str  # with the person and kind, names it once and for all (the SentNotice key)
    send_at: dt.datetime
    too_late_at: dt.datetime | None = None
    object_id: int | None = None  # the tie or commitment the link opens
    starts_at: dt.datetime | None = None  # a commitment's start, for the wording

    def sendable(self, now: dt.datetime) -> bool:
        return self.send_at <= now and (self.too_late_at is None or now < self.too_late_at)


def at_local(day: dt.date, time: dt.time, zone: dt.tzinfo) -> dt.datetime:
    """The moment a wall-clock time comes on a local day (a time skipped by DST comes an hour later)."""
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(UTC).astimezone(zone)


def after_quiet_hours(
    moment: dt.datetime, zone: dt.tzinfo, quiet_from: dt.time | None, quiet_until: dt.time | None
) -> dt.datetime:
    """`moment`, or when the quiet hours it falls in end (they may run past midnight)."""
    local = moment.astimezone(zone)
    if quiet_until is None or not in_quiet_hours(local.time(), quiet_from, quiet_until):
        return moment
    end = at_local(local.date(), quiet_until, zone)
    if end <= local:
        end = at_local(local.date() + dt.timedelta(days=1), quiet_until, zone)
    return end


def checkin_due(
    today: dt.date, at: dt.time, zone: dt.tzinfo, quiet: tuple[dt.time | None, dt.time | None]
) -> Due | None:
    """Today's check-in reminder; none when quiet hours would push it into tomorrow."""
    send_at = after_quiet_hours(at_local(today, at, zone), zone, *quiet)
    end_of_day = at_local(today + dt.timedelta(days=1), dt.time.min, zone)
    if send_at >= end_of_day:
        return None
    return Due(CHECKIN, today.isoformat(), send_at, too_late_at=end_of_day)


def questionnaire_due(
    code: str,
    due_on: dt.date,
    today: dt.date,
    at: dt.time,
    zone: dt.tzinfo,
    quiet: tuple[dt.time | None, dt.time | None],
) -> Due:
    """A questionnaire due on `due_on` (today or earlier): told once, at the person's time today."""
    send_at = after_quiet_hours(at_local(today, at, zone), zone, *quiet)
    return Due(QUESTIONNAIRE, f"{code}:{due_on.isoformat()}", send_at)


def event_due(
    kind: str,
    occurrence: str,
    happened_at: dt.datetime,
    zone: dt.tzinfo,
    quiet: tuple[dt.time | None, dt.time | None],
    *,
    object_id: int | None = None,
) -> Due:
    """Something that happened: told at once, or when quiet hours end, and not after EVENT_LOOKBACK."""
    send_at = after_quiet_hours(happened_at, zone, *quiet)
    return Due(
        kind,
        occurrence,
        send_at,
        too_late_at=happened_at + EVENT_LOOKBACK,
        object_id=object_id,
    )


def falls_on(
    cadence: str,
    weekdays: tuple[int, ...],
    interval_days: int | None,
    starts_on: dt.date,
    ends_on: dt.date | None,
    day: dt.date,
) -> bool:
    """Whether a commitment has an occurrence on `day`. "N times a week" has no fixed day: never."""
    if day < starts_on or (ends_on is not None and day > ends_on):
        return False
    if cadence == WEEKDAYS:
        return day.weekday() in weekdays
    if cadence == EVERY_N_DAYS and interval_days:
        return (day - starts_on).days % interval_days == 0
    return False


def commitment_due(
    commitment_id: int,
    day: dt.date,
    starts_at: dt.time,
    lead_minutes: int,
    zone: dt.tzinfo,
    quiet: tuple[dt.time | None, dt.time | None],
) -> Due | None:
    """The reminder `lead_minutes` before the commitment starts on `day`; none if quiet hours last past
    its start (a reminder for something already begun is no use)."""
    start = at_local(day, starts_at, zone)
    remind = (start.astimezone(UTC) - dt.timedelta(minutes=lead_minutes)).astimezone(zone)
    send_at = after_quiet_hours(remind, zone, *quiet)
    if send_at >= start:
        return None
    return Due(
        COMMITMENT,
        f"{commitment_id}:{day.isoformat()}",
        send_at,
        too_late_at=start,
        object_id=commitment_id,
        starts_at=start,
    )
