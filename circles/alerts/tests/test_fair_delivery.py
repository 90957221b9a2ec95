"""One bad destination cannot hold the others up: urgent first, caps per destination and per member,
a destination that keeps failing backed off on its own (the worker's threads: test_send_threads.py)."""

import datetime as dt
import os
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from circles.accounts.models import User
from circles.alerts import channels, delivery, logic
from circles.alerts.actions import PersonSpec, RungSpec, do_raise_sos, do_set_ladder
from circles.alerts.models import (
    Destination,
    Notification,
    NotificationStatus,
    Priority,
    destination_of,
    endpoint_of,
)
from circles.alerts.outbox import raise_alert
from circles.alerts.tests.factories import askable, ladder

START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
HOOK = "https://hooks.example.org/circles"


def at(seconds: float):
    return time_machine.travel(START + dt.timedelta(seconds=seconds), tick=False)


def member(label: str) -> User:
    return User.objects.create(email=f"{label}@example.org", display_name=label.title())


def hook_ladder(person: User, supporter: User, url: str = HOOK) -> None:
    tie = askable(person, supporter)
    do_set_ladder(
        person, [RungSpec([PersonSpec(tie.pk, [logic.WEBHOOK], webhook_url=url)])], acting_user=person
    )


def claimed_alert_kinds(room=None) -> list[str]:
    return [n.alert.kind for n in delivery.claim_notifications("host:1", timezone.now(), room)]


# --- Urgent first -------------------------------------------------------------------------------------


def test_every_notification_of_an_sos_or_a_safety_alert_is_urgent_and_rules_are_routine(riley, jamie, sam):
    ladder(riley, askable(riley, sam))
    ladder(jamie, askable(jamie, sam))
    with transaction.atomic():
        craving, _ = raise_alert(riley, logic.CRAVING, facts={"level": 7, "days": 3})
        safety, _ = raise_alert(jamie, logic.SAFETY)
    sos, _ = do_raise_sos(riley, acting_user=riley)
    priorities = {
        alert.kind: set(alert.notifications.values_list("priority", flat=True))
        for alert in (craving, safety, sos)
    }
    assert priorities == {
        logic.CRAVING: {Priority.ROUTINE},
        logic.SAFETY: {Priority.URGENT},
        logic.SOS: {Priority.URGENT},
    }


def test_an_sos_is_claimed_before_rule_alerts_that_were_due_earlier(riley, sam):
    people = [member(f"member-{n}") for n in range(3)]
    for person in people:
        ladder(person, askable(person, sam), channels=(logic.EMAIL,))
    ladder(riley, askable(riley, sam), channels=(logic.EMAIL,))
    with at(0), transaction.atomic():
        for person in people:  # three rule alerts, due first
            raise_alert(person, logic.LOW_MOOD, facts={"level": 3, "days": 3})
    with at(30):
        do_raise_sos(riley, acting_user=riley)
    with at(31):
        assert claimed_alert_kinds(delivery.Room(1)) == [logic.SOS]
        assert claimed_alert_kinds(delivery.Room(5)) == [logic.LOW_MOOD] * 3  # then the others, by due time


# --- Caps ------------------------------------------------------------------------------------------------


def test_a_webhook_host_gets_at_most_its_cap_at_once_and_other_destinations_go_on(sam, settings):
    settings.ALERT_SEND_PER_HOST = 2
    hooked = [member(f"hooked-{n}") for n in range(4)]
    for person in hooked:
        hook_ladder(person, sam)
    mailed = [member(f"mailed-{n}") for n in range(3)]
    for person in mailed:
        ladder(person, askable(person, sam), channels=(logic.EMAIL,))
    with at(0):
        for person in hooked:  # due first
            do_raise_sos(person, acting_user=person)
    with at(1):
        for person in mailed:
            do_raise_sos(person, acting_user=person)
    with at(2):
        room = delivery.Room(8)
        claimed = delivery.claim_notifications("host:1", timezone.now(), room)
        assert [n.channel for n in claimed] == [logic.WEBHOOK] * 2 + [logic.EMAIL] * 3
        assert room.destinations == {"webhook hooks.example.org:443": 2, "email": 3}
        # The host's two sends are still in flight: its other rows wait, nothing else does.
        assert (
            delivery.claim_notifications("host:1", timezone.now(), delivery.Room(8, room.destinations)) == []
        )
        assert delivery.anything_due(timezone.now())
        assert not delivery.anything_due(timezone.now(), delivery.Room(8, room.destinations))
        # One of them finished: room for one more.
        room.destinations["webhook hooks.example.org:443"] -= 1
        assert (
            len(delivery.claim_notifications("host:1", timezone.now(), delivery.Room(8, room.destinations)))
            == 1
        )


def test_one_members_ladder_gets_at_most_its_cap_of_threads(riley, sam, jamie, casey, settings):
    settings.ALERT_SEND_PER_MEMBER = 2
    ladder(
        riley, (askable(riley, sam), askable(riley, jamie, name="Jamie"), askable(riley, casey, name="Casey"))
    )
    other = member("other")
    ladder(other, askable(other, sam))
    with at(0):
        do_raise_sos(riley, acting_user=riley)
    with at(1):
        do_raise_sos(other, acting_user=other)
    with at(2):
        room = delivery.Room(8)
        claimed = delivery.claim_notifications("host:1", timezone.now(), room)
        assert [n.alert.member for n in claimed] == [riley, riley, other]
        assert room.members == {riley.pk: 2, other.pk: 1}
        assert (
            delivery.claim_notifications("host:1", timezone.now(), delivery.Room(8, members=room.members))
            == []
        )


def test_destinations_are_the_mail_server_the_sms_provider_and_each_webhook_host():
    assert (
        destination_of(logic.EMAIL, "sam@example.org")
        == destination_of(logic.EMAIL, "jo@example.net")
        == "email"
    )
    assert destination_of(logic.SMS, "+15550100") == "sms"
    assert destination_of(logic.WEBHOOK, "https://Hooks.Example.org/a?b") == "webhook hooks.example.org:443"
    assert destination_of(logic.WEBHOOK, "http://127.0.0.1:8080/x") == "webhook 127.0.0.1:8080"
    assert destination_of(logic.IN_APP, "12") == ""


# --- A destination that keeps failing ----------------------------------------------------------------------


@pytest.fixture
def tarpit_and_mail(riley, sam, jamie, settings, monkeypatch):
    """Riley's ladder asks Sam by webhook at a host that never answers in time; Jamie's asks Sam by email."""
    settings.ALERT_DESTINATION_FAILURES = 2
    settings.ALERT_RETRY_BASE_SECONDS = 1
    settings.ALERT_DESTINATION_BLOCK_CAP_SECONDS = 60
    hook_ladder(riley, sam)
    ladder(jamie, askable(jamie, sam), channels=(logic.EMAIL,))
    real = channels.deliver

    def no_answer_from_the_hook(notification):
        if notification.channel == logic.WEBHOOK and notification.address == HOOK:
            raise channels.DeliveryFailed("webhook: no answer within 10 s", destination_trouble=True)
        real(notification)

    monkeypatch.setattr(channels, "deliver", no_answer_from_the_hook)


def test_a_destination_that_keeps_failing_is_blocked_while_others_go_on(tarpit_and_mail, riley, jamie, casey):
    key = endpoint_of(logic.WEBHOOK, HOOK)
    with at(0):
        do_raise_sos(riley, acting_user=riley)
        assert delivery.work_due("host:1").failed == 1
    assert Destination.objects.get(key=key).blocked_until is None  # once is not yet "keeps failing"
    with at(400):  # well after the retry time
        assert delivery.work_due("host:1").failed == 1
    blocked = Destination.objects.get(key=key)
    assert (
        blocked.failures == 2
        and blocked.blocks == 1
        and blocked.last_error == "webhook: no answer within 10 s"
    )
    until = blocked.blocked_until
    assert START + dt.timedelta(seconds=400.5) <= until <= START + dt.timedelta(seconds=401)
    # Meanwhile another member's SOS by webhook to the same address waits, unclaimed.
    with at(400):
        hook_ladder(jamie, casey)
        do_raise_sos(jamie, acting_user=jamie)
        assert delivery.work_due("host:1").handled == 0
        waiting = Notification.objects.filter(channel=logic.WEBHOOK, status=NotificationStatus.PENDING)
        assert sorted(waiting.values_list("attempts", flat=True)) == [0, 2]  # no attempt spent
    with at(1000):  # once the block is over, its rows are tried again
        assert delivery.work_due("host:1").failed == 2
    # Still failing: the first failure blocks it again at once, for longer; the second, from a send
    # already under way, does not make the block longer still.
    again = Destination.objects.get(key=key)
    assert again.failures == 4 and again.blocks == 2
    assert START + dt.timedelta(seconds=1001) <= again.blocked_until <= START + dt.timedelta(seconds=1002)


def test_one_members_failing_webhook_does_not_block_others_on_the_same_host(
    tarpit_and_mail, riley, jamie, casey, monkeypatch
):
    """Backed off per address, capped per host: one member's endpoint on a shared host (each member's own
    script.google.com/macros/s/<id>/exec, say) that keeps failing blocks only itself."""
    monkeypatch.setitem(channels.SENDERS, logic.WEBHOOK, lambda notification, outgoing: None)  # others answer
    with at(0):
        do_raise_sos(riley, acting_user=riley)
        delivery.work_due("host:1")
    with at(400):
        delivery.work_due("host:1")
    assert Destination.objects.get(key=endpoint_of(logic.WEBHOOK, HOOK)).blocked_until is not None
    with at(401):
        hook_ladder(jamie, casey, url=HOOK + "/jamie")
        do_raise_sos(jamie, acting_user=jamie)
        assert delivery.work_due("host:1").sent == 1
    jamies = Notification.objects.get(channel=logic.WEBHOOK, address=HOOK + "/jamie")
    assert jamies.status == NotificationStatus.SENT
    rileys = Notification.objects.get(channel=logic.WEBHOOK, address=HOOK)
    assert rileys.status == NotificationStatus.PENDING and rileys.attempts == 2  # still waiting out its block
    assert jamies.destination == rileys.destination == "webhook hooks.example.org:443"  # one cap for both


def test_a_destinations_key_holds_no_webhook_address():
    key = endpoint_of(logic.WEBHOOK, "https://hooks.example.org/services/T0/B0/secret-token")
    assert key.startswith("webhook hooks.example.org:443 ") and "secret" not in key
    assert endpoint_of(logic.EMAIL, "sam@example.org") == "email"


def test_a_success_clears_a_destinations_failures(tarpit_and_mail, riley, monkeypatch):
    with at(0):
        do_raise_sos(riley, acting_user=riley)
        delivery.work_due("host:1")
    with at(400):
        delivery.work_due("host:1")
    assert Destination.objects.get().blocked_until is not None
    monkeypatch.setattr(channels, "deliver", lambda notification: None)  # the host is back
    with at(1000):
        assert delivery.work_due("host:1").sent == 1
    assert Destination.objects.filter(failures=0, blocked_until=None).count() == 1


def test_a_refusal_of_one_message_does_not_count_against_its_destination(riley, sam, settings, monkeypatch):
    settings.ALERT_DESTINATION_FAILURES = 1
    hook_ladder(riley, sam)

    def refused(notification):
        raise channels.DeliveryFailed("webhook: HTTP 500", destination_trouble=False)

    monkeypatch.setattr(channels, "deliver", refused)
    do_raise_sos(riley, acting_user=riley)
    assert delivery.work_due("host:1").failed == 1
    assert not Destination.objects.exists()


# --- Settings ------------------------------------------------------------------------------------------


def settings_with(**environment) -> subprocess.CompletedProcess:
    """Imports the settings in a fresh interpreter with these environment variables."""
    return subprocess.run(  # noqa: S603 — our own interpreter on our own settings
        [sys.executable, "-c", "import circles.settings"],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ALERT_SEND_THREADS", "0", "ALERT_SEND_THREADS must be a whole number, at least 1"),
        ("ALERT_SEND_THREADS", "65", "ALERT_SEND_THREADS must be at most 64"),
        ("ALERT_SEND_PER_MEMBER", "0", "ALERT_SEND_PER_MEMBER must be a whole number, at least 1"),
        ("ALERT_LEASE_SECONDS", "0", "ALERT_LEASE_SECONDS must be a number of seconds, more than 0"),
        ("EMAIL_TIMEOUT", "-1", "EMAIL_TIMEOUT must be a number of seconds, more than 0"),
        ("ALERT_HTTP_TIMEOUT", "0", "ALERT_HTTP_TIMEOUT must be a number of seconds, more than 0"),
        ("ALERT_HTTP_TIMEOUT", "nan", "ALERT_HTTP_TIMEOUT must be a number of seconds, more than 0"),
        ("ALERT_MAX_ATTEMPTS", "0", "ALERT_MAX_ATTEMPTS must be a whole number, at least 1"),
    ],
)
def test_delivery_settings_out_of_range_stop_the_start_with_a_reason(name, value, message):
    refused = settings_with(**{name: value})
    assert refused.returncode != 0
    assert f"ImproperlyConfigured: {message}" in refused.stderr
