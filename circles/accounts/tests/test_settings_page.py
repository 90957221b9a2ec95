"""The settings page and the profile API."""

import json


def test_change_name_and_timezone(riley, client_for):
    client = client_for(riley)
    response = client.post("/accounts/settings/", {"display_name": "Riley R.", "timezone": "Europe/Madrid"})
    assert response.status_code == 302
    riley.refresh_from_db()
    assert (riley.display_name, riley.timezone) == ("Riley R.", "Europe/Madrid")


def test_unknown_timezone_is_refused(riley, client_for):
    client = client_for(riley)
    assert (
        client.post("/accounts/settings/", {"display_name": "R", "timezone": "Moon/Base"}).status_code == 400
    )
    response = client.patch(
        "/api/v1/me", data=json.dumps({"timezone": "Moon/Base"}), content_type="application/json"
    )
    assert response.status_code == 400 and "timezone" in response.json()["errors"]
    riley.refresh_from_db()
    assert riley.timezone == "America/New_York"


def test_profile_api(riley, client_for):
    client = client_for(riley)
    body = client.patch(
        "/api/v1/me", data=json.dumps({"display_name": "Ri"}), content_type="application/json"
    ).json()
    assert (body["display_name"], body["roles"]) == ("Ri", ["member"])
