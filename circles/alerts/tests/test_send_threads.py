"""The worker's send threads: a send that hangs holds its own thread and nothing else.

The threads need a database they can all open, as the worker subprocess of the fault tests does:
this module uses test_faults.py's `database_for_worker` (autouse), so its tests write with real commits.
"""

import threading

import pytest
from django.core import mail

from circles.alerts import channels, delivery, logic
from circles.alerts.actions import do_raise_sos
from circles.alerts.models import Notification, NotificationStatus
from circles.alerts.tests.factories import askable, ladder
from circles.alerts.tests.test_fair_delivery import hook_ladder, member
from circles.alerts.tests.test_faults import database_for_worker  # noqa: F401 — autouse, for this module

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_send_that_hangs_holds_its_own_thread_and_nothing_else(sam, settings, monkeypatch):
    """The worker's pool: one member's webhook hangs; everyone else's email goes out meanwhile."""
    settings.ALERT_SEND_THREADS = 3
    stuck = member("stuck")
    hook_ladder(stuck, sam)
    others = [member(f"other-{n}") for n in range(6)]
    for person in others:
        ladder(person, askable(person, sam), channels=(logic.EMAIL,))
    hanging, release = threading.Event(), threading.Event()
    real = channels.deliver

    def hang_on_the_hook(notification):
        if notification.channel == logic.WEBHOOK:
            hanging.set()
            assert release.wait(30)
        else:
            real(notification)

    monkeypatch.setattr(channels, "deliver", hang_on_the_hook)
    keeper = delivery.LeaseKeeper("host:1")
    keeper.start()
    try:
        do_raise_sos(stuck, acting_user=stuck)
        delivery.work_due("host:1", keeper=keeper)
        assert hanging.wait(30)
        for person in others:
            do_raise_sos(person, acting_user=person)
        sent = delivery.Round()
        for _round in range(100):
            sent.add(delivery.work_due("host:1", keeper=keeper))
            if sent.sent == len(others):
                break
            keeper.pool().wait_for_a_finish(0.5)
        assert sent.sent == len(others), "the others' emails waited for the hanging webhook"
        assert len(mail.outbox) == len(others)
        hook = Notification.objects.get(channel=logic.WEBHOOK)
        assert hook.status == NotificationStatus.PENDING  # still being sent
        release.set()
    finally:
        release.set()
        keeper.stop()  # lets the send in flight finish and record its outcome
    assert Notification.objects.get(channel=logic.WEBHOOK).status == NotificationStatus.SENT
