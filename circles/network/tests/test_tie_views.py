"""Adding, editing, pausing and ending ties through the pages."""

import re

from circles.lib.time import user_zone
from circles.network.actions import do_change_tie_status
from circles.network.models import Tie, TieStatusChange
from circles.network.tests.factories import make_interaction, make_tie

VALID = {
    "display_name": "Mum",
    "relationship": "parent",
    "pillar_override": "",
    "circle": "inner",
    "support_kinds": ["emotional", "practical"],
    "contact_frequency": "weekly",
    "importance": "5",
    "substance_use": "abstinent",
    "stance": "supports_recovery",
    "quality": "4",
    "strain_flags": [],
    "boundaries": "",
    "email": "",
    "phone": "",
}


def test_add_a_tie_derives_its_pillar(riley, client_for):
    response = client_for(riley).post("/network/ties/new/", VALID)
    tie = Tie.objects.get(member=riley)
    assert response.status_code == 302 and response["Location"] == f"/network/ties/{tie.pk}/"
    assert (tie.pillar, tie.support_kinds, tie.status) == (
        "family_friends",
        ["emotional", "practical"],
        "active",
    )
    assert tie.status_changes.count() == 1


def test_pillar_can_be_overridden(riley, client_for):
    client_for(riley).post(
        "/network/ties/new/", {**VALID, "relationship": "friend", "pillar_override": "peer"}
    )
    assert Tie.objects.get(member=riley).pillar == "peer"


def test_save_and_add_another(riley, client_for):
    response = client_for(riley).post("/network/ties/new/", {**VALID, "add_another": "1"})
    assert response["Location"] == "/network/ties/new/"


def test_bad_input_is_explained_per_field_and_nothing_is_saved(riley, client_for):
    bad = {
        **VALID,
        "display_name": "   ",
        "relationship": "landlord",
        "importance": "9",
        "support_kinds": ["telepathy"],
        "email": "not-an-email",
        "boundaries": "x" * 2001,
    }
    response = client_for(riley).post("/network/ties/new/", bad)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {
        "display_name",
        "relationship",
        "importance",
        "support_kinds",
        "email",
        "boundaries",
    }
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Tie.objects.exists()


def test_failed_edit_keeps_what_was_saved(riley, client_for):
    tie = make_tie(riley, "Mum", "parent", importance=4)
    response = client_for(riley).post(f"/network/ties/{tie.pk}/edit/", {**VALID, "importance": "0"})
    assert response.status_code == 400
    tie.refresh_from_db()
    assert (tie.display_name, tie.importance) == ("Mum", 4)


def test_edit(riley, client_for):
    tie = make_tie(riley, "Mum", "parent")
    client_for(riley).post(
        f"/network/ties/{tie.pk}/edit/", {**VALID, "display_name": "Mother", "strain_flags": ["conflict"]}
    )
    tie.refresh_from_db()
    assert (tie.display_name, tie.strain_flags) == ("Mother", ["conflict"])


def test_pause_resume_and_end_keep_history(riley, client_for):
    tie = make_tie(riley, "Chris", "friend")
    client = client_for(riley)
    for status in ("paused", "active", "ended"):
        client.post(f"/network/ties/{tie.pk}/status/", {"status": status, "note": f"now {status}"})
    tie.refresh_from_db()
    assert tie.status == "ended"
    history = list(TieStatusChange.objects.filter(tie=tie).order_by("id").values_list("status", flat=True))
    assert history == ["active", "paused", "active", "ended"]
    page = client.get(f"/network/ties/{tie.pk}/").content.decode()
    assert "now paused" in page


def test_bad_status_input_is_explained_and_the_note_kept(riley, client_for):
    tie = make_tie(riley)
    response = client_for(riley).post(
        f"/network/ties/{tie.pk}/status/", {"status": "deleted", "note": "my words"}
    )
    assert response.status_code == 400
    assert set(response.context["status_form"].errors) == {"status"}
    assert "my words" in response.content.decode()
    long_note = client_for(riley).post(
        f"/network/ties/{tie.pk}/status/", {"status": "paused", "note": "x" * 501}
    )
    assert long_note.status_code == 400 and "note" in long_note.context["status_form"].errors
    tie.refresh_from_db()
    assert tie.status == "active"


def test_ended_ties_leave_the_map_but_stay_in_the_list(riley, client_for):
    keep = make_tie(riley, "Alex")
    gone = make_tie(riley, "Chris")
    client = client_for(riley)
    client.post(f"/network/ties/{gone.pk}/status/", {"status": "ended"})
    overview = client.get("/network/")
    assert f"/network/ties/{keep.pk}/" in overview.context["map_svg"]
    assert f"/network/ties/{gone.pk}/" not in overview.context["map_svg"]
    assert "Chris" in client.get("/network/ties/").content.decode()


def test_delete(riley, client_for):
    tie = make_tie(riley)
    client_for(riley).post(f"/network/ties/{tie.pk}/delete/")
    assert not Tie.objects.filter(pk=tie.pk).exists()


def test_empty_overview_invites_the_first_tie(riley, client_for):
    page = client_for(riley).get("/network/").content.decode()
    assert "Add the people and groups in your life" in page


def test_detail_shows_support_and_strain_in_words(riley, client_for):
    tie = make_tie(riley, support_kinds=["informational"], strain_flags=["pressure_to_use"])
    page = client_for(riley).get(f"/network/ties/{tie.pk}/").content.decode()
    assert "Information and advice" in page and "Pressure to use" in page


def test_number_fields_offer_one_to_five(riley, client_for):
    page = client_for(riley).get("/network/ties/new/").content.decode()
    for name in ("importance", "quality"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        assert 'min="1"' in tag and 'max="5"' in tag, tag


def test_overview_says_how_much_is_not_known(riley, client_for):
    make_tie(riley, "Alex")  # substance use left at "Don't know"
    page = client_for(riley).get("/network/").content.decode()
    assert re.search(r"Use not known \(by contact\)</dt><dd>100%", page)


def test_a_tie_that_never_changed_status_says_when_it_was_added_not_since_when(riley, client_for):
    """ "Active since" the day it was typed in reads as if the relationship began then."""
    tie = make_tie(riley, "Mum", "parent")
    client = client_for(riley)
    page = client.get(f"/network/ties/{tie.pk}/").content.decode()
    assert "Active. Added to your circle on" in page and "Active since" not in page
    do_change_tie_status(tie, "paused", acting_user=riley)
    page = client.get(f"/network/ties/{tie.pk}/").content.decode()
    assert "Paused since" in page
    do_change_tie_status(tie, "active", acting_user=riley)
    page = client.get(f"/network/ties/{tie.pk}/").content.decode()
    assert "Active since" in page


def test_a_tie_with_contact_logged_before_it_was_added_says_since_when_you_have_been_in_touch(
    riley, client_for
):
    """Eight weeks of contact logged for a tie added today: its date is the first contact, not today."""
    tie = make_tie(riley, "Sam", "sponsor")
    first = make_interaction(riley, tie, days_ago=56)
    make_interaction(riley, tie, days_ago=3)
    page = " ".join(client_for(riley).get(f"/network/ties/{tie.pk}/").content.decode().split())
    first_day = first.occurred_at.astimezone(user_zone(riley)).strftime("%b %-d, %Y")
    assert f"Active. In touch since {first_day} (the first contact you logged)" in page
    assert "Active since" not in page


def test_a_phone_number_follows_the_one_rule_for_phone_numbers(riley, client_for):
    # The same rule as a member's own number (lib.contact_links.is_phone_number): ASCII digits only,
    # and at least one of them.
    client = client_for(riley)
    for phone in ("\u0663\u0663\u0663", "+ - ( )", "\uff15\uff15\uff15 0100"):
        response = client.post("/network/ties/new/", {**VALID, "phone": phone})
        assert response.status_code == 400
        assert "Use digits, spaces and + - ( ) only." in response.content.decode()
    assert not Tie.objects.filter(member=riley).exists()
    client.post("/network/ties/new/", {**VALID, "phone": "+1 (555) 010-0142"})
    assert Tie.objects.get(member=riley).phone == "+1 (555) 010-0142"
