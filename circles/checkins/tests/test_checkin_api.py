"""Check-ins through /api/v1: the same rules as the pages, errors as JSON with a message per field."""

import datetime as dt
import json

from circles.checkins.models import CheckIn
from circles.lib.time import local_today
from circles.network.tests.factories import make_tie

BODY = {"mood": 5, "craving": 4, "stress": 6, "sleep_quality": 3}


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def patch(client, url, body):
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def test_check_in_then_read_and_change_it(riley, client_for):
    client = client_for(riley)
    sam = make_tie(riley, "Sam", "sponsor")
    response = post(
        client, "/api/v1/checkins", {**BODY, "struggling": "evenings", "struggling_for": [sam.pk]}
    )
    assert response.status_code == 201
    body = response.json()
    today = local_today(riley).isoformat()
    assert body["day"] == today and body["struggling_for"] == [sam.pk] and body["late"] is False
    assert patch(client, f"/api/v1/checkins/{today}", {"mood": 8}).json()["mood"] == 8
    listed = client.get("/api/v1/checkins").json()
    assert [c["day"] for c in listed] == [today] and listed[0]["struggling_for"] == [sam.pk]


def test_a_second_checkin_on_the_same_day_is_refused_and_the_first_kept(riley, client_for):
    client = client_for(riley)
    post(client, "/api/v1/checkins", BODY)
    response = post(client, "/api/v1/checkins", {**BODY, "mood": 0})
    assert response.status_code == 409
    assert "day" in response.json()["errors"] and response.json()["message"]
    assert CheckIn.objects.get(member=riley).mood == 5


def test_backfill_is_limited_to_three_days_and_marked_late(riley, client_for):
    client = client_for(riley)
    today = local_today(riley)
    three = post(client, "/api/v1/checkins", {**BODY, "day": (today - dt.timedelta(days=3)).isoformat()})
    assert three.status_code == 201 and three.json()["late"] is True
    four = post(client, "/api/v1/checkins", {**BODY, "day": (today - dt.timedelta(days=4)).isoformat()})
    assert four.status_code == 400 and "day" in four.json()["errors"]
    future = post(client, "/api/v1/checkins", {**BODY, "day": (today + dt.timedelta(days=1)).isoformat()})
    assert future.status_code == 400 and "day" in future.json()["errors"]
    assert CheckIn.objects.filter(member=riley).count() == 1


def test_out_of_range_and_missing_answers_are_named(riley, client_for):
    client = client_for(riley)
    response = post(client, "/api/v1/checkins", {"mood": 11, "craving": -1, "sleep_quality": 6})
    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"mood", "craving", "stress", "sleep_quality"}
    wrong_types = post(client, "/api/v1/checkins", {**BODY, "mood": "happy", "struggling_for": ["x"]})
    assert wrong_types.status_code == 400
    nul = post(client, "/api/v1/checkins", {**BODY, "helped": "a\x00b"})
    assert nul.status_code == 400 and "helped" in nul.json()["errors"]
    assert not CheckIn.objects.exists()


def test_struggles_go_only_to_ones_own_current_ties(riley, mallory, client_for):
    robin = make_tie(mallory, "Robin", "friend")
    response = post(client_for(riley), "/api/v1/checkins", {**BODY, "struggling_for": [robin.pk]})
    assert response.status_code == 400 and "struggling_for" in response.json()["errors"]
    assert not CheckIn.objects.exists()


def test_patch_refuses_nulls_and_other_days(riley, client_for):
    client = client_for(riley)
    today = local_today(riley).isoformat()
    post(client, "/api/v1/checkins", BODY)
    response = patch(client, f"/api/v1/checkins/{today}", {"mood": None})
    assert response.status_code == 400 and "mood" in response.json()["errors"]
    assert patch(client, "/api/v1/checkins/2001-01-01", {"mood": 1}).status_code == 404
    assert client.get("/api/v1/checkins/yesterday").status_code == 400
    assert CheckIn.objects.get(member=riley).mood == 5


def test_settings_and_reminders(riley, client_for):
    client = client_for(riley)
    assert client.get("/api/v1/checkin-settings").json() == {
        "count_days": False,
        "recovery_started_on": None,
        "screening_sex": "",
    }
    refused = patch(client, "/api/v1/checkin-settings", {"count_days": True})
    assert refused.status_code == 400 and "recovery_started_on" in refused.json()["errors"]
    saved = patch(
        client, "/api/v1/checkin-settings", {"count_days": True, "recovery_started_on": "2026-01-05"}
    )
    assert saved.status_code == 200 and saved.json()["recovery_started_on"] == "2026-01-05"
    reminders = client.get("/api/v1/reminders").json()
    assert reminders["checked_in_today"] is False and [m["instrument"] for m in reminders["due"]] == ["phq9"]
