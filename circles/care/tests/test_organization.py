"""Olivia's pages: creating an organization, its page, programs, staff changes and ends, the last
administrator, enrolled members and consent records (bounded queries, audited reads)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from circles.accounts.models import Role
from circles.audit.models import AuditEvent, Outcome
from circles.care.access import access_enrolment
from circles.care.actions import do_add_staff, do_change_staff, do_end_staff
from circles.care.models import CareTeamMember, Organization, StaffMembership, StaffRole
from circles.care.tests.factories import enrol
from circles.sharing.tests.factories import grant, link
from conftest import verify_second_factor


def test_anyone_signed_in_creates_an_organization_and_administers_it(riley, client_for):
    client = client_for(riley)
    response = client.post(
        reverse("care:organization_new"),
        {
            "name": "Harbor Recovery Center",
            "kind": "treatment_centre",
            "program_name": "Intensive outpatient",
        },
    )
    organization = Organization.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("care:organization", args=[organization.pk])
    membership = StaffMembership.objects.get(organization=organization)
    assert membership.user == riley and membership.role == StaffRole.ADMINISTRATOR
    assert riley.has_role(Role.Kind.ORG_ADMIN)
    assert list(organization.programs.values_list("name", flat=True)) == ["Intensive outpatient"]
    assert AuditEvent.objects.filter(action="organization.create", actor=riley).exists()
    # The administrator role needs two-factor sign-in: the next page asks to set it up.
    assert client.get(response["Location"]).status_code == 302
    verify_second_factor(client, riley)
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Harbor Recovery Center" in page.text


def test_an_unverified_email_cannot_create_an_organization(riley, client_for):
    riley.email_verified_at = None
    riley.save()
    response = client_for(riley).post(
        reverse("care:organization_new"),
        {"name": "Harbor", "kind": "treatment_centre", "program_name": "IOP"},
    )
    assert response.status_code == 400 and not Organization.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "kind": "treatment_centre", "program_name": "IOP"},
        {"name": "Harbor", "kind": "castle", "program_name": "IOP"},
        {"name": "Harbor", "kind": "treatment_centre", "program_name": ""},
        {"name": "Harbor\u200b", "kind": "treatment_centre", "program_name": "IOP"},
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(riley, client_for, data):
    response = client_for(riley).post(reverse("care:organization_new"), data)
    assert response.status_code == 400 and not Organization.objects.exists()
    assert 'class="form-summary"' in response.text or "form-errors" in response.text


def test_a_person_lists_every_organization_they_work_for(harbor, elsewhere, casey, client_for):
    do_add_staff(elsewhere.organization, casey, role=StaffRole.THERAPIST, acting_user=elsewhere.admin.user)
    page = client_for(casey).get(reverse("care:organization_list")).text
    assert "Harbor Recovery Center" in page and "Elsewhere Clinic" in page


def test_the_administrator_sees_staff_invitations_programs_and_counts(harbor, enrolment, client_for, olivia):
    page = client_for(olivia).get(reverse("care:organization", args=[harbor.organization.pk])).text
    assert "Casey" in page.split("staff-caption")[-1]
    assert "Invite staff" in page and "Intensive outpatient" in page
    assert "1 member enrolled" in page


def test_other_staff_see_a_read_only_staff_list(harbor, casey, client_for):
    page = client_for(casey).get(reverse("care:organization", args=[harbor.organization.pk])).text
    assert "Olivia" in page and "Invite staff" not in page and "Change or end" not in page


def test_programs_are_added_and_stop_taking_enrolments(harbor, olivia, client_for):
    client = client_for(olivia)
    organization = harbor.organization
    url = reverse("care:program_add", args=[organization.pk])
    assert client.post(url, {"name": "Family program"}).status_code == 302
    assert client.post(url, {"name": "family PROGRAM"}).status_code == 400  # the same name twice
    program = organization.programs.get(name="Family program")
    client.post(reverse("care:program_active", args=[organization.pk, program.pk]), {"active": "0"})
    program.refresh_from_db()
    assert not program.active
    assert AuditEvent.objects.filter(action="program.deactivate", object_ref=f"program:{program.pk}").exists()


def test_the_administrator_changes_role_supervision_and_on_call(harbor, olivia, client_for):
    url = reverse("care:staff_member", args=[harbor.organization.pk, harbor.counselor.pk])
    response = client_for(olivia).post(url, {"role": "therapist", "clinical_supervisor": "on"})
    assert response.status_code == 302
    harbor.counselor.refresh_from_db()
    assert harbor.counselor.role == "therapist" and harbor.counselor.clinical_supervisor
    assert not harbor.counselor.on_call
    assert AuditEvent.objects.filter(
        action="staff.change", object_ref=f"staff:{harbor.counselor.pk}"
    ).exists()


def test_ending_a_membership_takes_the_person_off_care_teams_and_out(
    harbor, enrolment, casey, olivia, client_for
):
    casey_client = client_for(casey)
    url = reverse("care:staff_end", args=[harbor.organization.pk, harbor.counselor.pk])
    assert client_for(olivia).post(url).status_code == 302
    harbor.counselor.refresh_from_db()
    assert harbor.counselor.ended_at is not None
    assert not CareTeamMember.objects.filter(enrolment=enrolment).exists()  # no primary now
    members = client_for(olivia).get(reverse("care:organization_members", args=[harbor.organization.pk]))
    assert "No primary" in members.text
    with pytest.raises(Http404):
        access_enrolment(casey, enrolment.pk)
    assert casey_client.get(reverse("care:organization", args=[harbor.organization.pk])).status_code == 404


def test_the_last_administrator_cannot_leave_or_step_down(harbor, olivia, casey, client_for):
    client = client_for(olivia)
    response = client.post(reverse("care:staff_end", args=[harbor.organization.pk, harbor.admin.pk]))
    assert response.status_code == 400 and "at least one administrator" in response.text
    response = client.post(
        reverse("care:staff_member", args=[harbor.organization.pk, harbor.admin.pk]), {"role": "counselor"}
    )
    assert response.status_code == 400
    harbor.admin.refresh_from_db()
    assert harbor.admin.ended_at is None and harbor.admin.role == StaffRole.ADMINISTRATOR
    # With a second administrator, the first may leave.
    do_change_staff(
        harbor.counselor,
        role=StaffRole.ADMINISTRATOR,
        clinical_supervisor=False,
        on_call=True,
        acting_user=olivia,
    )
    response = client.post(reverse("care:staff_end", args=[harbor.organization.pk, harbor.admin.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("care:organization_list")
    with pytest.raises(ValidationError):
        do_end_staff(harbor.counselor, acting_user=casey)


def _enrol_many(harbor, count):
    User = get_user_model()
    for index in range(count):
        member = User.objects.create(
            email=f"member{index}-{timezone.now().timestamp()}@example.org",
            display_name=f"Member {index}",
            email_verified_at=timezone.now(),
        )
        enrol(member, harbor)


@pytest.mark.parametrize(
    "route", ["care:organization_members", "care:organization_consents", "care:organization"]
)
def test_lists_take_the_same_number_of_queries_whatever_the_size(
    harbor, olivia, client_for, django_assert_num_queries, route
):
    client = client_for(olivia)
    url = reverse(route, args=[harbor.organization.pk])
    _enrol_many(harbor, 2)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _enrol_many(harbor, 8)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_members_list_shows_the_organizational_record_only(harbor, enrolment, olivia, client_for):
    page = client_for(olivia).get(reverse("care:organization_members", args=[harbor.organization.pk])).text
    assert "Riley" in page and "Intensive outpatient" in page and "Casey" in page
    assert "PHQ" not in page and "GAD" not in page


def test_consent_records_are_listed_and_each_read_is_audited(harbor, enrolment, olivia, client_for):
    client = client_for(olivia)
    page = client.get(reverse("care:organization_consents", args=[harbor.organization.pk])).text
    consent = enrolment.tie.consents.get()
    assert "Riley" in page and "In force" in page
    detail = client.get(reverse("care:organization_consent", args=[harbor.organization.pk, consent.pk]))
    assert detail.status_code == 200 and consent.statement.splitlines()[0] in detail.text
    event = AuditEvent.objects.get(action="consent.view", actor=olivia)
    assert event.subject_id == enrolment.member_id and event.object_ref == f"consent:{consent.pk}"
    assert event.outcome == Outcome.ALLOWED


def test_a_supporters_consent_is_not_the_organizations(harbor, olivia, riley, sam, client_for):
    consent = grant(link(riley, sam), ["mood"])
    response = client_for(olivia).get(
        reverse("care:organization_consent", args=[harbor.organization.pk, consent.pk])
    )
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="consent.view", actor=olivia, outcome=Outcome.DENIED).exists()


def test_the_members_list_is_in_each_member_s_access_history(enrolment, olivia, riley, client_for):
    from circles.audit.models import AuditEvent

    assert (
        client_for(olivia).get(f"/care/organizations/{enrolment.organization_id}/members/").status_code == 200
    )
    assert AuditEvent.objects.filter(
        action="enrolment.list",
        actor_id=olivia.pk,
        subject_id=riley.pk,
        object_ref=f"enrolment:{enrolment.pk}",
    ).exists()


@pytest.mark.parametrize("route", ["care:staff_invite", "care:program_add"])
def test_reloading_a_form_after_an_error_goes_back_to_the_organization(harbor, olivia, client_for, route):
    """A rejected form answers 400 at the form's address; reloading it (GET) must not be an empty 405."""
    client = client_for(olivia)
    url = reverse(route, args=[harbor.organization.pk])
    rejected = client.post(url, {"email": "not an email", "name": ""})
    assert rejected.status_code == 400
    page = rejected.content.decode()
    # The error is named at the top of the page, with a link to the form it is about.
    anchor = "invite-staff" if route == "care:staff_invite" else "add-program"
    assert page.index(f'href="#{anchor}"') < page.index('id="staff-caption"')
    assert f'id="{anchor}"' in page
    reload = client.get(url)
    assert reload.status_code == 302
    assert reload["Location"] == reverse("care:organization", args=[harbor.organization.pk])
    assert client.put(url).status_code == 405


def test_a_form_address_is_not_found_for_someone_not_administering(harbor, casey, client_for):
    url = reverse("care:staff_invite", args=[harbor.organization.pk])
    assert client_for(casey).get(url).status_code == 404
