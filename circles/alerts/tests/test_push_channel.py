"""Alerts by Web Push: Riley's SOS reaches Sam's phone through a push service on loopback, which checks
the VAPID token and decrypts the payload with the phone's own keys."""

import datetime as dt

import pytest
import time_machine
from django.urls import resolve

from circles.accounts.models import PushSubscription
from circles.accounts.tests.push_service import Device, PushService, vapid_settings, verify_vapid
from circles.alerts import channels, delivery, logic
from circles.alerts.actions import do_raise_sos
from circles.alerts.models import (
    DeliveryAttempt,
    NotificationStatus,
    SkipReason,
    destination_of,
    endpoint_of,
)
from circles.alerts.tests.factories import askable, ladder
from circles.checkins.tests.factories import make_checkin

SOS_MESSAGE = "Rough night, the wedding was hard"


def run_worker():
    return delivery.work_due("test-worker")


@pytest.fixture
def vapid(settings):
    public, _key = vapid_settings(settings)
    return public


@pytest.fixture
def service():
    running = PushService().start()
    yield running
    running.stop()


@pytest.fixture
def push_ladder(riley, sam):
    tie = askable(riley, sam)
    ladder(riley, tie, channels=(logic.PUSH,))
    return tie


def raise_sos(riley):
    make_checkin(riley, mood=2, craving=8, struggling="Evenings are hard since the move")
    alert, created = do_raise_sos(riley, message=SOS_MESSAGE, acting_user=riley)
    assert created
    return alert


def test_an_sos_reaches_sams_phone_by_push(riley, sam, vapid, service, push_ladder):
    phone = Device.new()
    subscription = phone.subscribe(sam, service.endpoint("sams-phone"))
    alert = raise_sos(riley)
    notification = alert.notifications.get(channel=logic.PUSH)
    assert notification.address == str(sam.pk) and notification.status == NotificationStatus.PENDING

    assert run_worker().sent == 1

    [received] = service.requests
    assert received.path == "/push/sams-phone"
    verify_vapid(received, vapid, service.endpoint())
    assert received.headers["Content-Encoding"] == "aes128gcm"
    assert received.headers["Urgency"] == "high"
    assert int(received.headers["TTL"]) > 0
    payload = phone.decrypt(received.body)
    assert payload["title"] == "Riley could use support now"
    assert payload["tag"] == f"alert-{alert.pk}"
    # The notification opens the answer page for this very notification, on this site.
    match = resolve(payload["url"])
    assert match.view_name == "alerts:answer"
    assert channels.read_answer_token(match.kwargs["token"]) == notification.pk
    for secret in (SOS_MESSAGE, "wedding", "Evenings", alert.reason):
        assert secret not in str(payload)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    subscription.refresh_from_db()
    assert subscription.last_used_at is not None


def test_without_a_device_sam_has_no_address_for_push(riley, sam, vapid, push_ladder):
    alert = raise_sos(riley)
    notification = alert.notifications.get(channel=logic.PUSH)
    assert notification.status == NotificationStatus.SKIPPED
    assert notification.skip_reason == SkipReason.NO_ADDRESS


def test_riley_reads_that_sam_has_not_turned_notifications_on(riley, sam, vapid, push_ladder, client_for):
    alert = raise_sos(riley)
    page = client_for(riley).get(f"/alerts/{alert.pk}/").content.decode()
    assert "has not turned on notifications on a device" in page
    assert "has no address for this channel" not in page


def test_a_push_service_error_is_retried(riley, sam, vapid, service, push_ladder):
    Device.new().subscribe(sam, service.endpoint())
    service.statuses = [500]
    alert = raise_sos(riley)
    assert run_worker().failed == 1
    notification = alert.notifications.get(channel=logic.PUSH)
    assert notification.status == NotificationStatus.PENDING
    assert notification.last_error == "push: HTTP 500"
    attempt = DeliveryAttempt.objects.filter(notification=notification).last()
    with time_machine.travel(attempt.next_attempt_at + dt.timedelta(seconds=1)):
        assert run_worker().sent == 1
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT and len(service.requests) == 2


def test_a_phone_that_unsubscribed_is_forgotten_and_the_push_fails_for_good(
    riley, sam, vapid, service, push_ladder
):
    Device.new().subscribe(sam, service.endpoint())
    service.statuses = [410]
    alert = raise_sos(riley)
    assert run_worker().failed == 1
    notification = alert.notifications.get(channel=logic.PUSH)
    assert notification.status == NotificationStatus.DEAD
    assert not PushSubscription.objects.filter(user=sam).exists()


def test_push_backs_off_per_recipient():
    assert destination_of(logic.PUSH, "12") == "push"
    assert endpoint_of(logic.PUSH, "12") == "push 12"
    assert endpoint_of(logic.PUSH, "12") != endpoint_of(logic.PUSH, "13")


def test_the_ladder_takes_push_in_the_api_and_on_the_page(riley, sam, client_for):
    tie = askable(riley, sam)
    client = client_for(riley)
    response = client.put(
        "/api/v1/alerts/ladder",
        data={"steps": [{"window_minutes": 10, "people": [{"tie_id": tie.pk, "channels": ["push"]}]}]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["steps"][0]["people"][0]["channels"] == ["push"]
    page = client.get("/alerts/ladder/").content.decode()
    assert 'value="push"' in page and "Notification on their devices" in page


def test_a_recipient_whose_push_keeps_failing_is_backed_off(riley, sam, jamie, casey, vapid, push_ladder):
    """The backoff was keyed "push <account>" but claims only skipped rows whose destination ("push")
    was blocked, so a person's failing devices were tried again at every retry, however often."""
    from circles.alerts.models import Destination, Notification

    ladder(jamie, askable(jamie, casey), channels=(logic.PUSH,))
    Device.new().subscribe(sam, "https://push.example.net/send/sam")
    Device.new().subscribe(casey, "https://push.example.net/send/casey")
    raise_sos(riley)
    do_raise_sos(jamie, acting_user=jamie)
    now = dt.datetime.now(dt.UTC)
    Destination.objects.create(
        key=endpoint_of(logic.PUSH, str(sam.pk)), blocked_until=now + dt.timedelta(hours=1)
    )

    due = set(delivery.claimable(now).filter(channel=logic.PUSH).values_list("address", flat=True))
    assert due == {str(casey.pk)}  # Sam's is waiting out the block; Casey's is not held up by it
    sams = Notification.objects.get(channel=logic.PUSH, address=str(sam.pk))
    assert sams.status == NotificationStatus.PENDING
    assert delivery.claimable(now + dt.timedelta(hours=2)).filter(pk=sams.pk).exists()  # after the block


def _preview_queries(member) -> tuple[int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from circles.alerts.progress import ladder_preview

    with CaptureQueriesContext(connection) as queries:
        step = ladder_preview(member, dt.datetime.now(dt.UTC))
    return len(queries), step


def test_the_ladder_preview_loads_who_has_a_device_in_one_query(riley, sam, jamie, casey, olivia, vapid):
    """It asked whether each person had a device, one query each, down the ladder."""
    Device.new().subscribe(sam, "https://push.example.net/send/sam")
    sam_tie = askable(riley, sam)
    ladder(riley, sam_tie, channels=(logic.PUSH,))
    short, step = _preview_queries(riley)
    assert step.asking == (("Sam", (logic.PUSH,)),)
    nobody_reachable = [askable(riley, p, name=p.display_name) for p in (jamie, casey, olivia)]
    ladder(riley, tuple(nobody_reachable), sam_tie, channels=(logic.PUSH,))
    long, step = _preview_queries(riley)
    assert step.asking == (("Sam", (logic.PUSH,)),)  # the first step reaches nobody: no device
    assert long == short
