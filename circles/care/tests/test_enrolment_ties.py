"""Only enrolling makes an organization a tie: the tie form and the API refuse to make one, or to change a
tie into or out of one, with a clear message and 400. The tie's own page does not offer to invite it."""

import json

from django.urls import reverse

from circles.network.models import Relationship, Tie
from circles.network.tests.factories import make_tie
from circles.network.tests.test_tie_views import VALID


def send(client, method, url, data):
    return getattr(client, method)(url, data=json.dumps(data), content_type="application/json")


def test_the_tie_form_does_not_make_an_organization(riley, client_for):
    client = client_for(riley)
    form = client.get("/network/ties/new/").content.decode()
    assert 'value="care_organization"' not in form
    response = client.post("/network/ties/new/", {**VALID, "relationship": "care_organization"})
    assert response.status_code == 400
    assert not Tie.objects.filter(member=riley).exists()


def test_the_tie_form_keeps_an_organization_an_organization(enrolment, riley, client_for):
    client = client_for(riley)
    url = reverse("network:tie_edit", args=[enrolment.tie_id])
    page = client.get(url).content.decode()
    assert "Set by your enrolment" in page
    response = client.post(url, {**VALID, "display_name": "Harbor", "relationship": "friend"})
    enrolment.tie.refresh_from_db()
    assert response.status_code == 302  # the disabled field keeps its value whatever is posted
    assert enrolment.tie.relationship == Relationship.CARE_ORGANIZATION
    other = make_tie(riley, "Alex")
    response = client.post(
        reverse("network:tie_edit", args=[other.pk]), {**VALID, "relationship": "care_organization"}
    )
    other.refresh_from_db()
    assert response.status_code == 400 and other.relationship == "friend"


def test_the_api_refuses_to_make_or_unmake_an_organization(enrolment, riley, client_for):
    client = client_for(riley)
    response = send(
        client, "post", "/api/v1/ties", {"display_name": "Clinic", "relationship": "care_organization"}
    )
    assert response.status_code == 400
    assert "enrol" in json.dumps(response.json())
    other = make_tie(riley, "Alex")
    response = send(client, "patch", f"/api/v1/ties/{other.pk}", {"relationship": "care_organization"})
    assert response.status_code == 400
    response = send(client, "patch", f"/api/v1/ties/{enrolment.tie_id}", {"relationship": "friend"})
    assert response.status_code == 400
    enrolment.tie.refresh_from_db()
    assert enrolment.tie.relationship == Relationship.CARE_ORGANIZATION
    # Other changes to the organization's tie are fine (its name, how close it is).
    response = send(client, "patch", f"/api/v1/ties/{enrolment.tie_id}", {"circle": "inner"})
    assert response.status_code == 200


def test_the_organization_tie_page_does_not_offer_an_invitation(enrolment, riley, client_for):
    page = client_for(riley).get(reverse("network:tie_detail", args=[enrolment.tie_id])).content.decode()
    assert "Invite and share" not in page and "What their care team sees" in page
