"""The session and message pages of professional care on a 320 px phone with no JavaScript: nothing
scrolls sideways, and axe finds nothing serious; Casey schedules a session that Riley then sees."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from circles.care.actions import do_record_attendance, do_schedule_session, do_send_message
from circles.care.models import Appointment, Attendance
from circles.care.tests.factories import enrol, make_organization
from circles.tests_browser.test_network_at_scale import serious_violations
from circles.tests_browser.test_overflow import Sweep
from conftest import make_persona, verify_second_factor

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 700}


@pytest.fixture
def context_options():
    return {"viewport": NARROW, "java_script_enabled": False}


@pytest.fixture
def care(transactional_db):
    riley, casey, olivia = make_persona("riley"), make_persona("casey"), make_persona("olivia")
    harbor = make_organization(olivia, casey)
    enrolment = enrol(riley, harbor)
    later = Appointment(
        kind="group", mode="video", starts_at=timezone.now() + dt.timedelta(days=2), duration_minutes=90
    )
    later.place = "https://video.example/join/a-rather-long-meeting-link-that-must-wrap-on-a-phone?pin=123456"
    do_schedule_session(enrolment, later, staff=harbor.counselor, acting_user=casey)
    past = Appointment(
        kind="individual",
        mode="in_person",
        starts_at=timezone.now() - dt.timedelta(days=1),
        duration_minutes=50,
    )
    do_schedule_session(enrolment, past, staff=harbor.counselor, acting_user=casey)
    do_record_attendance(past, Attendance.ATTENDED, acting_user=casey)
    do_send_message(
        enrolment, "Looking forward to Thursday. " * 20, from_member=True, origin="", acting_user=riley
    )
    do_send_message(enrolment, "See you then.", from_member=False, origin="", acting_user=casey)
    return {"riley": riley, "casey": casey, "enrolment": enrolment}


def cookies_for(user, live_server):
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    verify_second_factor(client, user)
    return [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]


def test_session_and_message_pages_fit_a_phone_and_pass_axe(care, context, page, browser, live_server):
    enrolment = care["enrolment"]
    pages = {
        care["casey"]: [
            f"/care/enrolments/{enrolment.pk}/sessions/",
            f"/care/enrolments/{enrolment.pk}/messages/",
            "/care/sessions/",
            "/care/sessions/group/",
            "/care/messages/",
        ],
        care["riley"]: ["/network/commitments/", f"/care/my-care/{enrolment.pk}/messages/"],
    }
    for user, paths in pages.items():
        cookies = cookies_for(user, live_server)
        context.clear_cookies()
        context.add_cookies(cookies)
        sweep = Sweep(page)
        for path in paths:
            sweep.visit(path)
            assert serious_violations(browser, live_server, path, cookies) == [], path


def test_casey_schedules_and_riley_sees_it(care, context, page, live_server):
    enrolment = care["enrolment"]
    context.add_cookies(cookies_for(care["casey"], live_server))
    page.goto(f"/care/enrolments/{enrolment.pk}/sessions/")
    page.get_by_label("Phone").check()
    page.get_by_label("Individual session").check()
    when = (timezone.now() + dt.timedelta(days=5)).astimezone(dt.UTC)
    page.get_by_label("Date and time (your time)").fill(when.strftime("%Y-%m-%dT10:00"))
    page.get_by_label("Where, or how to join (optional)").fill("Call 555-0100")
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text("Session scheduled.")).to_be_visible()
    context.clear_cookies()
    context.add_cookies(cookies_for(care["riley"], live_server))
    page.goto("/network/commitments/")
    expect(page.get_by_text("Call 555-0100")).to_be_visible()
