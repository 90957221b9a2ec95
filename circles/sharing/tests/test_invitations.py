"""Invitations: sent by email, accepted once, and a friendly page for every link that cannot be used."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from circles.accounts.outbox import send_pending_account_emails
from circles.network.tests.factories import make_tie
from circles.sharing.actions import do_cancel_invitation, do_resend_invitation
from circles.sharing.models import Invitation
from circles.sharing.tests.factories import ORIGIN, invite


def link_in(message) -> str:
    found = re.search(r"http://testserver(/invitation/[^/\s]+/)", message.body)
    assert found is not None, message.body
    return found.group(1)


@pytest.fixture
def tie(riley):
    return make_tie(riley, "Sam", relationship="sponsor", email="sam@example.org")


# The link's signature carries the second it was made: the clock stands still so that the token
# worked out again below is the one mailed (on a busy machine a second can pass in between).
@time_machine.travel(dt.datetime(2026, 3, 10, 18, 0, tzinfo=dt.UTC), tick=False)
def test_the_member_invites_from_the_sharing_page_and_an_email_goes_out(
    riley, tie, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(riley).post(f"/sharing/ties/{tie.pk}/invite/", {"email": "sam@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sam@example.org"] and "Riley" in message.subject
    assert "7 days" in message.body
    invitation = Invitation.objects.get()
    assert invitation.expires_at - invitation.sent_at == dt.timedelta(days=7)
    # The token carries the second it was signed in: read the link's back rather than sign it again.
    token = link_in(message).removeprefix("/invitation/").rstrip("/")
    assert Invitation.read_token(token) == (invitation.pk, invitation.nonce)


def test_accepting_links_the_account_and_a_second_accept_is_harmless(riley, sam, tie, client_for):
    invite(tie)
    link = link_in(mail.outbox[0])
    client = client_for(sam)
    page = client.get(link)
    assert page.status_code == 200 and "Accept as Sam" in page.content.decode()
    response = client.post(link)
    assert response.status_code == 302 and response["Location"] == "/supporting/"
    tie.refresh_from_db()
    assert tie.supporter == sam and sam.has_role("supporter")
    # Twice: no error, nothing changes.
    again = client.post(link)
    assert again.status_code == 302 and again["Location"] == "/supporting/"
    assert client.get(link).status_code == 302
    assert "Riley is not sharing anything with you right now." in client.get("/supporting/").content.decode()


def test_a_used_link_cannot_be_used_by_someone_else(riley, sam, mallory, tie, client_for):
    invite(tie)
    link = link_in(mail.outbox[0])
    client_for(sam).post(link)
    response = client_for(mallory).post(link)
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    tie.refresh_from_db()
    assert tie.supporter == sam


def test_an_expired_link_explains_what_to_do(riley, sam, tie, client_for):
    invite(tie)
    link = link_in(mail.outbox[0])
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1)):
        response = client_for(sam).post(link)
    assert response.status_code == 410
    assert "expired" in response.content.decode() and "send it again" in response.content.decode()
    tie.refresh_from_db()
    assert tie.supporter is None


def test_the_expiry_is_configurable(riley, tie, settings):
    settings.INVITATION_EXPIRY_DAYS = 2
    invitation = invite(tie)
    assert invitation.expires_at - invitation.sent_at == dt.timedelta(days=2)


def test_a_cancelled_link_no_longer_works(riley, sam, tie, client_for):
    invitation = invite(tie)
    do_cancel_invitation(invitation, acting_user=riley)
    response = client_for(sam).post(link_in(mail.outbox[0]))
    assert response.status_code == 410 and "cancelled" in response.content.decode()


def test_resending_sends_a_new_link_and_retires_the_old_one(riley, sam, tie, client_for):
    invitation = invite(tie)
    old = link_in(mail.outbox[0])
    with time_machine.travel(timezone.now() + dt.timedelta(days=6)):
        with TestCase.captureOnCommitCallbacks(execute=True):
            do_resend_invitation(invitation, origin=ORIGIN, acting_user=riley)
        new = link_in(mail.outbox[1])
        assert new != old
        assert client_for(sam).post(old).status_code == 410
    # The new link runs for a full week from the second email.
    with time_machine.travel(timezone.now() + dt.timedelta(days=12)):
        assert client_for(sam).post(new).status_code == 302
    tie.refresh_from_db()
    assert tie.supporter == sam


@pytest.mark.parametrize(
    "token",
    ["garbage", "WzEsImFiYyJd:1tZ:abc", "x" * 400],
)
def test_a_tampered_link_gets_a_friendly_page(sam, client_for, token):
    response = client_for(sam).get(f"/invitation/{token}/")
    assert response.status_code == 400
    assert "incomplete or was changed" in response.content.decode()


def test_a_link_with_a_changed_id_is_refused(riley, sam, tie, client_for):
    invite(tie)
    link = link_in(mail.outbox[0])
    token = link.split("/")[2]
    forged = token.replace(token[1], "Z" if token[1] != "Z" else "Y", 1)
    assert client_for(sam).post(f"/invitation/{forged}/").status_code == 400
    tie.refresh_from_db()
    assert tie.supporter is None


def test_the_member_cannot_accept_their_own_invitation(riley, tie, client_for):
    invite(tie)
    response = client_for(riley).post(link_in(mail.outbox[0]))
    assert response.status_code == 400
    tie.refresh_from_db()
    assert tie.supporter is None


def test_signed_out_visitors_can_sign_up_or_log_in_and_come_back(riley, tie, client):
    invite(tie)
    link = link_in(mail.outbox[0])
    body = client.get(link).content.decode()
    assert "Create an account" in body and f"/accounts/login/?next={link}" in body
    # Posting while signed out does nothing.
    assert client.post(link).status_code == 200
    tie.refresh_from_db()
    assert tie.supporter is None


def test_a_new_account_accepts_after_signing_up(riley, tie, client):
    invite(tie, "newcomer@example.org")
    link = link_in(mail.outbox[0])
    response = client.post(
        f"/accounts/signup/?next={link}",
        {
            "email": "newcomer@example.org",
            "display_name": "Nia",
            "password": "a-long-new-passphrase-7",
            "password_again": "a-long-new-passphrase-7",
            "timezone": "UTC",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/signup/sent/"
    # The address is confirmed first; the confirmation link leads back to the invitation.
    send_pending_account_emails()
    confirm = re.search(r"http://[^/\s]+(/accounts/verify/\S+)", mail.outbox[-1].body).group(1)
    signed_in = client.post(confirm, {"password": "a-long-new-passphrase-7"})
    assert signed_in.status_code == 302 and signed_in["Location"] == link
    assert client.post(link).status_code == 302
    tie.refresh_from_db()
    assert tie.supporter.email == "newcomer@example.org"


def test_the_api_accepts_with_the_token(riley, sam, tie, client_for):
    invitation = invite(tie)
    client = client_for(sam)
    response = client.post(
        "/api/v1/invitations/accept", {"token": invitation.token}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["member_id"] == riley.pk
    bad = client.post("/api/v1/invitations/accept", {"token": "nope"}, content_type="application/json")
    assert bad.status_code == 400 and "token" in bad.json()["errors"]


def test_an_account_can_support_several_members_and_be_a_member_too(riley, sam, mallory, client_for):
    from circles.sharing.tests.factories import grant, link

    grant(link(riley, sam), ["mood"])
    grant(link(mallory, sam, name="Sam R"), ["checked_in"])
    make_tie(sam, "Jo")  # Sam's own circle
    client = client_for(sam)
    body = client.get("/supporting/").content.decode()
    assert "Riley" in body and "Mallory" in body
    assert client.get("/network/").status_code == 200
    assert client.get("/").status_code == 302 and client.get("/")["Location"] == "/network/"


def test_a_mail_server_that_is_down_does_not_lose_the_invitation(riley, tie, client_for, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_PORT = 9  # nothing listens on the discard port
    settings.EMAIL_TIMEOUT = 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client_for(riley).post(f"/sharing/ties/{tie.pk}/invite/", {"email": "sam@example.org"})
    assert response.status_code == 302
    assert Invitation.objects.filter(tie=tie).count() == 1


def test_inviting_your_own_address_is_refused_at_once(riley, tie, client_for):
    """Not only when the link is opened: no invitation is made and no email goes out."""
    client = client_for(riley)
    page = client.post(f"/sharing/ties/{tie.pk}/invite/", {"email": riley.email.upper()})
    assert page.status_code == 400 and "This is your own address" in page.content.decode()
    api = client.post(
        f"/api/v1/ties/{tie.pk}/invitations", {"email": riley.email}, content_type="application/json"
    )
    assert api.status_code == 400
    assert api.json()["errors"] == {"email": ["This is your own address. Invite them at theirs."]}
    assert not Invitation.objects.exists() and mail.outbox == []


@time_machine.travel(dt.datetime(2026, 11, 30, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))), tick=False)
def test_the_expiry_reads_the_same_signed_in_or_out(riley, sam, tie, client_for):
    """Sent at 8 p.m. in New York, it ends at 8 p.m. there on Dec 7 (already Dec 8 in UTC)."""
    sam.timezone = "Asia/Tokyo"
    sam.save(update_fields=["timezone"])
    invitation = invite(tie)
    expected = "until Dec 7, 2026, 20:00 EST"
    for viewer in (None, sam):
        page = client_for(viewer).get(f"/invitation/{invitation.token}/").content.decode()
        assert expected in page
    overview = client_for(riley).get("/sharing/").content.decode()
    assert "link works until Dec 7, 20:00" in overview


def test_an_invitation_from_a_member_with_an_unknown_timezone_still_opens(riley, tie, client_for):
    invitation = invite(tie)
    riley.timezone = "Nowhere/Atlantis"
    riley.save(update_fields=["timezone"])
    page = client_for(None).get(f"/invitation/{invitation.token}/")
    assert page.status_code == 200 and "UTC" in page.content.decode()


def test_invitation_emails_are_rate_limited(riley, tie, client_for):
    """An invitation is an email to someone else: re-sending it again and again must not flood an inbox."""
    client = client_for(riley)
    assert client.post(f"/sharing/ties/{tie.pk}/invite/", {"email": "sam@example.org"}).status_code == 302
    invitation = Invitation.objects.get()
    for _again in range(9):
        assert client.post(f"/sharing/invitations/{invitation.pk}/resend/").status_code == 302
    refused = client.post(f"/sharing/invitations/{invitation.pk}/resend/")
    assert refused.status_code == 429 and "Too many tries" in refused.content.decode()
    api = client.post(f"/api/v1/invitations/{invitation.pk}/resend")
    assert api.status_code == 429 and "Too many tries" in api.json()["message"]
    invitation.refresh_from_db()
    assert invitation.send_count == 10


def test_a_name_with_an_apostrophe_and_an_ampersand_is_not_escaped_in_the_email(
    riley, tie, client_for, django_capture_on_commit_callbacks
):
    riley.display_name = "O'Brien & co"
    riley.save(update_fields=["display_name"])
    with django_capture_on_commit_callbacks(execute=True):
        client_for(riley).post(f"/sharing/ties/{tie.pk}/invite/", {"email": "sam@example.org"})
    [message] = mail.outbox
    assert message.subject == "O'Brien & co invited you to Circles"
    assert "O'Brien & co uses Circles" in message.body
