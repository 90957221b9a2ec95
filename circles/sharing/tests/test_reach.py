""" "How to reach me": the member's phone number and preferred way, shown to a supporter as call/text/email
buttons only while the member's live consent shares it with them, read through access.py and audited."""

import pytest
from django.core.exceptions import ValidationError

from circles.audit.models import AuditEvent
from circles.records.export import export_json
from circles.sharing import logic
from circles.sharing.actions import do_revoke_consent, do_save_reach_details
from circles.sharing.models import ReachDetails
from circles.sharing.tests.factories import grant, link

CALL_RILEY = '<a class="button" href="tel:+15550100142">Call Riley</a>'


@pytest.fixture
def sam_tie(riley, sam):
    return link(riley, sam)


@pytest.fixture
def reachable(riley):
    return do_save_reach_details(riley, phone="+1 (555) 010-0142", preferred="call", acting_user=riley)


def member_page(client, member) -> str:
    response = client.get(f"/supporting/{member.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_member_saves_a_number_and_a_preferred_way(riley, client_for):
    client = client_for(riley)
    page = client.get("/sharing/reach/").content.decode()
    assert "You do not share it with anyone right now." in page and riley.email in page
    response = client.post("/sharing/reach/", {"phone": " +1 555 010 0142 ", "preferred": "text"})
    assert response.status_code == 302 and response["Location"] == "/sharing/"
    details = ReachDetails.objects.get(member=riley)
    assert (details.phone, details.preferred) == ("+1 555 010 0142", "text")
    assert AuditEvent.objects.filter(action="reach.change", actor=riley, subject=riley).count() == 1
    overview = client.get("/sharing/").content.decode()
    assert "shows your number +1 555 010 0142" in overview and "you prefer a text message" in overview
    # Changing it keeps one record.
    client.post("/sharing/reach/", {"phone": "", "preferred": "email"})
    assert ReachDetails.objects.get(member=riley).phone == ""


@pytest.mark.parametrize(
    "data, message",
    [
        ({"phone": "call me maybe", "preferred": "call"}, "Use digits, spaces and + - ( ) only."),
        ({"phone": "+1 555 0100 ext 2", "preferred": "email"}, "Use digits, spaces and + - ( ) only."),
        ({"phone": "( )", "preferred": "email"}, "Use digits, spaces and + - ( ) only."),
        ({"phone": "", "preferred": "call"}, "Enter a phone number to be called or texted"),
        ({"phone": "", "preferred": "text"}, "Enter a phone number to be called or texted"),
        ({"phone": "1" * 33, "preferred": "call"}, "at most 32 characters"),
        ({"phone": "555 0100", "preferred": "pigeon"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_with_a_message(riley, client_for, data, message):
    response = client_for(riley).post("/sharing/reach/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReachDetails.objects.exists()


def test_the_page_lists_who_it_is_shared_with(riley, jamie, sam_tie, client_for):
    grant(sam_tie, [logic.REACH])
    grant(link(riley, jamie, name="Jamie"), [logic.CHECKED_IN])  # shares something else: not listed
    page = client_for(riley).get("/sharing/reach/").content.decode()
    assert "You share it with: Sam." in page
    tie_page = client_for(riley).get(f"/sharing/ties/{sam_tie.pk}/").content.decode()
    assert "shows only your email" in tie_page and "/sharing/reach/" in tie_page


def test_sam_gets_buttons_the_preferred_way_first_only_with_the_scope(
    riley, sam, sam_tie, reachable, client_for
):
    client = client_for(sam)
    grant(sam_tie, [logic.CHECKED_IN])
    page = member_page(client, riley)
    assert "tel:" not in page and "sms:" not in page and "mailto:" not in page
    assert "How to reach" not in page and "555" not in page

    grant(sam_tie, [logic.CHECKED_IN, logic.REACH])
    page = member_page(client, riley)
    assert CALL_RILEY in page
    assert (
        page.index("tel:+15550100142")
        < page.index("sms:+15550100142")
        < page.index("mailto:riley@example.org")
    )
    assert "Riley prefers a call." in page
    read = AuditEvent.objects.filter(action=logic.SHARED_VIEW, actor=sam, subject=riley).last()
    assert read is not None and logic.REACH in logic.scopes_in_ref(read.object_ref)
    # The home lists the same buttons.
    assert CALL_RILEY in client.get("/supporting/").content.decode()

    # The preference changes the order on the next request.
    do_save_reach_details(riley, phone=reachable.phone, preferred="text", acting_user=riley)
    page = member_page(client, riley)
    assert '<a class="button" href="sms:+15550100142">Text Riley</a>' in page
    assert "Riley prefers a text message." in page

    # Revoked: gone on the next request.
    do_revoke_consent(sam_tie, acting_user=riley)
    page = member_page(client, riley)
    assert "tel:" not in page and "sms:" not in page and "mailto:" not in page


def test_without_a_number_the_scope_shares_only_the_email(riley, sam, sam_tie, client_for):
    grant(sam_tie, [logic.REACH])
    page = member_page(client_for(sam), riley)
    assert '<a class="button" href="mailto:riley@example.org">Email Riley</a>' in page
    assert "tel:" not in page and "prefers" not in page


def test_another_supporter_without_the_scope_sees_no_way_to_reach(
    riley, sam, mallory, sam_tie, reachable, client_for
):
    grant(sam_tie, [logic.REACH])
    grant(link(riley, mallory, name="Mallory", relationship="friend"), [logic.CHECKED_IN])
    page = member_page(client_for(mallory), riley)
    assert "tel:" not in page and "555" not in page and "How to reach" not in page


def test_the_api_carries_the_links_under_the_scope(riley, sam, sam_tie, reachable, client_for):
    client = client_for(sam)
    assert client.get(f"/api/v1/supporting/{riley.pk}/shared/reach").status_code == 404
    grant(sam_tie, [logic.REACH])
    body = client.get(f"/api/v1/supporting/{riley.pk}/shared/reach").json()
    assert body["reach"][0] == {"way": "call", "href": "tel:+15550100142"}
    assert [link["way"] for link in body["reach"]] == ["call", "text", "email"]


def test_the_export_has_the_members_reach_details(riley, reachable):
    rows = export_json(riley)["reach_details"]
    assert len(rows) == 1 and rows[0]["phone"] == "+1 (555) 010-0142" and rows[0]["preferred"] == "call"


@pytest.mark.parametrize(
    "phone, preferred, field",
    [
        ("\u0663\u0663\u0663", "call", "phone"),  # digits to Python, not to a phone network
        ("+1 555 0100 ext 2", "email", "phone"),
        ("", "text", "phone"),  # a text message needs a number
        ("+1 555 0100", "carrier pigeon", "preferred"),
        ("5" * 33, "call", "phone"),  # longer than the column
    ],
)
def test_the_action_keeps_the_models_rule_for_any_caller(riley, reachable, phone, preferred, field):
    # Not only the page's form: the API or any other caller of the action gets the same rule.
    with pytest.raises(ValidationError) as refused:
        do_save_reach_details(riley, phone=phone, preferred=preferred, acting_user=riley)
    assert field in refused.value.message_dict
    saved = ReachDetails.objects.get(member=riley)
    assert (saved.phone, saved.preferred) == ("+1 (555) 010-0142", "call")


def test_the_action_creates_once_then_updates(riley):
    do_save_reach_details(riley, phone=" +1 555 0100 ", preferred="text", acting_user=riley)
    do_save_reach_details(riley, phone="", preferred="email", acting_user=riley)
    saved = ReachDetails.objects.get(member=riley)
    assert (saved.phone, saved.preferred) == ("", "email")
    assert AuditEvent.objects.filter(action="reach.change").count() == 2
