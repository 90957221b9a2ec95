"""Sessions: staff schedule them in their own timezone (stored UTC), record attendance, which logs a
therapy-session contact in the member's engagement, and the member sees them in their commitments and
calendar."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from circles.audit.models import AuditEvent
from circles.care.actions import do_record_attendance, do_schedule_session
from circles.care.models import Appointment, Attendance
from circles.care.tests.factories import enrol
from circles.network.models import Interaction, InteractionKind, Tie, WeeklyContact

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)  # a Monday, before the US clocks change (Mar 8)
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def schedule(enrolment, starts_at, *, staff=None, minutes=50, place="Room 2", actor=None):
    staff = staff or enrolment.care_team.get().staff
    appointment = Appointment(
        kind="individual", mode="in_person", starts_at=starts_at, duration_minutes=minutes
    )
    appointment.place = place
    return do_schedule_session(enrolment, appointment, staff=staff, acting_user=actor or staff.user)


def form(starts: str, **fields):
    return {"kind": "individual", "mode": "video", "starts_at": starts, "duration_minutes": "50", **fields}


@pytest.fixture
def casey_in_new_york(casey):
    casey.timezone = "America/New_York"
    casey.save(update_fields=["timezone"])
    return casey


@time_machine.travel(NOW, tick=False)
def test_a_session_typed_in_local_time_is_stored_in_utc_across_the_clock_change(
    enrolment, casey_in_new_york, client_for
):
    client = client_for(casey_in_new_york)
    url = f"/care/enrolments/{enrolment.pk}/sessions/"
    # 10:00 in New York is 15:00 UTC before the change (EST) and 14:00 UTC after it (EDT).
    assert client.post(url, form("2026-03-06T10:00")).status_code == 302
    assert client.post(url, form("2026-03-09T10:00", place="https://video.example/room")).status_code == 302
    before, after = Appointment.objects.filter(enrolment=enrolment).order_by("starts_at")
    assert before.starts_at == dt.datetime(2026, 3, 6, 15, 0, tzinfo=dt.UTC)
    assert after.starts_at == dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC)
    assert after.place == "https://video.example/room" and after.mode == "video"
    assert after.staff == enrolment.care_team.get().staff and after.created_by == casey_in_new_york
    assert AuditEvent.objects.filter(
        action="care.session.create", object_ref=f"appointment:{after.pk}"
    ).exists()
    # Shown back in her own time.
    page = client.get(url).content.decode()
    assert "Mon Mar 9, 10:00" in page and "Fri Mar 6, 10:00" in page


@time_machine.travel(NOW, tick=False)
def test_a_time_the_clock_skips_or_the_past_is_refused_with_a_message(
    enrolment, casey_in_new_york, client_for
):
    client = client_for(casey_in_new_york)
    url = f"/care/enrolments/{enrolment.pk}/sessions/"
    skipped = client.post(url, form("2026-03-08T02:30"))  # 02:00-03:00 does not exist in New York that night
    assert skipped.status_code == 400
    past = client.post(url, form("2026-03-01T10:00"))
    assert past.status_code == 400 and "still to come" in past.content.decode()
    assert client.post(url, form("not a time")).status_code == 400
    assert client.post(url, form("2026-03-09T10:00", duration_minutes="0")).status_code == 400
    assert not Appointment.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_an_upcoming_session_can_be_changed_or_cancelled_a_past_one_cannot(enrolment, casey, client_for):
    client = client_for(casey)
    session = schedule(enrolment, NOW + dt.timedelta(days=2))
    edit = f"/care/enrolments/{enrolment.pk}/sessions/{session.pk}/edit/"
    assert client.get(edit).status_code == 200
    response = client.post(edit, form("2026-03-05T09:30", mode="phone", place="555-0100"))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.mode == "phone" and session.place == "555-0100"
    assert session.starts_at == dt.datetime(2026, 3, 5, 14, 30, tzinfo=dt.UTC)
    cancel = f"/care/enrolments/{enrolment.pk}/sessions/{session.pk}/cancel/"
    assert client.post(cancel).status_code == 302
    session.refresh_from_db()
    assert session.attendance == Attendance.CANCELLED
    codes = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"care.session.change", "care.session.cancel"} <= codes
    # Cancelled is no longer upcoming: neither changed nor cancelled again.
    assert client.post(edit, form("2026-03-05T11:30")).status_code == 302
    session.refresh_from_db()
    assert session.starts_at.hour == 14


def test_attended_logs_a_therapy_session_contact_and_missed_takes_it_back(enrolment, casey, client_for):
    with time_machine.travel(NOW, tick=False):
        session = schedule(enrolment, NOW + dt.timedelta(hours=2), minutes=60)
    tie = Tie.objects.get(pk=enrolment.tie_id)
    assert tie.last_contact_at is None
    with time_machine.travel(NOW + dt.timedelta(hours=3), tick=False):
        client = client_for(casey)
        url = f"/care/enrolments/{enrolment.pk}/sessions/{session.pk}/attendance/"
        assert client.post(url, {"attendance": "attended"}).status_code == 302
        session.refresh_from_db()
        contact = session.interaction
        assert contact.kind == InteractionKind.THERAPY_SESSION
        assert contact.member == enrolment.member and contact.tie_id == enrolment.tie_id
        assert contact.occurred_at == session.starts_at and contact.duration_minutes == 60
        tie.refresh_from_db()
        assert tie.last_contact_at == session.starts_at
        assert WeeklyContact.objects.get(tie=tie).count == 1
        # Recorded twice: still one contact.
        client.post(url, {"attendance": "attended"})
        assert Interaction.objects.filter(tie=tie).count() == 1

        assert client.post(url, {"attendance": "missed"}).status_code == 302
        session.refresh_from_db()
        assert session.attendance == Attendance.MISSED and session.interaction is None
        assert not Interaction.objects.filter(tie=tie).exists()
        tie.refresh_from_db()
        assert tie.last_contact_at is None
        assert not WeeklyContact.objects.filter(tie=tie, count__gt=0).exists()
        assert AuditEvent.objects.filter(action="care.session.attendance").count() == 3


def test_missed_sessions_are_counted_by_attendance(enrolment, casey):
    with time_machine.travel(NOW, tick=False):
        sessions = [schedule(enrolment, NOW + dt.timedelta(days=day, hours=1)) for day in range(3)]
    with time_machine.travel(NOW + dt.timedelta(days=4), tick=False):
        do_record_attendance(sessions[0], Attendance.MISSED, acting_user=casey)
        do_record_attendance(sessions[1], Attendance.ATTENDED, acting_user=casey)
        do_record_attendance(sessions[2], Attendance.MISSED, acting_user=casey)
    assert Appointment.objects.filter(enrolment=enrolment, attendance="missed").count() == 2


def test_attendance_waits_for_the_start(enrolment, casey, client_for):
    with time_machine.travel(NOW, tick=False):
        session = schedule(enrolment, NOW + dt.timedelta(hours=2))
        client = client_for(casey)
        url = f"/care/enrolments/{enrolment.pk}/sessions/{session.pk}/attendance/"
        response = client.post(url, {"attendance": "attended"}, follow=True)
        assert "once the session has started" in response.content.decode()
        assert client.post(url, {"attendance": "bogus"}).status_code == 302
    session.refresh_from_db()
    assert session.attendance == "" and session.interaction is None


@time_machine.travel(NOW, tick=False)
def test_the_member_sees_upcoming_sessions_above_their_commitments_in_their_time(
    enrolment, riley, client_for
):
    riley.timezone = "Europe/London"
    riley.save(update_fields=["timezone"])
    schedule(enrolment, dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC), place="Room 2")
    cancelled = schedule(enrolment, NOW + dt.timedelta(days=5))
    do_record_attendance(cancelled, Attendance.CANCELLED, acting_user=cancelled.staff.user)
    page = client_for(riley).get("/network/commitments/").content.decode()
    assert "Upcoming sessions" in page and "Commitments" in page
    assert page.index("Upcoming sessions") < page.index("Add a commitment")
    assert "Wed Mar 4, 15:00" in page  # London is on UTC in March
    assert "Room 2" in page and "Harbor Recovery Center" in page and "Casey" in page
    assert page.count("Add to calendar") == 1


def test_the_commitments_page_has_no_sessions_block_without_an_enrolment(riley, client_for):
    page = client_for(riley).get("/network/commitments/").content.decode()
    assert "Upcoming sessions" not in page


def unfold(text: str) -> list[str]:
    """Content lines of an iCalendar text, checked for CRLF endings and the 75-octet limit."""
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    assert all(len(line.encode()) <= 75 for line in physical)
    assert "\n" not in "".join(physical)
    lines: list[str] = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def events(lines: list[str]) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in lines:
        name, _, value = line.partition(":")
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT" and current is not None:
            found.append(current)
            current = None
        elif current is not None:
            current[name] = value
    return found


@time_machine.travel(NOW, tick=False)
def test_the_calendar_feed_is_valid_icalendar_with_no_clinical_words(enrolment, riley, harbor, client_for):
    place = "https://video.example/a-very-long-link-to-join-the-session-that-needs-folding?room=42;pin=1,2"
    session = schedule(enrolment, dt.datetime(2026, 3, 9, 14, 0, tzinfo=dt.UTC), minutes=45, place=place)
    schedule(enrolment, NOW + dt.timedelta(days=3), place="Café — salle 3 " * 6)
    response = client_for(riley).get("/care/my-care/sessions.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    lines = unfold(response.content.decode())
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    found = events(lines)
    assert len(found) == 2
    first = next(event for event in found if event["UID"].startswith(f"appointment-{session.pk}@"))
    assert first["DTSTART"] == "20260309T140000Z" and first["DTEND"] == "20260309T144500Z"
    assert first["DTSTAMP"] == "20260302T150000Z"
    assert first["SUMMARY"] == "Session with Harbor Recovery Center"
    assert first["LOCATION"] == place.replace(";", "\\;").replace(",", "\\,")
    assert len({event["UID"] for event in found}) == 2
    assert all("Café — salle 3" in event.get("LOCATION", "") for event in found if event is not first)


@time_machine.travel(NOW, tick=False)
def test_one_session_downloads_as_an_ics_file(enrolment, riley, client_for):
    session = schedule(enrolment, NOW + dt.timedelta(days=1))
    response = client_for(riley).get(f"/care/my-care/sessions/{session.pk}.ics")
    assert response.status_code == 200
    assert f'filename="session-{session.pk}.ics"' in response["Content-Disposition"]
    found = events(unfold(response.content.decode()))
    assert [event["DTSTART"] for event in found] == ["20260303T150000Z"]


def test_an_ended_enrolment_leaves_the_feed(enrolment, riley, client_for):
    from circles.care.actions import do_end_enrolment

    with time_machine.travel(NOW, tick=False):
        schedule(enrolment, NOW + dt.timedelta(days=1))
        do_end_enrolment(enrolment, acting_user=riley)
        response = client_for(riley).get("/care/my-care/sessions.ics")
        assert "BEGIN:VEVENT" not in response.content.decode()
        assert "Upcoming sessions" not in client_for(riley).get("/network/commitments/").content.decode()


def grow_caseload(harbor, people, size):
    enrolments = [enrol(person, harbor) for person in people[:size]]
    for enrolment in enrolments:
        for day in (1, 2):
            schedule(enrolment, timezone.now() + dt.timedelta(days=day))
    return enrolments


@pytest.mark.parametrize("url", ["/care/sessions/", "/care/enrolments/{id}/sessions/"])
def test_session_pages_are_bounded(harbor, casey, client_for, django_user_model, url):
    people = [
        django_user_model.objects.create(email=f"member{i}@example.org", display_name=f"Member {i}")
        for i in range(12)
    ]
    counts = []
    for size in (2, 12):
        enrolments = grow_caseload(harbor, people[len(counts) * 2 : len(counts) * 2 + size], size)
        client = client_for(casey)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url.format(id=enrolments[0].pk))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


@time_machine.travel(NOW, tick=False)
def test_staff_see_their_caseloads_upcoming_sessions(enrolment, casey, client_for):
    schedule(enrolment, NOW + dt.timedelta(days=1), place="Room 7")
    page = client_for(casey).get("/care/sessions/").content.decode()
    assert "Riley" in page and "Room 7" in page


@time_machine.travel(NOW, tick=False)
def test_a_group_session_is_one_session_for_each_member_chosen(
    harbor, enrolment, riley, sam, casey_in_new_york, client_for
):
    other = enrol(sam, harbor)
    client = client_for(casey_in_new_york)
    page = client.get("/care/sessions/group/").content.decode()
    assert "Riley" in page and "Sam" in page
    data = {"members": [enrolment.pk, other.pk], "mode": "in_person", "starts_at": "2026-03-10T18:00"}
    response = client.post("/care/sessions/group/", {**data, "duration_minutes": "90", "place": "Hall"})
    assert response.status_code == 302
    sessions = list(Appointment.objects.order_by("enrolment_id"))
    assert [session.enrolment_id for session in sessions] == sorted([enrolment.pk, other.pk])
    assert {session.kind for session in sessions} == {"group"}
    assert {session.starts_at for session in sessions} == {dt.datetime(2026, 3, 10, 22, 0, tzinfo=dt.UTC)}
    assert {session.place for session in sessions} == {"Hall"}
    assert AuditEvent.objects.filter(action="care.session.create").count() == 2


@time_machine.travel(NOW, tick=False)
def test_a_group_session_takes_only_members_of_the_viewers_caseload(
    harbor, enrolment, riley, sam, jamie, colleague, casey, client_for
):
    from circles.sharing.actions import do_revoke_consent

    other = enrol(sam, harbor, primary=colleague)  # on jamie's caseload, not casey's
    do_revoke_consent(enrolment.tie, acting_user=riley)  # riley is no longer on casey's either
    client = client_for(casey)
    page = client.get("/care/sessions/group/").content.decode()
    assert "Riley" not in page and "Sam" not in page
    for members in ([other.pk], [enrolment.pk], [999999]):
        data = {
            "members": members,
            "mode": "video",
            "starts_at": "2026-03-10T18:00",
            "duration_minutes": "60",
        }
        assert client.post("/care/sessions/group/", data).status_code == 400
    assert not Appointment.objects.exists()
