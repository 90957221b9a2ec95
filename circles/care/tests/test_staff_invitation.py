"""Staff invitations: emailed, single use, expiring; resent links replace the old one; cancelled, altered,
expired and used links each get a page that says what happened."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from circles.accounts.models import Role
from circles.audit.models import AuditEvent
from circles.care.models import StaffInvitation, StaffMembership, StaffRole


def _invite(client, organization, email="jamie@example.org", role="peer_specialist", supervisor=False):
    data = {"email": email, "role": role}
    if supervisor:
        data["clinical_supervisor"] = "on"
    return client.post(reverse("care:staff_invite", args=[organization.pk]), data)


def _link(message) -> str:
    found = re.search(r"https?://\S+/care/staff-invitation/\S+/", message.body)
    assert found is not None, message.body
    return found.group(0)


@pytest.fixture
def invited(harbor, olivia, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client_for(olivia), harbor.organization, email="jamie@example.org")
    assert response.status_code == 302
    return StaffInvitation.objects.get(), _link(mail.outbox[-1])


def test_the_email_names_the_organization_and_role_and_nothing_clinical(invited):
    invitation, link = invited
    message = mail.outbox[-1]
    assert message.to == ["jamie@example.org"]
    assert "Harbor Recovery Center" in message.body
    assert "join its staff as peer recovery specialist." in message.body  # a role in a sentence: lower case
    for word in ("Riley", "PHQ", "consent", "member"):
        assert word not in message.body
    assert AuditEvent.objects.filter(
        action="staff_invitation.send", object_ref=f"staff_invitation:{invitation.pk}"
    ).exists()


def test_a_signed_out_visitor_is_sent_to_log_in_or_sign_up_and_back(invited, client):
    _invitation, link = invited
    path = link.split("testserver")[-1]
    page = client.get(path)
    assert page.status_code == 200
    assert "Harbor Recovery Center" in page.text and "Peer recovery specialist" in page.text
    assert reverse("accounts:login") + "?next=" + path in page.text.replace("%3A", ":")
    assert client.post(path).status_code == 200  # signed out: nothing happens
    assert not StaffMembership.objects.filter(role=StaffRole.PEER_SPECIALIST).exists()


def test_the_link_works_once(invited, jamie, client_for, sam):
    invitation, link = invited
    path = link.split("testserver")[-1]
    client = client_for(jamie)
    page = client.get(path)
    assert "Join as Peer recovery specialist" in page.text
    response = client.post(path)
    assert response.status_code == 302
    membership = StaffMembership.objects.get(user=jamie)
    assert membership.role == StaffRole.PEER_SPECIALIST and membership.organization == invitation.organization
    assert jamie.has_role(Role.Kind.PROFESSIONAL)
    assert AuditEvent.objects.filter(action="staff_invitation.accept", actor=jamie).exists()
    # Opened again by the same person: they are told, and sent to the organization.
    assert client.get(path).status_code == 302
    # Anyone else: used.
    other = client_for(sam)
    refused = other.get(path)
    assert refused.status_code == 410 and "already been used" in refused.text
    assert other.post(path).status_code == 410
    assert StaffMembership.objects.filter(user=sam).count() == 0


def test_an_expired_link_says_so(invited, jamie, client_for):
    _invitation, link = invited
    path = link.split("testserver")[-1]
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)):
        response = client_for(jamie).post(path)
    assert response.status_code == 410 and "expired" in response.text
    assert not StaffMembership.objects.filter(user=jamie).exists()


def test_an_altered_link_says_so(invited, jamie, client_for):
    _invitation, link = invited
    path = link.split("testserver")[-1]
    altered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    response = client_for(jamie).post(altered)
    assert response.status_code == 400 and "changed" in response.text
    assert client_for(jamie).get(reverse("care:staff_accept", args=["nonsense"])).status_code == 400


def test_a_cancelled_link_says_so(invited, harbor, olivia, jamie, client_for):
    invitation, link = invited
    client_for(olivia).post(
        reverse("care:staff_invitation_cancel", args=[harbor.organization.pk, invitation.pk])
    )
    response = client_for(jamie).post(link.split("testserver")[-1])
    assert response.status_code == 410 and "cancelled" in response.text
    assert not StaffMembership.objects.filter(user=jamie).exists()


def test_a_resent_invitation_kills_the_old_link(
    invited, harbor, olivia, jamie, client_for, django_capture_on_commit_callbacks
):
    invitation, old_link = invited
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(olivia).post(
            reverse("care:staff_invitation_resend", args=[harbor.organization.pk, invitation.pk])
        )
    assert response.status_code == 302
    new_link = _link(mail.outbox[-1])
    assert new_link != old_link
    client = client_for(jamie)
    refused = client.post(old_link.split("testserver")[-1])
    assert refused.status_code == 410 and "newer invitation" in refused.text
    assert client.post(new_link.split("testserver")[-1]).status_code == 302
    assert StaffMembership.objects.filter(user=jamie).exists()


def test_a_second_invitation_to_the_same_address_cancels_the_first(invited, harbor, olivia, client_for):
    first, _link_ = invited
    _invite(client_for(olivia), harbor.organization, email="JAMIE@example.org", role="therapist")
    first.refresh_from_db()
    assert first.cancelled_at is not None
    assert StaffInvitation.objects.filter(cancelled_at__isnull=True).count() == 1


def test_someone_already_on_staff_is_not_invited_again(harbor, olivia, client_for):
    response = _invite(client_for(olivia), harbor.organization, email="CASEY@example.org")
    assert response.status_code in (200, 400)
    casey_email = harbor.counselor.user.email
    response = _invite(client_for(olivia), harbor.organization, email=casey_email.upper())
    assert response.status_code == 400 and "already works" in response.text


def test_a_bad_role_or_address_is_refused_with_a_message(harbor, olivia, client_for):
    client = client_for(olivia)
    assert _invite(client, harbor.organization, email="not-an-address").status_code == 400
    assert _invite(client, harbor.organization, role="wizard").status_code == 400
    assert not StaffInvitation.objects.exists()


def test_sends_are_rate_limited(harbor, olivia, client_for, settings):
    settings.RATE_LIMIT_INVITATION_SEND = "2/3600"
    client = client_for(olivia)
    assert _invite(client, harbor.organization, email="a@example.org").status_code == 302
    assert _invite(client, harbor.organization, email="b@example.org").status_code == 302
    assert _invite(client, harbor.organization, email="c@example.org").status_code == 429
    assert StaffInvitation.objects.count() == 2


def test_a_clinical_supervisor_invitation_makes_a_clinical_supervisor(
    harbor, olivia, jamie, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client_for(olivia), harbor.organization, email=jamie.email, role="therapist", supervisor=True)
    client_for(jamie).post(_link(mail.outbox[-1]).split("testserver")[-1])
    membership = StaffMembership.objects.get(user=jamie)
    assert membership.clinical_supervisor and membership.role == StaffRole.THERAPIST


def test_someone_already_on_staff_cannot_accept_a_second_membership(invited, harbor, casey, client_for):
    invitation, link = invited
    response = client_for(casey).post(link.split("testserver")[-1])
    assert response.status_code == 409 and "already work for" in response.text
    harbor.counselor.refresh_from_db()
    assert harbor.counselor.ended_at is None and harbor.counselor.role == StaffRole.COUNSELOR
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
