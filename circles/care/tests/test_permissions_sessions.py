"""Permission grid of the session pages: the care team may schedule, change and record; staff of another
organization, staff not on the care team, outsiders, and the care team once the consent is revoked or
expired or the enrolment ended get 404 and a refused row. A member's own sessions are theirs alone."""

import datetime as dt

import pytest
from django.utils import timezone

from circles.care.actions import do_schedule_session
from circles.care.models import Appointment
from circles.care.tests.factories import enrol, make_organization
from circles.care.tests.grid import LOSSES, assert_refused, lose_access
from circles.network.tests.test_permissions import call


def schedule(enrolment, staff):
    appointment = Appointment(
        kind="individual", mode="phone", starts_at=timezone.now() + dt.timedelta(days=2), duration_minutes=50
    )
    return do_schedule_session(enrolment, appointment, staff=staff, acting_user=staff.user)


def staff_routes(enrolment, session):
    base = f"/care/enrolments/{enrolment.pk}/sessions/"
    later = (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    form = {"kind": "individual", "mode": "video", "starts_at": later, "duration_minutes": "50", "place": ""}
    return [
        ("get", base, None),
        ("post", base, form),
        ("get", f"{base}{session.pk}/edit/", None),
        ("post", f"{base}{session.pk}/edit/", form),
        ("post", f"{base}{session.pk}/attendance/", {"attendance": "missed"}),
        ("post", f"{base}{session.pk}/cancel/", {}),
    ]


@pytest.fixture
def session(enrolment, harbor):
    return schedule(enrolment, harbor.counselor)


def test_the_care_team_reaches_every_session_route(enrolment, session, casey, client_for):
    client = client_for(casey)
    for method, url, data in staff_routes(enrolment, session):
        response = call(client, method, url, data)
        assert response.status_code in (200, 302), (method, url, response.status_code)


@pytest.mark.parametrize("who", ["colleague", "elsewhere", "outsider"])
def test_others_get_404_and_a_refused_row(
    who, enrolment, session, colleague, elsewhere, jamie, mallory, sam, client_for
):
    actor = {"colleague": jamie, "elsewhere": mallory, "outsider": sam}[who]
    assert_refused(client_for(actor), actor, staff_routes(enrolment, session))
    session.refresh_from_db()
    assert session.attendance == "" and session.mode == "phone"


@pytest.mark.parametrize("how", LOSSES)
def test_the_care_team_loses_every_session_route(how, enrolment, session, casey, client_for):
    routes = staff_routes(enrolment, session)
    at = lose_access(enrolment, how)
    assert_refused(client_for(casey), casey, routes, at=at)


def test_a_session_of_another_enrolment_is_refused_through_this_one(
    enrolment, harbor, mallory, casey, client_for
):
    other_org = make_organization(mallory, casey, name="Second Clinic")
    other = schedule(enrol(mallory, other_org), other_org.counselor)
    base = f"/care/enrolments/{enrolment.pk}/sessions/{other.pk}"
    assert_refused(
        client_for(casey),
        casey,
        [
            ("get", f"{base}/edit/", None),
            ("post", f"{base}/cancel/", {}),
            ("post", f"{base}/attendance/", {}),
        ],
    )


def test_a_members_session_file_is_theirs_alone(enrolment, session, riley, casey, sam, mallory, client_for):
    url = f"/care/my-care/sessions/{session.pk}.ics"
    assert client_for(riley).get(url).status_code == 200
    for actor in (casey, sam, mallory):
        assert_refused(client_for(actor), actor, [("get", url, None)])
    # Everyone's feed is their own: nobody else's sessions are in it.
    feed = client_for(sam).get("/care/my-care/sessions.ics")
    assert feed.status_code == 200 and "BEGIN:VEVENT" not in feed.content.decode()
    page = client_for(mallory).get("/care/sessions/")
    assert page.status_code == 200 and "Riley" not in page.content.decode()
    group = client_for(mallory).get("/care/sessions/group/")
    assert group.status_code == 200 and "Riley" not in group.content.decode()


def test_signed_out_people_are_sent_to_sign_in(enrolment, session, client_for):
    client = client_for(None)
    routes = [
        *staff_routes(enrolment, session),
        ("get", "/care/sessions/", None),
        ("get", "/care/sessions/group/", None),
        ("post", "/care/sessions/group/", {"members": [enrolment.pk]}),
        ("get", "/care/my-care/sessions.ics", None),
        ("get", f"/care/my-care/sessions/{session.pk}.ics", None),
        ("get", "/network/commitments/", None),
    ]
    for method, url, data in routes:
        response = call(client, method, url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], (method, url)
