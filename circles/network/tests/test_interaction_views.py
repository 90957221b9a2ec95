"""Logging contact through the pages."""

import datetime as dt

import time_machine
from django.utils import timezone

from circles.network.models import Interaction
from circles.network.tests.factories import make_interaction, make_tie


def form(tie, **values):
    data = {
        "tie": tie.pk,
        "occurred_at": "2026-11-20T18:30",
        "kind": "call",
        "quality": "helpful",
        "note": "",
    }
    data.update(values)
    return data


@time_machine.travel(dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC), tick=False)
def test_log_contact_in_the_members_timezone(riley, client_for):
    tie = make_tie(riley)
    response = client_for(riley).post("/network/contacts/new/", form(tie, duration_minutes="25"))
    assert response.status_code == 302
    interaction = Interaction.objects.get()
    # Riley lives in New York: 18:30 there is 23:30 UTC.
    assert interaction.occurred_at == dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC)
    assert (interaction.member, interaction.duration_minutes) == (riley, 25)


@time_machine.travel(dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC), tick=False)
def test_future_contact_and_unknown_kind_are_refused(riley, client_for):
    tie = make_tie(riley)
    response = client_for(riley).post(
        "/network/contacts/new/",
        form(tie, occurred_at="2026-11-26T09:00", kind="telegram", duration_minutes="0"),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "in the future" in errors["occurred_at"][0]
    assert set(errors) == {"occurred_at", "kind", "duration_minutes"}
    assert not Interaction.objects.exists()


def test_ended_ties_are_not_offered(riley, client_for):
    from circles.network.actions import do_change_tie_status

    tie = do_change_tie_status(make_tie(riley, "Old friend"), "ended", acting_user=riley)
    response = client_for(riley).post("/network/contacts/new/", form(tie, occurred_at="2026-01-01T10:00"))
    assert response.status_code == 400
    assert "tie" in response.context["form"].errors


def test_preselects_the_tie_from_the_link(riley, client_for):
    tie = make_tie(riley)
    response = client_for(riley).get(f"/network/contacts/new/?tie={tie.pk}")
    assert response.context["form"].initial["tie"] == tie.pk


def test_list_is_paginated_newest_first(riley, client_for):
    tie = make_tie(riley)
    for days in range(60):
        make_interaction(riley, tie, days_ago=days)
    page = client_for(riley).get("/network/contacts/").context["page"]
    assert len(page.object_list) == 50
    assert page.object_list[0].occurred_at > page.object_list[1].occurred_at
    assert client_for(riley).get("/network/contacts/?page=2").context["page"].object_list[0]


def test_edit_and_delete(riley, client_for):
    tie = make_tie(riley)
    interaction = make_interaction(riley, tie, days_ago=2)
    client = client_for(riley)
    local = timezone.localtime(interaction.occurred_at, timezone=dt.UTC).strftime("%Y-%m-%dT%H:%M")
    assert (
        client.post(
            f"/network/contacts/{interaction.pk}/edit/", form(tie, occurred_at=local, quality="hard")
        ).status_code
        == 302
    )
    interaction.refresh_from_db()
    assert interaction.quality == "hard"
    client.post(f"/network/contacts/{interaction.pk}/delete/")
    assert not Interaction.objects.exists()


def test_no_ties_yet_points_to_adding_one(riley, client_for):
    page = client_for(riley).get("/network/contacts/new/").content.decode()
    assert "Add someone to your circle first" in page
