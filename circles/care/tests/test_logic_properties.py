"""Properties of the caseload's ranking over any caseload: safety first, not shared never counts, a total
deterministic order, and worse inputs never lower a score."""

import dataclasses
import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from circles.care import logic
from circles.care.logic import NOT_SHARED, BamResult, DayRatings, MemberSignals, Result

TODAY = dt.date(2026, 12, 1)
recent = st.integers(0, 90).map(lambda n: TODAY - dt.timedelta(days=n))


def shared_or_not(strategy):
    return st.just(NOT_SHARED) | strategy


def results(top: int):
    return st.lists(st.builds(Result, day=recent, total=st.integers(0, top)), max_size=5).map(
        lambda rs: tuple(sorted(rs, key=lambda r: r.day))
    )


signals = st.builds(
    MemberSignals,
    key=st.integers(1, 10**6),
    name=st.sampled_from(["Riley", "riley", "Sam", "Alex", "Jo"]),
    today=st.just(TODAY),
    open_safety=shared_or_not(st.lists(recent, max_size=2).map(tuple)),
    open_alerts=shared_or_not(st.lists(recent, max_size=2).map(tuple)),
    phq9=shared_or_not(results(27)),
    gad7=shared_or_not(results(21)),
    use_days=shared_or_not(st.lists(recent, max_size=6).map(tuple)),
    ratings=shared_or_not(
        st.lists(
            st.builds(DayRatings, day=recent, mood=st.integers(0, 10), craving=st.integers(0, 10)),
            max_size=20,
        ).map(lambda rs: tuple({r.day: r for r in rs}.values()))
    ),
    last_checkin=shared_or_not(st.none() | recent),
    last_contact=shared_or_not(
        st.fixed_dictionaries({p: st.none() | recent for p in ("peer", "family_friends", "professional")})
    ),
    missed_sessions=st.lists(recent, max_size=5).map(tuple),
    bam=shared_or_not(
        st.none() | st.builds(BamResult, day=recent, risk=st.integers(0, 24), protective=st.integers(0, 24))
    ),
    unread_messages=st.integers(0, 5),
)
caseloads = st.lists(signals, max_size=12, unique_by=lambda s: s.key)
SIGNAL_FIELDS = tuple(logic.SIGNAL_NAMES)


@given(caseloads)
def test_the_ranking_is_a_total_order_the_same_whatever_the_input_order(members):
    forward = [n.signals.key for n in logic.rank(members)]
    backward = [n.signals.key for n in logic.rank(list(reversed(members)))]
    assert forward == backward and sorted(forward) == sorted(m.key for m in members)


@given(caseloads)
def test_urgent_members_always_come_before_everyone_else(members):
    urgency = [n.urgent for n in logic.rank(members)]
    assert urgency == sorted(urgency, reverse=True)


@given(caseloads, signals, st.sampled_from(["open_safety", "open_alerts"]))
def test_a_new_open_safety_signal_or_alert_puts_a_member_above_everyone_without_one(members, member, field):
    members = [m for m in members if m.key != member.key]
    raised = dataclasses.replace(member, **{field: (TODAY,)})
    ranked = logic.rank([*members, raised])
    position = next(i for i, n in enumerate(ranked) if n.signals.key == member.key)
    assert all(n.urgent for n in ranked[:position])


@given(signals, st.sampled_from(SIGNAL_FIELDS))
def test_not_shared_never_counts(member, field):
    hidden = logic.assess(dataclasses.replace(member, **{field: NOT_SHARED}))
    if field == "last_checkin" and member.ratings is not NOT_SHARED:
        # Hidden, the check-in date is read from the shared ratings instead (generated independently,
        # the two may disagree): it is not "not shared" and may weigh what the ratings say.
        return
    assert hidden.score <= logic.assess(member).score
    assert field in hidden.not_shared


@given(caseloads, signals, st.sampled_from(SIGNAL_FIELDS))
def test_withholding_a_signal_that_says_nothing_changes_no_one_s_place(members, member, field):
    # A signal with nothing in it weighs nothing, and neither does the same signal not shared.
    quiet = {
        "open_safety": (),
        "open_alerts": (),
        "phq9": (),
        "gad7": (),
        "use_days": (),
        "ratings": (),
        "last_checkin": TODAY,
        "last_contact": {"peer": TODAY, "family_friends": TODAY, "professional": TODAY},
        "bam": None,
    }
    members = [m for m in members if m.key != member.key]
    shown = dataclasses.replace(member, **{field: quiet[field]})
    hidden = dataclasses.replace(member, **{field: NOT_SHARED})
    if field == "ratings" and member.last_checkin is NOT_SHARED:
        return  # the ratings then stand in for the check-in date, which is a signal of its own
    if field == "last_checkin" and member.ratings is not NOT_SHARED:
        return  # hidden, the check-in date is read from the shared ratings instead: not "nothing"
    order = [n.signals.key for n in logic.rank([*members, shown])]
    assert order == [n.signals.key for n in logic.rank([*members, hidden])]


def worse(member: MemberSignals, change: str) -> MemberSignals:
    """The same member with one thing worse."""
    if change == "use" and member.use_days is not NOT_SHARED:
        return dataclasses.replace(member, use_days=(*member.use_days, TODAY - dt.timedelta(days=1)))
    if change == "missed":
        return dataclasses.replace(member, missed_sessions=(*member.missed_sessions, TODAY))
    if change == "phq9" and member.phq9 is not NOT_SHARED and member.phq9:
        *earlier, latest = member.phq9
        return dataclasses.replace(member, phq9=(*earlier, Result(latest.day, min(27, latest.total + 3))))
    if change == "craving" and member.ratings is not NOT_SHARED:
        return dataclasses.replace(
            member,
            ratings=tuple(dataclasses.replace(r, craving=min(10, r.craving + 2)) for r in member.ratings),
        )
    if change == "older_checkin" and member.last_checkin not in (NOT_SHARED, None):
        return dataclasses.replace(member, last_checkin=member.last_checkin - dt.timedelta(days=5))
    if change == "bam" and member.bam not in (NOT_SHARED, None):
        return dataclasses.replace(
            member, bam=dataclasses.replace(member.bam, risk=min(24, member.bam.risk + 3))
        )
    if change == "safety" and member.open_safety is not NOT_SHARED:
        return dataclasses.replace(member, open_safety=(*member.open_safety, TODAY))
    return member


@settings(max_examples=200)
@given(signals, st.sampled_from(["use", "missed", "phq9", "craving", "older_checkin", "bam", "safety"]))
def test_worse_inputs_never_lower_the_score(member, change):
    assert logic.assess(worse(member, change)).score >= logic.assess(member).score


def test_the_kept_and_the_live_components_are_all_the_components_once():
    kept, live = set(logic.KEPT_COMPONENTS), set(logic.LIVE_COMPONENTS)
    assert kept | live == set(logic.COMPONENTS) and not kept & live


@given(caseloads)
def test_ranking_by_kept_and_live_parts_is_ranking_by_the_whole(members):
    """The caseload sorts by the kept components' score and codes (kept for a day) plus the live ones
    (read on every request): the same order, scores and reasons as assessing everything at once."""
    standings = []
    for signals in members:
        kept = logic.assess(signals, logic.KEPT_COMPONENTS)
        standings.append(logic.standing(signals, kept.score, kept.codes))
    standings.sort(key=logic.Standing.sort_key)
    assert standings == [need.standing for need in logic.rank(members)]
