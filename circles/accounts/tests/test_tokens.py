"""Personal access tokens: created and revoked by their owner, stored hashed, shown once."""

import json

from django.test import Client

from circles.accounts.models import PersonalAccessToken, hash_token


def bearer(token):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_create_on_the_settings_page_shows_it_once(riley, client_for):
    client = client_for(riley)
    response = client.post("/accounts/settings/tokens/", {"name": "my phone"})
    raw = response.context["new_token"]
    assert raw.startswith("circ_") and raw in response.content.decode()
    stored = PersonalAccessToken.objects.get()
    assert stored.token_hash == hash_token(raw) and raw not in (stored.token_hash, stored.hint)
    assert raw not in client.get("/accounts/settings/tokens/").content.decode()


def test_token_authenticates_the_api_and_revocation_takes_effect_at_once(riley, client_for):
    raw = client_for(riley).post("/accounts/settings/tokens/", {"name": "app"}).context["new_token"]
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
    assert client.post("/accounts/settings/tokens/", {"name": "  "}).status_code == 400
    response = client.post("/api/v1/tokens", data=json.dumps({"name": ""}), content_type="application/json")
    assert response.status_code == 400 and "name" in response.json()["errors"]
    assert not PersonalAccessToken.objects.exists()


def test_nobody_else_can_revoke_or_see_a_token(riley, mallory, client_for):
    raw = (
        client_for(riley)
        .post("/accounts/settings/tokens/", {"name": "Riley's journal app"})
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
