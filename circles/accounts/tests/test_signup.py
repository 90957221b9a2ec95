"""Signing up as a new member."""

import datetime as dt
import re

import pytest
import time_machine
from django import forms
from django.contrib.auth.hashers import identify_hasher
from django.test import Client

from circles.accounts.models import User
from circles.accounts.outbox import send_pending_account_emails

VALID = {
    "display_name": "Jo",
    "email": "Jo@Example.org",
    "timezone": "Europe/Madrid",
    "password": "quiet-harbour-lantern-7",
    "password_again": "quiet-harbour-lantern-7",
}


def confirmation_link(outbox) -> str:
    send_pending_account_emails()
    body = outbox[-1].body
    found = re.search(r"http://[^\s]+/accounts/verify/[^\s]+", body)
    assert found, body
    return found.group(0)


def test_sign_up_then_confirm_the_address_then_sign_in(client, db, mailoutbox):
    response = client.post("/accounts/signup/", VALID)
    assert response.status_code == 302 and response["Location"] == "/accounts/signup/sent/"
    assert "jo@example.org" in client.get(response["Location"]).content.decode()
    user = User.objects.get()
    assert (user.email, user.timezone, user.role_kinds) == ("jo@example.org", "Europe/Madrid", ["member"])
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.email_verified_at is None
    # Until the address is confirmed, the account cannot sign in.
    refused = client.post("/accounts/login/", {"username": "jo@example.org", "password": VALID["password"]})
    assert refused.status_code == 400 and "confirm your email address" in refused.content.decode()
    link = confirmation_link(mailoutbox)
    assert mailoutbox[-1].to == ["jo@example.org"] and "Confirm your email address" in mailoutbox[-1].subject
    path = link.replace("http://127.0.0.1:8000", "")
    page = client.get(path)
    assert page.status_code == 200 and "type the password you chose" in page.content.decode()
    wrong = client.post(path, {"password": "not-the-one-chosen"})
    assert wrong.status_code == 400 and User.objects.get().email_verified_at is None
    done = client.post(path, {"password": VALID["password"]})
    assert done.status_code == 302 and done["Location"] == "/network/ties/new/"
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert client.get("/network/").status_code == 200  # signed in
    # The link has done its work: followed again, it sends to the sign-in page.
    assert Client().get(path)["Location"] == "/accounts/login/"


def test_signing_up_first_with_someone_elses_address_never_gets_the_account(db, mailoutbox):
    """An attacker signs up with the victim's address and a password of their own, and never sees the
    email. When the victim signs up and follows the link, the account is hers, with her password."""
    Client().post(
        "/accounts/signup/",
        {
            **VALID,
            "display_name": "Attacker",
            "password": "attackers-own-pass-1",
            "password_again": "attackers-own-pass-1",
        },
    )
    victim = Client()
    victim.post("/accounts/signup/", VALID)
    send_pending_account_emails()
    links = re.findall(r"http://127.0.0.1:8000(/accounts/verify/\S+)", " ".join(m.body for m in mailoutbox))
    assert len(links) == 2
    # Neither link opens the account with the attacker's password.
    for path in links:
        assert Client().post(path, {"password": "attackers-own-pass-1"}).status_code == 400
    assert victim.post(links[-1], {"password": VALID["password"]}).status_code == 302
    user = User.objects.get()
    assert user.display_name == "Jo" and user.check_password(VALID["password"])
    attacker = Client().post(
        "/accounts/login/", {"username": VALID["email"], "password": "attackers-own-pass-1"}
    )
    assert attacker.status_code == 400


def test_an_invitation_link_survives_the_confirmation(client, db, mailoutbox):
    client.post(
        "/accounts/signup/?next=/sharing/invitations/abc/", {**VALID, "next": "/sharing/invitations/abc/"}
    )
    link = confirmation_link(mailoutbox).replace("http://127.0.0.1:8000", "")
    assert link.endswith("?next=%2Fsharing%2Finvitations%2Fabc%2F")
    done = client.post(link, {"password": VALID["password"]})
    assert done["Location"] == "/sharing/invitations/abc/"


def test_a_forged_or_old_confirmation_link_is_refused(client, db, mailoutbox):
    with time_machine.travel(dt.datetime(2026, 11, 1, tzinfo=dt.UTC), tick=False):
        client.post("/accounts/signup/", VALID)
        link = confirmation_link(mailoutbox).replace("http://127.0.0.1:8000", "")
    assert client.get(link[:-3] + "xyz/").status_code == 400
    with time_machine.travel(dt.datetime(2026, 11, 5, tzinfo=dt.UTC), tick=False):
        response = client.get(link)
    assert response.status_code == 400 and "Send a new link" in response.content.decode()
    assert User.objects.get().email_verified_at is None


def test_weak_passwords_are_refused(client, db):
    for password, expected in [
        ("short1", "at least 10 characters"),
        ("password1234", "too common"),
        ("1234567890123", "entirely numeric"),
    ]:
        response = client.post(
            "/accounts/signup/", {**VALID, "password": password, "password_again": password}
        )
        assert response.status_code == 400
        assert expected in " ".join(response.context["form"].errors["password"]), password
    assert not User.objects.exists()


def test_mismatched_passwords_and_missing_fields(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            **VALID,
            "password_again": "something-else-entirely",
            "display_name": "",
            "timezone": "Mars/Olympus",
        },
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"password_again", "display_name", "timezone"}
    body = response.content.decode()
    assert 'aria-invalid="true"' in body and "id_password_again_error" in body


def test_an_address_in_use_gets_the_same_answer_and_its_owner_an_email(client, riley, mailoutbox):
    """Whether an address has an account must not show: the answer is the same, and only the owner of
    the address learns that someone tried."""
    taken = client.post("/accounts/signup/", {**VALID, "email": "RILEY@example.org"})
    free = Client().post("/accounts/signup/", {**VALID, "email": "new@example.org"})
    assert (
        (taken.status_code, taken["Location"])
        == (free.status_code, free["Location"])
        == (302, "/accounts/signup/sent/")
    )
    assert User.objects.count() == 2
    riley.refresh_from_db()
    assert riley.display_name != VALID["display_name"]  # nothing about the existing account changed
    send_pending_account_emails()
    to_riley = [m for m in mailoutbox if m.to == [riley.email]]
    assert len(to_riley) == 1 and "Someone tried to sign up" in to_riley[0].subject
    assert "/accounts/verify/" not in to_riley[0].body


def test_sign_up_is_rate_limited_per_address_and_per_client(client, db):
    for n in range(5):
        assert client.post("/accounts/signup/", {**VALID, "email": f"jo{n}@example.org"}).status_code == 302
    refused = client.post("/accounts/signup/", {**VALID, "email": "jo9@example.org"})
    assert refused.status_code == 429 and "Too many tries" in refused.content.decode()
    assert refused["Retry-After"]
    # The same address from elsewhere is limited too.
    for n in range(5):
        Client(REMOTE_ADDR=f"198.51.100.{n}").post(
            "/accounts/signup/", {**VALID, "email": "same@example.org"}
        )
    assert (
        Client(REMOTE_ADDR="198.51.100.99")
        .post("/accounts/signup/", {**VALID, "email": "same@example.org"})
        .status_code
        == 429
    )


def test_signed_in_people_skip_sign_up(riley, client_for):
    assert client_for(riley).get("/accounts/signup/").status_code == 302


@pytest.mark.parametrize(
    ("day", "offset"),
    [
        (dt.datetime(2026, 1, 15, tzinfo=dt.UTC), "+01:00"),
        (dt.datetime(2026, 7, 15, tzinfo=dt.UTC), "+02:00"),
    ],
)
def test_timezones_are_grouped_by_region_and_named_by_city_with_todays_offset(client, db, day, offset):
    """Not ~500 raw names: "Madrid (UTC+01:00)" under Europe, the offset following daylight saving time."""
    with time_machine.travel(day, tick=False):
        page = client.get("/accounts/signup/").content.decode()
    assert '<optgroup label="Europe">' in page and '<optgroup label="America">' in page
    assert f'<option value="Europe/Madrid">Madrid (UTC{offset})</option>' in page
    assert "New York (UTC\u221205:00)" in page or "New York (UTC\u221204:00)" in page
    refused = client.post("/accounts/signup/", {**VALID, "timezone": "Mars/Olympus_Mons"})
    assert refused.status_code == 400 and not User.objects.exists()
    assert client.post("/accounts/signup/", {**VALID, "timezone": "Europe/Madrid"}).status_code == 302
    assert User.objects.get().timezone == "Europe/Madrid"


def test_common_places_come_first_and_the_full_list_stays_whole(client, db):
    """A short list most people pick from, ordered west to east; every place is still under its region."""
    with time_machine.travel(dt.datetime(2026, 1, 15, tzinfo=dt.UTC), tick=False):
        page = client.get("/accounts/signup/").content.decode()
    common = page.index('<optgroup label="Common places">')
    assert common < page.index('<optgroup label="Africa">')
    first_group = page[common : page.index("</optgroup>", common)]
    assert first_group.index("Los Angeles (UTC\u221208:00)") < first_group.index("New York (UTC\u221205:00)")
    assert first_group.index("London (UTC+00:00)") < first_group.index("Tokyo (UTC+09:00)")
    assert page.count('<option value="Europe/Madrid">Madrid (UTC+01:00)</option>') == 2  # common and Europe
    assert page.count('<option value="UTC" selected>UTC</option>') == 1


def test_only_a_fresh_form_lets_the_device_choose_the_timezone(client, db):
    """signup.js replaces the default with the device's zone, never a choice shown again after an error."""
    assert 'data-from-device="yes"' in client.get("/accounts/signup/").content.decode()
    again = client.post("/accounts/signup/", {**VALID, "timezone": "UTC", "password_again": "different"})
    assert again.status_code == 400
    assert "data-from-device" not in again.content.decode()
    assert '<option value="UTC" selected>UTC</option>' in again.content.decode()


def test_the_list_leaves_out_old_alias_names_yet_a_saved_alias_stays_valid(client, db):
    """The tz database keeps old names ("Asia/Calcutta", "Africa/Asmera") as aliases: listed, each place
    would appear twice under two spellings. Someone who saved one earlier can still save the form."""
    from circles.accounts.forms import TimezoneField, listed_zones

    page = client.get("/accounts/signup/").content.decode()
    if "Asia/Kolkata" in listed_zones():  # the system has the tz database's list of places
        assert 'value="Asia/Calcutta"' not in page and 'value="Africa/Asmera"' not in page
        assert 'value="America/Buenos_Aires"' not in page
        assert page.count('value="Asia/Kolkata"') == 2  # common places and Asia
    field = TimezoneField()
    assert field.clean("Asia/Calcutta") == "Asia/Calcutta"
    with pytest.raises(forms.ValidationError):
        field.clean("Mars/Olympus_Mons")
