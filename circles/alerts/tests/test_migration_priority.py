"""Migration alerts.0003 gives the notifications already in the outbox the priority and destination new
ones get, so an SOS waiting when the new code starts is still claimed first."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from circles.alerts.models import Notification, Priority

BEFORE = ("alerts", "0002_encrypt_free_text")
AFTER = ("alerts", "0003_delivery_priority_and_destinations")

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state(target).apps


@pytest.fixture
def before_0003():
    """The database as migration 0002 left it; every migration is applied again after the test."""
    try:
        yield migrate(BEFORE)
    finally:
        executor = MigrationExecutor(connection)
        # Every app's newest: going back also unapplied the apps that depend on this one (care on
        # checkins), and later tests on PostgreSQL would find their tables gone.
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_waiting_notifications_get_their_priority_and_destination(before_0003, riley):
    OldAlert = before_0003.get_model("alerts", "Alert")
    OldNotification = before_0003.get_model("alerts", "Notification")
    sos = OldAlert.objects.create(member_id=riley.pk, kind="sos", urgent=True)
    craving = OldAlert.objects.create(member_id=riley.pk, kind="craving", urgent=False)
    rows = [
        (sos, "email", "sam@example.org"),
        (sos, "webhook", "https://Hooks.Example.org:8443/circles"),
        (sos, "in_app", "7"),
        (craving, "sms", "+15550100"),
        (craving, "webhook", "http://127.0.0.1/hook"),
    ]
    for alert, channel, address in rows:
        OldNotification.objects.create(
            alert=alert, rung=0, recipient_name="Sam", channel=channel, address=address
        )

    migrate(AFTER)
    after = Notification.objects.order_by("id").values_list("priority", "destination")
    assert list(after) == [
        (Priority.URGENT, "email"),
        (Priority.URGENT, "webhook hooks.example.org:8443"),
        (Priority.URGENT, ""),
        (Priority.ROUTINE, "sms"),
        (Priority.ROUTINE, "webhook 127.0.0.1:80"),
    ]
