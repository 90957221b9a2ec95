"""Who reaches an enrolled member: their care team while the enrolment is active and the consent live;
nobody else, and every refusal is audited."""

import datetime as dt

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from circles.audit.models import AuditEvent, Outcome
from circles.care.access import access_enrolment, access_organization, care_team_accesses
from circles.care.actions import do_add_staff, do_end_enrolment
from circles.care.models import EnrolmentStatus, StaffRole
from circles.care.tests.factories import enrol, make_organization
from circles.network.actions import do_change_tie_status
from circles.sharing import logic as sharing
from circles.sharing.actions import do_revoke_consent
from circles.sharing.models import Consent


@pytest.fixture
def harbor(olivia, casey):
    return make_organization(olivia, casey)


def refused(actor, enrolment) -> bool:
    return AuditEvent.objects.filter(
        actor_id=actor.pk, object_ref=f"enrolment:{enrolment.pk}", outcome=Outcome.DENIED
    ).exists()


def test_the_care_team_reaches_an_enrolled_member_through_the_consent(harbor, riley, casey):
    enrolment = enrol(riley, harbor)
    care = access_enrolment(casey, enrolment.pk, scope=sharing.MOOD)
    assert care.member == riley
    assert care.allows(sharing.NETWORK_MAP)
    assert [c.enrolment for c in care_team_accesses(casey)] == [enrolment]
    consent = Consent.objects.get(tie=enrolment.tie, superseded_at__isnull=True)
    assert consent.recipient_kind == "organization" and consent.recipient_account is None
    assert "care team" in consent.statement and consent.is_live()


def test_the_consent_to_an_organization_never_reaches_an_account_linked_as_a_supporter(harbor, riley, sam):
    enrolment = enrol(riley, harbor)
    assert not Consent.objects.live_for(sam).exists()
    assert enrolment.tie.supporter is None


def test_staff_not_on_the_care_team_and_staff_elsewhere_are_refused(harbor, riley, olivia, mallory, sam):
    enrolment = enrol(riley, harbor)
    colleague = do_add_staff(harbor.organization, sam, role=StaffRole.THERAPIST, acting_user=olivia)
    other = make_organization(mallory, name="Elsewhere Clinic")
    for outsider in (olivia, colleague.user, other.admin.user):
        with pytest.raises(Http404):
            access_enrolment(outsider, enrolment.pk)
        assert refused(outsider, enrolment)
    with pytest.raises(Http404):
        access_organization(mallory, harbor.organization.pk)


def test_a_scope_not_shared_is_refused(harbor, riley, casey):
    enrolment = enrol(riley, harbor, scopes=[sharing.CHECKED_IN])
    with pytest.raises(Http404):
        access_enrolment(casey, enrolment.pk, scope=sharing.MOOD)
    assert refused(casey, enrolment)


@pytest.mark.parametrize("how", ["revoke", "end_enrolment", "member_ends_tie", "expire"])
def test_every_read_stops_on_the_next_request(harbor, riley, casey, how):
    enrolment = enrol(riley, harbor, expires_on=timezone.localdate() + dt.timedelta(days=3))
    access_enrolment(casey, enrolment.pk)
    if how == "revoke":
        do_revoke_consent(enrolment.tie, acting_user=riley)
    elif how == "end_enrolment":
        do_end_enrolment(enrolment, acting_user=casey)
    elif how == "member_ends_tie":
        do_change_tie_status(enrolment.tie, "ended", acting_user=riley)
        enrolment.refresh_from_db()
        assert enrolment.status == EnrolmentStatus.ENDED
    later = timezone.now() + dt.timedelta(days=5 if how == "expire" else 0)
    with time_machine.travel(later, tick=False):
        with pytest.raises(Http404):
            access_enrolment(casey, enrolment.pk)
        assert care_team_accesses(casey) == []
    assert refused(casey, enrolment)


def test_a_person_may_work_for_several_organizations(harbor, casey, mallory):
    other = make_organization(mallory, name="Elsewhere Clinic")
    do_add_staff(other.organization, casey, role=StaffRole.THERAPIST, acting_user=mallory)
    assert access_organization(casey, harbor.organization.pk).role == StaffRole.COUNSELOR
    assert access_organization(casey, other.organization.pk).role == StaffRole.THERAPIST
