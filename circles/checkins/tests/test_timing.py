"""When check-ins and questionnaires are due, and time in recovery: plain dates in, plain values out."""

import datetime as dt

from circles.checkins import timing

TODAY = dt.date(2026, 6, 10)


def test_checkin_days_allowed():
    assert timing.checkin_day_problem(TODAY, TODAY) is None
    assert timing.checkin_day_problem(TODAY - dt.timedelta(days=3), TODAY) is None
    assert "3 days back" in timing.checkin_day_problem(TODAY - dt.timedelta(days=4), TODAY)
    assert "not come yet" in timing.checkin_day_problem(TODAY + dt.timedelta(days=1), TODAY)


def test_missed_days_never_before_joining():
    done = [TODAY - dt.timedelta(days=2)]
    assert timing.missed_days(TODAY, done, joined=TODAY - dt.timedelta(days=30)) == [
        TODAY - dt.timedelta(days=1),
        TODAY - dt.timedelta(days=3),
    ]
    assert timing.missed_days(TODAY, [], joined=TODAY - dt.timedelta(days=1)) == [
        TODAY - dt.timedelta(days=1)
    ]


def test_next_due():
    assert timing.next_due(None, None, TODAY) is None
    assert timing.next_due(None, 14, TODAY) == TODAY
    assert timing.next_due(TODAY, 14, TODAY) == TODAY + dt.timedelta(days=14)


def test_returns_to_use_are_listed_and_never_reset_the_count():
    started = TODAY - dt.timedelta(days=200)
    checkins = [
        (TODAY - dt.timedelta(days=1), False, "", ""),
        (TODAY - dt.timedelta(days=5), True, "alcohol", "a wedding"),
        (TODAY - dt.timedelta(days=60), True, "cannabis", "old friends"),
        (TODAY - dt.timedelta(days=300), True, "alcohol", "before my recovery date"),
    ]
    summary = timing.recovery_days(started, TODAY, checkins)
    assert summary.days_in_recovery == 200
    assert [r.note for r in summary.returns] == ["a wedding", "old friends"]
    assert (summary.days_without_use_last_30, summary.checkins_last_30) == (1, 2)
