"""Migration audit.0004 re-chains a trail written as one chain into one chain per member, checking the old
chain first, and its reverse puts the one chain back as it was."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from circles.audit import logic, triggers
from circles.audit.migrations import _formats
from circles.audit.models import AuditEvent
from circles.audit.trail import first_break, keys

ONE_CHAIN = ("audit", "0003_keyed_chain")
PER_MEMBER = ("audit", "0004_chain_per_member")
AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state(target).apps


@pytest.fixture
def before_0004():
    """The database as migration 0003 left it; every migration is applied again after the test."""
    try:
        yield migrate(ONE_CHAIN)
    finally:
        triggers.drop(connection)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {triggers.TABLE}")  # noqa: S608 — a constant
        triggers.install(connection, chains_per_member=False)
        executor = MigrationExecutor(connection)
        # Every app's newest: going back also unapplied the apps that depend on this one (care on
        # checkins), and later tests on PostgreSQL would find their tables gone.
        executor.migrate(executor.loader.graph.leaf_nodes())


def _write_one_chain(apps, who: list[tuple[int | None, int | None]]) -> list[str]:
    """Rows as 0003 wrote them: one chain for the whole trail, each row under the first key."""
    OldEvent = apps.get_model("audit", "AuditEvent")
    key, previous, hashes = keys()[0], logic.GENESIS, []
    for n, (actor_id, subject_id) in enumerate(who):
        event = OldEvent(
            at=AT + dt.timedelta(minutes=n),
            actor_id=actor_id,
            action="checkin.view",
            subject_id=subject_id,
            object_ref=f"scope:mood{n}",
            key_id=key.id,
            previous_hash=previous,
        )
        event.hash = previous = _formats.keyed_one_chain(event, key.id, key.secret, previous)
        event.save()
        hashes.append(event.hash)
    return hashes


def test_the_rows_are_re_chained_per_member_and_back(before_0004, riley, sam):
    who = [(sam.pk, riley.pk), (sam.pk, sam.pk), (sam.pk, None), (None, None), (None, riley.pk)]
    one_chain = _write_one_chain(before_0004, who)

    migrate(PER_MEMBER)
    rows = list(AuditEvent.objects.order_by("id"))
    assert [row.chain for row in rows] == [riley.pk, sam.pk, sam.pk, 0, riley.pk]
    assert rows[4].previous_hash == rows[0].hash and rows[2].previous_hash == rows[1].hash
    assert first_break() is None

    apps = migrate(ONE_CHAIN)
    back = apps.get_model("audit", "AuditEvent").objects.order_by("id").values_list("hash", flat=True)
    assert list(back) == one_chain


def test_an_already_broken_chain_is_not_re_chained(before_0004, riley, sam):
    _write_one_chain(before_0004, [(sam.pk, riley.pk)] * 3)
    OldEvent = before_0004.get_model("audit", "AuditEvent")
    changed = OldEvent.objects.order_by("id")[1]
    triggers.drop(connection)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {triggers.TABLE} SET outcome = 'denied' WHERE id = %s", [changed.pk])  # noqa: S608
    triggers.install(connection, chains_per_member=False)

    with pytest.raises(
        RuntimeError, match=f"Audit row {changed.pk} does not match the chain it was written in"
    ):
        migrate(PER_MEMBER)
    # Nothing changed: the rows are as they were, still in the one chain.
    assert list(OldEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        "allowed",
        "denied",
        "allowed",
    ]
