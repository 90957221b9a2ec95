"""Enrolment with consent: staff invite (code and emailed link), the person reads what is asked, ticks what
to share and signs; the consent is to the organization; single use, expiry, rate limits; the member's
care page; leaving."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from circles.audit.models import AuditEvent, Outcome
from circles.care.access import access_enrolment
from circles.care.actions import do_invite_to_enrol
from circles.care.forms import grouped_code, normalize_code
from circles.care.models import Enrolment, EnrolmentInvitation, EnrolmentStatus, read_signed_token
from circles.care.tests.factories import enrol
from circles.care.views.enrolment import JOIN_CODE_RATE
from circles.network.models import Relationship, TieStatus
from circles.sharing import logic as sharing
from circles.sharing.models import Consent

TICKED = [sharing.CHECKED_IN, sharing.MOOD, sharing.RESULTS + "depression"]


def invite(harbor, by, email=""):
    return do_invite_to_enrol(
        harbor.organization,
        program=harbor.organization.programs.get(),
        email=email,
        primary_staff=harbor.counselor,
        origin="http://testserver/",
        acting_user=by,
    )


def consent_data(scopes=TICKED, name="Riley Morgan", **extra):
    return {"scopes": scopes, "signature_name": name, "expires_on": "", **extra}


def join_url(invitation):
    return reverse("care:join_link", kwargs={"token": invitation.token})


def test_staff_invite_by_email_and_the_person_enrols_through_the_link(
    harbor, casey, riley, client_for, django_capture_on_commit_callbacks
):
    staff = client_for(casey)
    page = staff.get(reverse("care:enrol_invite", args=[harbor.organization.pk]))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    program = harbor.organization.programs.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("care:enrol_invite", args=[harbor.organization.pk]),
            {"program": program.pk, "email": "riley@example.org", "primary_staff": harbor.counselor.pk},
        )
    invitation = EnrolmentInvitation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("care:enrol_invitation", args=[invitation.pk])
    assert invitation.primary_staff == harbor.counselor and invitation.invited_by == casey
    assert invitation.expires_at > timezone.now() + dt.timedelta(days=6)
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    # The link's token carries the second it was signed in: read it back rather than sign it again.
    (token,) = re.findall(r"/care/join/([^/\s]+)/", body)
    assert read_signed_token(token, invitation.salt) == (invitation.pk, invitation.nonce)
    assert "Harbor Recovery Center" in body
    for clinical in ("substance", "addiction", "treatment", "PHQ"):
        assert clinical.lower() not in body.lower()
    shown = staff.get(reverse("care:enrol_invitation", args=[invitation.pk]))
    assert grouped_code(invitation.code) in shown.content.decode()
    assert AuditEvent.objects.filter(action="invitation.send", actor=casey).exists()

    person = client_for(riley)
    link = re.search(r"http://testserver(/care/join/\S+/)", body).group(1)
    page = person.get(link)
    text = page.content.decode()
    assert page.status_code == 200
    assert "Intensive outpatient" in text and "Treatment and care coordination" in text
    assert not re.search(r"<input[^>]*\bchecked[\s/>=]", text)  # nothing ticked for them
    response = person.post(link, consent_data())
    assert response.status_code == 302 and response["Location"] == reverse("care:my_care")
    enrolment = Enrolment.objects.get(member=riley)
    assert enrolment.is_active and enrolment.program == program
    assert list(enrolment.care_team.values_list("staff", "is_primary")) == [(harbor.counselor.pk, True)]
    invitation.refresh_from_db()
    assert invitation.accepted_by == riley and invitation.enrolment == enrolment and invitation.accepted_at
    assert AuditEvent.objects.filter(action="invitation.accept", actor=riley, subject=riley).exists()
    assert AuditEvent.objects.filter(action="enrolment.start", subject=riley).exists()


def test_the_consent_record_names_the_care_team_the_program_and_exactly_what_was_ticked(
    harbor, riley, client_for
):
    invitation = invite(harbor, harbor.admin.user)
    day = timezone.localdate() + dt.timedelta(days=60)
    response = client_for(riley).post(join_url(invitation), consent_data(expires_on=day.isoformat()))
    assert response.status_code == 302
    consent = Consent.objects.get(member=riley, superseded_at__isnull=True)
    assert consent.recipient_kind == "organization" and consent.recipient_account is None
    assert consent.purpose == "Treatment and care coordination."
    assert consent.scopes == TICKED
    assert consent.expires_on == day
    assert consent.signature_name == "Riley Morgan"
    assert consent.recipient_relationship == Relationship.CARE_ORGANIZATION
    assert "Harbor Recovery Center — Intensive outpatient" in consent.statement
    assert "care team" in consent.statement
    assert str(sharing.SCOPE_BY_CODE[sharing.MOOD].description) in consent.statement
    assert str(sharing.SCOPE_BY_CODE[sharing.NETWORK_MAP].description) not in consent.statement
    assert consent.is_live()


def test_nothing_ticked_is_refused_and_nothing_is_saved(harbor, riley, client_for):
    invitation = invite(harbor, harbor.admin.user)
    response = client_for(riley).post(join_url(invitation), consent_data(scopes=[]))
    assert response.status_code == 400
    assert "Choose at least one" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_the_preview_shows_the_statement_and_saves_nothing(harbor, riley, client_for):
    invitation = invite(harbor, harbor.admin.user)
    response = client_for(riley).post(join_url(invitation), consent_data(preview="1"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "to be read by the members of my care team" in text and "Riley Morgan" in text
    assert not Enrolment.objects.exists()


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{grouped}", "{dashed}", "  {spaced}  "])
def test_a_code_typed_any_way_leads_to_the_consent_page(harbor, riley, client_for, typed):
    invitation = invite(harbor, harbor.admin.user)
    code = invitation.code
    value = typed.format(
        code=code,
        lower=code.lower(),
        grouped=grouped_code(code),
        dashed=code[:4] + "-" + code[4:],
        spaced=" ".join(code),
    )
    response = client_for(riley).post(reverse("care:join"), {"code": value})
    assert response.status_code == 302
    assert response["Location"] == join_url(invitation)


def test_normalize_code():
    assert normalize_code(" kq7m-2xpa ") == "KQ7M2XPA"
    assert normalize_code("KQ7M 2XPA") == "KQ7M2XPA"
    assert grouped_code("KQ7M2XPA") == "KQ7M 2XPA"


def test_a_code_enrols_like_the_link(harbor, riley, client_for):
    invitation = invite(harbor, harbor.admin.user)
    person = client_for(riley)
    link = person.post(reverse("care:join"), {"code": invitation.code})["Location"]
    assert person.post(link, consent_data()).status_code == 302
    assert Enrolment.objects.filter(member=riley, status=EnrolmentStatus.ACTIVE).count() == 1


def test_a_wrong_code_gets_a_clear_message_and_404(harbor, riley, client_for):
    invite(harbor, harbor.admin.user)
    response = client_for(riley).post(reverse("care:join"), {"code": "ZZZZ ZZZZ"})
    assert response.status_code == 404
    assert "does not match any invitation" in response.content.decode()


def test_wrong_codes_are_rate_limited_per_account(harbor, riley, sam, client_for):
    invitation = invite(harbor, harbor.admin.user)
    person = client_for(riley)
    allowed = int(JOIN_CODE_RATE.split("/")[0])
    for _ in range(allowed):
        assert person.post(reverse("care:join"), {"code": "ZZZZZZZZ"}).status_code == 404
    # Past the limit even the right code is refused for a while: guessing cannot go on.
    response = person.post(reverse("care:join"), {"code": invitation.code})
    assert response.status_code == 429


def test_an_invitation_is_single_use(harbor, riley, sam, client_for):
    invitation = invite(harbor, harbor.admin.user)
    assert client_for(riley).post(join_url(invitation), consent_data()).status_code == 302
    again = client_for(riley).get(join_url(invitation))
    assert again.status_code == 302 and again["Location"] == reverse("care:my_care")
    other = client_for(sam).post(join_url(invitation), consent_data(name="Sam Lee"))
    assert other.status_code == 410
    assert "already been used" in other.content.decode()
    assert not Enrolment.objects.filter(member=sam).exists()


def test_an_expired_invitation_says_so(harbor, riley, client_for):
    invitation = invite(harbor, harbor.admin.user)
    with time_machine.travel(invitation.expires_at + dt.timedelta(minutes=1)):
        response = client_for(riley).get(join_url(invitation))
    assert response.status_code == 410 and "expired" in response.content.decode()


def test_a_cancelled_invitation_and_an_altered_link_say_so(harbor, casey, riley, client_for):
    invitation = invite(harbor, casey)
    token = invitation.token
    staff = client_for(casey)
    assert staff.post(reverse("care:enrol_invitation_cancel", args=[invitation.pk])).status_code == 302
    response = client_for(riley).get(reverse("care:join_link", args=[token]))
    assert response.status_code == 410 and "cancelled" in response.content.decode()
    altered = client_for(riley).get(reverse("care:join_link", args=[token[:-2] + "xx"]))
    assert altered.status_code == 400
    assert AuditEvent.objects.filter(action="invitation.cancel", actor=casey).exists()


def test_resending_renews_and_the_old_link_stops_working(
    harbor, casey, riley, client_for, django_capture_on_commit_callbacks
):
    invitation = invite(harbor, casey, email="riley@example.org")
    old = invitation.token
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(casey).post(reverse("care:enrol_invitation_resend", args=[invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.token != old and len(mail.outbox) == 1
    assert client_for(riley).get(reverse("care:join_link", args=[old])).status_code == 410
    assert client_for(riley).get(join_url(invitation)).status_code == 200
    assert AuditEvent.objects.filter(action="invitation.resend", actor=casey).exists()


def test_someone_already_enrolled_is_told_so(harbor, riley, client_for, enrolment):
    invitation = invite(harbor, harbor.admin.user)
    response = client_for(riley).get(join_url(invitation))
    assert response.status_code == 409 and "already enrolled" in response.content.decode()


def test_pending_invitations_list_in_bounded_queries(
    harbor, casey, client_for, django_assert_max_num_queries
):
    staff = client_for(casey)
    url = reverse("care:enrol_invitations", args=[harbor.organization.pk])
    invite(harbor, casey)
    with django_assert_max_num_queries(12) as small:
        assert staff.get(url).status_code == 200
    for _ in range(15):
        invite(harbor, casey)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert staff.get(url).status_code == 200


def test_revoking_under_sharing_stops_staff_reads_on_the_next_request(harbor, riley, casey, client_for):
    enrolment = enrol(riley, harbor)
    assert access_enrolment(casey, enrolment.pk)
    member = client_for(riley)
    overview = member.get(reverse("sharing:overview")).content.decode()
    assert "Organizations and care teams" in overview and "Harbor Recovery Center" in overview
    assert member.post(reverse("sharing:revoke", args=[enrolment.tie_id])).status_code == 302
    with pytest.raises(Http404):
        access_enrolment(casey, enrolment.pk)
    assert AuditEvent.objects.filter(
        actor=casey, object_ref=f"enrolment:{enrolment.pk}", outcome=Outcome.DENIED
    ).exists()
    enrolment.refresh_from_db()
    assert enrolment.is_active  # stopping sharing does not end the enrolment


def test_changing_what_the_organization_sees_under_sharing(harbor, riley, casey, client_for):
    enrolment = enrol(riley, harbor)
    member = client_for(riley)
    page = member.get(reverse("sharing:tie", args=[enrolment.tie_id]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Send invitation" not in text and 'name="purpose"' not in text
    response = member.post(
        reverse("sharing:tie", args=[enrolment.tie_id]),
        {"scopes": [sharing.MOOD], "signature_name": "Riley Morgan", "expires_on": ""},
    )
    assert response.status_code == 302
    consent = Consent.objects.get(tie=enrolment.tie, superseded_at__isnull=True)
    assert consent.scopes == [sharing.MOOD] and consent.recipient_kind == "organization"
    assert consent.purpose == "Treatment and care coordination."
    assert access_enrolment(casey, enrolment.pk).scopes == frozenset({sharing.MOOD})
    detail = member.get(reverse("sharing:consent_detail", args=[consent.pk])).content.decode()
    assert "care team" in detail
    refused = member.post(reverse("sharing:invite", args=[enrolment.tie_id]), {"email": "x@example.org"})
    assert refused.status_code == 400


def test_the_members_care_page_and_leaving(harbor, riley, casey, client_for, colleague):
    enrolment = enrol(riley, harbor)
    member = client_for(riley)
    page = member.get(reverse("care:my_care"))
    text = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "Harbor Recovery Center" in text and "Intensive outpatient" in text
    assert casey.display_name in text and "primary" in text
    assert str(sharing.SCOPE_BY_CODE[sharing.MOOD].label) in text
    assert member.get(reverse("care:leave", args=[enrolment.pk])).status_code == 200
    assert member.post(reverse("care:leave", args=[enrolment.pk])).status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENDED and enrolment.ended_by == riley
    assert enrolment.tie.status == TieStatus.ENDED
    assert not Consent.objects.live().filter(tie=enrolment.tie).exists()
    with pytest.raises(Http404):
        access_enrolment(casey, enrolment.pk)
    history = member.get(reverse("care:my_care")).content.decode()
    assert "Earlier enrolments" in history


def test_the_care_page_is_bounded(harbor, riley, client_for, django_assert_max_num_queries, mallory, olivia):
    from circles.care.tests.factories import make_organization

    enrol(riley, harbor)
    member = client_for(riley)
    with django_assert_max_num_queries(20) as small:
        assert member.get(reverse("care:my_care")).status_code == 200
    for index in range(3):
        enrol(riley, make_organization(mallory if index == 0 else olivia, name=f"Other {index}"))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert member.get(reverse("care:my_care")).status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in_and_back(harbor, client):
    invite(harbor, harbor.admin.user)
    for url in (reverse("care:join"), reverse("care:my_care")):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]
        assert "next=" in response["Location"]
