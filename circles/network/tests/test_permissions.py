"""Permission grid: every network URL and API operation × persona × method.

Riley owns the records. Nobody else may learn they exist: every other persona gets 404, never 200
or 403. Signed-out visitors are sent to log in (pages) or get 401 (API).
"""

import datetime as dt
import json

import pytest

from circles.accounts.tests.push_service import Device
from circles.network.tests.factories import riley_network as network_only

OTHERS = ["sam", "casey", "olivia", "mallory"]


def riley_network(riley):
    """Riley's network, and a device of hers that gets push notifications (an account's own record)."""
    objects = network_only(riley)
    objects["push"] = Device.new().subscribe(riley, "https://push.example.net/send/riley")
    return objects


def page_routes(objects):
    tie, interaction, commitment = objects["tie"].pk, objects["interaction"].pk, objects["commitment"].pk
    return [
        ("get", f"/network/ties/{tie}/", {}, 200),
        ("get", f"/network/ties/{tie}/edit/", {}, 200),
        ("post", f"/network/ties/{tie}/edit/", {"display_name": ""}, 400),
        ("post", f"/network/ties/{tie}/status/", {"status": "paused"}, 302),
        ("get", f"/network/ties/{tie}/delete/", {}, 200),
        ("get", f"/network/contacts/new/?tie={tie}", {}, 200),
        ("get", f"/network/commitments/new/?tie={tie}", {}, 200),
        ("get", f"/network/contacts/{interaction}/edit/", {}, 200),
        ("post", f"/network/contacts/{interaction}/edit/", {"kind": "nonsense"}, 400),
        ("get", f"/network/contacts/{interaction}/delete/", {}, 200),
        ("get", f"/network/commitments/{commitment}/edit/", {}, 200),
        ("post", f"/network/commitments/{commitment}/edit/", {"title": ""}, 400),
        ("get", f"/network/commitments/{commitment}/delete/", {}, 200),
        # Destructive ones last: they remove what the rows above use.
        ("post", f"/network/contacts/{interaction}/delete/", {}, 302),
        ("post", f"/network/commitments/{commitment}/delete/", {}, 302),
        ("post", f"/network/ties/{tie}/delete/", {}, 302),
        ("post", f"/accounts/push/{objects['push'].pk}/remove/", {}, 302),
    ]


def api_routes(objects):
    tie, interaction, commitment = objects["tie"].pk, objects["interaction"].pk, objects["commitment"].pk
    return [
        ("get", f"/api/v1/ties/{tie}", None, 200),
        ("patch", f"/api/v1/ties/{tie}", {"importance": 5}, 200),
        ("post", f"/api/v1/ties/{tie}/status", {"status": "paused"}, 200),
        ("get", f"/api/v1/interactions?tie_id={tie}", None, 200),
        ("get", f"/api/v1/interactions/{interaction}", None, 200),
        ("patch", f"/api/v1/interactions/{interaction}", {"quality": "hard"}, 200),
        ("get", f"/api/v1/commitments/{commitment}", None, 200),
        ("patch", f"/api/v1/commitments/{commitment}", {"title": "Call Marguerite often"}, 200),
        ("delete", f"/api/v1/interactions/{interaction}", None, 204),
        ("delete", f"/api/v1/commitments/{commitment}", None, 204),
        ("delete", f"/api/v1/ties/{tie}", None, 204),
        ("delete", f"/api/v1/push/subscriptions/{objects['push'].pk}", None, 204),
    ]


def call(client, method, url, data):
    if data is None:
        return getattr(client, method)(url)
    if url.startswith("/api/"):
        return getattr(client, method)(url, data=json.dumps(data), content_type="application/json")
    return getattr(client, method)(url, data)


@pytest.mark.parametrize("routes", [page_routes, api_routes], ids=["pages", "api"])
@pytest.mark.parametrize("persona", OTHERS)
def test_others_get_404_for_everything_of_rileys(personas, client_for, persona, routes):
    objects = riley_network(personas["riley"])
    client = client_for(personas[persona])
    for method, url, data, _expected in routes(objects):
        response = call(client, method, url, data)
        assert response.status_code == 404, (persona, method, url, response.status_code)
        if url.startswith("/api/"):
            assert response.json() == {"message": "Not found.", "errors": {}}
    # Nothing was changed or removed along the way.
    objects["tie"].refresh_from_db()
    assert (objects["tie"].status, objects["tie"].importance) == ("active", 3)
    assert objects["tie"].interactions.count() == 1 and objects["tie"].commitments.count() == 1
    assert personas["riley"].push_subscriptions.count() == 1


def test_riley_can_do_everything_on_her_pages(riley, client_for):
    objects = riley_network(riley)
    client = client_for(riley)
    for method, url, data, expected in page_routes(objects):
        assert call(client, method, url, data).status_code == expected, (method, url)


def test_riley_can_do_everything_in_the_api(riley, client_for):
    objects = riley_network(riley)
    client = client_for(riley)
    for method, url, data, expected in api_routes(objects):
        response = call(client, method, url, data)
        assert response.status_code == expected, (method, url, response.content)


def test_signed_out_visitors_are_sent_to_log_in(riley, client):
    objects = riley_network(riley)
    urls = [
        "/network/",
        "/network/ties/",
        "/network/ties/new/",
        "/network/contacts/",
        "/network/contacts/new/",
        "/network/commitments/",
        "/network/commitments/new/",
        "/accounts/settings/",
        "/accounts/settings/tokens/",
        "/accounts/reminders/",
        "/sharing/reach/",
    ] + [url for method, url, _data, _expected in page_routes(objects) if method == "get"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    posts = ["/accounts/push/"] + [url for method, url, _d, _e in page_routes(objects) if method == "post"]
    for url in posts:
        response = client.post(url, {})
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    assert riley.push_subscriptions.count() == 1


def test_signed_out_api_calls_get_401(riley, client):
    objects = riley_network(riley)
    routes = api_routes(objects) + [
        ("get", "/api/v1/ties", None, 200),
        ("post", "/api/v1/ties", {"display_name": "X", "relationship": "friend"}, 201),
        ("get", "/api/v1/network/health", None, 200),
        ("get", "/api/v1/me", None, 200),
        ("get", "/api/v1/tokens", None, 200),
        ("get", "/api/v1/push/vapid-key", None, 200),
        ("get", "/api/v1/push/subscriptions", None, 200),
        ("post", "/api/v1/push/subscriptions", {"endpoint": "https://push.example.net/x"}, 201),
        ("get", "/api/v1/reminders/preferences", None, 200),
        ("put", "/api/v1/reminders/preferences", {"checkin_on": True}, 200),
    ]
    for method, url, data, _expected in routes:
        response = call(client, method, url, data)
        assert response.status_code == 401, (method, url)
        assert "message" in response.json()


@pytest.mark.parametrize("persona", OTHERS)
def test_lists_and_health_show_only_ones_own(personas, client_for, persona):
    riley_network(personas["riley"])
    client = client_for(personas[persona])
    assert client.get("/api/v1/ties").json() == []
    assert client.get("/api/v1/interactions").json()["count"] == 0
    assert client.get("/api/v1/commitments").json() == []
    assert client.get("/api/v1/network/health").json()["composition"]["network_size"] == 0
    assert client.get("/api/v1/push/subscriptions").json() == []
    for url in ("/network/", "/network/ties/", "/network/contacts/", "/network/commitments/"):
        page = client.get(url).content.decode()
        assert "Marguerite" not in page, url


def test_cannot_log_contact_with_someone_elses_tie(riley, mallory, client_for):
    objects = riley_network(riley)
    client = client_for(mallory)
    response = client.post(
        "/api/v1/interactions",
        data={"tie_id": objects["tie"].pk, "kind": "call"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "tie_id" in response.json()["errors"]
    page = client.post(
        "/network/contacts/new/",
        {"tie": objects["tie"].pk, "kind": "call", "quality": "helpful", "occurred_at": "2026-01-01T10:00"},
    )
    assert page.status_code == 400
    assert objects["tie"].interactions.count() == 1


@pytest.mark.parametrize("persona", OTHERS)
def test_reminder_preferences_are_each_persons_own(personas, client_for, persona):
    from circles.notices.models import CommitmentStart, ReminderPreferences

    riley = personas["riley"]
    commitment = riley_network(riley)["commitment"]
    ReminderPreferences.objects.create(person=riley, checkin_on=True)
    CommitmentStart.objects.create(commitment=commitment, starts_at=dt.time(19, 0))
    client = client_for(personas[persona])
    mine = client.get("/api/v1/reminders/preferences")
    assert mine.status_code == 200
    assert mine.json()["checkin_on"] is False and mine.json()["commitment_starts"] == []
    page = client.get("/accounts/reminders/")
    assert page.status_code == 200 and "Call Marguerite weekly" not in page.content.decode()
    body = {**client.get("/api/v1/reminders/preferences").json(), "commitment_starts": []}
    body["commitment_starts"] = [{"commitment_id": commitment.pk, "starts_at": "06:00"}]
    refused = call(client, "put", "/api/v1/reminders/preferences", body)
    assert refused.status_code == 400 and "commitment_starts" in refused.json()["errors"]
    assert CommitmentStart.objects.get(commitment=commitment).starts_at == dt.time(19, 0)
    assert ReminderPreferences.objects.get(person=riley).checkin_on is True


@pytest.mark.parametrize("persona", OTHERS)
def test_how_to_reach_me_is_each_persons_own(personas, client_for, persona):
    """/sharing/reach/ has no id: everyone reads and changes only their own; never Riley's number."""
    from circles.sharing.actions import do_save_reach_details
    from circles.sharing.models import ReachDetails

    riley = personas["riley"]
    do_save_reach_details(riley, phone="+1 555 010 0142", preferred="call", acting_user=riley)
    client = client_for(personas[persona])
    page = client.get("/sharing/reach/")
    assert page.status_code == 200 and "555 010 0142" not in page.content.decode()
    assert client.post("/sharing/reach/", {"phone": "555 0199", "preferred": "text"}).status_code == 302
    assert ReachDetails.objects.get(member=riley).phone == "+1 555 010 0142"
    assert ReachDetails.objects.get(member=personas[persona]).phone == "555 0199"


@pytest.mark.parametrize("persona", [None, "riley", *OTHERS])
def test_the_part_2_notice_is_public(personas, client_for, persona):
    user = personas[persona] if persona else None
    assert client_for(user).get("/supporting/notice/").status_code == 200
