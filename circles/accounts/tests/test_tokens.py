"""Personal access tokens: created and revoked by their owner, stored hashed, shown once."""

import datetime as dt
import json

import time_machine
from django.core import mail
from django.test import Client

from circles.accounts.models import PersonalAccessToken, hash_token
from circles.audit.models import AuditEvent
from conftest import PASSWORD


def bearer(token):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_create_on_the_settings_page_shows_it_once(riley, client_for):
    client = client_for(riley)
    response = client.post("/accounts/settings/tokens/", {"name": "my phone", "scope": "read", "days": 90})
    raw = response.context["new_token"]
    assert raw.startswith("circ_") and raw in response.content.decode()
    stored = PersonalAccessToken.objects.get()
    assert stored.token_hash == hash_token(raw) and raw not in (stored.token_hash, stored.hint)
    assert raw not in client.get("/accounts/settings/tokens/").content.decode()


def test_token_authenticates_the_api_and_revocation_takes_effect_at_once(riley, client_for):
    raw = (
        client_for(riley)
        .post("/accounts/settings/tokens/", {"name": "app", "scope": "write", "days": 90})
        .context["new_token"]
    )
    api = bearer(raw)
    assert api.get("/api/v1/me").json()["email"] == riley.email
    # Token requests need no CSRF token.
    assert (
        api.post(
            "/api/v1/ties",
            data=json.dumps({"display_name": "Sam", "relationship": "sponsor"}),
            content_type="application/json",
        ).status_code
        == 201
    )
    token = PersonalAccessToken.objects.get()
    assert token.last_used_at is not None
    client_for(riley).post(f"/accounts/settings/tokens/{token.pk}/revoke/")
    assert api.get("/api/v1/me").status_code == 401


def test_api_token_lifecycle(riley, client_for):
    client = client_for(riley)
    created = client.post(
        "/api/v1/tokens", data=json.dumps({"name": "script"}), content_type="application/json"
    )
    assert created.status_code == 201
    body = created.json()
    assert bearer(body["token"]).get("/api/v1/ties").status_code == 200
    listed = client.get("/api/v1/tokens").json()
    assert [t["name"] for t in listed] == ["script"] and "token" not in listed[0]
    assert client.delete(f"/api/v1/tokens/{body['id']}").status_code == 204
    assert bearer(body["token"]).get("/api/v1/ties").status_code == 401


def test_empty_name_is_refused(riley, client_for):
    client = client_for(riley)
    assert (
        client.post("/accounts/settings/tokens/", {"name": "  ", "scope": "read", "days": 90}).status_code
        == 400
    )
    response = client.post("/api/v1/tokens", data=json.dumps({"name": ""}), content_type="application/json")
    assert response.status_code == 400 and "name" in response.json()["errors"]
    assert not PersonalAccessToken.objects.exists()


def test_nobody_else_can_revoke_or_see_a_token(riley, mallory, client_for):
    raw = (
        client_for(riley)
        .post("/accounts/settings/tokens/", {"name": "Riley's journal app", "scope": "read", "days": 30})
        .context["new_token"]
    )
    token = PersonalAccessToken.objects.get()
    outsider = client_for(mallory)
    assert outsider.post(f"/accounts/settings/tokens/{token.pk}/revoke/").status_code == 404
    assert outsider.delete(f"/api/v1/tokens/{token.pk}").status_code == 404
    assert outsider.get("/api/v1/tokens").json() == []
    assert "journal app" not in outsider.get("/accounts/settings/tokens/").content.decode()
    assert bearer(raw).get("/api/v1/me").status_code == 200


def test_garbage_tokens_are_refused(db):
    for header in ("Bearer circ_nope", "Bearer something", "Basic abc", "Bearer "):
        assert Client(HTTP_AUTHORIZATION=header).get("/api/v1/me").status_code == 401


def test_session_api_calls_need_the_csrf_token(riley):
    client = Client(enforce_csrf_checks=True)
    client.force_login(riley, backend="django.contrib.auth.backends.ModelBackend")
    payload = json.dumps({"display_name": "Sam", "relationship": "sponsor"})
    refused = client.post("/api/v1/ties", data=payload, content_type="application/json")
    assert refused.status_code == 403
    client.get("/accounts/settings/")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/ties", data=payload, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert accepted.status_code == 201


def make_token(user, scope="write", days=90):
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        "/api/v1/tokens",
        data=json.dumps({"name": "t", "scope": scope, "days": days}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


TIE = json.dumps({"display_name": "Sam", "relationship": "sponsor"})


def test_a_read_only_token_reads_and_cannot_change(riley):
    api = bearer(make_token(riley, scope="read")["token"])
    assert api.get("/api/v1/ties").status_code == 200
    refused = api.post("/api/v1/ties", data=TIE, content_type="application/json")
    assert refused.status_code == 403 and "can only read" in refused.json()["message"]
    assert api.delete("/api/v1/tokens/1").status_code == 403


def test_a_token_expires(riley):
    with time_machine.travel(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), tick=False):
        body = make_token(riley, days=7)
        assert body["expires_at"].startswith("2026-03-08")
        assert bearer(body["token"]).get("/api/v1/me").status_code == 200
    with time_machine.travel(dt.datetime(2026, 3, 8, 0, 1, tzinfo=dt.UTC), tick=False):
        refused = bearer(body["token"]).get("/api/v1/me")
    assert refused.status_code == 401 and "expired" in refused.json()["message"]


def test_a_token_lasts_at_most_the_longest_lifetime(riley, client_for):
    client = client_for(riley)
    too_long = client.post(
        "/api/v1/tokens", data=json.dumps({"name": "t", "days": 400}), content_type="application/json"
    )
    assert too_long.status_code == 400
    assert (
        client.post("/accounts/settings/tokens/", {"name": "t", "scope": "read", "days": 400}).status_code
        == 400
    )
    assert not PersonalAccessToken.objects.exists()


def test_a_token_cannot_make_tokens(riley):
    api = bearer(make_token(riley)["token"])
    refused = api.post(
        "/api/v1/tokens", data=json.dumps({"name": "more", "scope": "write"}), content_type="application/json"
    )
    assert refused.status_code == 403 and "cannot make tokens" in refused.json()["message"]
    assert PersonalAccessToken.objects.count() == 1


def test_a_session_that_did_not_just_sign_in_gives_the_password_first(riley):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        client = Client()
        client.force_login(riley, backend="django.contrib.auth.backends.ModelBackend")
        clock.shift(dt.timedelta(minutes=30))  # a session left open on a shared computer
        page = client.get("/accounts/settings/tokens/")
        assert 'name="password"' in page.content.decode()
        refused = client.post("/accounts/settings/tokens/", {"name": "t", "scope": "write", "days": 90})
        assert refused.status_code == 400 and not PersonalAccessToken.objects.exists()
        api = client.post("/api/v1/tokens", data=json.dumps({"name": "t"}), content_type="application/json")
        assert api.status_code == 400 and "password" in api.json()["errors"]
        wrong = client.post(
            "/accounts/settings/tokens/", {"name": "t", "scope": "write", "days": 90, "password": "nope"}
        )
        assert "not your password" in wrong.content.decode()
        made = client.post(
            "/accounts/settings/tokens/", {"name": "t", "scope": "write", "days": 90, "password": PASSWORD}
        )
        assert made.status_code == 200 and made.context["new_token"]


def test_making_a_token_is_audited_and_emailed(riley, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        body = make_token(riley, scope="read")
    assert AuditEvent.objects.filter(
        action="account.token.create", subject=riley, object_ref__contains=f"token:{body['id']}"
    ).exists()
    (notice,) = [m for m in mail.outbox if m.to == [riley.email]]
    assert (
        "new access token" in notice.subject
        and "“t”" in notice.body
        and "read your information" in notice.body
    )
    bearer(body["token"]).get("/api/v1/me")
    client = Client()
    client.force_login(riley, backend="django.contrib.auth.backends.ModelBackend")
    client.delete(f"/api/v1/tokens/{body['id']}")
    assert AuditEvent.objects.filter(action="account.token.revoke", subject=riley).exists()
    listed = client.get("/api/v1/tokens").json()[0]
    assert listed["scope"] == "read" and listed["last_used_at"] and listed["revoked_because"] == "owner"


def test_signing_out_everywhere_stops_every_token(riley):
    """A token made in a session kept working after "sign out everywhere": a thief kept the API."""
    raw = make_token(riley)["token"]
    client = Client()
    client.force_login(riley, backend="django.contrib.auth.backends.ModelBackend")
    client.post("/accounts/logout/everywhere/")
    assert bearer(raw).get("/api/v1/me").status_code == 401
    assert PersonalAccessToken.objects.get().revoked_because == "sign_out_everywhere"
    assert AuditEvent.objects.filter(action="account.signout_everywhere", subject=riley).exists()


def test_changing_the_password_stops_every_token_and_other_sessions(
    riley, django_capture_on_commit_callbacks
):
    raw = make_token(riley)["token"]
    other = Client()
    other.force_login(riley, backend="django.contrib.auth.backends.ModelBackend")
    client = Client()
    client.force_login(riley, backend="django.contrib.auth.backends.ModelBackend")
    new = "another-long-passphrase-77"
    wrong = client.post(
        "/accounts/settings/password/", {"old_password": "nope", "new_password1": new, "new_password2": new}
    )
    assert wrong.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/accounts/settings/password/",
            {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        )
    assert done.status_code == 302
    assert client.get("/accounts/settings/").status_code == 200  # this session stays
    assert other.get("/accounts/settings/").status_code == 302  # the others end
    assert bearer(raw).get("/api/v1/me").status_code == 401
    assert AuditEvent.objects.filter(action="account.password.change", subject=riley).exists()
    assert any("password was changed" in m.subject for m in mail.outbox)
