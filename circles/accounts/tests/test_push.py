"""Web Push to a person's devices: a real request to a push service on loopback, whose VAPID token is
verified and whose body is decrypted with the device's own keys (RFC 8291, RFC 8292)."""

import socket

import pytest

from circles.accounts.models import PushSubscription
from circles.accounts.push import PushFailed, PushMessage, has_push, send_push
from circles.accounts.tests.push_service import Device, PushService, b64url, vapid_settings, verify_vapid
from circles.audit.models import AuditEvent

MESSAGE = PushMessage(
    title="Riley could use support now",
    body="Open Circles to answer.",
    url="/alerts/answer/abc/",
    tag="alert-7",
)


@pytest.fixture
def vapid(settings):
    public, _key = vapid_settings(settings)
    return public


@pytest.fixture
def service():
    running = PushService().start()
    yield running
    running.stop()


def test_a_push_is_signed_encrypted_and_decrypted_by_the_device(sam, vapid, service, settings):
    device = Device.new()
    subscription = device.subscribe(sam, service.endpoint())
    assert has_push(sam)

    assert send_push(sam, MESSAGE) == 1

    [received] = service.requests
    assert received.method == "POST" and received.path == "/push/device-1"
    verify_vapid(received, vapid, service.endpoint())
    assert received.headers["Content-Encoding"] == "aes128gcm"
    assert received.headers["Content-Type"] == "application/octet-stream"
    assert received.headers["TTL"] == str(settings.PUSH_TTL_SECONDS)
    assert received.headers["Urgency"] == "normal"
    assert received.headers["Topic"] == "alert-7"
    assert device.decrypt(received.body) == {
        "title": "Riley could use support now",
        "body": "Open Circles to answer.",
        "url": "/alerts/answer/abc/",
        "tag": "alert-7",
    }
    assert b"Riley" not in received.body  # encrypted, not merely encoded
    subscription.refresh_from_db()
    assert subscription.last_used_at is not None


def test_an_urgent_push_asks_for_high_urgency(sam, vapid, service):
    Device.new().subscribe(sam, service.endpoint())
    urgent = PushMessage(title="t", body="b", url="/", tag="x", urgent=True)
    assert send_push(sam, urgent) == 1
    assert service.requests[0].headers["Urgency"] == "high"


def test_another_device_cannot_read_the_payload(sam, vapid, service):
    Device.new().subscribe(sam, service.endpoint())
    send_push(sam, MESSAGE)
    with pytest.raises(Exception):  # noqa: B017 — any failure to decrypt will do
        Device.new().decrypt(service.requests[0].body)


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_no_longer_knows_is_deleted(sam, vapid, service, status):
    subscription = Device.new().subscribe(sam, service.endpoint())
    service.statuses = [status]
    assert send_push(sam, MESSAGE) == 0
    assert not PushSubscription.objects.filter(pk=subscription.pk).exists()
    assert AuditEvent.objects.filter(
        action="account.push.remove", subject_id=sam.pk, object_ref=f"push:{subscription.pk};reason:gone"
    ).exists()
    assert not has_push(sam)


def test_a_server_error_is_a_failure_to_retry_and_keeps_the_subscription(sam, vapid, service):
    subscription = Device.new().subscribe(sam, service.endpoint())
    service.statuses = [500]
    with pytest.raises(PushFailed) as failed:
        send_push(sam, MESSAGE)
    assert str(failed.value) == "push: HTTP 500"
    assert not failed.value.permanent and failed.value.destination_trouble
    assert PushSubscription.objects.filter(pk=subscription.pk).exists()


def test_one_device_taking_the_message_is_enough(sam, vapid, service):
    Device.new().subscribe(sam, service.endpoint("broken"), label="Tablet")
    Device.new().subscribe(sam, service.endpoint("fine"), label="Phone")
    service.statuses = [500, 201]
    assert send_push(sam, MESSAGE) == 1
    assert len(service.requests) == 2


def test_no_devices_or_no_keys_sends_nothing(sam, riley, vapid, service, settings):
    assert send_push(sam, MESSAGE) == 0 and not has_push(sam)
    Device.new().subscribe(riley, service.endpoint())
    settings.VAPID_PRIVATE_KEY = ""
    assert send_push(riley, MESSAGE) == 0 and not has_push(riley)
    assert service.requests == []


def test_an_endpoint_on_a_private_address_is_refused_before_connecting(sam, vapid, settings, monkeypatch):
    Device.new().subscribe(sam, "https://push.example.net/send/abc")
    dialled = []
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))],
    )
    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: dialled.append(address))
    with pytest.raises(PushFailed) as failed:
        send_push(sam, MESSAGE)
    assert str(failed.value) == "push: the address is not on the public internet"
    assert failed.value.permanent and dialled == []


def test_loopback_is_refused_unless_allowed(sam, vapid, service, settings):
    Device.new().subscribe(sam, service.endpoint())
    settings.PUSH_ALLOW_LOOPBACK = False
    with pytest.raises(PushFailed, match="only https addresses are allowed"):
        send_push(sam, MESSAGE)
    assert service.connections == 0


def test_subscriptions_refuse_plain_http_and_bad_keys(sam, vapid, settings):
    device = Device.new()
    settings.PUSH_ALLOW_LOOPBACK = False
    cases = {
        "http://127.0.0.1:9/push": ("endpoint", device.p256dh, b64url(device.auth)),
        "http://push.example.net/x": ("endpoint", device.p256dh, b64url(device.auth)),
        "https://push.example.net/a\x00b": ("endpoint", device.p256dh, b64url(device.auth)),
        "https://push.example.net/a": ("p256dh", b64url(b"\x04" + b"\x01" * 64), b64url(device.auth)),
        "https://push.example.net/b": ("p256dh", "not base64 !", b64url(device.auth)),
        "https://push.example.net/c": ("auth", device.p256dh, b64url(b"short")),
    }
    for endpoint, (field, p256dh, auth) in cases.items():
        subscription = PushSubscription(user=sam, endpoint=endpoint, p256dh=p256dh, auth=auth)
        with pytest.raises(Exception) as refused:
            subscription.full_clean()
        assert field in refused.value.message_dict, endpoint


def test_one_send_holds_one_deadline_across_all_devices(sam, vapid, settings, monkeypatch):
    """Each device had its own PUSH_TIMEOUT: ten slow devices held one alert send for 100 s, past the
    worker's lease, and another worker sent it again. Now the devices share one deadline."""
    from circles.accounts import push

    settings.PUSH_TIMEOUT = 10
    for n in range(4):
        Device.new().subscribe(sam, f"https://push{n}.example.net/send/{n}")
    clock = [1000.0]
    given = []

    def slow_post(url, body, headers, what, *, timeout, **kwargs):
        given.append(timeout)
        clock[0] += 4  # each push service takes 4 s to fail
        raise push.outbound.OutboundFailed("push: no answer", destination_trouble=True)

    monkeypatch.setattr(push, "_now", lambda: clock[0])
    monkeypatch.setattr(push.outbound, "post", slow_post)
    with pytest.raises(PushFailed) as failed:
        send_push(sam, MESSAGE)
    assert given == [10, 6, 2]  # what was left of the one deadline; the fourth device is not tried
    assert clock[0] - 1000 <= settings.PUSH_TIMEOUT + 2  # bounded by the deadline, not 4 × PUSH_TIMEOUT
    assert failed.value.destination_trouble and not failed.value.permanent
    assert "no answer within 10 s" in str(failed.value)
