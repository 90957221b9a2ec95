"""The permission grid of the care-team alert inbox: /care/alerts/, a signal's follow-up page and an alert
asking the care team. Staff of another organization, staff not on the care team, outsiders and the member
are answered 404 with a refused row; so is the care team itself once the consent is revoked or expired or
the enrolment ended; signed out, every page asks to log in."""

import pytest

from circles.alerts import logic
from circles.alerts.actions import do_raise_sos
from circles.alerts.tests.factories import ladder
from circles.care.tests.grid import LOSSES, assert_refused, lose_access
from circles.checkins.actions import do_ask_for_help
from circles.network.tests.test_permissions import call


@pytest.fixture
def targets(riley, enrolment):
    signal = do_ask_for_help(riley, acting_user=riley)
    ladder(riley, enrolment.tie, channels=(logic.IN_APP,))
    alert, _created = do_raise_sos(riley, acting_user=riley)
    return signal, alert


def routes(enrolment, signal, alert):
    return [
        ("get", f"/care/alerts/{enrolment.pk}/{signal.pk}/", None),
        ("post", f"/care/alerts/{enrolment.pk}/{signal.pk}/", {"note": "Called"}),
        ("get", f"/care/alerts/asked/{alert.pk}/", None),
        ("post", f"/care/alerts/asked/{alert.pk}/answer/", {}),
    ]


@pytest.mark.parametrize("who", ["colleague", "elsewhere", "outsider", "member"])
def test_anyone_but_the_care_team_gets_404_and_a_refused_row(
    request, enrolment, targets, client_for, sam, riley, who
):
    actor = {
        "colleague": lambda: request.getfixturevalue("colleague").user,  # Jamie: staff, not on the team
        "elsewhere": lambda: request.getfixturevalue("elsewhere").admin.user,  # Mallory: another org
        "outsider": lambda: sam,
        "member": lambda: riley,
    }[who]()
    assert_refused(client_for(actor), actor, routes(enrolment, *targets))


@pytest.mark.parametrize("how", LOSSES)
def test_the_care_team_is_refused_once_access_is_lost(enrolment, targets, casey, client_for, how):
    client = client_for(casey)
    at = lose_access(enrolment, how)
    assert_refused(client, casey, routes(enrolment, *targets), at=at)
    page = client.get("/care/alerts/").content.decode()
    assert f"/care/alerts/{enrolment.pk}/" not in page and "/care/alerts/asked/" not in page


def test_the_care_team_may(enrolment, targets, casey, client_for):
    client = client_for(casey)
    expected = [200, 302, 200, 302]
    for (method, url, data), status in zip(routes(enrolment, *targets), expected, strict=True):
        assert call(client, method, url, data).status_code == status, (method, url)
    assert client.get("/care/alerts/").status_code == 200


def test_the_inbox_is_for_staff_only(enrolment, client_for, sam, riley, olivia, colleague):
    for person in (sam, riley):
        assert client_for(person).get("/care/alerts/").status_code == 404
    for staff in (olivia, colleague.user):  # staff with nobody to follow: an empty inbox
        page = client_for(staff).get("/care/alerts/")
        assert page.status_code == 200 and "No open safety signals." in page.content.decode()


def test_signed_out_every_page_asks_to_log_in(enrolment, targets, client):
    for method, url, data in [("get", "/care/alerts/", None), *routes(enrolment, *targets)]:
        response = call(client, method, url, data)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
