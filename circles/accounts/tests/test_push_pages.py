"""Turning notifications on for a device (the settings page, its script's JSON endpoint, the API) and
off again; a subscription is personal data, audited like a token."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client

from circles.accounts.models import PushSubscription
from circles.accounts.tests.push_service import Device, b64url, vapid_settings
from circles.audit.models import AuditEvent
from circles.lib.vapid import check_vapid_keys, make_vapid_keys
from circles.records.export import export_json

ENDPOINT = "https://push.example.net/send/abc"


@pytest.fixture
def vapid(settings):
    public, _key = vapid_settings(settings)
    return public


def post_json(client, url, data, **extra):
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.post(url, data=body, content_type="application/json", **extra)


def test_the_script_subscribes_this_device(sam, vapid, client_for):
    client = client_for(sam)
    device = Device.new()
    response = post_json(
        client, "/accounts/push/", device.subscription_json(ENDPOINT, label="Chrome · Android")
    )
    assert response.status_code == 201
    subscription = PushSubscription.objects.get(pk=response.json()["id"])
    assert (subscription.user, subscription.endpoint, subscription.label) == (
        sam,
        ENDPOINT,
        "Chrome · Android",
    )
    assert AuditEvent.objects.filter(
        action="account.push.create", actor_id=sam.pk, object_ref=f"push:{subscription.pk}"
    ).exists()
    # The same browser again: the same subscription, its keys refreshed.
    again = post_json(client, "/accounts/push/", Device.new().subscription_json(ENDPOINT))
    assert again.status_code == 200 and again.json() == {"id": subscription.pk}
    assert PushSubscription.objects.count() == 1


def test_the_script_needs_the_csrf_token(sam, vapid):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sam)
    response = post_json(client, "/accounts/push/", Device.new().subscription_json(ENDPOINT))
    assert response.status_code == 403 and not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "The request was not JSON."),
        ("[1, 2]", "Send the browser's subscription as a JSON object."),
        ({"endpoint": ENDPOINT}, "The subscription needs an endpoint and the keys p256dh and auth."),
        ({"endpoint": ENDPOINT, "keys": {"p256dh": "", "auth": "x"}}, "The subscription needs an endpoint"),
        (
            {"endpoint": ENDPOINT, "keys": {"p256dh": "AAAA", "auth": "AAAA"}},
            "The browser's key (p256dh) is not",
        ),
        ({"endpoint": "http://push.example.net/x", "keys": "device"}, "The subscription needs"),
    ],
)
def test_bad_subscriptions_get_a_clear_400(sam, vapid, client_for, body, message):
    response = post_json(client_for(sam), "/accounts/push/", body)
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert not PushSubscription.objects.exists()


def test_plain_http_is_refused_for_a_push_service(sam, vapid, client_for, settings):
    settings.PUSH_ALLOW_LOOPBACK = False
    device = Device.new()
    response = post_json(
        client_for(sam), "/accounts/push/", device.subscription_json("http://127.0.0.1:8/push")
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"endpoint": ["A push service address must start with https://."]}


def test_without_vapid_keys_nothing_subscribes(sam, client_for, settings):
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = settings.VAPID_SUBJECT = ""
    client = client_for(sam)
    response = post_json(client, "/accounts/push/", Device.new().subscription_json(ENDPOINT))
    assert response.status_code == 409
    assert client.get("/api/v1/push/vapid-key").status_code == 409
    page = client.get("/accounts/settings/").content.decode()
    assert "not set up on this Circles server" in page and "push.js" not in page


def test_a_person_has_at_most_so_many_devices(sam, vapid, client_for, settings):
    settings.PUSH_MAX_SUBSCRIPTIONS = 2
    client = client_for(sam)
    for n in range(2):
        assert (
            post_json(client, "/accounts/push/", Device.new().subscription_json(f"{ENDPOINT}{n}")).status_code
            == 201
        )
    refused = post_json(client, "/accounts/push/", Device.new().subscription_json(f"{ENDPOINT}x"))
    assert refused.status_code == 400
    assert "already get notifications on 2 devices" in refused.json()["message"]
    assert PushSubscription.objects.filter(user=sam).count() == 2


def test_a_shared_phone_notifies_whoever_subscribed_on_it_last(riley, sam, vapid, client_for):
    phone = Device.new()
    first = phone.subscribe(riley, ENDPOINT)
    response = post_json(client_for(sam), "/accounts/push/", phone.subscription_json(ENDPOINT))
    assert response.status_code == 201
    assert list(PushSubscription.objects.values_list("user", flat=True)) == [sam.pk]
    assert AuditEvent.objects.filter(
        action="account.push.remove", subject_id=riley.pk, object_ref=f"push:{first.pk};reason:moved"
    ).exists()


def test_the_settings_page_lists_devices_and_removes_one(sam, mallory, vapid, client_for):
    subscription = Device.new().subscribe(sam, ENDPOINT, label="Firefox · Android")
    client = client_for(sam)
    page = client.get("/accounts/settings/").content.decode()
    assert "Notifications on this device" in page and "Devices that get notifications" in page
    assert "Firefox · Android" in page and "push.example.net" in page
    assert f'data-push-key="{vapid}"' in page and "circles/push.js" in page
    assert "Turning notifications on needs JavaScript" in page  # push.js hides it
    assert '<button type="button" class="button push-button" hidden>' in page  # only the script shows it

    assert client_for(mallory).post(f"/accounts/push/{subscription.pk}/remove/").status_code == 404
    response = client.post(f"/accounts/push/{subscription.pk}/remove/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/settings/")
    assert "“Firefox · Android” no longer gets notifications." in response.content.decode()
    assert not PushSubscription.objects.exists()
    assert AuditEvent.objects.filter(action="account.push.remove", actor_id=sam.pk).exists()
    assert "None yet." in client.get("/accounts/settings/").content.decode()


def test_the_api_subscribes_lists_and_removes(sam, mallory, vapid, client_for):
    client = client_for(sam)
    assert client.get("/api/v1/push/vapid-key").json() == {"public_key": vapid}
    device = Device.new()
    created = post_json(
        client, "/api/v1/push/subscriptions", device.subscription_json(ENDPOINT, label="Phone")
    )
    assert created.status_code == 201
    body = created.json()
    assert body["label"] == "Phone" and body["push_service"] == "push.example.net"
    assert "endpoint" not in body and "keys" not in body
    assert [row["id"] for row in client.get("/api/v1/push/subscriptions").json()] == [body["id"]]
    assert client_for(mallory).get("/api/v1/push/subscriptions").json() == []
    assert client_for(mallory).delete(f"/api/v1/push/subscriptions/{body['id']}").status_code == 404
    bad = post_json(
        client,
        "/api/v1/push/subscriptions",
        {"endpoint": ENDPOINT, "keys": {"p256dh": "x", "auth": b64url(device.auth)}},
    )
    assert bad.status_code == 400 and "p256dh" in bad.json()["errors"]
    assert client.delete(f"/api/v1/push/subscriptions/{body['id']}").status_code == 204
    assert not PushSubscription.objects.exists()


def test_devices_are_in_the_export_without_their_secrets(sam, vapid):
    device = Device.new()
    device.subscribe(sam, ENDPOINT, label="Phone")
    exported = export_json(sam)
    [row] = exported["push_devices"]
    assert row["label"] == "Phone" and row["push_service"] == "push.example.net"
    text = json.dumps(exported)
    assert ENDPOINT not in text and device.p256dh not in text and b64url(device.auth) not in text


def settings_with(**environment) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 — our own interpreter on our own settings
        [sys.executable, "-c", "import circles.settings"],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_vapid_settings_half_set_or_mismatched_stop_the_start():
    public, private = make_vapid_keys()
    other_public, _other = make_vapid_keys()
    half = settings_with(VAPID_PUBLIC_KEY=public, VAPID_PRIVATE_KEY=private)
    assert "Web Push is set up half-way: set VAPID_SUBJECT as well" in half.stderr
    mismatched = settings_with(
        VAPID_PUBLIC_KEY=other_public, VAPID_PRIVATE_KEY=private, VAPID_SUBJECT="mailto:a@b.org"
    )
    assert "VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY" in mismatched.stderr
    subject = settings_with(VAPID_PUBLIC_KEY=public, VAPID_PRIVATE_KEY=private, VAPID_SUBJECT="ops@b.org")
    assert "VAPID_SUBJECT must be a mailto: address or an https:// address" in subject.stderr
    working = settings_with(
        VAPID_PUBLIC_KEY=public, VAPID_PRIVATE_KEY=private, VAPID_SUBJECT="mailto:a@b.org"
    )
    assert working.returncode == 0, working.stderr


def test_make_vapid_keys_prints_a_working_pair(capsys):
    call_command("make_vapid_keys", subject="mailto:ops@circles.example")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    check_vapid_keys(lines["VAPID_PUBLIC_KEY"], lines["VAPID_PRIVATE_KEY"], lines["VAPID_SUBJECT"])


def test_json_nested_thousands_deep_is_a_400_not_a_500(sam, vapid, client_for):
    body = "[" * 50_000 + "]" * 50_000  # well under the size limit
    response = post_json(client_for(sam), "/accounts/push/", body)
    assert response.status_code == 400
    assert response.json()["message"] == "The request was not JSON."


def test_two_tabs_subscribing_the_same_browser_at_once_get_the_one_row(sam, vapid, client_for, monkeypatch):
    """The other tab's row was saved between this one's look-up and its insert: an IntegrityError (a 500)."""
    from circles.accounts import actions

    other_tab = Device.new().subscribe(sam, ENDPOINT)
    looked_up = []
    real = actions._subscription_at

    def first_miss(endpoint):
        looked_up.append(endpoint)
        return None if len(looked_up) == 1 else real(endpoint)

    monkeypatch.setattr(actions, "_subscription_at", first_miss)
    device = Device.new()
    response = post_json(client_for(sam), "/accounts/push/", device.subscription_json(ENDPOINT))
    assert response.status_code == 200 and response.json() == {"id": other_tab.pk}
    assert PushSubscription.objects.get().p256dh == device.p256dh  # this tab's keys, the browser's latest


def test_a_race_with_another_account_on_the_same_browser_asks_to_try_again(
    sam, riley, vapid, client_for, monkeypatch
):
    from circles.accounts import actions

    Device.new().subscribe(riley, ENDPOINT)
    monkeypatch.setattr(actions, "_subscription_at", lambda endpoint: None)
    response = post_json(client_for(sam), "/accounts/push/", Device.new().subscription_json(ENDPOINT))
    assert response.status_code == 400 and "try again" in response.json()["message"]


def test_trying_someone_elses_device_is_refused_and_audited_against_its_owner(
    sam, mallory, vapid, client_for
):
    subscription = Device.new().subscribe(sam, ENDPOINT)
    assert client_for(mallory).post(f"/accounts/push/{subscription.pk}/remove/").status_code == 404
    assert client_for(mallory).delete(f"/api/v1/push/subscriptions/{subscription.pk}").status_code == 404
    refused = AuditEvent.objects.filter(
        action="account.push.remove", outcome="denied", actor_id=mallory.pk, subject_id=sam.pk
    )
    assert refused.count() == 2 and refused.first().object_ref == f"push:{subscription.pk}"
    assert PushSubscription.objects.filter(pk=subscription.pk).exists()
    # Sam sees it in the account activity, in words.
    activity = client_for(sam).get("/sharing/access/").content.decode()
    assert "Someone else tried to turn off notifications for one of your devices" in activity
    # A device that does not exist: a 404 and nobody's data at stake, so no row.
    assert client_for(mallory).post("/accounts/push/999999/remove/").status_code == 404
    assert client_for(mallory).post(f"/accounts/push/{2**63}/remove/").status_code == 404
    assert refused.count() == 2
