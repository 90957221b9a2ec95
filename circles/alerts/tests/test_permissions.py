"""Permission grid: only the member and the people an alert asked see it, through pages and the API.

A person on a later step who was not asked yet, a linked supporter whose consent does not let them be
asked, and everyone else (casey, olivia, mallory) get 404 for every route, and a refused row is
written to the audit trail; the signed-out get the log-in page or a 401.
"""

import pytest

from circles.alerts import delivery
from circles.alerts.actions import do_raise_sos
from circles.alerts.models import AlertStatus
from circles.alerts.tests.factories import askable, ladder
from circles.audit.models import AuditEvent
from circles.network.tests.test_permissions import call
from circles.sharing.actions import do_revoke_consent


@pytest.fixture
def alert(riley, sam, jamie):
    first = askable(riley, sam, scopes=("alerts", "mood"))
    second = askable(riley, jamie, name="Jamie", relationship="peer_mentor")
    ladder(riley, first, second)
    raised, _ = do_raise_sos(riley, message="Rough night, can someone call?", acting_user=riley)
    delivery.work_due("test")
    return raised


def member_routes(alert):
    return [
        ("get", f"/alerts/{alert.pk}/", None),
        ("get", f"/alerts/{alert.pk}/status/", None),
        ("get", f"/alerts/{alert.pk}/progress/", None),
        ("post", f"/alerts/{alert.pk}/close/", {}),
        ("get", f"/api/v1/alerts/{alert.pk}", None),
        ("post", f"/api/v1/alerts/{alert.pk}/close", {}),
    ]


def recipient_routes(alert):
    return [
        ("get", f"/alerts/asked/{alert.pk}/", None),
        ("post", f"/alerts/asked/{alert.pk}/answer/", {}),
        ("get", f"/api/v1/supporting/alerts/{alert.pk}", None),
        ("post", f"/api/v1/supporting/alerts/{alert.pk}/answer", {}),
    ]


def test_the_member_sees_everything_of_her_alert(riley, alert, client_for):
    client = client_for(riley)
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Rough night" in page and "Asking Sam by email and in Circles now." in page
    body = client.get(f"/api/v1/alerts/{alert.pk}").json()
    assert body["status"] == "active" and {a["name"] for a in body["asked"]} == {"Sam"}
    assert [a["id"] for a in client.get("/api/v1/alerts").json()] == [alert.pk]
    for method, url, data in recipient_routes(alert):
        assert call(client, method, url, data).status_code == 404, url


def test_the_person_asked_sees_the_alert_and_its_message_but_not_the_members_pages(
    riley, sam, alert, client_for
):
    client = client_for(sam)
    page = client.get(f"/alerts/asked/{alert.pk}/").content.decode()
    assert "Riley could use support now" in page and "Rough night" in page
    assert "check-in" not in page.lower()
    assert [a["id"] for a in client.get("/api/v1/supporting/alerts").json()] == [alert.pk]
    assert "Riley could use support now" in client.get("/supporting/").content.decode()
    for method, url, data in member_routes(alert):
        assert call(client, method, url, data).status_code == 404, url
    answered = client.post(f"/api/v1/supporting/alerts/{alert.pk}/answer").json()
    assert answered["i_answered"] and [a["name"] for a in answered["answers"]] == ["Sam"]
    assert AuditEvent.objects.filter(actor=sam, subject=riley, action="alert.view").exists()


@pytest.mark.parametrize("persona", ["jamie", "casey", "olivia", "mallory"])
def test_nobody_else_sees_it(personas, jamie, alert, client_for, persona):
    people = {**personas, "jamie": jamie}
    client = client_for(people[persona])
    for method, url, data in member_routes(alert) + recipient_routes(alert):
        response = call(client, method, url, data)
        assert response.status_code == 404, (persona, url, response.status_code)
    assert client.get("/api/v1/supporting/alerts").json() == []
    assert "could use support" not in client.get("/supporting/").content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACTIVE and not alert.acknowledgements.exists()
    refused = AuditEvent.objects.filter(actor=people[persona], subject=alert.member, outcome="denied")
    assert refused.count() >= len(member_routes(alert) + recipient_routes(alert))


def test_signed_out_gets_the_login_page_or_401(alert, client):
    for method, url, data in member_routes(alert) + recipient_routes(alert):
        response = call(client, method, url, data)
        assert response.status_code == (401 if url.startswith("/api/") else 302), url


def test_revoking_consent_hides_the_alert_from_the_person_asked_at_once(riley, sam, alert, client_for):
    tie = riley.ties.get(display_name="Sam")
    do_revoke_consent(tie, acting_user=riley)
    client = client_for(sam)
    assert client.get(f"/alerts/asked/{alert.pk}/").status_code == 404
    assert client.get("/api/v1/supporting/alerts").json() == []


def test_the_reason_shows_only_when_the_consent_covers_what_the_rule_read(riley, sam, jamie, client_for):
    from circles.alerts import logic
    from circles.alerts.outbox import raise_alert

    first = askable(riley, sam, scopes=("alerts", "mood"))
    second = askable(riley, jamie, name="Jamie", scopes=("alerts",))
    ladder(riley, (first, second))
    craving, _ = raise_alert(riley, logic.CRAVING, facts={"level": 8, "days": 3})
    reason = "Craving at 8 or more out of 10 on 3 check-ins in a row."
    assert reason in client_for(sam).get(f"/alerts/asked/{craving.pk}/").content.decode()
    assert reason not in client_for(jamie).get(f"/alerts/asked/{craving.pk}/").content.decode()
    assert client_for(jamie).get(f"/api/v1/supporting/alerts/{craving.pk}").json()["reason"] is None


def test_the_members_access_history_names_each_alert_disclosure(riley, sam, alert, client_for):
    client_for(sam).get(f"/alerts/asked/{alert.pk}/")
    page = client_for(riley).get("/sharing/access/").content.decode()
    assert "Circles, for your crisis ladder" in page and "Circles asked them for support for you" in page
    assert "An alert of yours that asked them" in page
