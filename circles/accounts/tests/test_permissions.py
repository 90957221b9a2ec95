"""Permission grid for accounts: what a personal access token may do by its state (read only, read and
change, expired, revoked), and who reaches the account pages.

A token is judged on its own: its scope decides whether it may change anything, an expired or revoked
one is refused (401) whatever it asks, and no token may make a token.
"""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from circles.accounts.actions import do_create_token, do_revoke_token
from circles.accounts.models import PersonalAccessToken

READS = [
    ("get", "/api/v1/me", None),
    ("get", "/api/v1/ties", None),
    ("get", "/api/v1/tokens", None),
    ("get", "/api/v1/access-history", None),
]
CHANGES = [
    ("post", "/api/v1/ties", {"display_name": "Sam", "relationship": "sponsor"}),
    ("patch", "/api/v1/me", {"display_name": "Riley"}),
]
MINT = ("post", "/api/v1/tokens", {"name": "another", "scope": "write"})

# state -> (reads, changes, making a token)
GRID = {
    "read": (200, 403, 403),
    "write": (200, {"post": 201, "patch": 200}, 403),
    "expired": (401, 401, 401),
    "revoked": (401, 401, 401),
}


def token_in_state(user, state: str) -> str:
    token, raw = do_create_token(user, state, scope="read" if state == "read" else "write")
    if state == "expired":
        PersonalAccessToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
    if state == "revoked":
        do_revoke_token(token, acting_user=user)
    return raw


def call(client, method, url, data):
    if data is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data=json.dumps(data), content_type="application/json")


@pytest.mark.parametrize("state", list(GRID))
def test_a_token_may_do_what_its_state_allows(riley, state):
    raw = token_in_state(riley, state)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    reads, changes, mint = GRID[state]
    for method, url, data in READS:
        assert call(api, method, url, data).status_code == reads, (state, method, url)
    for method, url, data in CHANGES:
        expected = changes[method] if isinstance(changes, dict) else changes
        assert call(api, method, url, data).status_code == expected, (state, method, url)
    assert call(api, *MINT).status_code == mint
    assert PersonalAccessToken.objects.count() == 1


def test_a_token_reaches_only_its_owners_records(riley, mallory):
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_in_state(mallory, 'write')}")
    riley_token, _raw = do_create_token(riley, "riley's")
    assert api.delete(f"/api/v1/tokens/{riley_token.pk}").status_code == 404
    assert api.get("/api/v1/me").json()["email"] == mallory.email


ACCOUNT_PAGES = [
    "/accounts/settings/",
    "/accounts/settings/password/",
    "/accounts/settings/tokens/",
    "/accounts/settings/two-factor/",
]
PUBLIC_PAGES = [
    ("/accounts/signup/", 200),
    ("/accounts/signup/sent/", 200),
    ("/accounts/verify/not-a-real-link/", 400),
    ("/accounts/password-reset/", 200),
    ("/help-now/", 200),
]


@pytest.mark.parametrize("persona", ["riley", "sam", "casey", "olivia", "mallory"])
def test_everyone_reaches_their_own_account_pages(personas, client_for, persona):
    client = client_for(personas[persona])
    for url in ACCOUNT_PAGES:
        assert client.get(url).status_code == 200, (persona, url)


def test_signed_out_visitors_are_sent_to_log_in_and_public_pages_stay_open(db):
    client = Client()
    for url in ACCOUNT_PAGES:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    for url, expected in PUBLIC_PAGES:
        assert client.get(url).status_code == expected, url
    assert client.get("/api/v1/tokens").status_code == 401


def test_a_professionals_token_needs_two_factor_sign_in_set_up(casey):
    """Tokens are judged on their own; one made before two-factor sign-in was required must not be a
    way around it."""
    _token, raw = do_create_token(casey, "old script")
    refused = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me")
    assert refused.status_code == 403 and "two-factor" in refused.json()["message"]
