"""The alert pages and API as a member and a supporter use them, bad input included."""

import datetime as dt
import json

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from circles.alerts import delivery, logic
from circles.alerts.channels import answer_token
from circles.alerts.models import Alert, AlertSettings, AlertStatus, Rung
from circles.alerts.tests.factories import askable, ladder
from circles.network.tests.factories import make_tie


@pytest.fixture
def sam_tie(riley, sam):
    return askable(riley, sam)


def api(client, method, url, body=None):
    return getattr(client, method)(url, data=json.dumps(body or {}), content_type="application/json")


def test_help_button_then_confirm_asks_the_ladder(riley, sam_tie, client_for, mailoutbox):
    ladder(riley, sam_tie)
    client = client_for(riley)
    page = client.post("/help-now/").content.decode()
    assert "988" in page and "Yes, ask them now" in page
    assert not Alert.objects.exists()  # one tap shows help; the second one asks people
    response = client.post("/alerts/sos/", {"message": "Please call"})
    alert = Alert.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/alerts/{alert.pk}/"
    assert alert.message == "Please call" and alert.kind == logic.SOS
    page = client.get(response["Location"]).content.decode()
    assert "Asking Sam by email and in Circles now." in page and "988" in page
    # Pressing again shows the open SOS instead of the form.
    assert "already asked your ladder" in client.post("/help-now/").content.decode()


def test_sos_without_a_ladder_says_so_and_points_to_the_ladder(riley, client_for):
    page = client_for(riley).get("/alerts/sos/").content.decode()
    assert "nobody on your crisis ladder" in page and "/alerts/ladder/" in page


def test_a_message_that_is_too_long_is_refused_with_a_message(riley, sam_tie, client_for):
    ladder(riley, sam_tie)
    response = client_for(riley).post("/alerts/sos/", {"message": "x" * 501})
    assert response.status_code == 400 and "at most 500 characters" in response.content.decode()
    assert not Alert.objects.exists()
    body = api(client_for(riley), "post", "/api/v1/alerts/sos", {"message": "x" * 501})
    assert body.status_code == 400 and "message" in body.json()["errors"]


def test_api_sos_201_then_200_while_open(riley, sam_tie, client_for):
    ladder(riley, sam_tie)
    client = client_for(riley)
    first = api(client, "post", "/api/v1/alerts/sos", {"message": "hi"})
    again = api(client, "post", "/api/v1/alerts/sos", {})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["crisis_resources"]
    closed = api(client, "post", f"/api/v1/alerts/{first.json()['id']}/close")
    assert closed.json()["status"] == AlertStatus.CLOSED


def test_the_member_calls_it_off(riley, sam_tie, client_for, mailoutbox):
    ladder(riley, sam_tie)
    client = client_for(riley)
    client.post("/alerts/sos/", {})
    alert = Alert.objects.get()
    client.post(f"/alerts/{alert.pk}/close/")
    delivery.work_due("test")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED and alert.closed_by_member and mailoutbox == []


def test_ladder_page_add_move_window_remove(riley, sam, jamie, client_for):
    sam_tie, jamie_tie = askable(riley, sam), make_tie(riley, "Jamie", "peer_mentor")
    client = client_for(riley)
    assert "Nobody is on your crisis ladder yet" in client.get("/alerts/ladder/").content.decode()
    client.post("/alerts/ladder/add/", {"tie": sam_tie.pk, "step": 0, "channels": ["email", "in_app"]})
    client.post("/alerts/ladder/add/", {"tie": jamie_tie.pk, "step": 1, "channels": ["sms"]})
    page = client.get("/alerts/ladder/").content.decode()
    assert "can be asked" in page and "cannot be asked yet" in page  # Jamie never joined
    client.post("/alerts/ladder/1/up/")
    client.post("/alerts/ladder/0/window/", {"window_minutes": 5})
    rungs = list(Rung.objects.filter(member=riley).prefetch_related("people"))
    assert [[p.tie_id for p in r.people.all()] for r in rungs] == [[jamie_tie.pk], [sam_tie.pk]]
    assert rungs[0].window_minutes == 5
    client.post(f"/alerts/ladder/0/{jamie_tie.pk}/remove/")
    assert [r.people.get().tie_id for r in Rung.objects.filter(member=riley)] == [sam_tie.pk]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"tie": "x", "step": 0, "channels": ["email"]},
        {"tie": 1, "step": 9, "channels": ["email"]},
        {"step": 0, "channels": ["pigeon"]},
        {"step": 0, "channels": ["webhook"]},
        {"step": 0, "channels": ["email"], "quiet_from": "22:00"},
    ],
)
def test_bad_ladder_input_is_400_with_a_message_and_keeps_the_ladder(riley, sam_tie, client_for, data):
    ladder(riley, sam_tie)
    data = {"tie": sam_tie.pk, **data} if "tie" not in data and data else data
    response = client_for(riley).post("/alerts/ladder/add/", data)
    assert response.status_code == 400
    assert (
        "Please correct the fields marked below." in response.content.decode() or response.context["messages"]
    )
    assert Rung.objects.filter(member=riley).count() == 1


def test_someone_elses_tie_cannot_go_on_the_ladder(riley, mallory, client_for):
    theirs = make_tie(mallory, "Robin", "friend")
    response = client_for(riley).post(
        "/alerts/ladder/add/", {"tie": theirs.pk, "step": 0, "channels": ["email"]}
    )
    assert response.status_code == 400 and not Rung.objects.exists()
    body = api(
        client_for(riley),
        "put",
        "/api/v1/alerts/ladder",
        {"steps": [{"people": [{"tie_id": theirs.pk, "channels": ["email"]}]}]},
    )
    assert (
        body.status_code == 400
        and "steps.0.people.0.tie_id" in body.json()["errors"]
        or "rungs.0.people.0.tie_id" in body.json()["errors"]
    )


def test_suggested_ladder_from_the_inner_circle(riley, sam, client_for):
    sam_tie = askable(riley, sam)
    sam_tie.circle = "inner"
    sam_tie.save()
    make_tie(riley, "Mum", "parent", circle="inner")
    make_tie(riley, "Pat", "neighbour", circle="outer")
    client = client_for(riley)
    suggested = client.get("/api/v1/alerts/ladder/suggested").json()["steps"]
    assert [[p["name"] for p in s["people"]] for s in suggested] == [["Sam"], ["Mum"]]
    assert suggested[0]["people"][0]["can_be_asked"] is True
    assert client.get("/api/v1/alerts/ladder").json() == {"steps": []}  # only suggested, not saved
    client.post("/alerts/ladder/suggested/")
    assert Rung.objects.filter(member=riley).count() == 2


def test_api_ladder_round_trip_and_webhook_secret(riley, sam_tie, client_for):
    client = client_for(riley)
    body = {
        "steps": [
            {
                "window_minutes": 15,
                "people": [
                    {
                        "tie_id": sam_tie.pk,
                        "channels": ["webhook", "email"],
                        "quiet_from": "22:00",
                        "quiet_until": "07:00",
                        "webhook_url": "https://hooks.example.org/circles",
                    }
                ],
            }
        ]
    }
    saved = api(client, "put", "/api/v1/alerts/ladder", body).json()
    person = saved["steps"][0]["people"][0]
    assert person["channels"] == ["email", "webhook"] and person["quiet_from"] == "22:00:00"
    secret = person["webhook_secret"]
    assert len(secret) >= 40
    again = api(client, "put", "/api/v1/alerts/ladder", body).json()
    assert again["steps"][0]["people"][0]["webhook_secret"] == secret  # kept while the address stays


@pytest.mark.parametrize(
    "change", [{"craving_level": 4}, {"craving_days": 8}, {"disengaged_days": 3}, {"low_mood_level": 9}]
)
def test_thresholds_outside_the_safe_bounds_are_refused(riley, client_for, change):
    client = client_for(riley)
    rules = client.get("/api/v1/alerts/rules").json()
    rules.pop("bounds")
    response = api(client, "put", "/api/v1/alerts/rules", {**rules, **change})
    assert response.status_code == 400 and set(change) <= set(response.json()["errors"])
    page = client.post("/alerts/rules/", {**rules, **change})
    assert page.status_code == 400
    assert not AlertSettings.objects.exists()


def test_rules_page_saves_within_bounds(riley, client_for):
    client = client_for(riley)
    data = {f.field: f.default for f in logic.THRESHOLDS} | {"craving_on": "on", "craving_level": 9}
    assert client.post("/alerts/rules/", data).status_code == 302
    saved = AlertSettings.objects.get(member=riley)
    assert saved.craving_level == 9 and saved.craving_on and not saved.low_mood_on


def test_answer_link_asks_before_it_answers(riley, sam_tie, client_for, client):
    ladder(riley, sam_tie)
    client_for(riley).post("/alerts/sos/", {})
    alert = Alert.objects.get()
    note = alert.notifications.get(channel="email")
    url = f"/alerts/answer/{answer_token(note.pk)}/"
    page = client.get(url)
    assert page.status_code == 200 and "I'm reaching out" in page.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACTIVE  # a mail scanner opening the link answers nothing
    assert "Thank you" in client.post(url).content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ANSWERED and alert.answer_names == ["Sam"]
    assert "already told Riley" in client.get(url).content.decode()
    client_for(riley).post(f"/alerts/{alert.pk}/close/")
    assert "has closed this alert" in client.post(url).content.decode()


def test_bad_and_expired_answer_links(riley, sam_tie, client):
    ladder(riley, sam_tie)
    from circles.alerts.actions import do_raise_sos

    alert, _ = do_raise_sos(riley, acting_user=riley)
    note = alert.notifications.first()
    assert client.get("/alerts/answer/nonsense/").status_code == 400
    assert client.get(f"/alerts/answer/{signing.dumps(note.pk)}/").status_code == 400  # other purpose
    assert client.get(f"/alerts/answer/{answer_token(10**12)}/").status_code == 404
    token = answer_token(note.pk)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        assert client.get(f"/alerts/answer/{token}/").status_code == 410
        assert api(client, "post", "/api/v1/alerts/answer", {"token": token}).status_code == 410
    response = api(client, "post", "/api/v1/alerts/answer", {"token": token})
    assert response.json() == {"member_name": "Riley", "recorded": True, "status": "answered"}
