"""Sign-ins, wrong passwords and session limits: audited, throttled and shown to the person."""

import datetime as dt
import json

import time_machine
from django.test import Client

from circles.audit.models import AuditEvent, Outcome
from conftest import PASSWORD


def log_in(client, email, password, address="203.0.113.5"):
    return client.post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=address)


def test_sign_ins_and_wrong_passwords_are_audited_with_the_address_and_shown_to_the_person(riley):
    log_in(Client(), riley.email, "wrong-password", "198.51.100.4")
    log_in(Client(), "nobody@example.org", "wrong-password", "198.51.100.4")  # nobody's data: no row
    client = Client()
    assert log_in(client, riley.email, PASSWORD, "203.0.113.5").status_code == 302
    rows = list(
        AuditEvent.objects.filter(action="account.signin").values_list(
            "subject_id", "outcome", "client_address"
        )
    )
    assert rows == [(riley.pk, Outcome.DENIED, "198.51.100.4"), (riley.pk, Outcome.ALLOWED, "203.0.113.5")]
    page = client.get("/sharing/access/").content.decode()
    assert (
        "New sign-in from 203.0.113.5" in page
        and "A wrong password for your account, from 198.51.100.4" in page
    )
    api = client.get("/api/v1/access-history").json()["items"]
    assert {item["description"] for item in api} >= {"New sign-in from 203.0.113.5"}
    assert {item["actor_name"] for item in api} == {"You", "Someone"}


def test_password_reentry_is_throttled_and_audited(riley, client_for):
    """25 wrong tries in 8 s, then the right one returned the whole export; now the sixth try waits."""
    client = client_for(riley)
    for _try in range(5):
        wrong = client.post(
            "/api/v1/account/export", data=json.dumps({"password": "guess"}), content_type="application/json"
        )
        assert wrong.status_code == 400
    right = client.post(
        "/api/v1/account/export", data=json.dumps({"password": PASSWORD}), content_type="application/json"
    )
    assert right.status_code == 429 and "Too many tries" in right.json()["message"] and right["Retry-After"]
    page = client.post("/accounts/data/export/", {"format": "json", "password": PASSWORD})
    assert page.status_code == 429
    assert AuditEvent.objects.filter(action="account.password.reentry", outcome=Outcome.DENIED).count() == 5
    assert not AuditEvent.objects.filter(action="account.export").exists()


def test_a_session_ends_at_its_absolute_lifetime_however_active(riley):
    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        log_in(client, riley.email, PASSWORD)
        for _hour in range(12):
            clock.shift(dt.timedelta(minutes=59))
            assert client.get("/network/").status_code == 200  # active all day: 11 h 48 min
        clock.shift(dt.timedelta(minutes=15))  # twelve hours since signing in, 15 minutes idle
        ended = client.get("/network/")
        assert ended.status_code == 302 and ended["Location"].startswith("/accounts/login/")
        assert "signed out after 12 hours" in client.get(ended["Location"]).content.decode()


def test_professionals_are_signed_out_after_fifteen_idle_minutes(casey, riley):
    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        staff, member = Client(), Client()
        staff.force_login(casey, backend="django.contrib.auth.backends.ModelBackend")
        member.force_login(riley, backend="django.contrib.auth.backends.ModelBackend")
        clock.shift(dt.timedelta(minutes=16))
        assert staff.get("/accounts/settings/").status_code == 302
        assert member.get("/accounts/settings/").status_code == 200


def test_a_deployment_administrator_needs_two_factor_sign_in_and_short_sessions(db):
    """Superusers change what every member sees (questionnaire wording): a password alone is not enough."""
    from circles.accounts.models import User

    operator = User.objects.create_superuser("operator@example.org", PASSWORD, display_name="Dana")
    client = Client()
    assert log_in(client, operator.email, PASSWORD).status_code == 302
    response = client.get("/checkins/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/settings/two-factor/")
    assert client.session.get_expiry_age() == 15 * 60


def test_guessing_from_many_addresses_is_not_locked_out_but_the_owner_is_told(
    riley, django_capture_on_commit_callbacks
):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        for n in range(25):
            log_in(Client(), riley.email, f"guess-{n}", f"198.51.100.{n}")
    warnings = [m for m in mail.outbox if m.to == [riley.email]]
    assert len(warnings) == 1 and "20 times in the last hour" in warnings[0].body
    assert (
        log_in(Client(), riley.email, PASSWORD, "203.0.113.9").status_code == 302
    )  # Riley is not locked out


def test_an_ipv6_client_cannot_dodge_the_lockout_by_changing_address_within_its_network(riley):
    for n in range(5):
        log_in(Client(), riley.email, "wrong-password", f"2001:db8:1:2::{n + 1:x}")
    assert log_in(Client(), riley.email, PASSWORD, "2001:db8:1:2:ffff::1").status_code == 429
    assert log_in(Client(), riley.email, PASSWORD, "2001:db8:1:3::1").status_code == 302


def test_with_two_factor_the_password_alone_is_not_listed_as_a_sign_in(casey, client_for):
    """Someone with Casey's password but not her phone must not look like a successful sign-in."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=casey, name="Authenticator app", confirmed=True)
    log_in(Client(), casey.email, PASSWORD, "198.51.100.8")
    actions = list(AuditEvent.objects.filter(subject=casey).values_list("action", flat=True))
    assert actions == ["account.signin.password"]
    page = client_for(casey).get("/sharing/access/").content.decode()
    assert "The right password from 198.51.100.8; the two-factor code was asked next" in page
    assert "New sign-in from 198.51.100.8" not in page


def test_a_password_change_says_how_many_tokens_stopped(riley, client_for):
    from circles.accounts.actions import do_change_password, do_create_token

    do_create_token(riley, "one", scope="read")
    do_create_token(riley, "two", scope="write")
    do_change_password(riley, "another-long-passphrase-77")
    page = client_for(riley).get("/sharing/access/").content.decode()
    assert "2 tokens stopped" in page and "Token created, from" in page and "(read only)" in page
