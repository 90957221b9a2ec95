"""The worker's send threads: a send that hangs holds its own thread and nothing else.

The threads need a database they can all open, as the worker subprocess of the fault tests does:
this module uses test_faults.py's `database_for_worker` (autouse), so its tests write with real commits.
"""

import threading

import pytest
from django.core import mail
from django.utils import timezone

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


def test_a_send_that_outlasts_its_lease_is_not_claimed_again_by_its_own_worker(sam, settings, monkeypatch):
    """Past in_flight_limit() the lease runs out, but the worker still sending the row never takes it."""
    settings.ALERT_SEND_THREADS = 4
    riley = member("riley")
    ladder(riley, askable(riley, sam), channels=(logic.EMAIL,))
    monkeypatch.setattr(delivery, "in_flight_limit", lambda: 0.0)  # the keeper has stopped renewing it
    sending, release = threading.Event(), threading.Event()
    sends = []

    def slow_provider(notification):
        sends.append(notification.attempts)
        sending.set()
        assert release.wait(30)

    monkeypatch.setattr(channels, "deliver", slow_provider)
    keeper = delivery.LeaseKeeper("host:1")
    keeper.start()
    try:
        do_raise_sos(riley, acting_user=riley)
        delivery.work_due("host:1", keeper=keeper)
        assert sending.wait(30)
        Notification.objects.update(due_at=timezone.now())  # its lease has run out
        delivery.work_due("host:1", keeper=keeper)
        assert keeper.pool().room().slots == 3  # one send in flight, counted once
        release.set()
    finally:
        release.set()
        monkeypatch.setattr(delivery, "in_flight_limit", lambda: 30.0)  # how long stop() waits for it
        keeper.stop()
    assert sends == [1], "one worker sent the same SOS email twice at once"
    row = Notification.objects.get()
    assert row.status == NotificationStatus.SENT and row.attempts == 1


class ThreadKilled(BaseException):
    """An error no handler of the send thread catches, so the thread ends."""


def test_a_send_thread_that_dies_is_replaced_and_its_slot_freed(sam, settings, monkeypatch):
    settings.ALERT_SEND_THREADS = 1
    riley, jamie = member("riley"), member("jamie")
    for person in (riley, jamie):
        ladder(person, askable(person, sam), channels=(logic.EMAIL,))
    real = delivery.deliver_one

    def dies_on_rileys(notification, worker, keeper=None):
        if notification.alert.member_id == riley.pk:
            raise ThreadKilled
        return real(notification, worker, keeper)

    monkeypatch.setattr(delivery, "deliver_one", dies_on_rileys)
    monkeypatch.setattr(threading, "excepthook", lambda args: None)  # the death is expected here
    keeper = delivery.LeaseKeeper("host:1")
    keeper.start()
    try:
        do_raise_sos(riley, acting_user=riley)
        delivery.work_due("host:1", keeper=keeper)
        pool = keeper.pool()
        for _wait in range(100):
            if not pool.in_flight:
                break
            pool.wait_for_a_finish(0.1)
        assert pool.room().slots == 1
        do_raise_sos(jamie, acting_user=jamie)
        sent = delivery.Round()
        for _round in range(10):
            sent.add(delivery.work_due("host:1", keeper=keeper))
            if sent.sent:
                break
            pool.wait_for_a_finish(0.5)
        assert sent.sent == 1, "Jamie's SOS waited for a send thread that had died"
    finally:
        keeper.stop()
    assert len(mail.outbox) == 1
