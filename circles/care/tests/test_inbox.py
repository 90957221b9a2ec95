"""The care team's alert inbox (/care/alerts/): a member's safety signals since enrolment, open until
someone on the care team acknowledges them with a follow-up note; the alerts asking the care team."""

import datetime as dt

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from circles.accounts.models import User
from circles.alerts import logic
from circles.alerts.actions import do_raise_sos
from circles.alerts.models import AlertStatus
from circles.alerts.outbox import raise_alert
from circles.alerts.tests.factories import ladder
from circles.audit.models import AuditEvent
from circles.care.access import open_follow_ups
from circles.care.models import SafetyFollowUp
from circles.care.tests.factories import enrol
from circles.checkins.actions import do_ask_for_help
from circles.checkins.models import SafetySignal
from circles.sharing import logic as sharing

NOTE = "Called her; brought Thursday's session forward."


def signal(member, source=SafetySignal.Source.SCREEN, **values) -> SafetySignal:
    return SafetySignal.objects.create(member=member, source=source, **values)


def test_a_signal_is_open_until_acknowledged_with_a_note(riley, casey, enrolment, client_for):
    before = signal(riley, created_at=enrolment.started_at - dt.timedelta(days=1))  # before enrolling
    pressed = do_ask_for_help(riley, acting_user=riley)
    client = client_for(casey)
    page = client.get("/care/alerts/").content.decode()
    assert page.count(f"/care/alerts/{enrolment.pk}/") == 1
    assert f"/care/alerts/{enrolment.pk}/{pressed.pk}/" in page
    assert f"/care/alerts/{enrolment.pk}/{before.pk}/" not in page
    assert "Pressed “I need help now”" in page
    form = client.get(f"/care/alerts/{enrolment.pk}/{pressed.pk}/")
    assert form.status_code == 200 and "Acknowledge" in form.content.decode()
    done = client.post(f"/care/alerts/{enrolment.pk}/{pressed.pk}/", {"note": NOTE})
    assert done.status_code == 302 and done["Location"] == "/care/alerts/"
    follow_up = SafetyFollowUp.objects.get(enrolment=enrolment, signal=pressed)
    assert follow_up.note == NOTE and follow_up.acknowledged_by == casey
    with connection.cursor() as cursor:  # the note is encrypted at rest
        cursor.execute("SELECT note FROM care_safetyfollowup WHERE id = %s", [follow_up.pk])
        assert NOTE not in cursor.fetchone()[0]
    assert AuditEvent.objects.filter(
        action="care.follow_up.create", actor_id=casey.pk, subject_id=riley.pk
    ).exists()
    page = client.get("/care/alerts/").content.decode()
    assert "No open safety signals." in page
    assert "by Casey" in page
    assert escape(NOTE) in client.get(f"/care/alerts/{enrolment.pk}/{pressed.pk}/").content.decode()
    # A second acknowledgement keeps the first.
    again = client.post(f"/care/alerts/{enrolment.pk}/{pressed.pk}/", {"note": "other"})
    assert again.status_code == 302 and SafetyFollowUp.objects.get(pk=follow_up.pk).note == NOTE
    assert AuditEvent.objects.filter(
        action="care.alerts.view", actor_id=casey.pk, subject_id=riley.pk
    ).exists()


def test_a_note_too_long_is_refused_with_a_message(riley, casey, enrolment, client_for):
    pressed = do_ask_for_help(riley, acting_user=riley)
    response = client_for(casey).post(f"/care/alerts/{enrolment.pk}/{pressed.pk}/", {"note": "x" * 4001})
    assert response.status_code == 400
    assert not SafetyFollowUp.objects.exists()


def test_what_raised_a_signal_is_shown_only_as_far_as_the_consent_goes(riley, casey, harbor, client_for):
    enrolment = enrol(riley, harbor, scopes=[sharing.ALERTS])
    screen = signal(riley)
    page = client_for(casey).get("/care/alerts/").content.decode()
    assert f"/care/alerts/{enrolment.pk}/{screen.pk}/" in page
    assert "what raised it is not shared" in page and "suicide-risk" not in page


def test_without_the_alerts_choice_signals_are_not_in_the_inbox(riley, casey, harbor, client_for):
    enrol(riley, harbor, scopes=[sharing.MOOD])
    signal(riley)
    assert "No open safety signals." in client_for(casey).get("/care/alerts/").content.decode()


def test_open_follow_ups_in_one_query(riley, casey, enrolment, django_assert_num_queries):
    first, second = signal(riley), do_ask_for_help(riley, acting_user=riley)
    SafetyFollowUp.objects.create(enrolment=enrolment, signal=first, acknowledged_by_name="Casey")
    with django_assert_num_queries(1):
        found = open_follow_ups([enrolment.pk])
    assert found == {enrolment.pk: [second]}
    assert open_follow_ups([]) == {}


def test_the_inbox_lists_alerts_asking_the_care_team_and_staff_answer_them(
    riley, casey, enrolment, client_for
):
    ladder(riley, enrolment.tie, channels=(logic.IN_APP,))
    alert, _created = do_raise_sos(riley, message="Can someone call me", acting_user=riley)
    client = client_for(casey)
    assert f'href="/care/alerts/asked/{alert.pk}/"' in client.get("/care/alerts/").content.decode()
    page = client.get(f"/care/alerts/asked/{alert.pk}/").content.decode()
    assert "Riley could use support now" in page and "Can someone call me" in page
    assert "Why:" not in page  # an SOS never says why
    assert AuditEvent.objects.filter(action="alert.view", actor_id=casey.pk, object_ref=f"alert:{alert.pk}")
    answered = client.post(f"/care/alerts/asked/{alert.pk}/answer/")
    assert answered.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ANSWERED
    assert "Casey (Harbor Recovery Center" in client.get(f"/care/alerts/asked/{alert.pk}/").content.decode()


def test_a_safety_alert_says_why_only_with_the_screeners_results(riley, casey, harbor, client_for):
    enrolment = enrol(riley, harbor, scopes=[sharing.ALERTS])
    ladder(riley, enrolment.tie, channels=(logic.IN_APP,))
    with transaction.atomic():
        alert, _ = raise_alert(riley, logic.SAFETY, facts={"source": "cssrs"})
    page = client_for(casey).get(f"/care/alerts/asked/{alert.pk}/").content.decode()
    assert "Why:" not in page


def add_to_caseload(harbor, first: int, size: int):
    for number in range(first, first + size):
        member = User.objects.create(email=f"member{number}@example.org", display_name=f"Member {number}")
        enrolment = enrol(member, harbor)
        signal(member)
        done = signal(member)
        SafetyFollowUp.objects.create(enrolment=enrolment, signal=done, acknowledged_by_name="Casey")
        ladder(member, enrolment.tie, channels=(logic.IN_APP,))
        do_raise_sos(member, acting_user=member)


def inbox_queries(client, size: int) -> int:
    client.get("/care/alerts/")  # the session and the like, once
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/care/alerts/").content.decode()
    assert page.count("/care/alerts/asked/") == size
    assert page.count("by Casey") == size
    return len(queries)


def test_the_inbox_makes_the_same_number_of_queries_whatever_the_caseload(harbor, casey, client_for):
    client = client_for(casey)
    add_to_caseload(harbor, 0, 2)
    small = inbox_queries(client, 2)
    add_to_caseload(harbor, 2, 10)
    assert inbox_queries(client, 12) == small


def test_a_signal_is_not_acknowledged_without_a_follow_up_note(riley, casey, enrolment, client_for):
    pressed = do_ask_for_help(riley, acting_user=riley)
    client = client_for(casey)
    for blank in ("", "   "):
        response = client.post(f"/care/alerts/{enrolment.pk}/{pressed.pk}/", {"note": blank})
        assert response.status_code == 400
        assert "Write what you did or will do" in response.content.decode()
    assert not SafetyFollowUp.objects.exists()


def test_the_follow_up_page_links_to_the_members_record_and_messages(riley, casey, enrolment, client_for):
    pressed = do_ask_for_help(riley, acting_user=riley)
    page = client_for(casey).get(f"/care/alerts/{enrolment.pk}/{pressed.pk}/").content.decode()
    assert f'href="/care/enrolments/{enrolment.pk}/"' in page
    assert f'href="/care/enrolments/{enrolment.pk}/messages/"' in page
