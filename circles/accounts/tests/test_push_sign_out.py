"""Notifications end with the sessions that turned them on: a lost phone must not keep showing "Riley
could use support now", with a working answer link, after its owner signed out everywhere, changed the
password, or the account was deactivated."""

import json
import re

import pytest
from django.core import mail
from django.test import Client

from circles.accounts.actions import do_change_password, do_deactivate_account
from circles.accounts.models import PushSubscription, User
from circles.accounts.outbox import send_pending_account_emails
from circles.accounts.push import PushMessage, has_push, send_push
from circles.accounts.tests.push_service import Device, PushService, vapid_settings
from circles.accounts.views import PUSH_SESSION_KEY
from circles.audit.models import AuditEvent
from conftest import PASSWORD

MESSAGE = PushMessage(title="Riley could use support now", body="Open Circles.", url="/", tag="alert-1")


@pytest.fixture
def vapid(settings):
    public, _key = vapid_settings(settings)
    return public


def subscribe_here(client, endpoint: str) -> PushSubscription:
    """This browser turns notifications on, as static/circles/push.js does."""
    body = json.dumps(Device.new().subscription_json(endpoint))
    response = client.post("/accounts/push/", data=body, content_type="application/json")
    assert response.status_code in (200, 201), response.content
    return PushSubscription.objects.get(pk=response.json()["id"])


def removed(user, subscription, reason: str) -> bool:
    return AuditEvent.objects.filter(
        action="account.push.remove",
        subject_id=user.pk,
        object_ref=f"push:{subscription.pk};reason:{reason}",
    ).exists()


def test_signing_out_stops_this_browsers_notifications_and_no_others(sam, vapid, client_for):
    phone, laptop = client_for(sam), client_for(sam)
    on_phone = subscribe_here(phone, "https://push.example.net/send/phone")
    on_laptop = subscribe_here(laptop, "https://push.example.net/send/laptop")
    assert phone.session[PUSH_SESSION_KEY] == on_phone.pk

    assert laptop.post("/accounts/logout/").status_code == 302

    assert list(PushSubscription.objects.filter(user=sam)) == [on_phone]
    assert removed(sam, on_laptop, "signout")
    assert laptop.get("/accounts/settings/").status_code == 302  # and the session did end


def test_signing_out_without_having_subscribed_here_removes_nothing(sam, vapid, client_for):
    Device.new().subscribe(sam, "https://push.example.net/send/phone")
    assert client_for(sam).post("/accounts/logout/").status_code == 302
    assert PushSubscription.objects.filter(user=sam).count() == 1


def test_a_remembered_device_of_someone_else_is_never_removed(sam, riley, vapid, client_for):
    theirs = Device.new().subscribe(riley, "https://push.example.net/send/riley")
    client = client_for(sam)
    session = client.session
    session[PUSH_SESSION_KEY] = theirs.pk
    session.save()
    client.post("/accounts/logout/")
    assert PushSubscription.objects.filter(pk=theirs.pk).exists()


def test_signing_out_everywhere_stops_notifications_on_every_device(sam, vapid, client_for):
    client = client_for(sam)
    here = subscribe_here(client, "https://push.example.net/send/here")
    lost = Device.new().subscribe(sam, "https://push.example.net/send/lost-phone")

    client.post("/accounts/logout/everywhere/")

    assert not PushSubscription.objects.filter(user=sam).exists() and not has_push(sam)
    assert removed(sam, here, "signout_everywhere") and removed(sam, lost, "signout_everywhere")


def test_a_password_change_stops_every_other_device(
    riley, vapid, client_for, django_capture_on_commit_callbacks
):
    client = client_for(riley)
    here = subscribe_here(client, "https://push.example.net/send/here")
    lost = Device.new().subscribe(riley, "https://push.example.net/send/lost-phone")
    new = "another-long-passphrase-77"
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/accounts/settings/password/",
            {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        )
    assert done.status_code == 302
    assert list(PushSubscription.objects.filter(user=riley)) == [here]  # this session stays, and its device
    assert removed(riley, lost, "password_change")
    assert "no longer gets notifications" in mail.outbox[-1].body


def test_a_password_reset_stops_every_device(riley, vapid, client, django_capture_on_commit_callbacks):
    Device.new().subscribe(riley, "https://push.example.net/send/one")
    Device.new().subscribe(riley, "https://push.example.net/send/two")
    client.post("/accounts/password-reset/", {"email": riley.email})
    send_pending_account_emails()
    link = re.search(r"http://127.0.0.1:8000(/accounts/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    new = "fresh-meadow-compass-9"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert User.objects.get(pk=riley.pk).check_password(new)
    assert not PushSubscription.objects.filter(user=riley).exists()
    assert (
        AuditEvent.objects.filter(
            action="account.push.remove", subject_id=riley.pk, object_ref__endswith=";reason:password_reset"
        ).count()
        == 2
    )


def test_deactivating_an_account_stops_its_devices(sam, vapid):
    device = Device.new().subscribe(sam, "https://push.example.net/send/phone")
    do_deactivate_account(sam)
    sam.refresh_from_db()
    assert not sam.is_active
    assert not PushSubscription.objects.filter(user=sam).exists()
    assert removed(sam, device, "deactivated")


def test_nothing_is_pushed_to_a_deactivated_account(sam, vapid):
    """However the account was deactivated (even straight in the database), a send skips it."""
    service = PushService().start()
    try:
        Device.new().subscribe(sam, service.endpoint())
        User.objects.filter(pk=sam.pk).update(is_active=False)
        sam.refresh_from_db()
        assert send_push(sam, MESSAGE) == 0 and not has_push(sam)
        assert service.requests == []
    finally:
        service.stop()


def test_a_password_change_action_without_a_browser_stops_every_device(sam, vapid):
    Device.new().subscribe(sam, "https://push.example.net/send/phone")
    do_change_password(sam, "another-long-passphrase-77")
    assert not PushSubscription.objects.filter(user=sam).exists()


def test_signing_out_needs_a_post(sam, vapid, client_for):
    """A link (or an image) on another site cannot sign someone out and silence their phone."""
    client = client_for(sam)
    subscribe_here(client, "https://push.example.net/send/phone")
    assert client.get("/accounts/logout/").status_code == 405
    assert PushSubscription.objects.filter(user=sam).count() == 1
    assert Client().post("/accounts/logout/").status_code == 302  # signed out already: nothing to do
