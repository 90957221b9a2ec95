"""Permission grid of the message pages: the care team reads and answers an enrolled member's thread;
staff of another organization, staff not on the care team, outsiders, and the care team once the consent
is revoked or expired or the enrolment ended get 404 and a refused row. The member's own thread is theirs
alone, readable after the enrolment ends."""

import pytest

from circles.care import threads
from circles.care.models import Message
from circles.care.tests.grid import LOSSES, assert_refused, lose_access
from circles.network.tests.test_permissions import call


@pytest.fixture(autouse=True)
def _notices_inline(monkeypatch):
    monkeypatch.setattr(threads, "in_background", lambda task: task())


def staff_routes(enrolment):
    url = f"/care/enrolments/{enrolment.pk}/messages/"
    return [("get", url, None), ("post", url, {"body": "hello"})]


def member_routes(enrolment):
    url = f"/care/my-care/{enrolment.pk}/messages/"
    return [("get", url, None), ("post", url, {"body": "hello"})]


def test_the_care_team_and_the_member_reach_their_sides(enrolment, riley, casey, client_for):
    for actor, routes in ((casey, staff_routes(enrolment)), (riley, member_routes(enrolment))):
        client = client_for(actor)
        for method, url, data in routes:
            assert call(client, method, url, data).status_code in (200, 302), (actor, method, url)
    assert Message.objects.count() == 2
    assert client_for(casey).get("/care/messages/").status_code == 200


@pytest.mark.parametrize("who", ["colleague", "elsewhere", "outsider"])
def test_others_get_404_and_a_refused_row(
    who, enrolment, colleague, elsewhere, jamie, mallory, sam, client_for
):
    actor = {"colleague": jamie, "elsewhere": mallory, "outsider": sam}[who]
    assert_refused(client_for(actor), actor, [*staff_routes(enrolment), *member_routes(enrolment)])
    assert not Message.objects.exists()
    page = client_for(actor).get("/care/messages/")
    assert page.status_code == 200 and "Riley" not in page.content.decode()


def test_the_care_team_cannot_use_the_members_side(enrolment, casey, client_for):
    assert_refused(client_for(casey), casey, member_routes(enrolment))


@pytest.mark.parametrize("how", LOSSES)
def test_the_care_team_loses_the_thread(how, enrolment, casey, client_for):
    at = lose_access(enrolment, how)
    assert_refused(client_for(casey), casey, staff_routes(enrolment), at=at)
    assert "Riley" not in client_for(casey).get("/care/messages/").content.decode()


def test_signed_out_people_are_sent_to_sign_in(enrolment, client_for):
    client = client_for(None)
    for method, url, data in [
        *staff_routes(enrolment),
        *member_routes(enrolment),
        ("get", "/care/messages/", None),
    ]:
        response = call(client, method, url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], (method, url)
