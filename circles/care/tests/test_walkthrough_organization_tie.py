"""An organization's tie follows the enrolment (walk-through, issue 15): the member's network pages and API
neither pause, resume, end nor delete it (leaving the program on My care does), its page and form ask
nothing that only makes sense of a person, and no new consent reaches an organization left behind."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from circles.care.actions import do_end_enrolment
from circles.care.models import EnrolmentStatus
from circles.care.tests.factories import CASELOAD_SCOPES
from circles.network.models import Tie, TieStatus
from circles.network.tests.test_tie_views import VALID
from circles.sharing.actions import do_grant_consent
from circles.sharing.models import Consent


def send(client, method, url, data=None):
    return getattr(client, method)(url, data=json.dumps(data or {}), content_type="application/json")


@pytest.mark.parametrize("status", [TieStatus.ENDED, TieStatus.PAUSED, TieStatus.ACTIVE])
def test_the_tie_page_does_not_change_an_organization_tie_status(enrolment, riley, client_for, status):
    client = client_for(riley)
    response = client.post(reverse("network:tie_status", args=[enrolment.tie_id]), {"status": status})
    assert response.status_code == 400
    assert "My care" in response.content.decode()
    enrolment.refresh_from_db()
    enrolment.tie.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ACTIVE and enrolment.tie.status == TieStatus.ACTIVE


def test_the_tie_page_offers_leaving_the_program_instead_of_status_and_delete(enrolment, riley, client_for):
    page = client_for(riley).get(reverse("network:tie_detail", args=[enrolment.tie_id])).content.decode()
    assert "Change status" not in page and reverse("network:tie_delete", args=[enrolment.tie_id]) not in page
    assert reverse("care:my_care") in page
    for question in ("Their substance use", "Stance toward your recovery", "Strain"):
        assert question not in page


def test_the_tie_form_asks_no_person_questions_of_an_organization(enrolment, riley, client_for):
    client = client_for(riley)
    url = reverse("network:tie_edit", args=[enrolment.tie_id])
    page = client.get(url).content.decode()
    for question in ("Their substance use", "Stance toward", "Pressure to use", "boundaries"):
        assert question not in page
    assert client.post(url, {**VALID, "display_name": "Harbor"}).status_code == 302


def test_deleting_an_organization_tie_is_refused(enrolment, riley, client_for):
    client = client_for(riley)
    url = reverse("network:tie_delete", args=[enrolment.tie_id])
    assert client.get(url).status_code == 400
    response = client.post(url)
    assert response.status_code == 400 and "My care" in response.content.decode()
    assert Tie.objects.filter(pk=enrolment.tie_id).exists()


def test_the_api_refuses_status_changes_and_deletion_of_an_organization_tie(enrolment, riley, client_for):
    client = client_for(riley)
    response = send(client, "post", f"/api/v1/ties/{enrolment.tie_id}/status", {"status": "ended"})
    assert response.status_code == 400 and "My care" in json.dumps(response.json())
    response = send(client, "delete", f"/api/v1/ties/{enrolment.tie_id}")
    assert response.status_code == 400
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ACTIVE and Tie.objects.filter(pk=enrolment.tie_id).exists()


def test_leaving_ends_the_tie_and_no_consent_reaches_the_organization_after(enrolment, riley, client_for):
    do_end_enrolment(enrolment, acting_user=riley)
    enrolment.tie.refresh_from_db()
    assert enrolment.tie.status == TieStatus.ENDED
    client = client_for(riley)
    # The tie cannot be resumed from the network page or API, so no new consent can be signed.
    client.post(reverse("network:tie_status", args=[enrolment.tie_id]), {"status": "active"})
    send(client, "post", f"/api/v1/ties/{enrolment.tie_id}/status", {"status": "active"})
    enrolment.tie.refresh_from_db()
    assert enrolment.tie.status == TieStatus.ENDED
    with pytest.raises(ValidationError, match="left"):
        do_grant_consent(
            enrolment.tie,
            scopes=CASELOAD_SCOPES,
            purpose="",
            expires_on=None,
            signature_name="Riley",
            acting_user=riley,
        )
    consents = Consent.objects.filter(tie=enrolment.tie).count()
    sign = {"scopes": CASELOAD_SCOPES, "signature_name": "Riley"}
    response = client.post(reverse("sharing:tie", args=[enrolment.tie_id]), sign)
    assert response.status_code == 400 and "left this program" in response.content.decode()
    assert Consent.objects.filter(tie=enrolment.tie).count() == consents
