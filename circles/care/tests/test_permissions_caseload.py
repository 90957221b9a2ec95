"""The caseload's permission grid. /care/ is a list, not one member's route: nobody is refused the page
itself, but it shows only the members whose care team the viewer is on, while the enrolment is active and
the consent live, and reads (and audits) nothing about anyone else."""

import pytest
from django.urls import reverse

from circles.audit.models import AuditEvent
from circles.care.tests.grid import LOSSES, lose_access
from circles.sharing import logic as sharing

URL = reverse("care:caseload")


def reads_about(member, actor) -> int:
    return AuditEvent.objects.filter(
        actor_id=actor.pk, subject_id=member.pk, action=sharing.SHARED_VIEW
    ).count()


def test_the_care_team_sees_the_member(enrolment, riley, casey, client_for):
    response = client_for(casey).get(URL)
    assert response.status_code == 200 and riley.display_name in response.content.decode()
    assert reads_about(riley, casey) == 1


def test_a_colleague_not_on_the_care_team_sees_nothing_of_the_member(
    harbor, enrolment, colleague, riley, jamie, client_for
):
    client = client_for(jamie)
    for query in ({}, {"staff": harbor.counselor.pk}, {"reason": "no_checkin"}):
        response = client.get(URL, query)
        assert response.status_code == 200
        assert riley.display_name not in response.content.decode()
    assert reads_about(riley, jamie) == 0


def test_staff_of_another_organization_and_its_administrator_see_nothing(
    enrolment, elsewhere, riley, mallory, olivia, client_for
):
    for outsider in (mallory, olivia):  # olivia administers Harbor but is not on riley's care team
        response = client_for(outsider).get(URL)
        assert response.status_code == 200
        assert riley.display_name not in response.content.decode()
        assert reads_about(riley, outsider) == 0


@pytest.mark.parametrize("how", LOSSES)
def test_after_a_revoked_or_expired_consent_or_an_ended_enrolment_the_member_is_gone(
    enrolment, riley, casey, client_for, how
):
    client = client_for(casey)
    assert riley.display_name in client.get(URL).content.decode()
    lose_access(enrolment, how)
    before = reads_about(riley, casey)
    response = client.get(URL)
    assert response.status_code == 200
    assert riley.display_name not in response.content.decode()
    assert reads_about(riley, casey) == before  # nothing read about them any more


def test_signed_out_goes_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_only_get(enrolment, casey, client_for):
    assert client_for(casey).post(URL).status_code == 405
