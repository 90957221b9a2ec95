"""After a hard check-in the saved page offers support at once: SOS, the inner circle, crisis lines."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circles.checkins import logic
from circles.network.tests.factories import make_tie

ORDINARY = {"mood": "6", "craving": "2", "stress": "4", "sleep_quality": "3"}
HARD = {
    "mood": "3",
    "craving": "9",
    "stress": "9",
    "sleep_quality": "2",
    "used": "on",
    "substance": "alcohol",
}

HARD_PAGE_QUERIES = 13  # the ordinary page (12) and one for the inner circle


def offer(page: str) -> str:
    """The support offer's section of the page ("" when there is none)."""
    if 'id="support-heading"' not in page:
        return ""
    return page.split('id="support-heading"')[1].split("</section>")[0]


def answers(mood=6, craving=2, stress=4, used=False):
    return {"mood": mood, "craving": craving, "stress": stress, "used": used}


@pytest.mark.parametrize(
    ("values", "hard"),
    [
        (answers(), False),
        (answers(mood=4), False),
        (answers(mood=3), True),
        (answers(mood=0), True),
        (answers(craving=7), False),
        (answers(craving=8), True),
        (answers(craving=10), True),
        (answers(stress=7), False),
        (answers(stress=8), True),
        (answers(used=True), True),
        (answers(mood=10, craving=0, stress=0), False),
    ],
)
def test_a_check_in_is_hard_at_each_threshold_and_not_one_step_before(values, hard):
    assert bool(logic.hard_checkin_reasons(values)) is hard


def test_every_reason_is_given_in_plain_words():
    reasons = logic.hard_checkin_reasons(answers(mood=3, craving=9, stress=9, used=True))
    assert reasons == [
        "Your mood is low (3 out of 10).",
        "Your craving is strong (9 out of 10).",
        "Your stress is high (9 out of 10).",
        "You noted a return to use.",
    ]


def test_the_thresholds_are_data():
    stricter = (("craving", "at_least", 10, "Craving at %(value)s."),)
    assert logic.hard_checkin_reasons(answers(craving=9), signs=stricter) == []
    assert logic.hard_checkin_reasons(answers(craving=10), signs=stricter) == ["Craving at 10."]
    assert logic.hard_checkin_reasons({"mood": None, "used": False}) == []


def test_a_hard_check_in_offers_sos_the_inner_circle_and_crisis_lines(riley, client_for):
    make_tie(riley, "Sam", circle="inner", phone="+1 (555) 010-0199", email="sam@example.org")
    make_tie(riley, "Jo", circle="inner", email="jo+r@example.org")
    make_tie(riley, "Pat", circle="middle", phone="555 0100")  # not in the inner circle
    make_tie(riley, "Lee", circle="inner")  # nothing saved to reach them by
    client = client_for(riley)
    response = client.post("/checkins/", HARD, follow=True)
    page = response.content.decode()
    assert 'action="/alerts/sos/"' in page and "csrfmiddlewaretoken" in page.split('action="/alerts/sos/"')[1]
    assert 'href="tel:+15550100199"' in page and 'href="sms:+15550100199"' in page
    assert 'href="mailto:sam@example.org"' in page and 'href="mailto:jo+r@example.org"' in page
    assert "Pat" not in offer(page) and "tel:5550100" not in page
    assert "Lee" in offer(page) and "You have not saved a phone number or email for them." in offer(page)
    assert "Your craving is strong (9 out of 10)." in page and "You noted a return to use." in page
    assert "Circles is not an emergency service" in page
    for word in ("failed", "relapse", "addict", "clean", "emergency!"):
        assert word not in page.lower()


def test_an_ordinary_check_in_offers_nothing_extra(riley, client_for):
    make_tie(riley, "Sam", circle="inner", phone="+1 555 010 0199")
    client = client_for(riley)
    page = client.post("/checkins/", ORDINARY, follow=True).content.decode()
    assert "Check-in saved" in page
    assert "/alerts/sos/" not in page and "tel:" not in page and "It sounds like today is hard" not in page


def test_the_links_come_only_from_the_members_own_ties(riley, mallory, client_for):
    make_tie(mallory, "Mallory's friend", circle="inner", phone="+44 20 7946 0000", email="m@example.org")
    make_tie(riley, "Sam", circle="inner", phone="+1 555 010 0199")
    page = client_for(riley).post("/checkins/", HARD, follow=True).content.decode()
    assert "tel:+15550100199" in page
    assert "Mallory" not in offer(page) and "442079460000" not in page and "m@example.org" not in page


def test_ended_and_paused_ties_are_not_offered(riley, client_for):
    from circles.network.models import Tie, TieStatus

    gone = make_tie(riley, "Gone", circle="inner", phone="+1 555 010 0101")
    resting = make_tie(riley, "Resting", circle="inner", phone="+1 555 010 0102")
    Tie.objects.filter(pk=gone.pk).update(status=TieStatus.ENDED)
    Tie.objects.filter(pk=resting.pk).update(status=TieStatus.PAUSED)
    page = client_for(riley).post("/checkins/", HARD, follow=True).content.decode()
    assert "It sounds like today is hard" in page
    assert "Gone" not in offer(page) and "Resting" not in offer(page) and "tel:" not in offer(page)
    assert "Nobody is in your inner circle yet." in page


def test_someone_close_with_no_number_is_listed_with_a_way_to_add_one(riley, client_for):
    """Leaving them out would hide the people closest to the member; listing them says what is missing."""
    tie = make_tie(riley, "Jordan", circle="inner")
    page = client_for(riley).post("/checkins/", HARD, follow=True).content.decode()
    assert "Jordan" in offer(page)
    assert "You have not saved a phone number or email for them." in offer(page)
    assert f"/network/ties/{tie.pk}/edit/" in offer(page)


def test_the_one_tap_sos_works_without_javascript(riley, client_for):
    from circles.alerts.models import Alert

    make_tie(riley, "Sam", circle="inner", phone="+1 555 010 0199")
    client = client_for(riley)
    client.post("/checkins/", HARD)
    page = client.get("/checkins/").content.decode()
    assert "<script" not in offer(page)
    form = offer(page).split('action="/alerts/sos/"')[1].split("</form>")[0]
    assert 'type="submit"' in form and "csrfmiddlewaretoken" in form
    # What the button sends: nothing but the form's token; one tap raises the SOS.
    response = client.post("/alerts/sos/", {})
    assert response.status_code == 302
    assert Alert.objects.filter(member=riley, kind="sos").count() == 1


@pytest.mark.parametrize("ties", [1, 12])
def test_the_saved_page_reads_a_fixed_number_of_queries(riley, client_for, ties):
    for n in range(ties):
        make_tie(riley, f"Person {n}", circle="inner", phone=f"+1 555 010 {n:04d}")
    client = client_for(riley)
    client.post("/checkins/", ORDINARY)
    with CaptureQueriesContext(connection) as ordinary:
        client.get("/checkins/")
    client.post("/checkins/", HARD)
    with CaptureQueriesContext(connection) as hard:
        page = client.get("/checkins/").content.decode()
    assert page.count("tel:+1555010") == ties
    # The offer adds one query, for the inner circle, however many people are in it.
    assert len(hard) == len(ordinary) + 1
    assert len(hard) == HARD_PAGE_QUERIES


def test_the_api_answer_says_why_a_check_in_is_hard(riley, client_for):
    client = client_for(riley)
    body = {"mood": 3, "craving": 9, "stress": 9, "sleep_quality": 2, "used": True}
    hard = client.post("/api/v1/checkins", data=json.dumps(body), content_type="application/json")
    assert hard.status_code == 201
    assert hard.json()["hard_day_reasons"] == [
        "Your mood is low (3 out of 10).",
        "Your craving is strong (9 out of 10).",
        "Your stress is high (9 out of 10).",
        "You noted a return to use.",
    ]
    ordinary = {"mood": 6, "craving": 2, "stress": 4, "used": False}
    changed = client.patch(
        f"/api/v1/checkins/{hard.json()['day']}", data=json.dumps(ordinary), content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["hard_day_reasons"] == []


def test_someone_saved_with_no_number_to_dial_gets_a_way_to_add_one(riley, client_for):
    kit = make_tie(riley, "Kit", circle="inner", phone="( )")
    page = client_for(riley).post("/checkins/", HARD, follow=True).content.decode()
    assert "Kit" in offer(page) and "tel:" not in offer(page)
    assert f'href="/network/ties/{kit.pk}/edit/"' in offer(page)
