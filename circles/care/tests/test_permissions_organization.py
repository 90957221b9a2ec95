"""The permission grid of Olivia's pages (circles/care/views/organization.py).

- The organization's administrator: every route answers (200, or 302 after a change).
- Other staff of the organization: the read-only organization page (staff and programs) answers 200;
  every other route answers 404 with a refused audit row.
- Staff and the administrator of another organization, and outsiders: 404 and a refused row everywhere,
  including with their own organization's id and this organization's records' ids.
- A person whose membership ended: 404 and a refused row, from the next request.
- Signed out: the login page.
"""

import copy
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from circles.care.actions import do_end_staff, do_import_organization_questionnaire, do_invite_staff
from circles.care.tests.grid import LOSSES, assert_refused, lose_access
from circles.checkins import definitions
from circles.network.tests.test_permissions import call


@pytest.fixture
def world(harbor, enrolment, olivia):
    organization = harbor.organization
    program = organization.programs.get()
    invitation = do_invite_staff(
        organization,
        email="new@example.org",
        role="counselor",
        clinical_supervisor=False,
        origin="http://testserver/",
        acting_user=olivia,
    )
    resource = copy.deepcopy(definitions.builtin_resource("who5"))
    resource["version"] = "harbor"
    wording = do_import_organization_questionnaire(
        organization, "who5", resource, activate=True, acting_user=olivia
    )
    consent = enrolment.tie.consents.get()
    return {
        "organization": organization.pk,
        "program": program.pk,
        "invitation": invitation.pk,
        "staff": harbor.counselor.pk,
        "consent": consent.pk,
        "wording": wording.pk,
    }


def _upload():
    resource = copy.deepcopy(definitions.builtin_resource("who5"))
    resource["version"] = "grid"
    return {
        "instrument": "who5",
        "questionnaire": SimpleUploadedFile("q.json", json.dumps(resource).encode()),
    }


def admin_routes(ids, org=None):
    """Every route only an administrator reaches, as (method, url, data); `org` swaps the organization id
    (another organization's own id, with this organization's records)."""
    o = org or ids["organization"]
    return [
        ("get", reverse("care:organization_members", args=[o]), None),
        ("get", reverse("care:organization_consents", args=[o]), None),
        ("get", reverse("care:organization_consent", args=[o, ids["consent"]]), None),
        ("get", reverse("care:organization_questionnaires", args=[o]), None),
        ("post", reverse("care:organization_questionnaires", args=[o]), _upload()),
        (
            "post",
            reverse("care:organization_questionnaire_active", args=[o, ids["wording"]]),
            {"active": "0"},
        ),
        ("post", reverse("care:program_add", args=[o]), {"name": "Grid program"}),
        ("post", reverse("care:program_active", args=[o, ids["program"]]), {"active": "0"}),
        ("post", reverse("care:staff_invite", args=[o]), {"email": "grid@example.org", "role": "therapist"}),
        ("post", reverse("care:staff_invitation_resend", args=[o, ids["invitation"]]), {}),
        ("post", reverse("care:staff_invitation_cancel", args=[o, ids["invitation"]]), {}),
        ("get", reverse("care:staff_member", args=[o, ids["staff"]]), None),
        (
            "post",
            reverse("care:staff_member", args=[o, ids["staff"]]),
            {"role": "therapist", "on_call": "on"},
        ),
        ("post", reverse("care:staff_end", args=[o, ids["staff"]]), {}),
    ]


def all_routes(ids, org=None):
    o = org or ids["organization"]
    return [("get", reverse("care:organization", args=[o]), None), *admin_routes(ids, org)]


def test_the_administrator_reaches_every_route(world, olivia, client_for):
    client = client_for(olivia)
    for method, url, data in all_routes(world):
        response = call(client, method, url, data)
        assert response.status_code in (200, 302), (method, url, response.status_code)


def test_other_staff_see_the_read_only_page_and_nothing_else(world, casey, client_for):
    client = client_for(casey)
    assert client.get(reverse("care:organization", args=[world["organization"]])).status_code == 200
    assert_refused(client, casey, admin_routes(world))


def test_a_colleague_not_on_the_care_team_is_refused_too(world, colleague, jamie, client_for):
    assert_refused(client_for(jamie), jamie, admin_routes(world))


@pytest.mark.parametrize("persona", ["mallory", "sam", "riley"])
def test_another_organization_and_outsiders_get_404(world, elsewhere, personas, jamie, client_for, persona):
    actor = {"mallory": elsewhere.admin.user, "sam": personas["sam"], "riley": personas["riley"]}[persona]
    client = client_for(actor)
    assert_refused(client, actor, all_routes(world))


def test_another_administrator_cannot_reach_records_through_their_own_organization(
    world, elsewhere, mallory, client_for
):
    own = elsewhere.organization.pk
    # The routes that name one of this organization's records: a second number in the address.
    record_routes = [
        route for route in admin_routes(world, org=own) if len(re.findall(r"/\d+/", route[1])) == 2
    ]
    assert len(record_routes) == 8
    assert_refused(client_for(mallory), mallory, record_routes)


def test_an_ended_membership_reaches_nothing(world, harbor, olivia, casey, client_for):
    client = client_for(casey)
    do_end_staff(harbor.counselor, acting_user=olivia)
    assert_refused(client, casey, all_routes(world))


def test_signed_out_visitors_are_sent_to_log_in(world, client):
    routes = all_routes(world) + [
        ("get", reverse("care:organization_list"), None),
        ("get", reverse("care:organization_new"), None),
    ]
    for method, url, data in routes:
        response = call(client, method, url, data)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")), url


def test_anyone_signed_in_reaches_the_list_and_the_new_organization_form(world, sam, client_for):
    client = client_for(sam)
    assert client.get(reverse("care:organization_list")).status_code == 200
    assert client.get(reverse("care:organization_new")).status_code == 200


@pytest.mark.parametrize("how", LOSSES)
def test_a_members_lost_consent_leaves_the_organizations_records_but_not_their_data(
    world, enrolment, olivia, client_for, how
):
    """The organization keeps its record of each consent (42 CFR Part 2 asks for it), revoked, expired
    or ended ones too; an ended enrolment leaves the members list. None of these pages shows member data."""
    lose_access(enrolment, how)
    client = client_for(olivia)
    consents = client.get(reverse("care:organization_consents", args=[world["organization"]]))
    assert consents.status_code == 200 and "Riley" in consents.text and "In force" not in consents.text
    detail = client.get(reverse("care:organization_consent", args=[world["organization"], world["consent"]]))
    assert detail.status_code == 200
    members = client.get(reverse("care:organization_members", args=[world["organization"]])).text
    assert ("Riley" in members) is (how != "ended")
