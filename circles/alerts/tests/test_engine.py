"""The outbox and the worker's delivery, run in-process: raise, deliver, escalate, answer, close."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from circles.alerts import delivery, logic
from circles.alerts.actions import do_answer, do_close_alert, do_raise_sos
from circles.alerts.models import (
    Alert,
    AlertStatus,
    DeliveryAttempt,
    EscalationTimer,
    Notification,
    NotificationStatus,
    SkipReason,
)
from circles.alerts.tests.factories import askable, ladder


@pytest.fixture
def sos_ladder(riley, sam, jamie):
    """Riley's ladder: Sam, then Jamie; both may be asked."""
    first, second = askable(riley, sam), askable(riley, jamie, name="Jamie", relationship="peer_mentor")
    ladder(riley, first, second)
    return first, second


def run_worker():
    return delivery.work_due("test-worker")


def test_sos_writes_the_alert_and_its_messages_before_anything_is_sent(riley, sos_ladder, mailoutbox):
    alert, created = do_raise_sos(riley, message="Rough night", acting_user=riley)
    assert created and alert.status == AlertStatus.ACTIVE and alert.urgent
    rows = list(alert.notifications.order_by("channel"))
    assert [(n.channel, n.status, n.recipient_name) for n in rows] == [
        (logic.EMAIL, NotificationStatus.PENDING, "Sam"),
        (logic.IN_APP, NotificationStatus.SENT, "Sam"),
    ]
    assert EscalationTimer.objects.filter(alert=alert, rung=0).count() == 1
    assert mailoutbox == []
    done = run_worker()
    assert done.sent == 1
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["sam@example.org"]
    assert message.subject == "Riley could use support now"
    assert "Rough night" not in message.body  # the minimum necessary: details need a login
    assert "/alerts/answer/" in message.body
    assert message.extra_headers["Message-ID"] == f"<{rows[0].idempotency_key}@circles.alerts>"
    sent = Notification.objects.get(pk=rows[0].pk)
    assert sent.status == NotificationStatus.SENT and sent.attempts == 1
    assert DeliveryAttempt.objects.get(notification=sent).ok is True


def test_a_second_sos_while_one_is_open_returns_the_open_one(riley, sos_ladder):
    first, _ = do_raise_sos(riley, acting_user=riley)
    again, created = do_raise_sos(riley, message="still here", acting_user=riley)
    assert not created and again.pk == first.pk and again.message == "still here"
    assert Alert.objects.count() == 1


def test_no_answer_in_the_window_asks_the_next_step_then_ends_unanswered(riley, sos_ladder, mailoutbox):
    alert, _ = do_raise_sos(riley, acting_user=riley)
    run_worker()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        run_worker()
        alert.refresh_from_db()
        assert alert.rung == 1 and alert.status == AlertStatus.ACTIVE
        assert [m.to for m in mailoutbox] == [["sam@example.org"], ["jamie@example.org"]]
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=22)):
        run_worker()
        alert.refresh_from_db()
        assert alert.status == AlertStatus.UNANSWERED and alert.exhausted_at is not None


def test_an_answer_stops_the_escalation(riley, sos_ladder, mailoutbox):
    first, _second = sos_ladder
    alert, _ = do_raise_sos(riley, acting_user=riley)
    run_worker()
    answer = do_answer(alert, first)
    assert answer.recorded and answer.alert.status == AlertStatus.ANSWERED
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        run_worker()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ANSWERED and alert.rung == 0
    assert len(mailoutbox) == 1
    assert [a.name for a in alert.acknowledgements.all()] == ["Sam"]


def test_closing_cancels_what_was_not_sent(riley, sos_ladder, mailoutbox):
    alert, _ = do_raise_sos(riley, acting_user=riley)
    do_close_alert(alert, acting_user=riley)
    run_worker()
    assert mailoutbox == []
    email = alert.notifications.get(channel=logic.EMAIL)
    assert email.status == NotificationStatus.CANCELLED and email.skip_reason == SkipReason.CLOSED


def test_without_consent_a_person_is_skipped_and_the_next_step_asked(riley, sam, jamie, mailoutbox):
    from circles.sharing.tests.factories import link

    not_allowed = link(riley, sam)
    allowed = askable(riley, jamie, name="Jamie")
    ladder(riley, not_allowed, allowed)
    alert, _ = do_raise_sos(riley, acting_user=riley)
    assert alert.rung == 1
    skipped = alert.notifications.filter(rung=0)
    assert {n.skip_reason for n in skipped} == {SkipReason.NO_CONSENT}
    run_worker()
    assert [m.to for m in mailoutbox] == [["jamie@example.org"]]


def test_without_a_ladder_the_alert_is_unanswered_at_once(riley):
    alert, _ = do_raise_sos(riley, acting_user=riley)
    assert alert.status == AlertStatus.UNANSWERED


def test_a_failing_channel_backs_off_then_ends_dead_without_blocking_others(
    riley, sos_ladder, settings, monkeypatch, mailoutbox
):
    from circles.alerts import channels

    settings.ALERT_MAX_ATTEMPTS = 3
    alert, _ = do_raise_sos(riley, acting_user=riley)
    poison = alert.notifications.get(channel=logic.EMAIL)
    real = channels.send_email

    def flaky(notification, outgoing):
        if notification.pk == poison.pk:
            raise channels.DeliveryFailed("email: refused")
        real(notification, outgoing)

    monkeypatch.setitem(channels.SENDERS, logic.EMAIL, flaky)
    other, _ = do_raise_sos(make_other_member(), acting_user=None)
    start = timezone.now()
    for minute in range(0, 30):
        with time_machine.travel(start + dt.timedelta(minutes=minute)):
            run_worker()
    poison.refresh_from_db()
    assert poison.status == NotificationStatus.DEAD and poison.attempts == 3
    waits = [a.next_attempt_at for a in poison.attempt_log.all()]
    assert waits[0] is not None and waits[1] is not None and waits[2] is None
    assert other.notifications.get(channel=logic.EMAIL).status == NotificationStatus.SENT


def make_other_member():
    from circles.accounts.models import User
    from circles.alerts.tests.factories import askable as make_askable
    from circles.alerts.tests.factories import ladder as make_ladder

    member = User.objects.create(email="ola@example.org", display_name="Ola")
    helper = User.objects.create(email="kim@example.org", display_name="Kim")
    make_ladder(member, make_askable(member, helper, name="Kim"))
    return member


def test_consent_withdrawn_before_delivery_cancels_the_message(riley, sos_ladder, mailoutbox):
    from circles.sharing.actions import do_revoke_consent

    first, _ = sos_ladder
    alert, _ = do_raise_sos(riley, acting_user=riley)
    do_revoke_consent(first, acting_user=riley, signature_name="Riley")
    run_worker()
    assert mailoutbox == []
    email = alert.notifications.get(channel=logic.EMAIL)
    assert email.skip_reason == SkipReason.CONSENT_WITHDRAWN


def test_quiet_hours_skip_a_person_for_rules_but_not_for_sos(riley, sam, settings):
    from circles.alerts.actions import PersonSpec, RungSpec, do_set_ladder
    from circles.alerts.outbox import raise_alert

    tie = askable(riley, sam)
    everything = dt.time(0, 0), dt.time(23, 59)
    do_set_ladder(riley, [RungSpec([PersonSpec(tie.pk, [logic.EMAIL], *everything)])], acting_user=riley)
    craving, _ = raise_alert(riley, logic.CRAVING, facts={"level": 7, "days": 3})
    assert craving.status == AlertStatus.UNANSWERED
    assert craving.notifications.get().skip_reason == SkipReason.QUIET_HOURS
    sos, _ = do_raise_sos(riley, acting_user=riley)
    assert sos.notifications.get().status == NotificationStatus.PENDING


def test_a_lease_that_runs_out_is_claimed_again(riley, sos_ladder, mailoutbox):
    do_raise_sos(riley, acting_user=riley)
    claimed = delivery.claim_notifications("dead-worker", timezone.now())
    assert len(claimed) == 1
    assert delivery.claim_notifications("other", timezone.now()) == []  # leased
    later = timezone.now() + dt.timedelta(seconds=61)
    with time_machine.travel(later):
        again = delivery.claim_notifications("other", timezone.now())
    assert [n.pk for n in again] == [claimed[0].pk] and again[0].attempts == 2
    attempts = list(DeliveryAttempt.objects.filter(notification=claimed[0]).order_by("number"))
    assert [(a.worker, a.finished_at) for a in attempts] == [("dead-worker", None), ("other", None)]


def test_a_row_whose_worker_always_dies_ends_dead(riley, sos_ladder, settings):
    settings.ALERT_MAX_ATTEMPTS = 2
    do_raise_sos(riley, acting_user=riley)
    start = timezone.now()
    for step in range(3):  # claimed, then the worker "dies" (the lease runs out) each time
        with time_machine.travel(start + dt.timedelta(seconds=61 * step)):
            delivery.claim_notifications(f"doomed-{step}", timezone.now())
    email = Notification.objects.get(channel=logic.EMAIL)
    assert email.status == NotificationStatus.DEAD and email.attempts == 2
    assert "stopped during every attempt" in email.last_error
