"""The contact rollup stays equal to the contact log, whatever path changes it, and the pages read it."""

import datetime as dt
import random
from collections import Counter

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Subquery
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from circles.lib.time import start_of_local_day, user_zone
from circles.network import rollup
from circles.network.actions import (
    do_delete_interaction,
    do_delete_tie,
    do_log_interaction,
    do_update_interaction,
)
from circles.network.health import load_network
from circles.network.models import Interaction, Tie, WeeklyContact
from circles.network.tests.factories import make_interaction, make_tie

NOW = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC)  # Wednesday, noon in New York
RELATIONSHIPS = ["parent", "friend", "sponsor", "group", "counselor"]


def stored(member) -> tuple[set, dict]:
    """The rollup as stored: (tie, week, count) rows and each tie's latest contact."""
    weeks = set(WeeklyContact.objects.filter(member=member).values_list("tie_id", "week_start", "count"))
    latest = dict(Tie.objects.filter(member=member).values_list("pk", "last_contact_at"))
    return weeks, latest


def from_the_log(member) -> tuple[set, dict]:
    """The rollup as it should be, counted here from the log without the rollup's code."""
    zone = user_zone(member)
    weeks: Counter = Counter()
    latest: dict = {pk: None for pk in Tie.objects.filter(member=member).values_list("pk", flat=True)}
    for tie_id, moment in Interaction.objects.filter(member=member).values_list("tie_id", "occurred_at"):
        day = moment.astimezone(zone).date()
        weeks[tie_id, day - dt.timedelta(days=day.weekday())] += 1
        latest[tie_id] = max(moment, latest[tie_id] or moment)
    return {(tie, week, count) for (tie, week), count in weeks.items()}, latest


def random_moment(rng: random.Random, zone) -> dt.datetime:
    """Mostly close to a week's edge in the member's zone (Sunday night, Monday morning), some anywhere."""
    monday = NOW.astimezone(zone).date() - dt.timedelta(weeks=rng.randint(0, 30))
    monday -= dt.timedelta(days=monday.weekday())
    edge = start_of_local_day(monday, zone)
    if rng.random() < 0.5:
        return min(NOW, edge + dt.timedelta(minutes=rng.choice([-61, -1, 0, 1, 59, 600])))
    return NOW - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 400))


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("seed", range(4))
def test_the_rollup_equals_a_fresh_count_after_random_changes(riley, sam, seed):
    rng = random.Random(seed)
    zone = user_zone(riley)
    ties = [make_tie(riley, f"Person {i}", relationship) for i, relationship in enumerate(RELATIONSHIPS)]
    others = make_tie(sam, "Someone of Sam's", "friend")
    make_interaction(sam, others)
    sams_before = stored(sam)
    for _step in range(60):
        contacts = list(Interaction.objects.filter(member=riley))
        action = rng.choice(["log", "log", "edit", "move", "delete", "note", "bulk", "bulk_delete", "update"])
        if action == "log" or not contacts:
            contact = Interaction(tie=rng.choice(ties), occurred_at=random_moment(rng, zone), kind="call")
            do_log_interaction(contact, acting_user=riley)
        elif action == "edit":
            contact = rng.choice(contacts)
            contact.occurred_at = random_moment(rng, zone)
            do_update_interaction(contact, acting_user=riley)
        elif action == "move":
            contact = rng.choice(contacts)
            contact.tie = rng.choice(ties)
            contact.occurred_at = rng.choice([contact.occurred_at, random_moment(rng, zone)])
            do_update_interaction(contact, acting_user=riley)
        elif action == "delete":
            do_delete_interaction(rng.choice(contacts), acting_user=riley)
        elif action == "note":
            contact = rng.choice(contacts)
            contact.note = "Changed"
            contact.save()
        elif action == "bulk":
            Interaction.objects.bulk_create(
                Interaction(
                    member=riley, tie=rng.choice(ties), occurred_at=random_moment(rng, zone), kind="call"
                )
                for _ in range(rng.randint(1, 5))
            )
        elif action == "bulk_delete":
            Interaction.objects.filter(member=riley, occurred_at__lt=random_moment(rng, zone)).delete()
        elif rng.random() < 0.5:
            Interaction.objects.filter(pk=rng.choice(contacts).pk).update(
                tie=rng.choice(ties), occurred_at=random_moment(rng, zone)
            )
        else:
            Interaction.objects.filter(pk=rng.choice(contacts).pk).update(tie_id=rng.choice(ties).pk)
        assert stored(riley) == from_the_log(riley), f"after {action}"
    assert WeeklyContact.objects.filter(member=riley).exists()
    rollup.rebuild_member(riley)
    assert stored(riley) == from_the_log(riley)
    assert stored(sam) == sams_before  # nobody else's rollup is touched


@time_machine.travel(NOW, tick=False)
def test_deleting_a_tie_takes_its_rows_and_an_edit_of_the_latest_contact_finds_the_one_before(riley):
    mum, group = make_tie(riley, "Mum", "parent"), make_tie(riley, "Group", "group")
    older = make_interaction(riley, mum, days_ago=10)
    newest = make_interaction(riley, mum, days_ago=1)
    make_interaction(riley, group, days_ago=2)
    mum.refresh_from_db()
    assert mum.last_contact_at == newest.occurred_at
    newest.occurred_at = NOW - dt.timedelta(days=20)
    do_update_interaction(newest, acting_user=riley)
    mum.refresh_from_db()
    assert mum.last_contact_at == older.occurred_at
    do_delete_interaction(older, acting_user=riley)
    do_delete_interaction(newest, acting_user=riley)
    mum.refresh_from_db()
    assert mum.last_contact_at is None and not WeeklyContact.objects.filter(tie=mum).exists()
    do_delete_tie(group, acting_user=riley)
    assert not WeeklyContact.objects.filter(member=riley).exists()


def test_saving_a_tie_read_before_a_contact_keeps_the_latest_contact(riley):
    mum = make_tie(riley, "Mum", "parent")
    read_earlier = Tie.objects.get(pk=mum.pk)
    contact = make_interaction(riley, mum)
    read_earlier.display_name = "Mother"
    read_earlier.save()
    mum.refresh_from_db()
    assert (mum.display_name, mum.last_contact_at) == ("Mother", contact.occurred_at)


@time_machine.travel(NOW, tick=False)
def test_a_new_time_zone_counts_the_weeks_again(riley):
    group = make_tie(riley, "Group", "group")
    # Monday 23 November 02:00 UTC: Sunday evening in New York, already Monday in Berlin.
    moment = dt.datetime(2026, 11, 23, 2, tzinfo=dt.UTC)
    Interaction.objects.create(member=riley, tie=group, occurred_at=moment, kind="group_meeting")
    assert [w.counts["peer"] for w in load_network(riley).health.weeks[-2:]] == [1, 0]
    riley.timezone = "Europe/Berlin"
    riley.save()
    assert [w.counts["peer"] for w in load_network(riley).health.weeks[-2:]] == [0, 1]
    assert stored(riley) == from_the_log(riley)
    # A contact logged before any page is read counts the tie again in the new zone too.
    riley.timezone = "America/New_York"
    riley.save()
    make_interaction(riley, group, days_ago=0)
    assert stored(riley) == from_the_log(riley)


def test_erasing_a_supporter_leaves_the_encouragement_they_sent_counted(riley, sam):
    tie = make_tie(riley, "Sam", "friend")
    make_interaction(riley, tie, kind="encouragement", sent_by=sam, message="Keep going")
    before = stored(riley)
    sam.delete()
    assert stored(riley) == before == from_the_log(riley)


def test_the_command_counts_again_everyone_or_one_member(riley, sam):
    make_interaction(riley, make_tie(riley, "Mum", "parent"))
    make_interaction(sam, make_tie(sam, "Dad", "parent"))
    WeeklyContact.objects.all().delete()
    Tie.objects.update(last_contact_at=None)
    call_command("rebuild_contacts", "--member", str(riley.pk), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert stored(riley) == from_the_log(riley) and stored(sam) != from_the_log(sam)
    call_command("rebuild_contacts", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert stored(sam) == from_the_log(sam)
    with pytest.raises(CommandError, match="No account"):
        call_command("rebuild_contacts", "--member", "999999")


def grow_history(member, weeks: int) -> None:
    """Three ties and a contact with each of them every day or so, over `weeks` weeks."""
    ties = [make_tie(member, f"Person {i}", relationship) for i, relationship in enumerate(RELATIONSHIPS[:3])]
    Interaction.objects.bulk_create(
        Interaction(member=member, tie=ties[n % 3], kind="call", occurred_at=NOW - dt.timedelta(hours=20 * n))
        for n in range(weeks * 8)
    )


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("url", ["/network/", "/api/v1/network/health", "/checkins/progress/?days=365"])
def test_pages_cost_the_same_after_four_weeks_and_after_four_years(riley, mallory, client_for, url):
    grow_history(riley, weeks=4)
    grow_history(mallory, weeks=4 * 52)
    counts = []
    for member in (riley, mallory):
        client = client_for(member)
        client.get(url)  # the session's first request
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
        # The log is read only over the last 28 days (and the commitments' windows); the weeks and the
        # latest contact come from the rollup.
        for query in queries.captured_queries:
            if '"network_interaction"' in query["sql"]:
                assert '"occurred_at" >=' in query["sql"], query["sql"]
    small, large = counts
    assert small == large, f"{url}: {small} queries after 4 weeks, {large} after 4 years"


def test_logging_a_contact_takes_a_fixed_number_of_queries(riley, django_assert_num_queries):
    mum = make_tie(riley, "Mum", "parent")
    make_interaction(riley, mum, days_ago=3)
    # Lock the tie, insert, count its week, write the week's row, set the tie's latest contact.
    with django_assert_num_queries(5):
        do_log_interaction(Interaction(tie=mum, kind="call"), acting_user=riley)
    assert stored(riley) == from_the_log(riley)


def test_the_demo_circle_is_counted(db):
    from circles.accounts.models import User
    from circles.demo.data import build_demo

    build_demo(password="a-long-demo-passphrase-1")
    riley = User.objects.get(email="riley@example.org")
    assert WeeklyContact.objects.filter(member=riley).exists()
    assert stored(riley) == from_the_log(riley)
    build_demo(password="a-long-demo-passphrase-1", reset=True)
    assert stored(riley) == from_the_log(riley)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite lets one writer in at a time")
def test_contacts_logged_at_once_with_one_tie_are_all_counted(transactional_db, riley):
    """Eight connections log contact with the same tie in the same week at the same moment."""
    import threading

    from django.db import connections

    tie = make_tie(riley, "Group", "group")
    barrier = threading.Barrier(8)
    errors = []

    def log_one():
        try:
            barrier.wait(timeout=10)
            do_log_interaction(
                Interaction(tie=Tie.objects.get(pk=tie.pk), kind="group_meeting"), acting_user=riley
            )
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=log_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Interaction.objects.filter(tie=tie).count() == 8
    assert stored(riley) == from_the_log(riley)
    assert WeeklyContact.objects.get(tie=tie).count == 8


def test_contacts_moved_by_bulk_update_or_an_expression_are_counted_where_they_went(riley):
    first, second = make_tie(riley, "Alex"), make_tie(riley, "Blair")
    moved = make_interaction(riley, first, days_ago=2)
    make_interaction(riley, first, days_ago=9)
    moved.tie = second
    Interaction.objects.bulk_update([moved], ["tie"])
    assert stored(riley) == from_the_log(riley)
    assert WeeklyContact.objects.filter(tie=second).exists()
    Interaction.objects.filter(tie=second).update(
        tie_id=Subquery(Tie.objects.filter(pk=first.pk).values("pk"))
    )
    assert stored(riley) == from_the_log(riley)


def test_the_list_of_ties_counts_ties_not_counted_yet_before_showing_their_last_contact(riley, client_for):
    tie = make_tie(riley, "Alex")
    make_interaction(riley, tie, days_ago=2)
    # As migration network.0006 leaves a tie made before the rollup, or Tie.objects.bulk_create one.
    Tie.objects.filter(pk=tie.pk).update(last_contact_at=None, contacts_zone="")
    WeeklyContact.objects.filter(tie=tie).delete()
    page = client_for(riley).get(reverse("network:tie_list")).content.decode()
    assert "none yet" not in page
    assert stored(riley) == from_the_log(riley)
