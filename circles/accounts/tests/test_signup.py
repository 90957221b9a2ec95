"""Signing up as a new member."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.hashers import identify_hasher

from circles.accounts.models import User

VALID = {
    "display_name": "Jo",
    "email": "Jo@Example.org",
    "timezone": "Europe/Madrid",
    "password": "quiet-harbour-lantern-7",
    "password_again": "quiet-harbour-lantern-7",
}


def test_sign_up_signs_in_as_a_member_and_starts_mapping(client, db):
    response = client.post("/accounts/signup/", VALID)
    assert response.status_code == 302 and response["Location"] == "/network/ties/new/"
    user = User.objects.get()
    assert (user.email, user.timezone, user.role_kinds) == ("jo@example.org", "Europe/Madrid", ["member"])
    assert identify_hasher(user.password).algorithm == "argon2"
    assert client.get("/network/").status_code == 200


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


def test_an_address_in_use_is_refused_without_saying_whose(client, riley):
    response = client.post("/accounts/signup/", {**VALID, "email": "RILEY@example.org"})
    assert response.status_code == 400
    assert "could not create an account" in response.context["form"].errors["email"][0]
    assert User.objects.count() == 1


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
