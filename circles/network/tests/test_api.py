"""The network API: the same rules as the pages, errors as JSON with a message per field."""

import json

import pytest

from circles.network.models import Commitment, Interaction, Tie
from circles.network.tests.factories import make_commitment, make_interaction, make_tie


@pytest.fixture
def api(riley, client_for):
    client = client_for(riley)

    def send(method, url, data=None):
        if data is None:
            return getattr(client, method)(url)
        return getattr(client, method)(url, data=json.dumps(data), content_type="application/json")

    return send


def test_add_and_read_a_tie(api):
    response = api(
        "post",
        "/api/v1/ties",
        {
            "display_name": "Sam",
            "relationship": "sponsor",
            "circle": "inner",
            "support_kinds": ["emotional"],
            "strain_flags": [],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["pillar"], body["status"], body["support_kinds"]) == ("peer", "active", ["emotional"])
    assert api("get", f"/api/v1/ties/{body['id']}").json()["display_name"] == "Sam"
    assert [t["id"] for t in api("get", "/api/v1/ties").json()] == [body["id"]]


def test_invalid_tie_gets_a_message_per_field(api):
    response = api(
        "post",
        "/api/v1/ties",
        {
            "display_name": "x" * 81,
            "relationship": "landlord",
            "importance": 7,
            "support_kinds": ["telepathy"],
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["message"]
    assert set(body["errors"]) >= {"display_name", "relationship", "importance", "support_kinds.0"}
    assert all(isinstance(messages, list) and messages for messages in body["errors"].values())
    assert not Tie.objects.exists()


def test_model_rules_apply_to_the_api_too(api):
    response = api("post", "/api/v1/ties", {"display_name": "   ", "relationship": "friend", "email": "nope"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"display_name", "email"}


def test_malformed_json_is_a_400(riley, client_for):
    response = client_for(riley).post("/api/v1/ties", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "message" in response.json()


def test_patch_changes_only_what_is_sent_and_keeps_the_rest_on_error(riley, api):
    tie = make_tie(riley, "Mum", "parent", importance=4)
    assert api("patch", f"/api/v1/ties/{tie.pk}", {"circle": "inner"}).json()["importance"] == 4
    bad = api("patch", f"/api/v1/ties/{tie.pk}", {"display_name": "", "importance": 4})
    assert bad.status_code == 400
    tie.refresh_from_db()
    assert (tie.display_name, tie.circle) == ("Mum", "inner")
    assert api("patch", f"/api/v1/ties/{tie.pk}", {"pillar_override": "peer"}).json()["pillar"] == "peer"
    assert (
        api("patch", f"/api/v1/ties/{tie.pk}", {"pillar_override": None}).json()["pillar"] == "family_friends"
    )


def test_status_changes_are_kept(riley, api):
    tie = make_tie(riley)
    assert (
        api("post", f"/api/v1/ties/{tie.pk}/status", {"status": "paused", "note": "a break"}).json()["status"]
        == "paused"
    )
    assert api("post", f"/api/v1/ties/{tie.pk}/status", {"status": "gone"}).status_code == 400
    assert tie.status_changes.count() == 2
    assert [t["id"] for t in api("get", "/api/v1/ties?status=paused").json()] == [tie.pk]


def test_log_contact(riley, api):
    tie = make_tie(riley)
    response = api(
        "post", "/api/v1/interactions", {"tie_id": tie.pk, "kind": "video", "duration_minutes": 30}
    )
    assert response.status_code == 201
    assert Interaction.objects.get().kind == "video"
    page = api("get", "/api/v1/interactions").json()
    assert page["count"] == 1 and page["items"][0]["tie_id"] == tie.pk


def test_contact_in_the_future_or_with_bad_values_is_refused(riley, api):
    tie = make_tie(riley)
    response = api(
        "post",
        "/api/v1/interactions",
        {"tie_id": tie.pk, "kind": "call", "occurred_at": "2999-01-01T00:00:00Z", "note": "n" * 2001},
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"note"}  # the schema answers first
    response = api(
        "post",
        "/api/v1/interactions",
        {"tie_id": tie.pk, "kind": "call", "occurred_at": "2999-01-01T00:00:00Z"},
    )
    assert response.status_code == 400
    assert "future" in response.json()["errors"]["occurred_at"][0]
    assert api("post", "/api/v1/interactions", {"tie_id": tie.pk}).json()["errors"]["kind"]
    assert not Interaction.objects.exists()


def test_negative_offset_is_refused(api):
    assert api("get", "/api/v1/interactions?offset=-1").status_code == 400


def test_commitments_report_adherence(riley, api):
    tie = make_tie(riley, "Group", "group")
    make_interaction(riley, tie, days_ago=0)
    response = api(
        "post",
        "/api/v1/commitments",
        {"tie_id": tie.pk, "title": "Daily check", "cadence": "every_n_days", "interval_days": 1},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["adherence"]["expected"] == 1 and body["adherence"]["met"] == 1
    assert api("get", "/api/v1/commitments").json()[0]["title"] == "Daily check"


def test_commitment_without_its_cadence_details_is_refused(riley, api):
    tie = make_tie(riley)
    response = api("post", "/api/v1/commitments", {"tie_id": tie.pk, "title": "Group", "cadence": "weekdays"})
    assert response.status_code == 400
    assert "weekdays" in response.json()["errors"]
    response = api("post", "/api/v1/commitments", {"tie_id": tie.pk, "title": "Group"})
    assert "cadence" in response.json()["errors"]
    assert not Commitment.objects.exists()


def test_patch_commitment(riley, api):
    commitment = make_commitment(riley, make_tie(riley))
    assert api("patch", f"/api/v1/commitments/{commitment.pk}", {"weekdays": [0, 2]}).json()["weekdays"] == [
        0,
        2,
    ]
    assert api("patch", f"/api/v1/commitments/{commitment.pk}", {"title": None}).status_code == 400


def test_health(riley, api):
    peer = make_tie(riley, "Sam", "sponsor", stance="supports_recovery", importance=5)
    make_interaction(riley, peer, days_ago=20)
    make_tie(
        riley, "Chris", "friend", stance="supports_use", circle="inner", strain_flags=["pressure_to_use"]
    )
    body = api("get", "/api/v1/network/health").json()
    assert body["composition"]["network_size"] == 2
    pillars = {p["pillar"]: p for p in body["pillars"]}
    assert pillars["peer"]["days_since_contact"] in (19, 20, 21)
    assert body["flagged_ties"][0]["name"] == "Chris"
    codes = {s["code"] for s in body["suggestions"]}
    assert {"pillar_missing", "pillar_quiet", "strained_inner_tie", "pro_use_tie"} <= codes
    assert all(s["reason"] for s in body["suggestions"])
    assert len(body["weeks"]) == 12


def test_openapi_lists_every_network_operation(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    expected = {
        "/api/v1/ties": {"get", "post"},
        "/api/v1/ties/{tie_id}": {"get", "patch", "delete"},
        "/api/v1/ties/{tie_id}/status": {"post"},
        "/api/v1/interactions": {"get", "post"},
        "/api/v1/interactions/{interaction_id}": {"get", "patch", "delete"},
        "/api/v1/commitments": {"get", "post"},
        "/api/v1/commitments/{commitment_id}": {"get", "patch", "delete"},
        "/api/v1/network/health": {"get"},
        "/api/v1/me": {"get", "patch"},
        "/api/v1/tokens": {"get", "post"},
        "/api/v1/tokens/{token_id}": {"delete"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    relationship = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["TieIn"]["properties"]
    assert "sponsor" in json.dumps(relationship["relationship"])
