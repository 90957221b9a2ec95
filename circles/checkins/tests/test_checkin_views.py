"""Today's check-in, missed days, history and counting days, on the pages."""

import datetime as dt

import time_machine

from circles.checkins.models import CheckIn, CheckInSettings
from circles.checkins.tests.factories import make_checkin
from circles.lib.time import local_today
from circles.network.tests.factories import make_tie

FORM = {"mood": "7", "craving": "2", "stress": "3", "sleep_quality": "4"}


def test_checking_in_takes_one_form_and_saves_the_day_in_the_members_timezone(riley, client_for):
    riley.timezone = "America/Los_Angeles"
    riley.save()
    client = client_for(riley)
    # 02:00 UTC on the 10th is still the evening of the 9th in Los Angeles.
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC), tick=False):
        assert client.get("/checkins/").status_code == 200
        response = client.post("/checkins/", {**FORM, "helped": "Tuesday group"})
    assert response.status_code == 302
    checkin = CheckIn.objects.get(member=riley)
    assert (checkin.day, checkin.mood, checkin.helped, checkin.late) == (
        dt.date(2026, 3, 9),
        7,
        "Tuesday group",
        False,
    )


def test_the_same_day_is_changed_not_duplicated(riley, client_for):
    client = client_for(riley)
    client.post("/checkins/", FORM)
    client.post("/checkins/", {**FORM, "mood": "3"})
    assert CheckIn.objects.filter(member=riley).count() == 1
    assert CheckIn.objects.get(member=riley).mood == 3


def test_missed_days_can_be_filled_in_for_three_days_and_are_marked_late(riley, client_for):
    riley.date_joined -= dt.timedelta(days=30)
    riley.save()
    client = client_for(riley)
    today = local_today(riley)
    page = client.get("/checkins/").content.decode()
    assert f"/checkins/day/{(today - dt.timedelta(days=1)).isoformat()}/" in page
    three_back = (today - dt.timedelta(days=3)).isoformat()
    assert client.post(f"/checkins/day/{three_back}/", FORM).status_code == 302
    assert CheckIn.objects.get(member=riley, day=three_back).late is True
    four_back = (today - dt.timedelta(days=4)).isoformat()
    response = client.get(f"/checkins/day/{four_back}/")
    assert response.status_code == 404 and "up to 3 days back" in response.content.decode()
    assert client.post(f"/checkins/day/{four_back}/", FORM).status_code == 404
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert client.post(f"/checkins/day/{tomorrow}/", FORM).status_code == 404
    assert client.get("/checkins/day/not-a-date/").status_code == 404
    assert CheckIn.objects.filter(member=riley).count() == 1


def test_a_checkin_is_editable_on_its_day_only(riley, client_for):
    with time_machine.travel(dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC), tick=False):
        client_for(riley).post("/checkins/", FORM)
    with time_machine.travel(dt.datetime(2026, 5, 2, 12, 0, tzinfo=dt.UTC), tick=False):
        response = client_for(riley).post("/checkins/day/2026-05-01/", {**FORM, "mood": "1"})
    assert response.status_code == 409
    assert CheckIn.objects.get(member=riley).mood == 7


def test_bad_input_gets_messages_per_field_and_saves_nothing(riley, client_for):
    client = client_for(riley)
    response = client.post("/checkins/", {"mood": "11", "craving": "-1", "sleep_quality": "9"})
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"mood", "craving", "stress", "sleep_quality"}
    response = client.post("/checkins/", {**FORM, "use_note": "a note about use"})
    assert response.status_code == 400 and "used" in response.context["form"].errors
    assert not CheckIn.objects.exists()


def test_struggles_are_addressed_only_to_ones_own_current_ties(riley, mallory, client_for):
    sam = make_tie(riley, "Sam", "sponsor")
    robin = make_tie(mallory, "Robin", "friend")
    client = client_for(riley)
    response = client.post("/checkins/", {**FORM, "struggling": "evenings", "struggling_for": [robin.pk]})
    assert response.status_code == 400 and "struggling_for" in response.context["form"].errors
    client.post("/checkins/", {**FORM, "struggling": "evenings", "struggling_for": [sam.pk]})
    assert list(CheckIn.objects.get(member=riley).struggling_for.all()) == [sam]


def test_a_return_to_use_is_met_with_support_not_a_reset(riley, client_for):
    client = client_for(riley)
    response = client.post(
        "/checkins/", {**FORM, "used": "on", "substance": "alcohol", "use_note": "a wedding"}, follow=True
    )
    page = response.content.decode()
    assert "does not undo the work you have done" in page
    for word in ("failed", "relapsed", "streak reset", "clean"):
        assert word not in page.lower()


def test_counting_days_is_off_by_default_and_lists_returns_to_use_with_notes(riley, client_for):
    client = client_for(riley)
    today = local_today(riley)
    make_checkin(riley, today - dt.timedelta(days=2), used=True, substance="alcohol", use_note="a wedding")
    make_checkin(riley, today - dt.timedelta(days=1))
    assert "Time in recovery" not in client.get("/checkins/history/").content.decode()
    started = (today - dt.timedelta(days=100)).isoformat()
    response = client.post("/checkins/settings/", {"count_days": "on", "recovery_started_on": started})
    assert response.status_code == 302
    page = client.get("/checkins/history/").content.decode()
    assert "Time in recovery" in page and "100 days" in page
    assert "a wedding" in page and "does not reset" in page
    assert "1 / 2" in page  # check-ins without use in the last 30 days


def test_settings_need_a_date_to_count_from(riley, client_for):
    response = client_for(riley).post("/checkins/settings/", {"count_days": "on"})
    assert response.status_code == 400 and "recovery_started_on" in response.context["form"].errors
    assert not CheckInSettings.objects.exists()


def test_reminders_show_what_is_due_on_the_circle_page(riley, client_for):
    client = client_for(riley)
    page = client.get("/network/").content.decode()
    assert "Due today" in page and "Today's check-in" in page
    # A new member gets the first questionnaire today and the next ones a day apart, not all at once.
    assert "PHQ-9" in page and "GAD-7" not in page
    client.post("/checkins/", FORM)
    assert "Today's check-in" not in client.get("/network/").content.decode()


def test_a_form_opened_before_midnight_is_saved_for_its_own_day(riley, client_for):
    riley.timezone = "America/New_York"
    riley.date_joined = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    riley.save()
    with time_machine.travel(dt.datetime(2026, 3, 11, 3, 58, tzinfo=dt.UTC), tick=False):  # 23:58 on the 10th
        page = client_for(riley).get("/checkins/").content.decode()
    assert 'action="/checkins/day/2026-03-10/"' in page
    with time_machine.travel(dt.datetime(2026, 3, 11, 4, 2, tzinfo=dt.UTC), tick=False):  # 00:02 on the 11th
        client_for(riley).post("/checkins/day/2026-03-10/", FORM)
    checkin = CheckIn.objects.get(member=riley)
    assert checkin.day == dt.date(2026, 3, 10) and checkin.late is True
