"""GET /api/v1/alerts/{id} reports what the member's alert page shows when sending is delayed.

The rule (logic.sending_is_delayed, with ALERT_DELAYED_SECONDS) and the direct contacts
(delay.direct_contacts: the details the member saved on their own ties, in ladder order) are the
page's, from one place; these tests hold the API to the page.
"""

import datetime as dt

import pytest
import time_machine

from circles.alerts import delivery, logic
from circles.alerts.actions import do_raise_sos
from circles.alerts.models import NotificationStatus
from circles.alerts.tests.factories import askable, ladder
from circles.network.actions import do_change_tie_status
from circles.network.models import Tie, TieStatus

START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
SAM = {
    "name": "Sam",
    "phone": "+1 (555) 010-0199",
    "call_href": "tel:+15550100199",
    "text_href": "sms:+15550100199",
    "email": "sam.home@example.net",
    "email_href": "mailto:sam.home@example.net",
}
JAMIE = {
    "name": "Jamie",
    "phone": "0044 20 7946 0000",
    "call_href": "tel:+442079460000",
    "text_href": "sms:+442079460000",
    "email": "",
    "email_href": "",
}


def _details(tie, phone="", email=""):
    Tie.objects.filter(pk=tie.pk).update(phone=phone, email=email)


@pytest.fixture
def sam_tie(riley, sam):
    tie = askable(riley, sam)
    _details(tie, phone=SAM["phone"], email=SAM["email"])
    return tie


@pytest.fixture
def jamie_tie(riley, jamie):
    tie = askable(riley, jamie, name="Jamie", relationship="friend")
    _details(tie, phone=JAMIE["phone"])
    return tie


@pytest.fixture
def sos(riley, sam_tie, jamie_tie):
    """An SOS raised at START whose emails no worker has sent; Jamie is on step 2, not asked yet."""
    ladder(riley, sam_tie, jamie_tie)
    with time_machine.travel(START, tick=False):
        alert, _ = do_raise_sos(riley, acting_user=riley)
    return alert


def get(client, alert, seconds_later: float, url: str = "/api/v1/alerts/{id}"):
    with time_machine.travel(START + dt.timedelta(seconds=seconds_later), tick=False):
        response = client.get(url.format(id=alert.pk))
    assert response.status_code == 200, response.content
    return response


def without_ids(contacts: list[dict]) -> list[dict]:
    return [{key: value for key, value in contact.items() if key != "tie_id"} for contact in contacts]


def test_a_delayed_alert_says_so_with_the_ladder_in_order(riley, sos, sam_tie, jamie_tie, client_for):
    body = get(client_for(riley), sos, 61).json()
    assert body["sending_delayed"] is True
    assert without_ids(body["direct_contacts"]) == [SAM, JAMIE]
    assert [c["tie_id"] for c in body["direct_contacts"]] == [sam_tie.pk, jamie_tie.pk]
    assert body["crisis_resources"]  # beside the crisis resources, as on the page


def test_a_fresh_alert_is_not_delayed_and_offers_no_direct_contacts(riley, sos, client_for, settings):
    settings.ALERT_DELAYED_SECONDS = 60
    client = client_for(riley)
    body = get(client, sos, 59).json()
    assert body["sending_delayed"] is False and body["direct_contacts"] == []
    assert get(client, sos, 60).json()["sending_delayed"] is True  # the page's threshold, to the second


def test_the_threshold_is_the_pages_setting(riley, sos, client_for, settings):
    settings.ALERT_DELAYED_SECONDS = 300
    client = client_for(riley)
    assert get(client, sos, 120).json()["sending_delayed"] is False
    assert get(client, sos, 300).json()["sending_delayed"] is True


def test_the_api_and_the_page_agree(riley, sos, client_for):
    client = client_for(riley)
    for seconds in (10, 61):
        body = get(client, sos, seconds).json()
        html = get(client, sos, seconds, "/alerts/{id}/status/").content.decode()
        assert body["sending_delayed"] == ("Sending is delayed" in html)
        for contact in body["direct_contacts"]:
            for key in ("call_href", "text_href", "email_href"):
                assert not contact[key] or f'href="{contact[key]}"' in html


def test_not_delayed_once_the_messages_went_out(riley, sos, client_for, mailoutbox):
    with time_machine.travel(START + dt.timedelta(seconds=1), tick=False):
        delivery.work_due("test-worker")
    assert len(mailoutbox) == 1
    body = get(client_for(riley), sos, 600).json()
    assert body["sending_delayed"] is False and body["direct_contacts"] == []


def test_not_delayed_once_called_off(riley, sos, client_for):
    client = client_for(riley)
    with time_machine.travel(START + dt.timedelta(seconds=70), tick=False):
        assert client.post(f"/api/v1/alerts/{sos.pk}/close").status_code == 200
    assert get(client, sos, 80).json()["sending_delayed"] is False


def test_only_details_the_member_saved_on_their_own_ties(riley, sam, sos, client_for):
    text = get(client_for(riley), sos, 61).content.decode()
    assert sam.email not in text  # the supporter's account address is not the member's to see


def test_someone_without_details_is_listed_with_nothing_to_dial(riley, sam_tie, jamie_tie, client_for):
    Tie.objects.filter(pk=jamie_tie.pk).update(phone="ask at the front desk", email="")
    ladder(riley, sam_tie, jamie_tie)
    with time_machine.travel(START, tick=False):
        alert, _ = do_raise_sos(riley, acting_user=riley)
    jamie = get(client_for(riley), alert, 61).json()["direct_contacts"][1]
    assert jamie == {
        "tie_id": jamie_tie.pk,
        "name": "Jamie",
        "phone": "",
        "call_href": "",
        "text_href": "",
        "email": "",
        "email_href": "",
    }


def test_a_tie_ended_since_the_ladder_was_set_is_left_out(riley, sos, jamie_tie, client_for):
    do_change_tie_status(jamie_tie, TieStatus.ENDED, acting_user=riley)
    body = get(client_for(riley), sos, 61).json()
    assert [c["name"] for c in body["direct_contacts"]] == ["Sam"]


def test_another_members_ties_never_appear(riley, sos, mallory, sam, client_for):
    mallory_sam = askable(mallory, sam)
    _details(mallory_sam, phone="+1 555 777 0000", email="mallory.sam@example.net")
    ladder(mallory, mallory_sam)
    text = get(client_for(riley), sos, 61).content.decode()
    assert "15557770000" not in text and "mallory.sam@example.net" not in text
    with time_machine.travel(START + dt.timedelta(seconds=61), tick=False):
        assert client_for(mallory).get(f"/api/v1/alerts/{sos.pk}").status_code == 404


def test_the_delay_costs_two_queries_and_only_when_delayed(riley, sos, client_for, django_assert_num_queries):
    client = client_for(riley)
    get(client, sos, 0, "/api/v1/alerts")  # sessions and the like settle first
    # Session, user, roles, second factor; the alert, its notifications, its answers; who is asked next:
    # the step's timer, the ladder's later steps with their people, and whether they may be asked.
    with django_assert_num_queries(10):
        assert get(client, sos, 10).json()["sending_delayed"] is False
    with django_assert_num_queries(12):  # and the ladder's ties, then their details
        assert get(client, sos, 61).json()["sending_delayed"] is True


def test_an_sos_answer_carries_the_fields_too(riley, sam_tie, client_for):
    ladder(riley, sam_tie)
    response = client_for(riley).post("/api/v1/alerts/sos", {}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["sending_delayed"] is False and response.json()["direct_contacts"] == []


def test_the_openapi_document_describes_them(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    detail = schemas["AlertDetailOut"]
    assert {"sending_delayed", "direct_contacts"} <= set(detail["required"])
    assert set(schemas["DirectContactOut"]["properties"]) == {"tie_id", *SAM}


def test_an_alert_whose_every_message_failed_for_good_offers_the_ladder_at_once(riley, sos, client_for):
    """Nothing is waiting any more, but nobody was reached: the member is not left to wait for nothing."""
    sos.notifications.update(status=NotificationStatus.DEAD, last_error="refused")
    body = get(client_for(riley), sos, 5).json()
    assert body["sending_delayed"] is True
    assert [c["name"] for c in body["direct_contacts"]] == ["Sam", "Jamie"]


def test_one_message_delivered_is_not_a_delay_even_if_another_failed(riley, sos, client_for):
    first, *rest = list(sos.notifications.order_by("id"))
    sos.notifications.filter(pk=first.pk).update(status=NotificationStatus.SENT)
    sos.notifications.exclude(pk=first.pk).update(status=NotificationStatus.DEAD)
    body = get(client_for(riley), sos, 5).json()
    assert body["sending_delayed"] is False and body["direct_contacts"] == []


# --- The rule and the links, as plain functions ----------------------------------------------------


@pytest.mark.parametrize(
    ("still_asking", "waited", "expected"),
    [
        (True, [59], False),
        (True, [60], True),
        (True, [5, 90], True),
        (True, [], False),  # nothing waiting to be sent (answered, sent, or in the app only)
        (False, [600], False),  # answered or closed: nothing to warn about
    ],
)
def test_sending_is_delayed(still_asking, waited, expected):
    pending_since = [START - dt.timedelta(seconds=seconds) for seconds in waited]
    assert logic.sending_is_delayed(still_asking, pending_since, START, after_seconds=60) is expected


@pytest.mark.parametrize(
    ("phone", "email", "call", "mail"),
    [
        ("+1 (555) 010-0199", "", "tel:+15550100199", ""),
        ("0044 20 7946 0000", "", "tel:+442079460000", ""),
        ("555-0100 ", "jo+home@example.net", "tel:5550100", "mailto:jo+home@example.net"),
        ("none", "a b@example.net", "", "mailto:a%20b@example.net"),
    ],
)
def test_direct_contact_links(phone, email, call, mail):
    contact = logic.direct_contact(7, "Jo", phone, email)
    assert contact.call_href == call and contact.text_href == call.replace("tel:", "sms:")
    assert contact.email_href == mail and contact.email == email
    assert contact.phone == (phone.strip() if call else "")
