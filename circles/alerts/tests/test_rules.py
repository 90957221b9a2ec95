"""Rules: each fires on its condition, states why in plain words, and not again while its alert is open."""

import datetime as dt

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from circles.alerts import logic
from circles.alerts.actions import do_close_alert, do_save_alert_settings
from circles.alerts.models import Alert, AlertSettings, AlertStatus
from circles.alerts.rules import check_time_rules, on_checkin
from circles.alerts.tests.factories import askable, ladder
from circles.checkins.actions import do_save_answers, do_save_checkin, do_start_assessment
from circles.checkins.models import CheckIn, SafetySignal
from circles.lib.time import local_today

DAY = dt.timedelta(days=1)


@pytest.fixture
def with_ladder(riley, sam):
    ladder(riley, askable(riley, sam))


def checkin(member, day, *, mood=6, craving=2, used=False):
    return do_save_checkin(
        CheckIn(member=member, day=day, mood=mood, craving=craving, stress=3, sleep_quality=3, used=used),
        [],
        acting_user=member,
    )


def test_craving_three_days_running_fires_once_and_says_why(riley, with_ladder):
    today = local_today(riley)
    checkin(riley, today - 2 * DAY, craving=8)
    checkin(riley, today - DAY, craving=7)
    assert not Alert.objects.exists()
    checkin(riley, today, craving=9)
    alert = Alert.objects.get()
    assert alert.kind == logic.CRAVING and alert.status == AlertStatus.ACTIVE and not alert.urgent
    assert alert.reason == "Craving at 7 or more out of 10 on 3 check-ins in a row."
    # Saved again while the alert is open: not raised again.
    on_checkin(riley.checkins.get(day=today))
    assert Alert.objects.count() == 1


def test_a_missing_day_breaks_the_run(riley, with_ladder):
    today = local_today(riley)
    checkin(riley, today - 3 * DAY, craving=9)
    checkin(riley, today - DAY, craving=9)
    checkin(riley, today, craving=9)
    assert not Alert.objects.exists()


def test_low_mood_uses_the_members_own_threshold(riley, with_ladder):
    do_save_alert_settings(AlertSettings(low_mood_level=2, low_mood_days=2), acting_user=riley)
    today = local_today(riley)
    checkin(riley, today - DAY, mood=3)
    checkin(riley, today, mood=3)
    assert not Alert.objects.exists()
    riley.checkins.filter(day=today).update(mood=2)
    riley.checkins.filter(day=today - DAY).update(mood=1)
    on_checkin(riley.checkins.get(day=today))
    alert = Alert.objects.get()
    assert alert.reason == "Mood at 2 or less out of 10 on 2 check-ins in a row."


def test_a_closed_alert_lets_the_condition_fire_again(riley, with_ladder):
    today = local_today(riley)
    for back in range(3):
        checkin(riley, today - back * DAY, craving=9)
    first = Alert.objects.get()
    do_close_alert(first, acting_user=riley)
    on_checkin(riley.checkins.get(day=today))
    assert Alert.objects.filter(kind=logic.CRAVING).count() == 2


def test_return_to_use_only_when_the_member_chose_it(riley, with_ladder):
    today = local_today(riley)
    checkin(riley, today, used=True)
    assert not Alert.objects.exists()
    do_save_alert_settings(AlertSettings(return_to_use_on=True), acting_user=riley)
    on_checkin(riley.checkins.get(day=today))
    assert Alert.objects.get().kind == logic.RETURN_TO_USE


def test_rules_stay_quiet_without_a_ladder(riley):
    today = local_today(riley)
    for back in range(3):
        checkin(riley, today - back * DAY, craving=10, mood=0)
    assert not Alert.objects.exists()


def test_a_self_harm_answer_raises_an_urgent_alert_in_the_same_transaction(riley, with_ladder):
    assessment = do_start_assessment(riley, "phq9", language="en")
    do_save_answers(assessment, {"9": 1}, complete=False, acting_user=riley)
    alert = Alert.objects.get()
    assert alert.kind == logic.SAFETY and alert.urgent
    assert alert.notifications.filter(status="pending").exists()
    assert SafetySignal.objects.get().handled_at is not None


def test_safety_alert_is_recorded_even_without_a_ladder(riley):
    assessment = do_start_assessment(riley, "phq9", language="en")
    do_save_answers(assessment, {"9": 2}, complete=False, acting_user=riley)
    assert Alert.objects.get().status == AlertStatus.UNANSWERED


def test_disengagement_and_missed_commitments_fire_from_the_periodic_job(riley, sam):
    from django.utils import timezone

    from circles.network.tests.factories import make_commitment, make_interaction

    tie = askable(riley, sam)
    ladder(riley, tie)
    make_interaction(riley, tie, days_ago=20)
    make_commitment(riley, tie, "Call Sam every day", cadence="every_n_days", weekdays=[], interval_days=1)
    assert check_time_rules(timezone.now()) == 2
    kinds = set(Alert.objects.values_list("kind", flat=True))
    assert kinds == {logic.DISENGAGEMENT, logic.MISSED_COMMITMENTS}
    assert check_time_rules(timezone.now()) == 0  # open alerts are not raised again
    quiet = Alert.objects.get(kind=logic.DISENGAGEMENT)
    assert quiet.reason == "No contact logged with anyone in the circle for 20 days."
    # Closed or not, the same stretch never asks the ladder twice; a new one after contact does.
    for alert in Alert.objects.all():
        do_close_alert(alert, acting_user=riley)
    assert check_time_rules(timezone.now()) == 0
    make_interaction(riley, tie, days_ago=0)
    with time_machine.travel(timezone.now() + dt.timedelta(days=16)):
        assert check_time_rules(timezone.now()) == 2


@given(
    values=st.dictionaries(st.integers(0, 10), st.integers(0, 10), max_size=10),
    days=st.integers(1, 7),
    level=st.integers(0, 10),
)
def test_streak_holds_exactly_when_each_day_is_present_and_over(values, days, level):
    end = dt.date(2026, 11, 20)
    by_day = {end - dt.timedelta(days=k): v for k, v in values.items()}
    expected = all(
        (end - dt.timedelta(days=k)) in by_day and by_day[end - dt.timedelta(days=k)] >= level
        for k in range(days)
    )
    assert logic.streak_holds(by_day, end, days, lambda v: v >= level) == expected


@pytest.mark.parametrize(
    ("now", "start", "end", "quiet"),
    [
        ("23:00", "22:00", "07:00", True),
        ("06:59", "22:00", "07:00", True),
        ("07:00", "22:00", "07:00", False),
        ("12:00", "09:00", "17:00", True),
        ("17:00", "09:00", "17:00", False),
        ("12:00", None, None, False),
        ("12:00", "09:00", "09:00", False),
    ],
)
def test_quiet_hours_may_run_past_midnight(now, start, end, quiet):
    def t(text):
        return dt.time.fromisoformat(text) if text else None

    assert logic.in_quiet_hours(t(now), t(start), t(end)) is quiet


@given(attempt=st.integers(1, 30))
def test_backoff_grows_and_is_capped(attempt):
    wait = logic.backoff_seconds(attempt, base=2, cap=300)
    ceiling = min(300, 2 * 2 ** (attempt - 1))
    assert ceiling / 2 <= wait <= ceiling
