"""Two-factor sign-in through the real pages: real TOTP codes, computed under a controlled clock."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from circles.accounts.actions import do_create_token
from circles.accounts.twofactor import RECOVERY_CODE_COUNT, do_enable_twofactor, pending_app_device
from circles.audit.models import AuditEvent
from circles.checkins.models import SafetySignal
from conftest import PASSWORD

START = dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=dt.UTC)
SETUP = "/accounts/settings/two-factor/"
CODE_PAGE = "/accounts/login/code/"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def sends(django_capture_on_commit_callbacks):
    """`with sends():` runs the after-commit work (the emailed notices) of what happens inside it."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def code_for(device: TOTPDevice) -> str:
    """What the person's authenticator app shows right now."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def wrong_code_for(device: TOTPDevice) -> str:
    return f"{(int(code_for(device)) + 500_000) % 1_000_000:06d}"


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    device = pending_app_device(user)
    codes = do_enable_twofactor(device, acting_user=user)
    return TOTPDevice.objects.get(pk=device.pk), codes


def log_in(client, user, next_url=""):
    data = {"username": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data, REMOTE_ADDR="203.0.113.5")


def confirm_password(client):
    """The set-up page's password step (signing in may already count as it, for ten minutes)."""
    client.post(SETUP, {"step": "password", "password": PASSWORD})


def actions_of(user) -> list[str]:
    return list(AuditEvent.objects.filter(subject_id=user.pk).order_by("id").values_list("action", flat=True))


def test_password_then_code_then_where_the_person_was_going(riley, clock):
    device, _codes = enrol(riley)
    client = Client()
    clock.shift(30)

    assert log_in(client, riley).status_code == 302
    asked = client.get("/checkins/history/")
    assert asked.status_code == 302
    assert asked["Location"] == f"{CODE_PAGE}?next=%2Fcheckins%2Fhistory%2F"
    page = client.get(asked["Location"])
    assert page.status_code == 200 and "authenticator app" in page.content.decode()

    answered = client.post(CODE_PAGE, {"code": code_for(device), "next": "/checkins/history/"})
    assert answered.status_code == 302 and answered["Location"] == "/checkins/history/"
    assert client.get("/checkins/history/").status_code == 200
    assert client.get("/network/").status_code == 200


def test_a_wrong_code_is_refused_audited_and_slows_the_next_try(riley, clock):
    device, _codes = enrol(riley)
    client = Client()
    clock.shift(30)
    log_in(client, riley)

    refused = client.post(CODE_PAGE, {"code": wrong_code_for(device)})
    assert refused.status_code == 400
    assert "That code did not work" in refused.content.decode()
    assert client.get("/network/").status_code == 302
    assert actions_of(riley)[-1] == "account.signin.second_factor_failed"
    assert AuditEvent.objects.filter(action="account.signin.second_factor_failed").get().outcome == "denied"

    # Right after a wrong one, even the right code waits (django-otp's throttling doubles the pause).
    throttled = client.post(CODE_PAGE, {"code": code_for(device)})
    assert throttled.status_code == 429
    assert "please wait until" in throttled.content.decode()

    clock.shift(2)
    assert client.post(CODE_PAGE, {"code": code_for(device)}).status_code == 302
    assert client.get("/network/").status_code == 200


def test_guessing_gets_slower_and_slower(riley, clock):
    device, _codes = enrol(riley)
    client = Client()
    log_in(client, riley)
    tries = 0
    for _second in range(64):
        if client.post(CODE_PAGE, {"code": wrong_code_for(device)}).status_code == 400:
            tries += 1
        clock.shift(1)
    # One try, then waits of 1, 2, 4, 8, 16 and 32 seconds: a handful of guesses a minute, not thousands.
    assert tries <= 7
    device.refresh_from_db()
    assert device.throttling_failure_count == tries


def test_a_recovery_code_works_once(riley, clock, sends):
    _device, codes = enrol(riley)
    mail.outbox.clear()
    first = Client()
    log_in(first, riley)
    typed = f"{codes[0][:4]}-{codes[0][4:]}".upper()  # as printed on the page, shouted
    with sends():
        assert first.post(CODE_PAGE, {"code": typed}).status_code == 302
    assert first.get("/network/").status_code == 200
    assert actions_of(riley)[-2:] == ["account.twofactor.recovery_code_used", "account.signin"]
    notice = mail.outbox[-1]
    assert notice.to == [riley.email] and "recovery code" in notice.subject
    assert f"You have {RECOVERY_CODE_COUNT - 1} recovery codes left" in notice.body

    clock.shift(5)
    second = Client()
    log_in(second, riley)
    assert second.post(CODE_PAGE, {"code": codes[0]}).status_code == 400
    assert second.get("/network/").status_code == 302
    clock.shift(5)
    assert second.post(CODE_PAGE, {"code": codes[1]}).status_code == 302


def test_enrolment_shows_a_qr_code_then_recovery_codes_once(riley, clock, sends):
    client = Client()
    log_in(client, riley)
    confirm_password(client)
    page = client.get(SETUP)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html
    # Drawn on the server: no script of its own (only the site-wide service worker registration).
    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/static/circles/sw-register.js" data-worker="/sw.js" defer>'
    ]
    key = re.search(r'id="totp-key">([A-Z2-7 ]+)<', html).group(1)
    device = TOTPDevice.objects.get(user=riley, confirmed=False)
    assert key.replace(" ", "") in device.config_url
    assert client.get(SETUP).content.decode().count(key) == 1  # the same secret until confirmed

    assert client.post(SETUP, {"step": "enable", "code": wrong_code_for(device)}).status_code == 400
    clock.shift(2)
    with sends():
        done = client.post(SETUP, {"step": "enable", "code": code_for(device)})
    assert done.status_code == 200
    shown = re.findall(r"<code>([a-z2-7]{4})-([a-z2-7]{4})</code>", done.content.decode())
    assert len(shown) == RECOVERY_CODE_COUNT
    stored = set(StaticDevice.objects.get(user=riley).token_set.values_list("token", flat=True))
    assert {a + b for a, b in shown} == stored
    assert TOTPDevice.objects.get(user=riley).confirmed
    assert "account.twofactor.enable" in actions_of(riley)
    assert mail.outbox[-1].subject == "Two-factor sign-in is now on for your Circles account"

    # This session gave the code: it carries on. The codes are not shown again.
    again = client.get(SETUP)
    assert again.status_code == 200 and shown[0][0] + "-" not in again.content.decode()
    assert client.get("/network/").status_code == 200


def test_enrolment_asks_for_the_password_again_after_ten_minutes(riley, clock):
    client = Client()
    log_in(client, riley)
    clock.shift(11 * 60)
    page = client.get(SETUP)
    assert "First, your password" in page.content.decode() and "data:image/svg" not in page.content.decode()
    assert client.post(SETUP, {"step": "enable", "code": "123456"}).status_code == 400
    assert not TOTPDevice.objects.filter(user=riley, confirmed=True).exists()
    assert client.post(SETUP, {"step": "password", "password": "wrong-password-1"}).status_code == 400
    assert client.post(SETUP, {"step": "password", "password": PASSWORD}).status_code == 302
    assert "data:image/svg+xml" in client.get(SETUP).content.decode()


def test_turning_it_off_needs_a_current_code(riley, clock, sends):
    device, _codes = enrol(riley)
    client = Client()
    clock.shift(30)
    log_in(client, riley)
    client.post(CODE_PAGE, {"code": code_for(device)})
    clock.shift(30)

    assert client.post(SETUP, {"step": "disable"}).status_code == 400
    assert client.post(SETUP, {"step": "disable", "code": wrong_code_for(device)}).status_code == 400
    assert TOTPDevice.objects.filter(user=riley, confirmed=True).exists()

    clock.shift(2)
    with sends():
        assert client.post(SETUP, {"step": "disable", "code": code_for(device)}).status_code == 302
    assert not TOTPDevice.objects.filter(user=riley).exists()
    assert not StaticDevice.objects.filter(user=riley).exists()
    assert actions_of(riley)[-1] == "account.twofactor.disable"
    assert mail.outbox[-1].subject == "Two-factor sign-in was turned off for your Circles account"
    # The password alone signs in again.
    fresh = Client()
    log_in(fresh, riley)
    assert fresh.get("/network/").status_code == 200


def test_new_recovery_codes_need_a_code_and_replace_the_old_ones(riley, clock, sends):
    device, old_codes = enrol(riley)
    client = Client()
    clock.shift(30)
    log_in(client, riley)
    client.post(CODE_PAGE, {"code": code_for(device)})
    assert client.post(SETUP, {"step": "renew", "code": ""}).status_code == 400
    clock.shift(30)
    with sends():
        renewed = client.post(SETUP, {"step": "renew", "code": code_for(device)})
    assert renewed.status_code == 200 and "Your new recovery codes" in renewed.content.decode()
    assert actions_of(riley)[-1] == "account.twofactor.recovery_codes_new"
    assert mail.outbox[-1].subject == "New recovery codes for your Circles account"
    other = Client()
    log_in(other, riley)
    assert other.post(CODE_PAGE, {"code": old_codes[2]}).status_code == 400


def test_a_professional_without_it_reaches_only_the_setup_page(casey, clock):
    client = Client()
    assert log_in(client, casey).status_code == 302
    for path in ["/", "/network/", "/checkins/", "/accounts/settings/", "/accounts/settings/tokens/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == SETUP, path
    confirm_password(client)
    page = client.get(SETUP)
    assert (
        page.status_code == 200 and "Your role lets you read other people's records" in page.content.decode()
    )
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and "two-factor" in api.json()["message"]
    assert client.get("/help-now/").status_code == 200

    device = TOTPDevice.objects.get(user=casey, confirmed=False)
    assert client.post(SETUP, {"step": "enable", "code": code_for(device)}).status_code == 200
    assert client.get("/network/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def test_an_organization_administrator_needs_it_too(olivia):
    client = Client()
    log_in(client, olivia)
    assert client.get("/checkins/questionnaires/").status_code == 302
    assert client.get("/api/v1/me").status_code == 403


def test_a_member_without_it_is_not_asked(riley, clock):
    client = Client()
    log_in(client, riley)
    assert client.get("/network/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200
    assert client.get(CODE_PAGE).status_code == 302  # nothing to ask: on to the home page
    assert "Two-factor sign-in" in client.get("/accounts/settings/").content.decode()
    assert not TOTPDevice.objects.filter(user=riley).exists()


def test_a_session_without_the_code_cannot_use_the_api(riley, clock):
    device, _codes = enrol(riley)
    client = Client()
    log_in(client, riley)
    refused = client.get("/api/v1/me")
    assert refused.status_code == 403
    assert refused.json() == {
        "message": "Finish signing in first: enter the code from your authenticator app.",
        "errors": {},
    }
    assert client.get("/api/v1/ties").status_code == 403
    # A made-up token beside the session is judged alone: the session does not vouch for it.
    bearer = {"HTTP_AUTHORIZATION": "Bearer circ_not-a-real-token"}
    assert client.get("/api/v1/me", **bearer).status_code == 401
    # A real token works by itself.
    _token, raw = do_create_token(riley, "script")
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    clock.shift(30)
    client.post(CODE_PAGE, {"code": code_for(device)})
    assert client.get("/api/v1/me").status_code == 200


def test_crisis_help_and_signing_out_stay_open_without_the_code(riley, clock):
    enrol(riley)
    client = Client()
    log_in(client, riley)
    assert client.get("/help-now/").status_code == 200
    pressed = client.post("/help-now/")
    assert pressed.status_code == 200 and "988" in pressed.content.decode()
    # Without the code the session is not Riley yet: the resources show, nobody is alerted in her name.
    assert not SafetySignal.objects.filter(member=riley).exists()
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/network/").status_code == 302
    assert client.get(CODE_PAGE)["Location"].startswith("/accounts/login/")


def test_the_code_page_never_sends_the_person_off_site(riley, clock):
    device, _codes = enrol(riley)
    client = Client()
    clock.shift(30)
    log_in(client, riley)
    answered = client.post(CODE_PAGE, {"code": code_for(device), "next": "https://evil.example/"})
    assert answered.status_code == 302 and answered["Location"] == "/"


def test_the_session_key_changes_when_the_code_is_given(riley, clock):
    device, _codes = enrol(riley)
    client = Client()
    clock.shift(30)
    log_in(client, riley)
    before = client.cookies["sessionid"].value
    client.post(CODE_PAGE, {"code": code_for(device)})
    assert client.cookies["sessionid"].value != before


def test_a_code_already_used_says_to_wait_for_the_next_one(riley, clock):
    """Signing in twice within 30 seconds (say, right after setting it up) gives the same code twice;
    it works once, and the page says why the second time fails."""
    device, _codes = enrol(riley)
    clock.shift(30)
    first = Client()
    log_in(first, riley)
    code = code_for(device)
    assert first.post(CODE_PAGE, {"code": code}).status_code == 302
    second = Client()
    log_in(second, riley)
    refused = second.post(CODE_PAGE, {"code": code})
    assert refused.status_code == 400 and "was just used" in refused.content.decode()
    clock.shift(31)
    assert second.post(CODE_PAGE, {"code": code_for(device)}).status_code == 302
