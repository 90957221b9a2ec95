"""A crisis ladder's "my care team" rung, as the member sees it and as the alert pages guard it: the
organization's staff are asked in its place (circles/care names them), and answer on the care team's pages,
never on the supporters' page for the alert."""

import pytest

from circles.alerts import logic
from circles.alerts.actions import do_raise_sos
from circles.alerts.tests.factories import ladder
from circles.audit.models import AuditEvent, Outcome
from circles.care.access import access_team_alert
from circles.care.actions import do_add_staff, do_answer_team_alert
from circles.care.models import CareTeamMember, StaffRole
from circles.care.tests.test_care_alerts import make_user

CARE_TEAM = "My care team at Harbor Recovery Center — Intensive outpatient"


@pytest.fixture
def care_ladder(riley, enrolment):
    ladder(riley, enrolment.tie, channels=(logic.EMAIL, logic.IN_APP))
    return enrolment.tie


def test_the_ladder_page_names_the_care_team(riley, care_ladder, client_for):
    page = client_for(riley).get("/alerts/ladder/").content.decode()
    assert CARE_TEAM in page and "can be asked" in page
    assert "who are on call" in page


def test_the_sos_form_says_the_care_team_is_asked(riley, care_ladder, client_for):
    page = client_for(riley).get("/alerts/sos/").content.decode()
    assert CARE_TEAM in page


def test_the_members_alert_page_shows_who_on_the_care_team_was_asked(riley, care_ladder, client_for):
    alert, _created = do_raise_sos(riley, acting_user=riley)
    page = client_for(riley).get(f"/alerts/{alert.pk}/").content.decode()
    assert "Casey (Harbor Recovery Center — Intensive outpatient)" in page


def test_staff_are_refused_the_supporters_page_for_the_alert(riley, casey, care_ladder, client_for):
    alert, _created = do_raise_sos(riley, acting_user=riley)
    client = client_for(casey)
    for method, url in (("get", f"/alerts/asked/{alert.pk}/"), ("post", f"/alerts/asked/{alert.pk}/answer/")):
        assert getattr(client, method)(url).status_code == 404
    assert AuditEvent.objects.filter(actor_id=casey.pk, outcome=Outcome.DENIED).count() == 2
    assert f"/alerts/asked/{alert.pk}/" not in client.get("/supporting/").content.decode()
    assert client.get(f"/care/alerts/asked/{alert.pk}/").status_code == 200


def test_the_members_alert_page_shows_which_staff_member_answered(
    riley, casey, harbor, enrolment, client_for
):
    pat = make_user("pat@example.org", "Pat")
    CareTeamMember.objects.create(
        enrolment=enrolment,
        staff=do_add_staff(
            harbor.organization, pat, role=StaffRole.PEER_SPECIALIST, acting_user=harbor.admin.user
        ),
    )
    ladder(riley, enrolment.tie, channels=(logic.IN_APP,))
    alert, _created = do_raise_sos(riley, acting_user=riley)
    do_answer_team_alert(access_team_alert(casey, alert.pk, write=True), acting_user=casey)
    page = client_for(riley).get(f"/alerts/{alert.pk}/").content.decode()
    assert page.count("Yes, reaching out") == 1
    assert "Pat (Harbor Recovery Center — Intensive outpatient)" in page
