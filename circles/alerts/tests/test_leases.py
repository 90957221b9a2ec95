"""Short leases: a dead worker's rows are due again within one lease; a live one keeps what it sends."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from circles.alerts import channels, delivery, logic
from circles.alerts.actions import do_raise_sos
from circles.alerts.models import DeliveryAttempt, Notification, NotificationStatus
from circles.alerts.tests.factories import askable, ladder

START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def at(seconds: float):
    return time_machine.travel(START + dt.timedelta(seconds=seconds), tick=False)


@pytest.fixture
def email(riley, sam, settings):
    """Riley's SOS email to Sam, due at START; a 10-second lease."""
    settings.ALERT_LEASE_SECONDS = 10
    ladder(riley, askable(riley, sam))
    with at(0):
        do_raise_sos(riley, acting_user=riley)
    return Notification.objects.get(channel=logic.EMAIL)


def test_the_default_lease_is_seconds_not_a_minute():
    assert 5 <= django_settings.ALERT_LEASE_SECONDS <= 15


def test_a_dead_workers_row_is_taken_by_a_restarted_worker_after_one_lease(email, mailoutbox):
    with at(0):
        assert [n.pk for n in delivery.claim_notifications("host:1", timezone.now())] == [email.pk]
    # host:1 is SIGKILLed here, mid-send. Its successor starts and looks at once, then again.
    with at(9):
        assert delivery.work_due("host:2").handled == 0  # still leased to the dead worker
    with at(10):
        assert delivery.work_due("host:2").sent == 1
    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert email.status == NotificationStatus.SENT and email.attempts == 2
    attempts = list(DeliveryAttempt.objects.filter(notification=email).values_list("worker", "ok"))
    assert attempts == [("host:1", None), ("host:2", True)]  # the dead one's attempt never finished


def test_the_keeper_renews_a_send_in_flight_so_nobody_else_takes_it(email):
    keeper = delivery.LeaseKeeper("host:1")
    with at(0):
        (claimed,) = delivery.claim_notifications("host:1", timezone.now())
    with keeper.sending(claimed):  # a slow send: the keeper renews every third of the lease
        for second in (3, 6, 9, 12, 15):
            with at(second):
                assert keeper.renew() == 1
        with at(24):
            assert delivery.claim_notifications("host:2", timezone.now()) == []
    email.refresh_from_db()
    assert email.due_at == START + dt.timedelta(seconds=25)
    with at(25):  # the send is over (say the worker died before recording it): nothing renews it
        assert keeper.renew() == 0
        assert [n.pk for n in delivery.claim_notifications("host:2", timezone.now())] == [email.pk]


def test_a_send_stuck_past_the_limit_is_no_longer_renewed(email, monkeypatch):
    monkeypatch.setattr(delivery, "in_flight_limit", lambda: 0.0)
    keeper = delivery.LeaseKeeper("host:1")
    with at(0):
        (claimed,) = delivery.claim_notifications("host:1", timezone.now())
    with keeper.sending(claimed), at(5):
        assert keeper.renew() == 0
    with at(10):
        assert len(delivery.claim_notifications("host:2", timezone.now())) == 1


def test_the_keeper_never_renews_a_row_another_worker_claimed(email):
    keeper = delivery.LeaseKeeper("host:1")
    with at(0):
        (claimed,) = delivery.claim_notifications("host:1", timezone.now())
    with keeper.sending(claimed):
        with at(10):  # host:1's renewals did not get through (its database connection hung, say)
            delivery.claim_notifications("host:2", timezone.now())
        with at(12):
            assert keeper.renew() == 0
    email.refresh_from_db()
    assert email.claimed_by == "host:2" and email.due_at == START + dt.timedelta(seconds=20)


def test_a_recorded_retry_time_is_never_overwritten_by_a_renewal(email, monkeypatch):
    keeper = delivery.LeaseKeeper("host:1")

    def refuse(notification):
        raise channels.DeliveryFailed("the mail server is down")

    monkeypatch.setattr(channels, "deliver", refuse)
    with at(0):
        (claimed,) = delivery.claim_notifications("host:1", timezone.now())
        delivery.deliver_one(claimed, "host:1", keeper)
        email.refresh_from_db()
        retry_at = email.due_at
        assert keeper.renew() == 0
    email.refresh_from_db()
    assert email.due_at == retry_at and email.status == NotificationStatus.PENDING


def test_a_queued_row_whose_lease_ran_out_is_still_sent_if_nobody_else_took_it(email, mailoutbox):
    with at(0):
        (claimed,) = delivery.claim_notifications("host:1", timezone.now())
    with at(30):  # sends ahead of it in the batch were slow; no other worker claimed it meanwhile
        assert delivery.deliver_one(claimed, "host:1") == NotificationStatus.SENT
    assert len(mailoutbox) == 1


def test_a_queued_row_another_worker_took_is_left_to_it(email, mailoutbox):
    with at(0):
        (claimed,) = delivery.claim_notifications("host:1", timezone.now())
    with at(11):
        (taken,) = delivery.claim_notifications("host:2", timezone.now())
        assert delivery.deliver_one(claimed, "host:1") == NotificationStatus.PENDING
        assert mailoutbox == []
        assert delivery.deliver_one(taken, "host:2") == NotificationStatus.SENT
    assert len(mailoutbox) == 1
    first = DeliveryAttempt.objects.get(notification=email, number=1)
    assert first.ok is False and "left to another claim" in first.error


def test_renewing_just_before_the_send_gives_it_a_full_lease(email, monkeypatch):
    seen = {}

    def note_the_lease(notification):
        seen["due_at"] = Notification.objects.get(pk=notification.pk).due_at

    monkeypatch.setattr(channels, "deliver", note_the_lease)
    with at(0):
        (claimed,) = delivery.claim_notifications("host:1", timezone.now())
    with at(8):
        delivery.deliver_one(claimed, "host:1")
    assert seen["due_at"] == START + dt.timedelta(seconds=18)


def test_a_second_claim_by_the_same_worker_keeps_its_own_renewal_when_the_first_send_ends(email):
    """The keeper tells two sends of one row apart by attempt: the first ending leaves the second renewed."""
    keeper = delivery.LeaseKeeper("host:1")
    with at(0):
        (first,) = delivery.claim_notifications("host:1", timezone.now())
    with at(31):  # the first send ran past the limit, its lease ran out, and the row was claimed again
        (second,) = delivery.claim_notifications("host:1", timezone.now())
    first_send, second_send = keeper.sending(first), keeper.sending(second)
    first_send.__enter__()
    second_send.__enter__()
    first_send.__exit__(None, None, None)  # the first send ends while the second is in flight
    with at(33):
        assert keeper.renew() == 1
    second_send.__exit__(None, None, None)
    email.refresh_from_db()
    assert email.due_at == START + dt.timedelta(seconds=43)


def test_a_send_claimed_again_meanwhile_records_only_its_own_attempt(email, monkeypatch):
    """The outcome belongs to the claim in force: a stale send never overwrites the later attempt's."""

    def claimed_again_then_refused(notification):
        with at(11):
            delivery.claim_notifications("host:2", timezone.now())
        raise channels.DeliveryFailed("email: 550 no such mailbox", permanent=True)

    monkeypatch.setattr(channels, "deliver", claimed_again_then_refused)
    with at(0):
        (claimed,) = delivery.claim_notifications("host:1", timezone.now())
        assert delivery.deliver_one(claimed, "host:1") == NotificationStatus.PENDING
    email.refresh_from_db()
    assert email.status == NotificationStatus.PENDING and email.claimed_by == "host:2" and email.attempts == 2
    first = DeliveryAttempt.objects.get(notification=email, number=1)
    assert first.ok is False and first.error == "email: 550 no such mailbox" and first.finished_at
    assert DeliveryAttempt.objects.get(notification=email, number=2).finished_at is None  # host:2's, going on


def test_a_push_send_is_renewed_as_long_as_its_deadline(settings):
    """A push holds PUSH_TIMEOUT for the whole send; the keeper renews at least that long."""
    settings.EMAIL_TIMEOUT = settings.ALERT_HTTP_TIMEOUT = 5
    settings.PUSH_TIMEOUT = 40
    assert delivery.in_flight_limit() >= 2 * settings.PUSH_TIMEOUT
