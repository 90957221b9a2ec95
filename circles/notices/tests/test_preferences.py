"""The reminders page at /accounts/reminders/, its API twin, and the one-click unsubscribe link."""

import datetime as dt
import json

from circles.network.tests.factories import make_commitment, make_tie
from circles.notices.models import CommitmentStart, ReminderPreferences
from circles.notices.sending import unsubscribe_token
from circles.notices.tests.factories import prefer

EVERYTHING_OFF = {
    "checkin_at": "20:00",
    "checkin_channel": "email",
    "questionnaire_at": "10:00",
    "questionnaire_channel": "email",
    "encouragement_channel": "email",
    "commitment_lead_minutes": "60",
    "commitment_channel": "email",
    "invitation_channel": "email",
}


def api_body(**changes):
    body = {
        "checkin_on": False,
        "checkin_at": "20:00",
        "checkin_channel": "email",
        "questionnaire_on": False,
        "questionnaire_at": "10:00",
        "questionnaire_channel": "email",
        "encouragement_on": False,
        "encouragement_channel": "email",
        "commitment_on": False,
        "commitment_lead_minutes": 60,
        "commitment_channel": "email",
        "invitation_on": False,
        "invitation_channel": "email",
        "quiet_from": None,
        "quiet_until": None,
    }
    return {**body, **changes}


def put(client, body):
    return client.put("/api/v1/reminders/preferences", data=json.dumps(body), content_type="application/json")


def test_everything_is_off_until_turned_on(riley, client_for):
    page = client_for(riley).get("/accounts/reminders/")
    assert page.status_code == 200
    form = page.context["form"]
    assert not any(form.initial[f"{kind}_on"] for kind in ("checkin", "questionnaire", "encouragement"))
    body = client_for(riley).get("/api/v1/reminders/preferences").json()
    assert body["checkin_on"] is False and body["checkin_at"] == "20:00:00"


def test_the_settings_page_links_to_reminders(riley, client_for):
    assert 'href="/accounts/reminders/"' in client_for(riley).get("/accounts/settings/").content.decode()


def test_the_page_saves_a_daily_checkin_reminder_and_a_commitment_start(riley, client_for):
    commitment = make_commitment(riley, make_tie(riley, "Group"), "Tuesday group")
    data = {
        **EVERYTHING_OFF,
        "checkin_on": "on",
        "checkin_at": "20:30",
        "checkin_channel": "push_else_email",
        "quiet_from": "22:00",
        "quiet_until": "07:00",
        f"commitment_start_{commitment.pk}": "19:00",
    }
    response = client_for(riley).post("/accounts/reminders/", data)
    assert response.status_code == 302 and response["Location"] == "/accounts/reminders/"
    saved = ReminderPreferences.objects.get(person=riley)
    assert (saved.checkin_on, saved.checkin_at, saved.checkin_channel) == (
        True,
        dt.time(20, 30),
        "push_else_email",
    )
    assert (saved.quiet_from, saved.quiet_until) == (dt.time(22, 0), dt.time(7, 0))
    assert CommitmentStart.objects.get(commitment=commitment).starts_at == dt.time(19, 0)
    page = client_for(riley).get("/accounts/reminders/").content.decode()
    assert 'value="19:00"' in page and "Tuesday group starts at" in page


def test_the_page_refuses_bad_input_with_a_message(riley, client_for):
    client = client_for(riley)
    half_quiet = client.post("/accounts/reminders/", {**EVERYTHING_OFF, "quiet_from": "22:00"})
    assert half_quiet.status_code == 400
    assert "Give both the start and the end of your quiet hours" in half_quiet.content.decode()
    bad_time = client.post(
        "/accounts/reminders/", {**EVERYTHING_OFF, "checkin_on": "on", "checkin_at": "25:00"}
    )
    assert bad_time.status_code == 400 and "Enter a valid time." in bad_time.content.decode()
    in_quiet = client.post(
        "/accounts/reminders/",
        {
            **EVERYTHING_OFF,
            "checkin_on": "on",
            "checkin_at": "23:00",
            "quiet_from": "22:00",
            "quiet_until": "07:00",
        },
    )
    assert in_quiet.status_code == 400 and "in your quiet hours" in in_quiet.content.decode()
    lead = client.post("/accounts/reminders/", {**EVERYTHING_OFF, "commitment_lead_minutes": "2000"})
    assert lead.status_code == 400
    assert not ReminderPreferences.objects.filter(person=riley).exists()


def test_the_api_reads_and_replaces_the_preferences(riley, client_for):
    client = client_for(riley)
    commitment = make_commitment(riley, make_tie(riley, "Group"), "Tuesday group")
    response = put(
        client,
        api_body(
            encouragement_on=True,
            encouragement_channel="push",
            commitment_starts=[{"commitment_id": commitment.pk, "starts_at": "18:45"}],
        ),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["encouragement_on"] is True and body["encouragement_channel"] == "push"
    assert body["commitment_starts"] == [
        {"commitment_id": commitment.pk, "title": "Tuesday group", "starts_at": "18:45:00"}
    ]
    assert client.get("/api/v1/reminders/preferences").json() == body
    # Left out, the start times stay; null removes one.
    assert put(client, api_body()).json()["commitment_starts"][0]["starts_at"] == "18:45:00"
    cleared = put(client, api_body(commitment_starts=[{"commitment_id": commitment.pk, "starts_at": None}]))
    assert cleared.json()["commitment_starts"][0]["starts_at"] is None


def test_the_api_refuses_bad_input_with_a_message(riley, mallory, client_for):
    client = client_for(riley)
    bad_time = put(client, api_body(checkin_at="25:00"))
    assert bad_time.status_code == 400
    assert bad_time.json()["message"] and "checkin_at" in bad_time.json()["errors"]
    channel = put(client, api_body(checkin_channel="carrier pigeon"))
    assert channel.status_code == 400 and "checkin_channel" in channel.json()["errors"]
    half_quiet = put(client, api_body(quiet_from="22:00"))
    assert half_quiet.status_code == 400 and "quiet_until" in half_quiet.json()["errors"]
    lead = put(client, api_body(commitment_lead_minutes=1))
    assert lead.status_code == 400 and "commitment_lead_minutes" in lead.json()["errors"]
    theirs = make_commitment(mallory, make_tie(mallory, "Group"))
    other = put(client, api_body(commitment_starts=[{"commitment_id": theirs.pk, "starts_at": "18:00"}]))
    assert other.status_code == 400 and "commitment_starts" in other.json()["errors"]
    assert not CommitmentStart.objects.exists()
    assert not ReminderPreferences.objects.filter(person=riley).exists()


def test_unsubscribe_by_post_needs_no_session_or_csrf_and_is_idempotent(riley, client):
    prefer(riley, checkin_on=True, encouragement_on=True)
    url = f"/notices/unsubscribe/{unsubscribe_token(riley.pk, 'checkin')}/"
    client.handler.enforce_csrf_checks = True
    for _attempt in range(2):
        response = client.post(url, {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        assert "You will no longer get daily check-in reminders." in response.content.decode()
    saved = ReminderPreferences.objects.get(person=riley)
    assert (saved.checkin_on, saved.encouragement_on) == (False, True)


def test_unsubscribe_by_get_only_asks(riley, client):
    prefer(riley, checkin_on=True)
    url = f"/notices/unsubscribe/{unsubscribe_token(riley.pk, 'checkin')}/"
    page = client.get(url)
    assert page.status_code == 200
    assert '<form method="post">' in page.content.decode()
    assert ReminderPreferences.objects.get(person=riley).checkin_on is True


def test_a_tampered_unsubscribe_link_gets_a_clear_400(riley, client):
    prefer(riley, checkin_on=True)
    token = unsubscribe_token(riley.pk, "checkin")
    for bad in (token[:-2] + "xx", "nonsense", unsubscribe_token(riley.pk, "checkin").replace("e", "f", 1)):
        for method in ("get", "post"):
            response = getattr(client, method)(f"/notices/unsubscribe/{bad}/")
            assert response.status_code == 400, (bad, method)
            assert "This link does not work" in response.content.decode()
    assert ReminderPreferences.objects.get(person=riley).checkin_on is True


def test_the_export_holds_the_preferences_and_the_notices_sent(riley):
    from circles.notices.models import SentNotice
    from circles.records.export import export_json

    prefer(riley, checkin_on=True, quiet_from=dt.time(22, 0), quiet_until=dt.time(7, 0))
    commitment = make_commitment(riley, make_tie(riley, "Group"))
    CommitmentStart.objects.create(commitment=commitment, starts_at=dt.time(19, 0))
    SentNotice.objects.create(person=riley, kind="checkin", occurrence="2026-06-10", status="sent")
    document = json.loads(json.dumps(export_json(riley), default=str))
    (preferences,) = document["reminder_preferences"]
    assert preferences["checkin_on"] is True and preferences["quiet_from"] == "22:00:00"
    assert document["commitment_start_times"] == [{"commitment_id": commitment.pk, "starts_at": "19:00:00"}]
    assert document["notices_sent"][0]["occurrence"] == "2026-06-10"
