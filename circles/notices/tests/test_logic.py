"""The pure timing rules: quiet hours, DST, what is pointless by the time quiet hours end."""

import datetime as dt
import zoneinfo

from circles.notices import logic

NY = zoneinfo.ZoneInfo("America/New_York")
UTC = dt.UTC
NIGHT = (dt.time(22, 0), dt.time(7, 0))


def test_a_moment_in_quiet_hours_waits_until_they_end_across_midnight():
    late = dt.datetime(2026, 6, 10, 23, 30, tzinfo=NY)
    assert logic.after_quiet_hours(late, NY, *NIGHT) == dt.datetime(2026, 6, 11, 7, 0, tzinfo=NY)
    early = dt.datetime(2026, 6, 11, 3, 0, tzinfo=NY)
    assert logic.after_quiet_hours(early, NY, *NIGHT) == dt.datetime(2026, 6, 11, 7, 0, tzinfo=NY)
    awake = dt.datetime(2026, 6, 11, 7, 0, tzinfo=NY)
    assert logic.after_quiet_hours(awake, NY, *NIGHT) == awake
    assert logic.after_quiet_hours(late, NY, None, None) == late


def test_the_checkin_reminder_keeps_its_local_time_across_dst():
    before = logic.checkin_due(dt.date(2026, 10, 31), dt.time(20, 0), NY, (None, None))
    after = logic.checkin_due(dt.date(2026, 11, 2), dt.time(20, 0), NY, (None, None))
    assert before and before.send_at.astimezone(UTC) == dt.datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    assert after and after.send_at.astimezone(UTC) == dt.datetime(2026, 11, 3, 1, 0, tzinfo=UTC)


def test_a_checkin_reminder_pushed_into_tomorrow_by_quiet_hours_is_dropped():
    assert logic.checkin_due(dt.date(2026, 6, 10), dt.time(23, 0), NY, NIGHT) is None
    due = logic.checkin_due(dt.date(2026, 6, 10), dt.time(6, 0), NY, NIGHT)
    assert due and due.send_at == dt.datetime(2026, 6, 10, 7, 0, tzinfo=NY)


def test_a_commitment_reminder_waits_out_quiet_hours_only_while_it_is_still_of_use():
    day = dt.date(2026, 6, 9)
    kept = logic.commitment_due(4, day, dt.time(7, 30), 60, NY, NIGHT)
    assert kept and kept.send_at == dt.datetime(2026, 6, 9, 7, 0, tzinfo=NY)
    assert kept.too_late_at == dt.datetime(2026, 6, 9, 7, 30, tzinfo=NY)
    assert logic.commitment_due(4, day, dt.time(6, 45), 60, NY, NIGHT) is None
    plain = logic.commitment_due(4, day, dt.time(19, 0), 90, NY, NIGHT)
    assert plain and plain.send_at == dt.datetime(2026, 6, 9, 17, 30, tzinfo=NY)


def test_commitments_fall_on_their_days_only():
    start = dt.date(2026, 6, 1)  # a Monday
    assert logic.falls_on("weekdays", (1,), None, start, None, dt.date(2026, 6, 9))
    assert not logic.falls_on("weekdays", (1,), None, start, None, dt.date(2026, 6, 10))
    assert logic.falls_on("every_n_days", (), 3, start, None, dt.date(2026, 6, 7))
    assert not logic.falls_on("every_n_days", (), 3, start, None, dt.date(2026, 6, 8))
    assert not logic.falls_on("weekdays", (1,), None, start, dt.date(2026, 6, 5), dt.date(2026, 6, 9))
    assert not logic.falls_on("times_per_week", (), None, start, None, dt.date(2026, 6, 9))


def test_an_event_is_not_told_after_the_lookback():
    happened = dt.datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    due = logic.event_due("encouragement", "7", happened, NY, (None, None))
    assert due.sendable(happened)
    assert not due.sendable(happened + logic.EVENT_LOOKBACK)
