"""Setting commitments through the pages, and what the pages derive from them."""

import datetime as dt
import re

import time_machine

from circles.network.models import Commitment
from circles.network.tests.factories import make_commitment, make_interaction, make_tie


def form(tie, **values):
    data = {
        "title": "Tuesday group",
        "tie": tie.pk,
        "cadence": "weekdays",
        "weekdays": ["1"],
        "starts_on": "2026-11-01",
        "ends_on": "",
    }
    data.update(values)
    return data


def test_each_cadence_can_be_set(riley, client_for):
    tie = make_tie(riley, "Group", "group")
    client = client_for(riley)
    assert client.post("/network/commitments/new/", form(tie)).status_code == 302
    assert (
        client.post(
            "/network/commitments/new/", form(tie, cadence="every_n_days", interval_days="14")
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/network/commitments/new/", form(tie, cadence="times_per_week", times_per_week="3")
        ).status_code
        == 302
    )
    saved = {c.cadence: c for c in Commitment.objects.all()}
    assert saved["weekdays"].weekdays == [1]
    # Values of other cadences are cleared, so a commitment never carries two schedules.
    assert (saved["every_n_days"].interval_days, saved["every_n_days"].weekdays) == (14, [])
    assert saved["times_per_week"].times_per_week == 3


def test_a_commitment_needs_its_cadence_details(riley, client_for):
    tie = make_tie(riley)
    client = client_for(riley)
    cases = [
        (form(tie, weekdays=[]), "weekdays"),
        (form(tie, cadence="every_n_days"), "interval_days"),
        (form(tie, cadence="times_per_week", times_per_week=""), "times_per_week"),
        (form(tie, cadence=""), "cadence"),
        (form(tie, title="  "), "title"),
        (form(tie, ends_on="2026-10-01"), "ends_on"),
        (form(tie, weekdays=["9"]), "weekdays"),
    ]
    for data, field in cases:
        response = client.post("/network/commitments/new/", data)
        assert response.status_code == 400, field
        assert field in response.context["form"].errors, field
    assert not Commitment.objects.exists()


# On a Tuesday the day's occurrence is still open, so the count depends on the day the suite runs:
# the clock stands on a Thursday.
@time_machine.travel(dt.datetime(2026, 3, 12, 12, 0, tzinfo=dt.UTC), tick=False)
def test_list_shows_adherence_and_off_track(riley, client_for):
    group = make_tie(riley, "Group", "group")
    make_commitment(riley, group, "Tuesday group")  # no contact logged: every Tuesday missed
    page = client_for(riley).get("/network/commitments/").content.decode()
    assert "0 / 4" in page or "0 / 5" in page
    assert "off track" in page


def test_kept_commitment_is_not_off_track(riley, client_for):
    friend = make_tie(riley)
    make_commitment(riley, friend, "Call Alex", cadence="every_n_days", interval_days=1, weekdays=[])
    for days in range(0, 40):
        make_interaction(riley, friend, days_ago=days)
    page = client_for(riley).get("/network/commitments/").content.decode()
    assert "off track" not in page


def test_edit_and_delete(riley, client_for):
    tie = make_tie(riley)
    commitment = make_commitment(riley, tie)
    client = client_for(riley)
    client.post(
        f"/network/commitments/{commitment.pk}/edit/", form(tie, title="Thursday group", weekdays=["3"])
    )
    commitment.refresh_from_db()
    assert (commitment.title, commitment.weekdays) == ("Thursday group", [3])
    client.post(f"/network/commitments/{commitment.pk}/delete/")
    assert not Commitment.objects.exists()


def test_a_week_with_several_misses_is_listed_once_with_its_count(riley, client_for):
    """ "3 times a week" with no contact: each past week is one entry, not its Sunday three times over."""

    tie = make_tie(riley, "Mum", "parent")
    make_commitment(riley, tie, "Call Mum", cadence="times_per_week", weekdays=[], times_per_week=3)
    page = client_for(riley).get("/network/commitments/").content.decode()
    missed = re.search(r"<td[^>]*>(week ending [^<]*)</td>", page).group(1)
    entries = missed.split(", ")
    assert all(entry.endswith(": 3 missed") for entry in entries)
    days = [entry.split(":")[0] for entry in entries]
    assert len(days) == len(set(days)) >= 3
