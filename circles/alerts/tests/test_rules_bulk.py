"""The time rules in bulk: a fixed number of queries per chunk of members, and the same alerts the
member-by-member rules raised (that code is kept below, as the reference)."""

import datetime as dt
import random

import pytest
import time_machine
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext

from circles.accounts.models import User
from circles.alerts import logic
from circles.alerts.models import Alert, AlertSettings, AlertStatus, Rung
from circles.alerts.rules import check_time_rules, time_rules_by_chunk
from circles.alerts.tests.factories import ladder
from circles.network.health import load_adherence
from circles.network.models import Commitment, Interaction, TieStatus
from circles.network.tests.factories import make_commitment, make_tie

NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)  # a Wednesday
ZONES = ["Pacific/Kiritimati", "Asia/Kolkata", "UTC", "America/New_York", "Pacific/Pago_Pago"]


def member_with_ladder(number: int, zone: str = "UTC", joined_days_ago: int = 100) -> User:
    member = User.objects.create(
        email=f"member{number}@example.org",
        display_name=f"Member {number}",
        timezone=zone,
        date_joined=NOW - dt.timedelta(days=joined_days_ago),
    )
    ladder(member, make_tie(member, f"Friend of {number}"), channels=(logic.IN_APP,))
    return member


def doing_well(number: int) -> User:
    """Talks to their friend every day and keeps a daily commitment: no rule fires."""
    member = member_with_ladder(number)
    tie = member.ties.get()
    make_commitment(
        member, tie, "Call every day", cadence="every_n_days", weekdays=[], interval_days=1,
        starts_on=NOW.date() - dt.timedelta(days=30),
    )  # fmt: skip
    Interaction.objects.bulk_create(
        Interaction(member=member, tie=tie, occurred_at=NOW - dt.timedelta(days=days), kind="call")
        for days in range(31)
    )
    return member


def queries_for_a_pass(**options) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert check_time_rules(NOW, **options) == 0
    assert not any(q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE")) for q in queries)
    return len(queries)


@time_machine.travel(NOW, tick=False)
def test_the_queries_do_not_grow_with_the_number_of_members(db):
    for number in range(3):
        doing_well(number)
    three = queries_for_a_pass()
    for number in range(3, 30):
        doing_well(number)
    # Members and their settings, last contact, last time-rule alerts, commitments and ties, contacts.
    assert queries_for_a_pass() == three == 6
    # In chunks of 10: the same six per chunk.
    assert queries_for_a_pass(chunk_size=10) == 3 * 6 + 1  # and one finding that no member is left
    assert queries_for_a_pass(chunk_size=7) == 5 * 6


@time_machine.travel(NOW, tick=False)
def test_chunks_are_yielded_one_by_one_with_the_alerts_each_raised(db):
    quiet = [member_with_ladder(number, joined_days_ago=30) for number in range(5)]  # never in touch
    assert list(time_rules_by_chunk(NOW, chunk_size=2)) == [2, 2, 1]
    assert set(Alert.objects.values_list("member", "kind")) == {(m.pk, logic.DISENGAGEMENT) for m in quiet}


@time_machine.travel(NOW, tick=False)
def test_each_member_s_alerts_are_raised_in_a_transaction_of_their_own(db):
    """Not one per chunk: each holds one member's audit chain (on SQLite the write lock) only briefly."""
    for number in range(4):
        member_with_ladder(number, joined_days_ago=30)
    with CaptureQueriesContext(connection) as queries:
        assert check_time_rules(NOW) == 4
    # Inside the test's transaction each of them is a savepoint (raise_alert adds one of its own).
    per_member = [q["sql"] for q in queries if q["sql"].startswith("SAVEPOINT")]
    assert len(per_member) == 4 * 2


@pytest.mark.django_db(transaction=True)
@time_machine.travel(NOW, tick=False)
def test_a_member_whose_alerts_fail_is_logged_and_the_pass_goes_on(monkeypatch, caplog):
    from circles.alerts import rules

    quiet = [member_with_ladder(number, joined_days_ago=30) for number in range(5)]
    broken = quiet[1]
    real_raise_alert = rules.raise_alert

    def raise_alert(member, kind, **options):
        alert, created = real_raise_alert(member, kind, **options)  # written, then rolled back
        if member.pk == broken.pk:
            raise ValueError("a bug met with this member's alert")
        return alert, created

    monkeypatch.setattr(rules, "raise_alert", raise_alert)
    assert list(time_rules_by_chunk(NOW, chunk_size=2)) == [1, 2, 1]
    assert set(Alert.objects.values_list("member", flat=True)) == {m.pk for m in quiet if m != broken}
    assert f"the alerts for member {broken.pk} could not be raised" in caplog.text


@time_machine.travel(NOW, tick=False)
def test_a_repeat_of_the_same_misses_is_held_back_per_member(db):
    """Two members whose missed-commitment alert was closed: only the one in touch since is asked again."""
    back_in_touch, not_since = member_with_ladder(1), member_with_ladder(2)
    for member in (back_in_touch, not_since):
        tie = member.ties.get()
        make_commitment(member, tie, "Mondays", cadence="weekdays", weekdays=[0])
        Interaction.objects.create(
            member=member, tie=tie, occurred_at=NOW - dt.timedelta(days=1), kind="call"
        )
        Alert.objects.create(
            member=member,
            kind=logic.MISSED_COMMITMENTS,
            status=AlertStatus.CLOSED,
            created_at=NOW - dt.timedelta(days=2),
        )
    # back_in_touch called on Tuesday, after the alert; not_since's call was on Sunday, before it.
    # Neither was on a Monday: both still miss every Monday.
    Interaction.objects.filter(member=not_since).update(occurred_at=NOW - dt.timedelta(days=3))
    assert check_time_rules(NOW) == 1
    alert = Alert.objects.exclude(status=AlertStatus.CLOSED).get()
    assert alert.member == back_in_touch and alert.kind == logic.MISSED_COMMITMENTS
    assert alert.facts["count"] == 4  # the four Mondays of the 28 days


# --- The member-by-member rules as they were before the bulk rewrite: the reference. -----------------


def per_member_reference(now: dt.datetime) -> set[tuple[int, str, str]]:
    """(member, kind, facts) of every alert the member-by-member code raised, facts as sorted JSON."""
    import json

    decisions = set()
    members = {rung.member_id: rung.member for rung in Rung.objects.select_related("member")}
    settings_by_member = {s.member_id: s for s in AlertSettings.objects.filter(member_id__in=members)}
    last_contact = dict(
        Interaction.objects.filter(member_id__in=members)
        .values("member_id")
        .annotate(last=Max("occurred_at"))
        .values_list("member_id", "last")
    )
    last_raised = {
        (row["member_id"], row["kind"]): row["last"]
        for row in Alert.objects.filter(
            member_id__in=members, kind__in=(logic.DISENGAGEMENT, logic.MISSED_COMMITMENTS)
        )
        .values("member_id", "kind")
        .annotate(last=Max("created_at"))
    }
    for member_id, member in members.items():
        rules = settings_by_member.get(member_id) or AlertSettings(member=member)
        if rules.disengagement_on:
            last = last_contact.get(member_id) or member.date_joined
            quiet_days = (now - last).days
            previous = last_raised.get((member_id, logic.DISENGAGEMENT))
            if quiet_days >= rules.disengaged_days and (previous is None or previous < last):
                decisions.add((member_id, logic.DISENGAGEMENT, json.dumps({"days": quiet_days})))
        if rules.missed_commitments_on:
            commitments = list(Commitment.objects.filter(member=member).select_related("tie"))
            adherence = load_adherence(member, commitments) if commitments else {}
            count, commitment = max(
                ((result.missed_in_a_row, c) for c in commitments if (result := adherence.get(c.pk))),
                default=(0, None),
                key=lambda pair: pair[0],
            )
            if commitment is None or count < rules.missed_commitments:
                continue
            previous = last_raised.get((member_id, logic.MISSED_COMMITMENTS))
            if previous is not None:
                contact = Interaction.objects.filter(member=member, tie_id=commitment.tie_id).aggregate(
                    last=Max("occurred_at")
                )["last"]
                if contact is None or previous >= contact:
                    continue
            facts = {"count": count, "title": commitment.title, "commitment": commitment.pk}
            decisions.add((member_id, logic.MISSED_COMMITMENTS, json.dumps(facts, sort_keys=True)))
    return decisions


def random_member(number: int, rng: random.Random) -> None:
    member = member_with_ladder(number, rng.choice(ZONES), joined_days_ago=rng.randint(3, 90))
    ties = [member.ties.get(), make_tie(member, "Group", "group"), make_tie(member, "Coach", "counselor")]
    if rng.random() < 0.3:
        ties[2].status = TieStatus.PAUSED
        ties[2].save(update_fields=["status"])
    if rng.random() < 0.7:
        AlertSettings.objects.create(
            member=member,
            disengagement_on=rng.random() < 0.8,
            disengaged_days=rng.randint(7, 20),
            missed_commitments_on=rng.random() < 0.8,
            missed_commitments=rng.randint(2, 5),
        )
    for title in rng.sample(["Alpha", "Beta", "Gamma", "Alpha"], k=rng.randint(0, 3)):
        cadence = rng.choice(["weekdays", "every_n_days", "times_per_week"])
        make_commitment(
            member,
            rng.choice(ties),
            title,
            cadence=cadence,
            weekdays=sorted(rng.sample(range(7), 2)) if cadence == "weekdays" else [],
            interval_days=rng.choice([1, 2, 7]) if cadence == "every_n_days" else None,
            times_per_week=rng.randint(1, 3) if cadence == "times_per_week" else None,
            starts_on=NOW.date() - dt.timedelta(days=rng.randint(0, 60)),
        )
    Interaction.objects.bulk_create(
        Interaction(
            member=member,
            tie=rng.choice(ties),
            occurred_at=NOW - dt.timedelta(hours=rng.randint(0, 24 * 40)),
            kind="call",
        )
        for _ in range(rng.choice([0, 2, 6, 15]))
    )
    for kind in (logic.DISENGAGEMENT, logic.MISSED_COMMITMENTS):
        if rng.random() < 0.4:
            Alert.objects.create(
                member=member,
                kind=kind,
                status=AlertStatus.CLOSED,
                created_at=NOW - dt.timedelta(hours=rng.randint(1, 24 * 30)),
            )


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("chunk_size", [4, 500])
def test_the_same_alerts_as_the_member_by_member_rules(db, seed, chunk_size):
    import json

    rng = random.Random(seed)
    with time_machine.travel(NOW, tick=False):
        for number in range(25):
            random_member(number, rng)
        User.objects.create(email="no-ladder@example.org", display_name="No ladder")  # never looked at
        expected = per_member_reference(NOW)
        assert len(expected) >= 8  # both rules fire for several members, and stay quiet for others
        before = set(Alert.objects.values_list("pk", flat=True))
        assert check_time_rules(NOW, chunk_size=chunk_size) == len(expected)
    raised = {
        (alert.member_id, alert.kind, json.dumps(alert.facts, sort_keys=True))
        for alert in Alert.objects.exclude(pk__in=before)
    }
    assert raised == expected
