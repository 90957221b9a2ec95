"""Network-health functions checked against hand-worked examples."""

import datetime as dt

import pytest

from circles.network import logic
from circles.network.logic import Schedule, TieFacts

TODAY = dt.date(2026, 11, 25)  # a Wednesday


def tie(id=1, **values) -> TieFacts:
    base: dict = dict(
        name=f"tie {id}",
        pillar=logic.FAMILY_FRIENDS,
        circle=logic.MIDDLE,
        status=logic.ACTIVE,
        contact_frequency=logic.WEEKLY,
        importance=3,
        substance_use=logic.UNKNOWN,
        stance=logic.NEUTRAL,
        quality=3,
    )
    base.update(values)
    return TieFacts(id=id, **base)


def days_ago(*numbers: int) -> list[dt.date]:
    return [TODAY - dt.timedelta(days=n) for n in numbers]


class TestPillarForRelationship:
    @pytest.mark.parametrize(
        ("relationship", "pillar"),
        [
            ("parent", logic.FAMILY_FRIENDS),
            ("coworker", logic.FAMILY_FRIENDS),
            ("sponsor", logic.PEER),
            ("group", logic.PEER),
            ("peer_mentor", logic.PEER),
            ("therapist", logic.PROFESSIONAL),
            ("case_manager", logic.PROFESSIONAL),
        ],
    )
    def test_each_relationship_has_its_pillar(self, relationship, pillar):
        assert logic.pillar_for_relationship(relationship) == pillar


class TestPillarHealth:
    def test_recency_rate_and_quality_per_pillar(self):
        ties = [
            tie(
                1, pillar=logic.PEER, last_contact=TODAY - dt.timedelta(days=3), contacts_28_days=6, quality=4
            ),
            tie(
                2,
                pillar=logic.PEER,
                last_contact=TODAY - dt.timedelta(days=10),
                contacts_28_days=2,
                quality=5,
            ),
            tie(3, pillar=logic.PROFESSIONAL, last_contact=None, quality=2),
            tie(4, pillar=logic.PEER, status="ended", last_contact=TODAY, contacts_28_days=20, quality=1),
        ]
        by_pillar = {p.pillar: p for p in logic.pillar_health(ties, TODAY)}
        peer = by_pillar[logic.PEER]
        assert (peer.active_ties, peer.days_since_contact, peer.contacts_per_week, peer.mean_quality) == (
            2,
            3,
            2.0,
            4.5,
        )
        professional = by_pillar[logic.PROFESSIONAL]
        assert (professional.active_ties, professional.days_since_contact, professional.mean_quality) == (
            1,
            None,
            2,
        )
        family = by_pillar[logic.FAMILY_FRIENDS]
        assert (family.active_ties, family.contacts_per_week, family.mean_quality) == (0, 0, None)


class TestComposition:
    def test_shares_are_weighted_by_contact_frequency(self):
        ties = [
            tie(1, contact_frequency=logic.DAILY, substance_use=logic.ABSTINENT),  # weight 30
            tie(2, contact_frequency=logic.WEEKLY, substance_use=logic.HEAVY),  # weight 4
            tie(3, contact_frequency=logic.MONTHLY, substance_use=logic.UNKNOWN),  # weight 1
            tie(4, contact_frequency=logic.LESS_OFTEN, substance_use=logic.ABSTINENT),  # weight 0.25
        ]
        mix = logic.composition(ties)
        assert mix.network_size == 4
        assert mix.daily_network_size == 1
        assert mix.abstinent_share == pytest.approx(30.25 / 35.25, abs=1e-4)
        assert mix.heavy_use_share == pytest.approx(4 / 35.25, abs=1e-4)
        assert mix.unknown_use_share == pytest.approx(1 / 35.25, abs=1e-4)

    def test_support_among_very_important_people(self):
        ties = [
            tie(1, importance=5, stance=logic.SUPPORTS_RECOVERY),
            tie(2, importance=4, stance=logic.SUPPORTS_USE),
            tie(3, importance=4, stance=logic.NEUTRAL),
            tie(4, importance=3, stance=logic.SUPPORTS_USE),  # not very important: left out
            tie(5, importance=5, stance=logic.SUPPORTS_RECOVERY, status="paused"),  # not active
        ]
        mix = logic.composition(ties)
        assert (mix.important_ties, mix.important_supporting_recovery, mix.important_supporting_use) == (
            3,
            1,
            1,
        )
        assert mix.important_recovery_share == pytest.approx(1 / 3)

    def test_empty_network(self):
        mix = logic.composition([])
        assert mix.network_size == 0
        assert mix.abstinent_share is None
        assert mix.important_recovery_share is None


class TestFlags:
    def test_every_reason_is_named(self):
        risky = tie(
            1,
            stance=logic.SUPPORTS_USE,
            substance_use=logic.HEAVY,
            contact_frequency=logic.DAILY,
            strain_flags=("pressure_to_use",),
            quality=1,
        )
        (flag,) = logic.flagged_ties([risky])
        assert flag.reasons == (
            logic.FLAG_SUPPORTS_USE,
            logic.FLAG_HEAVY_USE_FREQUENT,
            logic.FLAG_STRAIN,
            logic.FLAG_LOW_QUALITY,
        )

    def test_heavy_use_with_rare_contact_is_not_flagged(self):
        assert logic.flagged_ties([tie(1, substance_use=logic.HEAVY, contact_frequency=logic.MONTHLY)]) == []

    def test_inner_circle_comes_first(self):
        flags = logic.flagged_ties(
            [tie(1, circle=logic.OUTER, quality=1), tie(2, circle=logic.INNER, strain_flags=("conflict",))]
        )
        assert [f.tie_id for f in flags] == [2, 1]


class TestWeekdayAdherence:
    schedule = Schedule(cadence=logic.WEEKDAYS, weekdays=(1,), starts_on=dt.date(2026, 10, 1))  # Tuesdays

    def test_every_tuesday_kept(self):
        tuesdays = days_ago(1, 8, 15, 22)
        result = logic.adherence(self.schedule, tuesdays, TODAY)
        assert (result.expected, result.met, result.missed_dates, result.ratio) == (4, 4, (), 1.0)
        assert result.next_due == dt.date(2026, 12, 1)
        assert not result.off_track

    def test_two_misses_in_a_row_is_off_track(self):
        result = logic.adherence(self.schedule, days_ago(15, 22), TODAY)
        assert result.missed_dates == (dt.date(2026, 11, 17), dt.date(2026, 11, 24))
        assert result.missed_in_a_row == 2
        assert result.off_track

    def test_today_is_pending_until_kept(self):
        wednesday = Schedule(cadence=logic.WEEKDAYS, weekdays=(2,), starts_on=dt.date(2026, 11, 25))
        pending = logic.adherence(wednesday, [], TODAY)
        assert (pending.expected, pending.next_due) == (0, TODAY)
        kept = logic.adherence(wednesday, [TODAY], TODAY)
        assert (kept.expected, kept.met, kept.next_due) == (1, 1, dt.date(2026, 12, 2))

    def test_nothing_before_the_start_or_after_the_end(self):
        late_start = Schedule(cadence=logic.WEEKDAYS, weekdays=(1,), starts_on=dt.date(2026, 11, 20))
        assert logic.adherence(late_start, [], TODAY).expected == 1
        ended = Schedule(
            cadence=logic.WEEKDAYS,
            weekdays=(1,),
            starts_on=dt.date(2026, 10, 1),
            ends_on=dt.date(2026, 11, 10),
        )
        result = logic.adherence(ended, [], TODAY)
        assert result.missed_dates == (dt.date(2026, 11, 3), dt.date(2026, 11, 10))
        assert result.next_due is None


class TestEveryNDaysAdherence:
    # Every second Thursday from Thursday 29 October: due Oct 29, Nov 12, Nov 26.
    schedule = Schedule(cadence=logic.EVERY_N_DAYS, interval_days=14, starts_on=dt.date(2026, 10, 29))

    def test_a_session_anywhere_in_the_period_keeps_it(self):
        result = logic.adherence(self.schedule, [dt.date(2026, 11, 2), dt.date(2026, 11, 13)], TODAY)
        # The 28-day window is Oct 29 … Nov 25: Oct 29 (kept Nov 2) and Nov 12 (kept Nov 13) are due in it.
        assert (result.expected, result.met) == (2, 2)
        assert result.next_due == dt.date(2026, 11, 26)

    def test_an_open_period_is_due_now(self):
        result = logic.adherence(self.schedule, [], dt.date(2026, 11, 30))
        assert result.missed_dates == (dt.date(2026, 11, 12),)
        assert result.next_due == dt.date(2026, 11, 26)  # still open, so already due


class TestTimesPerWeekAdherence:
    # Three calls a week, Monday to Sunday; TODAY is Wednesday 25 November.
    schedule = Schedule(cadence=logic.TIMES_PER_WEEK, times_per_week=3, starts_on=dt.date(2026, 10, 1))

    def test_counts_each_full_week_and_kept_calls_this_week(self):
        calls = [
            *days_ago(30, 29, 28),  # week of Oct 26 (its Sunday is in the window): 3
            *days_ago(23, 21, 19),  # week of Nov 2: 3
            *days_ago(16),  # week of Nov 9: 1 of 3
            *days_ago(9, 8, 7, 6),  # week of Nov 16: 4 counts as 3
            *days_ago(1),  # this week so far: 1
        ]
        result = logic.adherence(self.schedule, calls, TODAY)
        # Weeks ending in the window: Oct 26, Nov 2, 9, 16 (12 due), plus 1 kept so far this week.
        assert (result.expected, result.met) == (13, 11)
        assert result.missed_dates == (dt.date(2026, 11, 15), dt.date(2026, 11, 15))
        assert result.next_due == dt.date(2026, 11, 29)
        assert not result.off_track

    def test_this_week_done_moves_the_due_date(self):
        result = logic.adherence(self.schedule, days_ago(0, 1, 2), TODAY)
        assert result.next_due == dt.date(2026, 12, 6)


class TestSuggestions:
    def health(self, ties, commitments=()):
        return logic.network_health(ties, list(commitments), [], TODAY)

    def codes(self, ties, commitments=()):
        return [s.code for s in self.health(ties, commitments).suggestions]

    def test_empty_network_asks_to_start(self):
        assert self.codes([]) == ["empty_network"]

    def test_missing_peer_pillar(self):
        ties = [tie(1, last_contact=TODAY), tie(2, pillar=logic.PROFESSIONAL, last_contact=TODAY), tie(3)]
        suggestion = next(s for s in self.health(ties).suggestions if s.code == "pillar_missing")
        assert suggestion.pillar == logic.PEER
        assert "peer" in suggestion.text

    def test_quiet_pillar_names_the_days(self):
        ties = [tie(1, pillar=logic.PEER, last_contact=TODAY - dt.timedelta(days=12 + 6))]
        quiet = next(s for s in self.health(ties).suggestions if s.code == "pillar_quiet")
        assert quiet.reason == "No contact with anyone from your peer pillar in 18 days."

    def test_thirteen_days_is_not_yet_quiet(self):
        ties = [tie(1, pillar=logic.PEER, last_contact=TODAY - dt.timedelta(days=13))]
        assert all(s.pillar != logic.PEER for s in self.health(ties).suggestions if s.code == "pillar_quiet")

    def test_strained_inner_tie_and_pro_use_tie(self):
        ties = [
            tie(1, name="Jordan", circle=logic.INNER, strain_flags=("conflict",)),
            tie(2, name="Chris", stance=logic.SUPPORTS_USE),
        ]
        found = {s.code: s for s in self.health(ties).suggestions}
        assert found["strained_inner_tie"].tie_id == 1
        assert "Jordan" in found["strained_inner_tie"].text
        assert found["pro_use_tie"].tie_id == 2

    def test_slipping_commitment(self):
        adherence = logic.Adherence(
            expected=4, met=1, missed_dates=days_ago(14, 7, 0), next_due=TODAY, missed_in_a_row=3
        )
        commitment = logic.CommitmentFacts(1, "Tuesday group", adherence)
        found = {s.code: s for s in self.health([tie(1)], [commitment]).suggestions}
        assert found["commitment_off_track"].reason == "Missed 3 of 4 times in the last 4 weeks."

    def test_mostly_using_network(self):
        ties = [tie(i, substance_use=logic.HEAVY) for i in range(1, 4)]
        assert "few_recovery_ties" in self.codes(ties)

    def test_healthy_network_has_little_to_say(self):
        ties = [
            tie(
                1,
                pillar=logic.PEER,
                stance=logic.SUPPORTS_RECOVERY,
                substance_use=logic.ABSTINENT,
                importance=5,
                last_contact=TODAY,
            ),
            tie(
                2,
                pillar=logic.PROFESSIONAL,
                stance=logic.SUPPORTS_RECOVERY,
                substance_use=logic.ABSTINENT,
                last_contact=TODAY,
            ),
            tie(3, stance=logic.SUPPORTS_RECOVERY, substance_use=logic.ABSTINENT, last_contact=TODAY),
        ]
        assert self.codes(ties) == []

    def test_most_pressing_first(self):
        priorities = [s.priority for s in self.health([tie(1)]).suggestions]
        assert priorities == sorted(priorities)


def test_missed_occurrences_are_counted_per_due_date():
    first, second = dt.date(2026, 11, 15), dt.date(2026, 11, 22)
    result = logic.Adherence(
        expected=5,
        met=1,
        missed_dates=(first, second, second, second),
        next_due=None,
        missed_in_a_row=3,
    )
    assert result.missed_by_day == ((first, 1), (second, 3))
