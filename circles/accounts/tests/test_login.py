"""Logging in by email, throttling, idle timeout and logging out everywhere."""

import datetime as dt

import time_machine
from django.test import Client

from conftest import PASSWORD


def log_in(client, email, password, address="203.0.113.5"):
    return client.post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=address)


def test_log_in_by_email_in_any_case(riley, client):
    response = log_in(client, "Riley@Example.org", PASSWORD)
    assert response.status_code == 302
    assert client.get("/network/").status_code == 200


def test_wrong_password_is_a_clear_400(riley, client):
    response = log_in(client, riley.email, "not-the-password")
    assert response.status_code == 400
    assert "do not match an account" in response.content.decode()


def test_five_failures_lock_out_that_account_from_that_address(riley, client):
    for _attempt in range(5):
        log_in(client, riley.email, "wrong-password", "203.0.113.5")
    response = log_in(Client(), riley.email, PASSWORD, "203.0.113.5")
    assert response.status_code == 429
    assert "logging in is paused for 15 minutes" in response.content.decode()


def test_someone_elses_failures_on_a_shared_network_lock_nobody_else_out(riley, mallory, client):
    """At a shelter or clinic many people share one address: Mallory's typos (or guesses at Riley's
    password from elsewhere) must not keep Riley out."""
    for _attempt in range(5):
        log_in(client, mallory.email, "wrong-password", "203.0.113.5")  # the shared network
    for attempt in range(5):
        log_in(client, riley.email, "wrong-password", f"198.51.100.{attempt}")  # five other places
    assert log_in(Client(), riley.email, PASSWORD, "203.0.113.5").status_code == 302
    assert log_in(Client(), mallory.email, PASSWORD, "203.0.113.5").status_code == 429


def test_logout_needs_post(riley, client_for):
    client = client_for(riley)
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert client.get("/network/").status_code == 302


def test_log_out_everywhere_ends_every_session(riley, client_for):
    phone, laptop = client_for(riley), client_for(riley)
    response = laptop.post("/accounts/logout/everywhere/")
    assert response.status_code == 302
    assert phone.get("/network/").status_code == 302
    assert laptop.get("/network/").status_code == 302
    # Signing in again works.
    assert log_in(Client(), riley.email, PASSWORD).status_code == 302


def test_session_ends_after_the_idle_timeout_and_activity_extends_it(riley):
    start = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        first = client.post("/accounts/login/", {"username": riley.email, "password": PASSWORD})
        assert first.cookies["sessionid"]["max-age"] == 60 * 60
        assert first.cookies["sessionid"]["httponly"] and first.cookies["sessionid"]["samesite"] == "Lax"
        clock.shift(dt.timedelta(seconds=20))
        assert "sessionid" not in client.get("/network/").cookies  # no write for every request
        clock.shift(dt.timedelta(minutes=50))
        assert client.get("/network/").cookies["sessionid"]["max-age"] == 60 * 60  # activity renews it
        clock.shift(dt.timedelta(minutes=61))
        assert client.get("/network/").status_code == 302  # idle for over an hour: signed out


def test_client_address_behind_trusted_proxies(rf, settings):
    from circles.lib.client import client_address

    request = rf.get("/", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.7", REMOTE_ADDR="127.0.0.1")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request) == "127.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == "198.51.100.7"  # the forged left-hand entry is ignored
    settings.TRUSTED_PROXY_COUNT = 3
    assert client_address(request) == "127.0.0.1"


def test_changing_the_case_of_the_address_does_not_dodge_the_lockout(riley):
    for attempt in range(5):
        variant = riley.email.upper() if attempt % 2 else riley.email.capitalize()
        log_in(Client(), variant, "wrong-password", "198.51.100.7")
    assert log_in(Client(), "RILEY@example.org", PASSWORD, "198.51.100.7").status_code == 429
