"""load_adherence_many: for many members in one query, what a plain count of each member's contacts gives."""

import datetime as dt
import random

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circles.accounts.models import User
from circles.lib.time import local_today, user_zone
from circles.network import logic
from circles.network.adherence import load_adherence_many, lookback_days
from circles.network.models import Commitment, Interaction, TieStatus
from circles.network.tests.factories import make_commitment, make_tie

# Members far apart: at these moments their "today" falls on different dates.
ZONES = ["Pacific/Kiritimati", "Asia/Kolkata", "UTC", "America/New_York", "Pacific/Pago_Pago"]
MOMENTS = [
    dt.datetime(2026, 11, 25, 10, 30, tzinfo=dt.UTC),  # Wednesday: Thursday in Kiritimati
    dt.datetime(2026, 11, 30, 4, 0, tzinfo=dt.UTC),  # Monday: still Sunday from New York westward
    dt.datetime(2026, 12, 6, 23, 0, tzinfo=dt.UTC),  # Sunday night: Monday from Kolkata eastward
]


def one_member_by_hand(member: User, commitments: list[Commitment]) -> dict[int, logic.Adherence]:
    """The reference: every contact of the member read as a local date in their zone, no shortcuts."""
    zone, today = user_zone(member), local_today(member)
    active = [c for c in commitments if c.tie.status == TieStatus.ACTIVE]
    if not active:
        return {}
    first = today - dt.timedelta(days=max(lookback_days(c) for c in active))
    dates: dict[int, list[dt.date]] = {}
    for contact in Interaction.objects.filter(member=member):
        day = contact.occurred_at.astimezone(zone).date()
        if day >= first:
            dates.setdefault(contact.tie_id, []).append(day)
    return {c.pk: logic.adherence(c.schedule, dates.get(c.tie_id, []), today) for c in active}


def member_in(zone: str, number: int) -> User:
    return User.objects.create(email=f"m{number}@example.org", display_name=f"M{number}", timezone=zone)


def lived_in_network(member: User, rng: random.Random, now: dt.datetime) -> None:
    """Three ties (one paused), commitments of every cadence, contacts around local midnights."""
    ties = [make_tie(member, f"Tie {i}") for i in range(3)]
    ties[2].status = TieStatus.PAUSED
    ties[2].save(update_fields=["status"])
    today = now.date()
    plans: list[dict] = [
        {"cadence": "weekdays", "weekdays": sorted(rng.sample(range(7), 2))},
        {"cadence": "every_n_days", "weekdays": [], "interval_days": rng.choice([1, 2, 3, 7, 14, 45])},
        {"cadence": "times_per_week", "weekdays": [], "times_per_week": rng.randint(1, 3)},
    ]
    for i, plan in enumerate(plans):
        ends = today + dt.timedelta(days=rng.randint(-10, 20)) if rng.random() < 0.3 else None
        starts = today - dt.timedelta(days=rng.randint(0, 90))
        make_commitment(member, ties[i % 2], f"Plan {i}", starts_on=starts, ends_on=ends, **plan)
    make_commitment(member, ties[2], "On hold", cadence="weekdays", weekdays=[0, 1, 2, 3, 4, 5, 6])
    for _ in range(40):
        # Whole hours back, so plenty of contacts land next to a midnight somewhere.
        moment = now - dt.timedelta(hours=rng.randint(0, 24 * 80))
        Interaction.objects.create(member=member, tie=rng.choice(ties), occurred_at=moment, kind="call")


@pytest.mark.parametrize("moment", MOMENTS)
def test_many_members_get_what_each_gets_alone(db, moment):
    rng = random.Random(moment.toordinal())
    with time_machine.travel(moment, tick=False):
        members = [member_in(zone, i) for i, zone in enumerate(ZONES)]
        for member in members:
            lived_in_network(member, rng, moment)
        commitments = list(Commitment.objects.select_related("tie"))
        together = load_adherence_many(members, commitments, moment)
        alone = {}
        for member in members:
            alone.update(one_member_by_hand(member, [c for c in commitments if c.member_id == member.pk]))
    assert together == alone
    assert len(together) == 3 * len(members)  # the commitment to the paused tie is on hold
    assert any(result.missed_in_a_row for result in together.values())  # not trivially empty


def test_one_query_whatever_the_number_of_members(db):
    rng = random.Random(7)
    now = MOMENTS[0]
    members = [member_in(zone, i) for i, zone in enumerate(ZONES)]
    for member in members:
        lived_in_network(member, rng, now)
    commitments = list(Commitment.objects.select_related("tie"))
    with CaptureQueriesContext(connection) as queries:
        load_adherence_many(members, commitments, now)
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert load_adherence_many(members, [c for c in commitments if c.title == "On hold"], now) == {}
    assert len(queries) == 0
