"""Review of issue 15: holes found by attacking the care pages, each pinned by a test."""

import json

import pytest
from django.urls import reverse

from circles.audit.models import AuditEvent, Outcome
from circles.care.access import care_team_accesses
from circles.care.actions import do_change_staff
from circles.care.models import CareTeamMember, StaffRole
from circles.sharing.statement import ORGANIZATION_PURPOSE


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


def test_the_api_does_not_invite_anyone_onto_an_organization_tie(enrolment, riley, client_for):
    """An organization joins a circle by enrolment only; its tie is never linked to a person's account
    (the page refuses; so does the API), so nobody could stand in the care team's place."""
    from circles.sharing.models import Invitation

    client = client_for(riley)
    response = client.post(
        f"/api/v1/ties/{enrolment.tie_id}/invitations",
        data=json.dumps({"email": "someone@example.org"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Invitation.objects.filter(tie=enrolment.tie).exists()


def test_a_consent_to_an_organization_through_the_api_states_the_organizations_purpose(
    enrolment, riley, client_for
):
    client = client_for(riley)
    response = client.put(
        f"/api/v1/ties/{enrolment.tie_id}/consent",
        data=json.dumps(
            {"scopes": ["checked_in"], "purpose": "Anything else", "signature_name": riley.display_name}
        ),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    consent = enrolment.tie.consents.get(superseded_at__isnull=True)
    assert consent.purpose == str(ORGANIZATION_PURPOSE)
    assert consent.scopes == ["checked_in"]


def test_staff_enrolled_with_their_own_organization_are_not_on_their_own_care_team(
    harbor, casey, jamie, olivia, client_for
):
    """A counselor who is also a person in recovery may enrol where they work. Their colleagues care for
    them; they never read their own record as staff: a clinical supervisor would read the private process
    notes about them, which 45 CFR 164.524(a)(1)(i) keeps from the person they are about."""
    from django.core.exceptions import ValidationError

    from circles.care.actions import do_add_staff, do_add_to_care_team, do_write_note
    from circles.care.tests.factories import enrol

    supervisor = do_add_staff(
        harbor.organization, jamie, role=StaffRole.THERAPIST, clinical_supervisor=True, acting_user=olivia
    )
    enrolment = enrol(jamie, harbor, primary=supervisor)  # the invitation named them primary
    do_add_to_care_team(enrolment, harbor.counselor, acting_user=olivia)
    do_write_note(enrolment, kind="process", body="Hypothesis", acting_user=casey)
    assert client_for(jamie).get(reverse("care:notes", args=[enrolment.pk])).status_code == 404
    assert care_team_accesses(jamie) == []
    with pytest.raises(ValidationError):
        do_add_to_care_team(enrolment, supervisor, acting_user=olivia)
    assert not CareTeamMember.objects.filter(enrolment=enrolment, staff=supervisor).exists()


def test_a_message_or_note_of_invisible_characters_only_is_refused(enrolment, casey, client_for):
    """Zero-width spaces look empty: such a message would send the whole care team a notice of nothing."""
    from circles.care.models import ClinicalNote, Message

    client = client_for(casey)
    blank = "\u200b\u2060\ufeff \u200d"
    response = client.post(reverse("care:enrolment_messages", args=[enrolment.pk]), {"body": blank})
    assert response.status_code == 400
    response = client.post(reverse("care:notes", args=[enrolment.pk]), {"kind": "progress", "body": blank})
    assert response.status_code == 400
    assert not Message.objects.exists() and not ClinicalNote.objects.exists()


def test_a_care_team_row_of_another_enrolment_is_refused_on_record(
    harbor, enrolment, casey, sam, olivia, client_for
):
    """/care/enrolments/<mine>/team/<a row of someone else's team>/remove/: 404 and a refused row, and
    the other member's care team is untouched."""
    from circles.care.tests.factories import enrol

    other = enrol(sam, harbor)
    row = other.care_team.get()
    client = client_for(casey)
    for action in ("care:care_team_remove", "care:care_team_primary"):
        before = AuditEvent.objects.filter(actor_id=casey.pk, outcome=Outcome.DENIED).count()
        response = client.post(reverse(action, args=[enrolment.pk, row.pk]))
        assert response.status_code == 404
        assert AuditEvent.objects.filter(actor_id=casey.pk, outcome=Outcome.DENIED).count() > before
    assert other.care_team.filter(pk=row.pk).exists()


def test_the_members_access_history_says_what_the_care_team_did_in_plain_words(
    enrolment, casey, riley, client_for
):
    """Every care action recorded about the member reads as words in their access history, never as an
    audit code ("care.note.view")."""
    from circles.audit.models import AuditEvent as Row
    from circles.sharing.views import describe_event

    client = client_for(casey)
    client.get(reverse("care:notes", args=[enrolment.pk]))
    client.post(reverse("care:notes", args=[enrolment.pk]), {"kind": "progress", "body": "Plan"})
    client.get(reverse("care:enrolment_messages", args=[enrolment.pk]))
    client.post(reverse("care:enrolment_messages", args=[enrolment.pk]), {"body": "Hello"})
    codes = {
        "care.alerts.view",
        "care.follow_up.create",
        "care.session.create",
        "care.session.change",
        "care.session.cancel",
        "care.session.attendance",
        "session.view",
        "session.change",
    } | set(Row.objects.filter(subject=riley, actor=casey).values_list("action", flat=True))
    for code in codes:
        assert describe_event(Row(action=code, object_ref="")) != code, code
    page = client_for(riley).get(reverse("sharing:access_history")).content.decode()
    assert "care.note" not in page and "care.message" not in page
