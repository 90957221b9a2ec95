"""The care team: anyone on it, or the organization's administrator, adds a care-role colleague, removes
one, makes one primary (always exactly one); staff end an enrolment with a reason. All audited."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from circles.audit.models import AuditEvent
from circles.care.actions import do_add_staff, do_add_to_care_team, do_make_primary, do_remove_from_care_team
from circles.care.models import CareTeamMember, EnrolmentStatus, StaffRole
from circles.network.models import TieStatus
from circles.sharing.models import Consent


def team(enrolment):
    return list(
        enrolment.care_team.order_by("-is_primary", "id").values_list("staff__user__email", "is_primary")
    )


def test_the_care_team_page_adds_makes_primary_and_removes(enrolment, casey, jamie, colleague, client_for):
    staff = client_for(casey)
    url = reverse("care:care_team", args=[enrolment.pk])
    page = staff.get(url)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert jamie.display_name in page.content.decode()  # offered to add
    response = staff.post(reverse("care:care_team_add", args=[enrolment.pk]), {"staff": colleague.pk})
    assert response.status_code == 302
    assert team(enrolment) == [(casey.email, True), (jamie.email, False)]
    row = enrolment.care_team.get(staff=colleague)
    assert staff.post(reverse("care:care_team_primary", args=[enrolment.pk, row.pk])).status_code == 302
    assert team(enrolment) == [(jamie.email, True), (casey.email, False)]
    mine = enrolment.care_team.get(staff__user=casey)
    response = staff.post(reverse("care:care_team_remove", args=[enrolment.pk, mine.pk]))
    assert response.status_code == 302
    assert team(enrolment) == [(jamie.email, True)]
    for code in ("care_team.add", "care_team.primary", "care_team.remove"):
        assert AuditEvent.objects.filter(action=code, actor=casey, subject=enrolment.member).exists()
    # Off the team now: the page is no longer Casey's.
    assert staff.get(url).status_code == 404


def test_the_administrator_manages_the_team_without_being_on_it(enrolment, olivia, colleague, client_for):
    admin = client_for(olivia)
    assert admin.get(reverse("care:care_team", args=[enrolment.pk])).status_code == 200
    assert (
        admin.post(reverse("care:care_team_add", args=[enrolment.pk]), {"staff": colleague.pk}).status_code
        == 302
    )
    assert enrolment.care_team.filter(staff=colleague).exists()


def test_only_care_roles_of_the_same_organization_can_join_a_care_team(enrolment, harbor, olivia, elsewhere):
    with pytest.raises(ValidationError):
        do_add_to_care_team(enrolment, harbor.admin, acting_user=olivia)  # an administrator
    with pytest.raises(ValidationError):
        do_add_to_care_team(enrolment, elsewhere.admin, acting_user=olivia)
    with pytest.raises(ValidationError):
        do_add_to_care_team(enrolment, harbor.counselor, acting_user=olivia)  # already on it


def test_an_administrator_or_outsider_cannot_be_posted_onto_the_team(enrolment, harbor, casey, client_for):
    response = client_for(casey).post(
        reverse("care:care_team_add", args=[enrolment.pk]), {"staff": harbor.admin.pk}
    )
    assert response.status_code == 400
    assert not enrolment.care_team.filter(staff=harbor.admin).exists()


def test_exactly_one_primary_always(enrolment, harbor, olivia, colleague, sam):
    second = do_add_to_care_team(enrolment, colleague, acting_user=olivia)
    assert not second.is_primary
    primary = enrolment.care_team.get(is_primary=True)
    with pytest.raises(ValidationError):
        do_remove_from_care_team(primary, acting_user=olivia)
    do_make_primary(second, acting_user=olivia)
    do_make_primary(second, acting_user=olivia)  # twice: nothing changes
    assert enrolment.care_team.filter(is_primary=True).count() == 1
    do_remove_from_care_team(primary, acting_user=olivia)
    assert list(enrolment.care_team.values_list("staff", "is_primary")) == [(colleague.pk, True)]
    # Nobody left: the next one added leads.
    do_remove_from_care_team(enrolment.care_team.get(), acting_user=olivia)
    peer = do_add_staff(harbor.organization, sam, role=StaffRole.PEER_SPECIALIST, acting_user=olivia)
    assert do_add_to_care_team(enrolment, peer, acting_user=olivia).is_primary
    assert CareTeamMember.objects.filter(enrolment=enrolment, is_primary=True).count() == 1


def test_staff_end_an_enrolment_with_a_reason(enrolment, casey, riley, client_for):
    staff = client_for(casey)
    url = reverse("care:enrolment_end", args=[enrolment.pk])
    assert staff.get(url).status_code == 200
    assert staff.post(url, {"reason": "Completed the program"}).status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENDED and enrolment.end_reason == "Completed the program"
    assert enrolment.ended_by == casey and enrolment.tie.status == TieStatus.ENDED
    assert not Consent.objects.live().filter(tie=enrolment.tie).exists()
    assert AuditEvent.objects.filter(action="enrolment.end", actor=casey, subject=riley).exists()
    history = client_for(riley).get(reverse("care:my_care")).content.decode()
    assert "Completed the program" in history
    assert staff.get(url).status_code == 404


def test_the_member_reads_care_team_changes_in_plain_words(enrolment, olivia, colleague, riley, client_for):
    client_for(olivia).post(reverse("care:care_team_add", args=[enrolment.pk]), {"staff": colleague.pk})
    history = client_for(riley).get(reverse("sharing:access_history")).content.decode()
    assert "Added someone to your care team" in history and "care_team.add" not in history
