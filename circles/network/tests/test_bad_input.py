"""Input that once slipped past validation: each gets a clear 4xx, and nothing saved is lost."""

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone

from circles.network.actions import do_change_tie_status
from circles.network.models import Commitment, Interaction, Tie
from circles.network.tests.factories import make_commitment, make_interaction, make_tie


@pytest.fixture
def api(riley, client_for):
    client = client_for(riley)

    def send(method, url, data):
        return getattr(client, method)(url, data=json.dumps(data), content_type="application/json")

    return send


def test_dates_before_1900_are_refused_everywhere(riley, client_for, api):
    tie = make_tie(riley)
    response = api(
        "post",
        "/api/v1/interactions",
        {"tie_id": tie.pk, "kind": "call", "occurred_at": "0001-01-01T00:00:00Z"},
    )
    assert response.status_code == 400 and "1900" in response.json()["errors"]["occurred_at"][0]
    page = client_for(riley).post(
        "/network/contacts/new/",
        {"tie": tie.pk, "kind": "call", "quality": "helpful", "occurred_at": "0001-01-01T00:00"},
    )
    assert page.status_code == 400
    assert not Interaction.objects.exists()
    assert client_for(riley).get("/network/").status_code == 200


@pytest.mark.parametrize("field", ["starts_on", "ends_on"])
def test_commitment_dates_far_away_are_refused(riley, api, field):
    tie = make_tie(riley)
    body = {"tie_id": tie.pk, "title": "Group", "cadence": "weekdays", "weekdays": [1], field: "9999-12-31"}
    response = api("post", "/api/v1/commitments", body)
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not Commitment.objects.exists()


def test_a_time_without_an_offset_is_read_in_the_members_timezone(riley, api):
    tie = make_tie(riley)
    response = api(
        "post",
        "/api/v1/interactions",
        {"tie_id": tie.pk, "kind": "call", "occurred_at": "2026-01-20T18:30:00"},
    )
    assert response.status_code == 201
    assert Interaction.objects.get().occurred_at == dt.datetime(
        2026, 1, 20, 23, 30, tzinfo=dt.UTC
    )  # New York is UTC-5 in January


def test_huge_offset_and_odd_links_are_handled(riley, client_for):
    client = client_for(riley)
    assert client.get("/api/v1/interactions?offset=99999999999999999999").status_code == 400
    assert client.get("/api/v1/interactions?offset=abc").status_code == 400
    for value in ("²", "abc", "99999999999999999999999", "-1"):
        assert client.get(f"/network/contacts/new/?tie={value}").status_code == 200, value
        assert client.get(f"/network/commitments/new/?tie={value}").status_code == 200, value


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/ties", {"display_name": "A\u0000B", "relationship": "friend"}),
        ("/api/v1/tokens", {"name": "A\u0000B"}),
    ],
)
def test_nul_characters_are_refused(api, url, body):
    response = api("post", url, body)
    assert response.status_code == 400
    assert "NUL" in json.dumps(response.json()["errors"])


def test_weekdays_must_be_whole_numbers(riley, api):
    tie = make_tie(riley)
    response = api(
        "post",
        "/api/v1/commitments",
        {"tie_id": tie.pk, "title": "Group", "cadence": "weekdays", "weekdays": [True]},
    )
    assert response.status_code == 400
    assert not Commitment.objects.exists()


def test_ended_ties_take_no_new_records_but_old_ones_stay_editable(riley, client_for, api):
    tie = make_tie(riley, "Chris")
    old = make_interaction(riley, tie, days_ago=3)
    do_change_tie_status(tie, "ended", acting_user=riley)
    refused = api("post", "/api/v1/interactions", {"tie_id": tie.pk, "kind": "call"})
    assert refused.status_code == 400 and "tie" in refused.json()["errors"]
    assert (
        api(
            "post",
            "/api/v1/commitments",
            {"tie_id": tie.pk, "title": "Call", "cadence": "times_per_week", "times_per_week": 1},
        ).status_code
        == 400
    )
    edited = client_for(riley).post(
        f"/network/contacts/{old.pk}/edit/",
        {"tie": tie.pk, "kind": "message", "quality": "hard", "occurred_at": "2026-01-05T10:00"},
    )
    assert edited.status_code == 302
    old.refresh_from_db()
    assert (old.kind, old.quality) == ("message", "hard")


def test_commitments_of_a_paused_tie_are_on_hold(riley, client_for):
    tie = make_tie(riley, "Mum", "parent")
    make_commitment(riley, tie, "Call Mum")  # never kept: off track while the tie is active
    client = client_for(riley)
    assert "Get back to" in client.get("/network/").content.decode()
    do_change_tie_status(tie, "paused", acting_user=riley)
    assert "Get back to" not in client.get("/network/").content.decode()
    assert "on hold: the tie is paused" in client.get("/network/commitments/").content.decode()
    health = client.get("/api/v1/network/health").json()
    assert health["commitments"] == [] and health["commitment_adherence"] is None
    assert client.get("/api/v1/commitments").json()[0]["adherence"] is None


def test_tie_history_in_the_api(riley, client_for, api):
    tie = make_tie(riley)
    api("post", f"/api/v1/ties/{tie.pk}/status", {"status": "paused", "note": "a break"})
    history = client_for(riley).get(f"/api/v1/ties/{tie.pk}/history").json()
    assert [(h["status"], h["note"]) for h in history] == [("paused", "a break"), ("active", "")]


@pytest.mark.parametrize(
    ("url", "fields", "name", "empty_message"),
    [
        ("/network/ties/new/", {"relationship": "friend"}, "display_name", "Please enter a name."),
        (
            "/network/commitments/new/",
            {"cadence": "times_per_week", "times_per_week": 2},
            "title",
            "Please say",
        ),
    ],
)
def test_a_name_too_long_is_told_so_and_nothing_else(riley, client_for, url, fields, name, empty_message):
    """Only "too long": not also "please enter a name", which the form's refusal used to bring about."""
    tie = make_tie(riley, "Group", "group")
    response = client_for(riley).post(url, {**fields, "tie": tie.pk, name: "x" * 300})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Ensure this value has at most" in page and empty_message not in page
    assert Tie.objects.filter(member=riley).count() == 1 and not Commitment.objects.exists()


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_missing_name_gets_the_same_message_everywhere(riley, api, client_for, blank):
    response = api("post", "/api/v1/ties", {"display_name": blank, "relationship": "friend"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"display_name": ["Please enter a name."]}
    page = client_for(riley).post("/network/ties/new/", {"display_name": blank, "relationship": "friend"})
    assert page.status_code == 400 and "Please enter a name." in page.content.decode()
    tie = make_tie(riley, "Group", "group")
    body = {"tie_id": tie.pk, "title": blank, "cadence": "times_per_week", "times_per_week": 2}
    response = api("post", "/api/v1/commitments", body)
    assert response.status_code == 400
    assert response.json()["errors"] == {"title": ["Please say what you intend, e.g. “Tuesday group”."]}


def test_a_year_left_at_1900_is_refused_for_contact_and_commitments(riley, client_for, api):
    """1900-01-01 (a date picker's default year) was accepted: so far back is a typo."""
    tie = make_tie(riley)
    contact = {"tie_id": tie.pk, "kind": "call", "occurred_at": "1900-01-01T12:00:00Z"}
    response = api("post", "/api/v1/interactions", contact)
    assert response.status_code == 400
    assert response.json()["errors"]["occurred_at"] == [
        "Please check the date: contact can be logged up to ten years back."
    ]
    form = {
        "title": "Group",
        "tie": tie.pk,
        "cadence": "weekdays",
        "weekdays": ["1"],
        "starts_on": "1900-01-01",
    }
    page = client_for(riley).post("/network/commitments/new/", form)
    assert page.status_code == 400 and "Choose a date within ten years of today." in page.content.decode()
    assert not Interaction.objects.exists() and not Commitment.objects.exists()
    # Contact a year ago, and a group kept for five years, are fine.
    year_ago = (timezone.now() - dt.timedelta(days=365)).isoformat()
    assert api("post", "/api/v1/interactions", {**contact, "occurred_at": year_ago}).status_code == 201
    five_years = (timezone.localdate() - dt.timedelta(days=5 * 365)).isoformat()
    body = {
        "tie_id": tie.pk,
        "title": "Group",
        "cadence": "weekdays",
        "weekdays": [1],
        "starts_on": five_years,
    }
    assert api("post", "/api/v1/commitments", body).status_code == 201


def test_a_record_kept_for_over_ten_years_can_still_be_edited(riley, api):
    """The ten-year limit is counted from when a record was made, not from today."""
    tie = make_tie(riley)
    with time_machine.travel(timezone.now() - dt.timedelta(days=11 * 366), tick=False):
        contact = make_interaction(riley, tie, days_ago=0)
        commitment = make_commitment(riley, tie, "Tuesday group", starts_on=timezone.localdate())
    response = api("patch", f"/api/v1/interactions/{contact.pk}", {"note": "The first call"})
    assert response.status_code == 200, response.content
    response = api("patch", f"/api/v1/commitments/{commitment.pk}", {"title": "Tuesday evening group"})
    assert response.status_code == 200, response.content
    # A new record that far back is still a typo.
    old = (timezone.now() - dt.timedelta(days=11 * 366)).isoformat()
    assert (
        api(
            "post", "/api/v1/interactions", {"tie_id": tie.pk, "kind": "call", "occurred_at": old}
        ).status_code
        == 400
    )
