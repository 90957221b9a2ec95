"""Review of issue 15: holes found by attacking the care pages, each pinned by a test."""

from django.urls import reverse

from circles.audit.models import AuditEvent, Outcome
from circles.care.access import care_team_accesses
from circles.care.actions import do_change_staff
from circles.care.models import CareTeamMember, StaffRole


def test_a_care_team_member_made_administrator_reads_nothing_of_the_member(
    enrolment, harbor, casey, olivia, client_for
):
    """An administrator reads no member's data (docs/care.md, "Roles"): a counselor on a care team who
    becomes an administrator leaves the care team, and the record answers them 404 with a refused row."""
    do_change_staff(
        harbor.counselor,
        role=StaffRole.ADMINISTRATOR,
        clinical_supervisor=False,
        on_call=True,
        acting_user=olivia,
    )
    client = client_for(casey)
    for url in (
        reverse("care:record", args=[enrolment.pk]),
        reverse("care:notes", args=[enrolment.pk]),
        reverse("care:enrolment_messages", args=[enrolment.pk]),
    ):
        before = AuditEvent.objects.filter(actor_id=casey.pk, outcome=Outcome.DENIED).count()
        assert client.get(url).status_code == 404, url
        assert AuditEvent.objects.filter(actor_id=casey.pk, outcome=Outcome.DENIED).count() > before
    assert care_team_accesses(casey) == []
    assert not CareTeamMember.objects.filter(staff=harbor.counselor).exists()
