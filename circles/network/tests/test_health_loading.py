"""load_network: records become the right plain values, in the member's own days."""

import datetime as dt

import time_machine

from circles.network.health import load_network
from circles.network.models import Interaction
from circles.network.tests.factories import make_commitment, make_tie

NOW = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC)  # Wednesday, noon in New York


@time_machine.travel(NOW, tick=False)
def test_weeks_are_the_members_local_weeks(riley):
    peer = make_tie(riley, "Group", "group")
    # Monday 23 November 02:00 UTC is still Sunday 22 November in New York: the previous week.
    for moment in (
        dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC),
    ):
        Interaction.objects.create(member=riley, tie=peer, occurred_at=moment, kind="group_meeting")
    weeks = load_network(riley).health.weeks
    assert weeks[-1].week_start == dt.date(2026, 11, 23)
    assert (weeks[-2].counts["peer"], weeks[-1].counts["peer"]) == (1, 1)
    assert len(weeks) == 12


@time_machine.travel(NOW, tick=False)
def test_last_contact_and_recent_count_per_tie(riley):
    mum = make_tie(riley, "Mum", "parent")
    for days in (1, 3, 40):
        Interaction.objects.create(
            member=riley, tie=mum, occurred_at=NOW - dt.timedelta(days=days), kind="call"
        )
    (facts,) = load_network(riley).facts
    assert facts.last_contact == dt.date(2026, 11, 24)
    assert facts.contacts_28_days == 2


@time_machine.travel(NOW, tick=False)
def test_a_long_interval_commitment_sees_its_whole_open_period(riley):
    doctor = make_tie(riley, "Dr. Morgan", "physician")
    make_commitment(
        riley, doctor, "Check-up every 90 days", cadence="every_n_days", interval_days=90, weekdays=[],
        starts_on=dt.date(2026, 9, 1),
    )  # fmt: skip
    Interaction.objects.create(
        member=riley, tie=doctor, occurred_at=NOW - dt.timedelta(days=84), kind="in_person"
    )
    (commitment,) = load_network(riley).health.commitments
    assert commitment.adherence.next_due == dt.date(2026, 11, 30)  # kept on Sep 2; next one in 90 days
