"""Properties of the network-health functions over any network: bounds, emptiness, size."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from circles.network import logic

TODAY = dt.date(2026, 11, 25)

tie_facts = st.builds(
    logic.TieFacts,
    id=st.integers(min_value=1, max_value=10**9),
    name=st.text(min_size=1, max_size=20),
    pillar=st.sampled_from(logic.PILLARS),
    circle=st.sampled_from(logic.CIRCLES),
    status=st.sampled_from(["active", "paused", "ended"]),
    contact_frequency=st.sampled_from(list(logic.FREQUENCY_WEIGHT)),
    importance=st.integers(1, 5),
    substance_use=st.sampled_from([logic.ABSTINENT, logic.LIGHT, logic.HEAVY, logic.UNKNOWN]),
    stance=st.sampled_from([logic.SUPPORTS_RECOVERY, logic.NEUTRAL, logic.SUPPORTS_USE]),
    quality=st.integers(1, 5),
    strain_flags=st.lists(st.sampled_from(["negativity", "conflict", "pressure_to_use"]), unique=True).map(
        tuple
    ),
    last_contact=st.none() | st.dates(min_value=dt.date(2020, 1, 1), max_value=TODAY),
    contacts_28_days=st.integers(0, 200),
)
networks = st.lists(tie_facts, max_size=60, unique_by=lambda t: t.id)


def in_unit_interval(value):
    return value is None or 0 <= value <= 1


@given(networks)
def test_shares_are_proportions_and_sizes_count_active_ties(ties):
    mix = logic.composition(ties)
    active = [t for t in ties if t.status == "active"]
    assert mix.network_size == len(active)
    assert 0 <= mix.daily_network_size <= mix.network_size
    for share in (
        mix.abstinent_share,
        mix.heavy_use_share,
        mix.unknown_use_share,
        mix.important_recovery_share,
    ):
        assert in_unit_interval(share)
    known = (mix.abstinent_share or 0) + (mix.heavy_use_share or 0) + (mix.unknown_use_share or 0)
    assert known <= 1 + 1e-3  # each share is rounded to 4 places
    assert mix.important_supporting_recovery + mix.important_supporting_use <= mix.important_ties
    assert (mix.abstinent_share is None) == (not active)


@given(networks)
def test_pillars_cover_every_active_tie(ties):
    pillars = logic.pillar_health(ties, TODAY)
    assert [p.pillar for p in pillars] == list(logic.PILLARS)
    assert sum(p.active_ties for p in pillars) == sum(1 for t in ties if t.status == "active")
    for pillar in pillars:
        assert pillar.days_since_contact is None or pillar.days_since_contact >= 0
        assert pillar.mean_quality is None or 1 <= pillar.mean_quality <= 5
        assert pillar.contacts_per_week >= 0


@given(networks)
def test_flags_only_name_active_ties_and_always_give_a_reason(ties):
    active_ids = {t.id for t in ties if t.status == "active"}
    for flag in logic.flagged_ties(ties):
        assert flag.tie_id in active_ids
        assert flag.reasons


@given(networks)
def test_every_suggestion_has_a_reason(ties):
    health = logic.network_health(ties, [], [], TODAY)
    for suggestion in health.suggestions:
        assert suggestion.text and suggestion.reason
        assert 1 <= suggestion.priority <= 3


@given(tie_facts)
def test_a_network_of_one_tie(single):
    health = logic.network_health([single], [], [], TODAY)
    size = 1 if single.status == "active" else 0
    assert health.composition.network_size == size
    codes = {s.code for s in health.suggestions}
    assert ("empty_network" in codes) == (size == 0)
    if size:
        assert "small_network" in codes


def test_thousands_of_ties():
    ties = [
        logic.TieFacts(
            id=i,
            name=f"tie {i}",
            pillar=logic.PILLARS[i % 3],
            circle=logic.CIRCLES[i % 3],
            status="active",
            contact_frequency=list(logic.FREQUENCY_WEIGHT)[i % 4],
            importance=1 + i % 5,
            substance_use=[logic.ABSTINENT, logic.LIGHT, logic.HEAVY, logic.UNKNOWN][i % 4],
            stance=[logic.SUPPORTS_RECOVERY, logic.NEUTRAL, logic.SUPPORTS_USE][i % 3],
            quality=1 + i % 5,
            last_contact=TODAY - dt.timedelta(days=i % 40),
            contacts_28_days=i % 9,
        )
        for i in range(1, 5001)
    ]
    health = logic.network_health(ties, [], [], TODAY)
    assert health.composition.network_size == 5000
    assert sum(p.active_ties for p in health.pillars) == 5000
    assert len(health.flags) > 0


starts = st.dates(dt.date(1900, 1, 1), TODAY + dt.timedelta(days=3660))
ends = st.none() | st.dates(dt.date(1900, 1, 1), TODAY + dt.timedelta(days=3660))


def schedule(cadence: str, **details) -> st.SearchStrategy[logic.Schedule]:
    return st.builds(logic.Schedule, cadence=st.just(cadence), starts_on=starts, ends_on=ends, **details)


schedules = st.one_of(
    schedule(
        logic.WEEKDAYS, weekdays=st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True).map(tuple)
    ),
    schedule(logic.EVERY_N_DAYS, interval_days=st.integers(1, 90)),
    schedule(logic.TIMES_PER_WEEK, times_per_week=st.integers(1, 21)),
)
contact_days = st.lists(st.dates(dt.date(1900, 1, 1), TODAY), max_size=80) | st.lists(
    st.dates(TODAY - dt.timedelta(days=200), TODAY), max_size=80
)


@settings(max_examples=200)
@given(schedules, contact_days)
def test_adherence_is_bounded(schedule, days):
    result = logic.adherence(schedule, days, TODAY)
    assert 0 <= result.met <= result.expected
    assert len(result.missed_dates) == result.expected - result.met
    assert in_unit_interval(result.ratio)
    assert result.missed_in_a_row <= len(result.missed_dates)
    assert all(day <= TODAY for day in result.missed_dates)


@given(schedules, contact_days, st.dates(TODAY - dt.timedelta(days=200), TODAY))
def test_another_contact_never_lowers_adherence(schedule, days, extra):
    before = logic.adherence(schedule, days, TODAY)
    after = logic.adherence(schedule, [*days, extra], TODAY)
    assert after.met >= before.met
    assert len(after.missed_dates) <= len(before.missed_dates)
