"""The member's alert page when sending is delayed: a plain notice and direct ways to reach the ladder."""

import datetime as dt

import pytest
import time_machine

from circles.alerts import delivery, logic
from circles.alerts.actions import do_raise_sos
from circles.alerts.models import Notification, NotificationStatus
from circles.alerts.tests.factories import askable, ladder
from circles.network.actions import do_change_tie_status
from circles.network.models import Tie, TieStatus
from circles.network.tests.factories import make_tie

START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
NOTICE = "Sending is delayed"


def _details(tie, phone="", email=""):
    Tie.objects.filter(pk=tie.pk).update(phone=phone, email=email)


@pytest.fixture
def sam_tie(riley, sam):
    tie = askable(riley, sam)
    _details(tie, phone="+1 (555) 010-0199", email="sam.home@example.net")
    return tie


@pytest.fixture
def jamie_tie(riley, jamie):
    tie = askable(riley, jamie, name="Jamie", relationship="friend")
    _details(tie, phone="0044 20 7946 0000")
    return tie


@pytest.fixture
def sos(riley, sam_tie, jamie_tie):
    """An SOS raised at START whose emails no worker has sent."""
    ladder(riley, sam_tie, jamie_tie)
    with time_machine.travel(START, tick=False):
        alert, _ = do_raise_sos(riley, acting_user=riley)
    return alert


def page(client, alert, seconds_later: float, part: str = "") -> str:
    with time_machine.travel(START + dt.timedelta(seconds=seconds_later), tick=False):
        response = client.get(f"/alerts/{alert.pk}/{part}")
    assert response.status_code == 200
    return response.content.decode()


def test_a_message_waiting_past_the_threshold_shows_the_notice_and_direct_links(riley, sos, client_for):
    client = client_for(riley)
    for part in ("", "status/"):  # the page, and the part alert-status.js fetches again
        html = page(client, sos, 61, part)
        assert NOTICE in html
        assert 'href="tel:+15550100199"' in html and 'href="sms:+15550100199"' in html
        assert 'href="mailto:sam.home@example.net"' in html
        assert "Call Sam" in html and "Text Sam" in html and "Email Sam" in html
        # Jamie is on step 2, not asked yet; the member can still reach them directly.
        assert 'href="tel:+442079460000"' in html and "Call Jamie" in html
        assert "Email Jamie" not in html
    assert html.index("Call Sam") < html.index("Call Jamie")  # the ladder's order


def test_the_notice_sits_beside_the_crisis_resources(riley, sos, client_for):
    html = page(client_for(riley), sos, 61)
    assert "Help is available right now" in html and "988" in html
    assert html.index(NOTICE) < html.index("Help is available right now")


def test_a_fresh_message_shows_no_notice(riley, sos, client_for, settings):
    settings.ALERT_DELAYED_SECONDS = 60
    client = client_for(riley)
    html = page(client, sos, 59)
    assert NOTICE not in html and "tel:+15550100199" not in html
    assert NOTICE in page(client, sos, 60)  # exactly at the threshold it counts as delayed


def test_the_threshold_is_a_setting(riley, sos, client_for, settings):
    settings.ALERT_DELAYED_SECONDS = 300
    assert NOTICE not in page(client_for(riley), sos, 120)


def test_no_notice_once_the_messages_went_out(riley, sos, client_for, mailoutbox):
    with time_machine.travel(START + dt.timedelta(seconds=1), tick=False):
        delivery.work_due("test-worker")
    assert len(mailoutbox) == 1
    assert NOTICE not in page(client_for(riley), sos, 600)


def test_a_message_failing_again_and_again_is_delayed_too(riley, sos, client_for):
    Notification.objects.filter(alert=sos, channel=logic.EMAIL).update(
        attempts=3, last_error="connection refused", due_at=START + dt.timedelta(seconds=90)
    )
    html = page(client_for(riley), sos, 80)
    assert NOTICE in html and "Trying again (attempt 3)" in html


def test_no_notice_when_someone_answered_or_it_was_called_off(riley, sos, client_for):
    client = client_for(riley)
    with time_machine.travel(START + dt.timedelta(seconds=70), tick=False):
        assert client.post(f"/alerts/{sos.pk}/close/").status_code == 302
    assert not Notification.objects.filter(alert=sos, status=NotificationStatus.PENDING).exists()
    assert NOTICE not in page(client, sos, 80)


def test_no_notice_for_messages_that_need_no_sending(riley, sam_tie, client_for):
    ladder(riley, sam_tie, channels=(logic.IN_APP,))
    with time_machine.travel(START, tick=False):
        alert, _ = do_raise_sos(riley, acting_user=riley)
    assert NOTICE not in page(client_for(riley), alert, 600)


def test_only_details_the_member_saved_on_their_ties(riley, sam, sos, client_for):
    html = page(client_for(riley), sos, 61)
    assert sam.email not in html  # the supporter's account address is not the member's to see


def test_a_tie_ended_since_the_ladder_was_set_is_left_out(riley, sos, jamie_tie, client_for):
    do_change_tie_status(jamie_tie, TieStatus.ENDED, acting_user=riley)
    html = page(client_for(riley), sos, 61)
    assert NOTICE in html and "Call Sam" in html
    assert "Call Jamie" not in html and "+442079460000" not in html


def test_someone_without_details_gets_a_way_to_add_them(riley, sam_tie, client_for):
    ayo = make_tie(riley, "Ayo", "friend", circle="inner")
    ladder(riley, sam_tie, ayo)
    with time_machine.travel(START, tick=False):
        alert, _ = do_raise_sos(riley, acting_user=riley)
    html = page(client_for(riley), alert, 61)
    assert "You have not saved a phone number or email for them." in html
    assert f"/network/ties/{ayo.pk}/edit/" in html and "Call Ayo" not in html


def test_someone_asked_by_this_alert_but_since_taken_off_the_ladder_is_still_offered(
    riley, sos, jamie_tie, client_for
):
    ladder(riley, jamie_tie)  # Sam, asked at step 1, is no longer on the ladder
    html = page(client_for(riley), sos, 61)
    assert html.index("Call Jamie") < html.index("Call Sam")


def test_nothing_about_other_members_leaks(riley, sos, mallory, sam, client_for):
    # Mallory has her own "Sam" with other details, on her own ladder, and her own delayed SOS.
    mallory_sam = askable(mallory, sam)
    _details(mallory_sam, phone="+1 555 777 0000", email="mallory.sam@example.net")
    ladder(mallory, mallory_sam)
    with time_machine.travel(START, tick=False):
        mallory_alert, _ = do_raise_sos(mallory, acting_user=mallory)
    html = page(client_for(riley), sos, 61)
    assert "15557770000" not in html and "mallory.sam@example.net" not in html
    # And she cannot see riley's page, delayed or not (nor riley hers).
    with time_machine.travel(START + dt.timedelta(seconds=61), tick=False):
        assert client_for(mallory).get(f"/alerts/{sos.pk}/").status_code == 404
        assert client_for(mallory).get(f"/alerts/{sos.pk}/status/").status_code == 404
        assert client_for(riley).get(f"/alerts/{mallory_alert.pk}/").status_code == 404


def test_the_page_with_the_notice_has_a_bounded_number_of_queries(
    riley, sos, client_for, django_assert_max_num_queries
):
    client = client_for(riley)
    client.get("/alerts/")  # sessions and the like settle first
    # Three for who is asked next: the step's timer, the ladder's later steps with their people, consent.
    with django_assert_max_num_queries(10):
        assert NOTICE not in page(client, sos, 10, "status/")
    with django_assert_max_num_queries(12):  # two more: the ladder's ties, then their details
        assert NOTICE in page(client, sos, 61, "status/")


def test_the_notice_and_a_hard_check_in_list_people_with_the_one_shared_include(riley, sos, client_for):
    """The people with their Call, Text and Email buttons are one template, not two copies that drift."""
    client = client_for(riley)
    with time_machine.travel(START + dt.timedelta(seconds=61), tick=False):
        notice = client.get(f"/alerts/{sos.pk}/")
        hard = {"mood": "3", "craving": "9", "stress": "9", "sleep_quality": "2"}
        checkin = client.post("/checkins/", hard, follow=True)
    for response in (notice, checkin):
        assert "includes/contact_list.html" in [t.name for t in response.templates]
        assert "Call Sam" in response.content.decode()


def test_a_saved_number_no_phone_can_dial_gets_no_link_and_the_page_still_works(
    riley, sam_tie, sos, client_for
):
    # Saved before the one phone rule (or past it): Arabic-Indic digits are digits to Python only.
    _details(sam_tie, phone="\u0663\u0663\u0663", email="sam.home@example.net")
    html = page(client_for(riley), sos, 61)
    assert NOTICE in html
    assert "tel:\u0663" not in html and "sms:\u0663" not in html
    assert "Call Sam" not in html and "Text Sam" not in html
    assert 'href="mailto:sam.home@example.net"' in html and 'href="tel:+442079460000"' in html
