"""An alert as the person it asked sees it: their own answer as "you", one answer button at most, and
the member's call/text/email buttons only while the member shares "How to reach me" with them."""

import pytest

from circles.alerts.actions import do_answer, do_raise_sos
from circles.alerts.channels import answer_token
from circles.alerts.tests.factories import askable, ladder
from circles.audit.models import AuditEvent
from circles.sharing import logic
from circles.sharing.actions import do_revoke_consent, do_save_reach_details
from circles.sharing.tests.factories import grant

CALL_RILEY = 'href="tel:+15550100142">Call Riley</a>'


@pytest.fixture
def sam_tie(riley, sam):
    return askable(riley, sam)


@pytest.fixture
def jamie_tie(riley, jamie):
    return askable(riley, jamie, name="Jamie", relationship="peer")


@pytest.fixture
def alert(riley, sam_tie, jamie_tie):
    ladder(riley, (sam_tie, jamie_tie))
    alert, _created = do_raise_sos(riley, acting_user=riley)
    return alert


@pytest.fixture
def reach(riley):
    return do_save_reach_details(riley, phone="+1 555 010 0142", preferred="call", acting_user=riley)


def answer_url(alert, tie) -> str:
    note = alert.notifications.filter(tie=tie, channel="email").get()
    return f"/alerts/answer/{answer_token(note.pk)}/"


def test_the_viewers_own_answer_reads_you(riley, sam, sam_tie, jamie_tie, alert, client_for):
    do_answer(alert, jamie_tie)
    do_answer(alert, sam_tie)
    client = client_for(sam)
    page = client.get(f"/alerts/asked/{alert.pk}/").content.decode()
    assert "<li>Jamie " in page and "<li>You " in page and "<li>Sam " not in page
    assert "reaching out</button>" not in page  # answered already: no button
    home = client.get("/supporting/").content.decode()
    assert "answered by Jamie, you" in home and "answered by Jamie, Sam" not in home
    # Jamie sees Sam by name, and themselves as "you".
    assert (
        "answered by you, Sam"
        in client_for(riley.ties.get(display_name="Jamie").supporter).get("/supporting/").content.decode()
    )


def test_the_answer_link_shows_no_button_once_answered(alert, sam_tie, client):
    url = answer_url(alert, sam_tie)
    assert "reaching out</button>" in client.get(url).content.decode()
    client.post(url)
    page = client.get(url).content.decode()
    assert "You have already told Riley you are reaching out." in page
    assert "reaching out</button>" not in page and "<form" not in page.split("<main")[1]


def test_the_asked_page_offers_the_call_button_only_with_the_scope(
    riley, sam, sam_tie, alert, reach, client_for
):
    client = client_for(sam)
    page = client.get(f"/alerts/asked/{alert.pk}/").content.decode()
    assert "tel:" not in page and "555" not in page
    grant(sam_tie, [logic.ALERTS, logic.REACH])
    page = client.get(f"/alerts/asked/{alert.pk}/").content.decode()
    assert CALL_RILEY in page and "sms:+15550100142" in page
    read = AuditEvent.objects.filter(action=logic.SHARED_VIEW, actor=sam, subject=riley).last()
    assert read is not None and read.object_ref == logic.scopes_ref([logic.REACH])  # read like any scope
    do_revoke_consent(sam_tie, acting_user=riley)
    assert client.get(f"/alerts/asked/{alert.pk}/").status_code == 404


def test_the_answer_link_shows_how_to_reach_only_to_the_signed_in_person_asked(
    riley, sam, jamie, sam_tie, alert, reach, client, client_for
):
    grant(sam_tie, [logic.ALERTS, logic.REACH])
    url = answer_url(alert, sam_tie)
    assert "tel:" not in client.get(url).content.decode()  # signed out (a forwarded link, a mail scanner)
    assert "tel:" not in client_for(jamie).get(url).content.decode()  # someone else signed in
    signed_in = client_for(sam)
    assert CALL_RILEY in signed_in.get(url).content.decode()
    assert CALL_RILEY in signed_in.post(url).content.decode()  # and after answering
    grant(sam_tie, [logic.ALERTS])  # no longer shared: gone on the next request
    assert "tel:" not in signed_in.get(url).content.decode()
