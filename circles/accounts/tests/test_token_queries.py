"""Signing in with a token costs a fixed, small number of queries on every API request.

The token comes with its user in one query and the user's roles in one more, read once for the
second-factor checks and for whatever the request itself asks of the roles. A professional (whose
role needs two-factor sign-in) pays one more: whether the second factor is set up.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from circles.accounts.actions import do_create_token
from circles.accounts.models import PersonalAccessToken


def token_client(user, scope=PersonalAccessToken.Scope.READ) -> Client:
    _token, raw = do_create_token(user, "Phone", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def get_me(client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/me")
    assert response.status_code == 200, response.content
    return [query["sql"] for query in captured.captured_queries]


def reading_roles(queries: list[str]) -> list[str]:
    return [sql for sql in queries if 'FROM "accounts_role"' in sql]


def test_a_token_get_reads_the_roles_once(riley):
    client = token_client(riley)
    first = get_me(client)
    # The token with its user, the roles, last_used_at (first use this minute).
    assert len(first) == 3, "\n".join(first)
    assert len(reading_roles(first)) == 1
    again = get_me(client)
    # last_used_at was written a moment ago: not again this minute.
    assert len(again) == 2, "\n".join(again)
    assert len(reading_roles(again)) == 1


def test_the_roles_read_with_the_token_answer_the_request_too(riley):
    """GET /me lists the roles: from the roles read with the token, not a query of its own."""
    client = token_client(riley)
    get_me(client)
    with CaptureQueriesContext(connection) as captured:
        body = client.get("/api/v1/me").json()
    assert body["roles"] == riley.role_kinds
    assert len(reading_roles([q["sql"] for q in captured.captured_queries])) == 1


@pytest.mark.parametrize("persona", ["casey", "olivia"])
def test_a_role_that_needs_a_second_factor_adds_only_that_check(persona, request):
    user = request.getfixturevalue(persona)
    TOTPDevice.objects.create(user=user, name="App", confirmed=True)
    client = token_client(user)
    get_me(client)
    queries = get_me(client)
    assert len(queries) == 3, "\n".join(queries)  # the token with its user, the roles, the second factor
    assert len(reading_roles(queries)) == 1


def test_a_refused_token_costs_no_more(casey):
    """A professional's token from before two-factor sign-in was required: refused after the same reads."""
    client = token_client(casey)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/me")
    assert response.status_code == 403
    queries = [query["sql"] for query in captured.captured_queries]
    assert len(queries) == 3, "\n".join(queries)  # the token with its user, the roles, the second factor
    assert len(reading_roles(queries)) == 1
