"""The caseload's ranking, worked by hand: each component at its threshold's edges, what is not shared
never counting, open safety signals always first, and a deterministic order."""

import datetime as dt

import pytest

from circles.care import logic
from circles.care.logic import NOT_SHARED, BamResult, DayRatings, MemberSignals, Result

TODAY = dt.date(2026, 12, 1)


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def member(key=1, name="Riley", **signals) -> MemberSignals:
    # A member who checked in today and has been in touch with every pillar this week: nothing to rank.
    defaults = {
        "last_checkin": TODAY,
        "last_contact": {"peer": days_ago(2), "family_friends": days_ago(1), "professional": days_ago(3)},
    }
    return MemberSignals(key=key, name=name, today=TODAY, **{**defaults, **signals})


def codes(need) -> list[str]:
    return [reason.code for reason in need.reasons]


def texts(need) -> list[str]:
    return [reason.text for reason in need.reasons]


def test_a_member_with_nothing_to_rank_scores_zero_with_no_reasons():
    need = logic.assess(member())
    assert (need.score, need.reasons, need.urgent, need.not_shared) == (0, (), False, ())


def test_an_open_safety_signal_is_named_with_its_day_and_ranks_first():
    need = logic.assess(member(open_safety=(dt.date(2026, 11, 29),)))
    assert texts(need) == ["Safety answer on Nov 29, not yet followed up"]
    assert need.urgent and need.score == logic.SAFETY_WEIGHT
    worse_otherwise = member(
        key=2,
        name="Aaron",
        use_days=(days_ago(1), days_ago(2), days_ago(3)),
        missed_sessions=(days_ago(5), days_ago(9), days_ago(20), days_ago(30), days_ago(40)),
        last_checkin=days_ago(40),
        phq9=(Result(days_ago(60), 4), Result(days_ago(1), 20)),
    )
    ranked = logic.rank([worse_otherwise, member(open_safety=(dt.date(2026, 11, 29),))])
    assert logic.assess(worse_otherwise).score > logic.SAFETY_WEIGHT
    assert [n.signals.name for n in ranked] == ["Riley", "Aaron"]


def test_several_open_safety_signals_and_an_open_alert():
    need = logic.assess(member(open_safety=(days_ago(1), days_ago(3)), open_alerts=(days_ago(0),)))
    assert texts(need) == [
        "2 safety answers since Nov 28, not yet followed up",
        "Open alert since Dec 1",
    ]
    assert need.score == logic.SAFETY_WEIGHT + logic.ALERT_WEIGHT


def test_among_urgent_members_the_longest_waiting_comes_first_on_equal_scores():
    older = member(key=1, name="Zed", open_safety=(days_ago(5),))
    newer = member(key=2, name="Abe", open_safety=(days_ago(1),))
    assert [n.signals.key for n in logic.rank([newer, older])] == [1, 2]


@pytest.mark.parametrize(
    ("instrument", "code", "rise", "counts"),
    [
        ("phq9", logic.PHQ9_CHANGE, 5, False),
        ("phq9", logic.PHQ9_CHANGE, 6, True),
        ("gad7", logic.GAD7_CHANGE, 3, False),
        ("gad7", logic.GAD7_CHANGE, 4, True),
    ],
)
def test_reliable_change_counts_from_the_published_threshold(instrument, code, rise, counts):
    results = (Result(dt.date(2026, 10, 14), 5), Result(days_ago(20), 3), Result(days_ago(2), 5 + rise))
    need = logic.assess(member(**{instrument: results}))
    assert (code in need.codes) is counts
    if counts:
        name = "PHQ-9" if instrument == "phq9" else "GAD-7"
        assert texts(need) == [f"{name} up {rise} points since Oct 14"]


def test_a_change_in_whole_points_reads_without_decimals_and_a_fraction_keeps_one():
    whole = (Result(dt.date(2026, 10, 14), 4.0), Result(days_ago(2), 10.0))
    assert texts(logic.assess(member(phq9=whole))) == ["PHQ-9 up 6 points since Oct 14"]
    half = (Result(dt.date(2026, 10, 14), 4.0), Result(days_ago(2), 8.5))
    assert texts(logic.assess(member(gad7=half))) == ["GAD-7 up 4.5 points since Oct 14"]


def test_reliable_change_reads_the_oldest_score_as_baseline_and_improvement_does_not_rank():
    assert logic.reliable_worsening([Result(days_ago(10), 12)], "phq9") is None
    improving = (Result(days_ago(60), 20), Result(days_ago(1), 8))
    assert logic.assess(member(phq9=improving)).score == 0


def test_return_to_use_in_the_last_30_days():
    assert logic.assess(member(use_days=(days_ago(30),))).reasons == ()
    one = logic.assess(member(use_days=(days_ago(29),)))
    assert texts(one) == ["Return to use on Nov 2"] and one.score == logic.RETURN_TO_USE_WEIGHT
    three = logic.assess(member(use_days=(days_ago(1), days_ago(4), days_ago(10))))
    assert texts(three) == ["Return to use on 3 days in the last 30, most recently Nov 30"]
    assert three.score == logic.RETURN_TO_USE_WEIGHT + 2 * logic.RETURN_TO_USE_EXTRA_DAY
    many = logic.assess(member(use_days=tuple(days_ago(n) for n in range(20))))
    assert many.score == logic.RETURN_TO_USE_CAP


def ratings(cravings: dict[int, int], mood: int = 6) -> tuple[DayRatings, ...]:
    return tuple(DayRatings(days_ago(n), mood, craving) for n, craving in cravings.items())


def test_craving_7_or_more_on_3_of_the_last_7_days():
    two = ratings({0: 7, 3: 9, 5: 2, 7: 10})  # day 7 is outside the window
    assert logic.CRAVING not in logic.assess(member(ratings=two)).codes
    six_is_not_strong = ratings({0: 6, 1: 6, 2: 6})
    assert logic.CRAVING not in logic.assess(member(ratings=six_is_not_strong)).codes
    four = ratings({0: 7, 2: 8, 4: 9, 6: 7})
    need = logic.assess(member(ratings=four))
    assert texts(need) == ["Craving 7 or more on 4 of the last 7 days"]
    assert need.score == logic.CRAVING_WEIGHT + logic.CRAVING_EXTRA_DAY


def test_mood_falling_by_2_points_week_on_week_with_3_check_ins_in_each():
    def week(moods_now, moods_before):
        now = [DayRatings(days_ago(n), mood, 0) for n, mood in enumerate(moods_now)]
        before = [DayRatings(days_ago(7 + n), mood, 0) for n, mood in enumerate(moods_before)]
        return tuple(now + before)

    falling = logic.assess(member(ratings=week([4, 4, 4], [6, 6, 6])))
    assert texts(falling) == ["Mood falling: 4.0 on average this week, 6.0 the week before"]
    assert logic.MOOD_FALLING not in logic.assess(member(ratings=week([5, 4, 4], [6, 6, 6]))).codes
    assert logic.MOOD_FALLING not in logic.assess(member(ratings=week([1, 1], [9, 9, 9]))).codes


def test_no_check_in_for_a_week_or_more():
    assert logic.assess(member(last_checkin=days_ago(6))).reasons == ()
    week = logic.assess(member(last_checkin=days_ago(7)))
    assert texts(week) == ["No check-in for 7 days"] and week.score == logic.NO_CHECKIN_WEIGHT
    nine = logic.assess(member(last_checkin=days_ago(9)))
    assert texts(nine) == ["No check-in for 9 days"] and nine.score == logic.NO_CHECKIN_WEIGHT + 2
    assert logic.assess(member(last_checkin=days_ago(300))).score == logic.NO_CHECKIN_CAP
    never = logic.assess(member(last_checkin=None))
    assert texts(never) == ["No check-in yet"] and never.score == logic.NO_CHECKIN_CAP


def test_no_check_in_yet_counts_from_the_enrolment_day():
    assert logic.assess(member(last_checkin=None, enrolled_on=days_ago(0))).reasons == ()
    assert logic.assess(member(last_checkin=None, enrolled_on=days_ago(6))).reasons == ()
    week = logic.assess(member(last_checkin=None, enrolled_on=days_ago(7)))
    assert texts(week) == ["No check-in yet"] and week.score == logic.NO_CHECKIN_WEIGHT
    long_ago = logic.assess(member(last_checkin=None, enrolled_on=days_ago(300)))
    assert long_ago.score == logic.NO_CHECKIN_CAP
    # A check-in, however recent the enrolment, is measured from the check-in as before.
    assert texts(logic.assess(member(last_checkin=days_ago(8), enrolled_on=days_ago(9)))) == [
        "No check-in for 8 days"
    ]


def test_without_the_check_in_date_the_mood_ratings_say_when_the_last_check_in_was():
    need = logic.assess(member(last_checkin=NOT_SHARED, ratings=ratings({9: 3})))
    assert texts(need) == ["No check-in for 9 days"] and need.not_shared == ()
    empty = logic.assess(member(last_checkin=NOT_SHARED, ratings=()))
    assert texts(empty) == ["No check-in in the last 30 days"]


def test_no_contact_with_a_pillar_for_three_weeks():
    contact = {"peer": days_ago(21), "family_friends": days_ago(20), "professional": None}
    need = logic.assess(member(last_contact=contact))
    # The professional pillar never counts: the care team's own sessions are the missed sessions.
    assert texts(need) == ["No contact with any peer for 3 weeks"]
    assert need.score == logic.PILLAR_WEIGHT


def test_missed_sessions_in_the_last_60_days():
    need = logic.assess(member(missed_sessions=(days_ago(3), days_ago(59), days_ago(60))))
    assert texts(need) == ["Missed 2 sessions in the last 60 days"]
    assert need.score == 2 * logic.MISSED_SESSION_WEIGHT
    assert logic.assess(member(missed_sessions=tuple(days_ago(n) for n in range(10)))).score == 32


def test_bam_risk_above_protective_factors_when_recent():
    assert logic.assess(member(bam=BamResult(days_ago(5), risk=12, protective=12))).reasons == ()
    need = logic.assess(member(bam=BamResult(days_ago(5), risk=13, protective=9)))
    assert texts(need) == ["Recovery check-up on Nov 26: risk factors 13, above protective factors 9"]
    edge = logic.assess(member(bam=BamResult(days_ago(5), risk=12, protective=11)))
    assert logic.BAM_RISK in edge.codes


def test_bam_low_risk_never_ranks_even_above_low_protection():
    """Risk 7 of 24 with protection 5 is a quiet month with little support, not a risk to call about."""
    assert logic.assess(member(bam=BamResult(days_ago(5), risk=7, protective=5))).reasons == ()
    assert logic.assess(member(bam=BamResult(days_ago(5), risk=11, protective=0))).reasons == ()
    assert logic.assess(member(bam=BamResult(days_ago(60), risk=20, protective=0))).reasons == ()


def test_what_is_not_shared_never_counts_and_is_named():
    nothing = member(
        open_safety=NOT_SHARED,
        open_alerts=NOT_SHARED,
        phq9=NOT_SHARED,
        gad7=NOT_SHARED,
        use_days=NOT_SHARED,
        ratings=NOT_SHARED,
        last_checkin=NOT_SHARED,
        last_contact=NOT_SHARED,
        bam=NOT_SHARED,
    )
    need = logic.assess(nothing)
    assert need.score == 0 and need.reasons == ()
    assert need.not_shared_names == [
        "safety answers",
        "alerts",
        "PHQ-9",
        "GAD-7",
        "returns to use",
        "mood and craving",
        "check-ins",
        "network contact",
        "recovery check-up (BAM)",
    ]
    # Sessions are the care relationship's own: they count whatever is shared.
    assert logic.assess(
        member(last_checkin=NOT_SHARED, ratings=NOT_SHARED, missed_sessions=(days_ago(1),))
    ).codes == {logic.MISSED_SESSIONS}


def test_reasons_are_ordered_urgent_first_then_by_weight():
    need = logic.assess(
        member(
            open_alerts=(days_ago(0),),
            missed_sessions=(days_ago(1),),
            use_days=(days_ago(2),),
            last_checkin=days_ago(8),
        )
    )
    assert codes(need) == [logic.ALERT, logic.RETURN_TO_USE, logic.NO_CHECKIN, logic.MISSED_SESSIONS]


def test_ties_are_broken_by_name_then_enrolment():
    a = member(key=3, name="sam", missed_sessions=(days_ago(1),))
    b = member(key=2, name="Sam", missed_sessions=(days_ago(2),))
    c = member(key=1, name="Alex", missed_sessions=(days_ago(3),))
    assert [n.signals.key for n in logic.rank([a, b, c])] == [1, 2, 3]


def test_every_reason_code_has_a_filter_label():
    assert set(logic.REASON_CODES) == set(logic.REASON_LABELS)
    assert logic.URGENT_CODES <= set(logic.REASON_CODES)
