"""Changes to organizations, staff and enrolments. Each writes its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.accounts.actions import do_grant_role
from circles.accounts.models import Role
from circles.audit.trail import record
from circles.care.models import (
    CARE_ROLES,
    CareTeamMember,
    Enrolment,
    EnrolmentInvitation,
    EnrolmentStatus,
    Organization,
    Program,
    StaffMembership,
    StaffRole,
    new_enrolment_code,
    new_nonce,
)
from circles.lib import ratelimit
from circles.lib.client import address_group, current_client_address
from circles.network.actions import do_change_tie_status
from circles.network.models import Circle, ContactFrequency, Relationship, Stance, Tie, TieStatus
from circles.sharing.actions import do_grant_consent
from circles.sharing.statement import ORGANIZATION_PURPOSE

log = logging.getLogger(__name__)


def role_kind_for(staff_role: str) -> str:
    """The account role a staff role brings: both need two-factor sign-in and short sessions."""
    return Role.Kind.ORG_ADMIN if staff_role == StaffRole.ADMINISTRATOR else Role.Kind.PROFESSIONAL


@transaction.atomic
def do_create_organization(*, name: str, kind: str, program_name: str, acting_user) -> Organization:
    """A new organization with its first program; its creator is its first administrator."""
    organization = Organization(name=name, kind=kind, created_by=acting_user)
    organization.full_clean()
    organization.save()
    program = Program(organization=organization, name=program_name)
    program.full_clean()
    program.save()
    do_add_staff(organization, acting_user, role=StaffRole.ADMINISTRATOR, acting_user=acting_user)
    record("organization.create", acting_user, object_ref=f"organization:{organization.pk}")
    return organization


@transaction.atomic
def do_add_staff(
    organization: Organization, user, *, role: str, clinical_supervisor: bool = False, acting_user
) -> StaffMembership:
    """Makes the person staff of the organization in `role` (a current membership in another role is
    ended first: one role per person per organization)."""
    now = timezone.now()
    StaffMembership.objects.current().filter(organization=organization, user=user).update(ended_at=now)
    membership = StaffMembership.objects.create(
        organization=organization,
        user=user,
        role=role,
        clinical_supervisor=clinical_supervisor,
        joined_at=now,
    )
    do_grant_role(user, role_kind_for(role))
    record("staff.add", acting_user, object_ref=f"staff:{membership.pk}")
    return membership


def organization_tie_name(organization: Organization, program: Program) -> str:
    """The organization's name in the member's circle, with the program they enrolled in."""
    return f"{organization.name} — {program.name}"[:80]


@transaction.atomic
def do_enrol_member(
    member,
    *,
    organization: Organization,
    program: Program,
    scopes: list[str],
    expires_on: dt.date | None,
    signature_name: str,
    primary_staff: StaffMembership | None,
    acting_user,
) -> Enrolment:
    """Enrols the member: the organization becomes a tie in their professional pillar, the consent they
    sign names it (purpose: treatment and care coordination), and `primary_staff` leads their care team.

    Nothing is shared without a scope: a consent naming nothing is refused here, before anything is saved.
    """
    if not scopes:
        raise ValidationError({"scopes": _("Choose at least one kind of information to share.")})
    if Enrolment.objects.active().filter(organization=organization, member=member).exists():
        raise ValidationError(_("You are already enrolled with %(name)s.") % {"name": organization.name})
    tie = Tie(
        member=member,
        display_name=organization_tie_name(organization, program),
        relationship=Relationship.CARE_ORGANIZATION,
        circle=Circle.MIDDLE,
        contact_frequency=ContactFrequency.WEEKLY,
        stance=Stance.SUPPORTS_RECOVERY,
    )
    tie.full_clean()
    tie.save()
    do_grant_consent(
        tie,
        scopes=scopes,
        purpose=str(ORGANIZATION_PURPOSE),
        expires_on=expires_on,
        signature_name=signature_name,
        acting_user=acting_user,
    )
    enrolment = Enrolment.objects.create(organization=organization, program=program, member=member, tie=tie)
    if (
        primary_staff is not None
        and primary_staff.is_current
        and primary_staff.organization_id == organization.pk
    ):
        CareTeamMember.objects.create(enrolment=enrolment, staff=primary_staff, is_primary=True)
    record("enrolment.start", acting_user, subject=member, object_ref=f"enrolment:{enrolment.pk}")
    return enrolment


@transaction.atomic
def do_end_enrolment(enrolment: Enrolment, *, reason: str = "", acting_user) -> Enrolment:
    """Ends the enrolment: the organization's tie ends, which revokes the member's consent for good, so
    every read by its staff stops on the next request. The records stay, for the member and the law."""
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.status == EnrolmentStatus.ENDED:
        return enrolment
    enrolment.status = EnrolmentStatus.ENDED
    enrolment.ended_at = timezone.now()
    enrolment.ended_by = acting_user
    enrolment.end_reason = reason
    enrolment.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    record("enrolment.end", acting_user, subject=enrolment.member_id, object_ref=f"enrolment:{enrolment.pk}")
    if enrolment.tie is not None and enrolment.tie.status != TieStatus.ENDED:
        do_change_tie_status(enrolment.tie, TieStatus.ENDED, acting_user=acting_user)
    return enrolment


# --- Organizations, programs and staff (circles/care/views/organization.py) ---


# --- Enrolment invitations and care teams (circles/care/views/enrolment.py) ---


def enrolment_invitation_lifetime() -> dt.timedelta:
    return dt.timedelta(days=settings.INVITATION_EXPIRY_DAYS)


def _send_enrolment_invitation(invitation: EnrolmentInvitation, origin: str) -> None:
    """Emails the signed link, after commit. The email names the organization and nothing clinical."""
    if not invitation.email:
        return
    link = origin.rstrip("/") + reverse("care:join_link", kwargs={"token": invitation.token})
    context = {
        "organization": invitation.organization,
        "link": link,
        "days": settings.INVITATION_EXPIRY_DAYS,
    }
    subject = render_to_string("care/enrolment/email/invitation_subject.txt", context).strip()
    body = render_to_string("care/enrolment/email/invitation.txt", context)
    address = invitation.email

    def send() -> None:
        try:
            send_mail(subject, body, None, [address])
        except Exception:  # a mail server that is down must not turn a saved invitation into an error page
            log.exception("An enrolment invitation email could not be sent; staff can send it again")

    transaction.on_commit(send)


def _limit_enrolment_sends(acting_user, email: str) -> None:
    """Like supporters' invitations (sharing.actions._limit_invitation_sends): so many an hour per staff
    member, per invited address and per client address (RATE_LIMIT_INVITATION_SEND)."""
    ratelimit.limit(
        "invitation-send",
        [
            f"user:{acting_user.pk}",
            f"email:{email.strip().lower()}",
            f"client:{address_group(current_client_address())}",
        ],
        settings.RATE_LIMIT_INVITATION_SEND,
    )


@transaction.atomic
def do_invite_to_enrol(
    organization: Organization,
    *,
    program: Program,
    email: str,
    primary_staff: StaffMembership | None,
    origin: str,
    acting_user,
) -> EnrolmentInvitation:
    """A new invitation to enrol in `program`: a short code to hand over, and an emailed link when an
    address is given. Nothing is shared until the person signs the consent it leads to."""
    if program.organization_id != organization.pk or not program.active:
        raise ValidationError({"program": _("Choose one of the organization's active programs.")})
    if primary_staff is not None and (
        primary_staff.organization_id != organization.pk
        or not primary_staff.is_current
        or primary_staff.role not in CARE_ROLES
    ):
        raise ValidationError({"primary_staff": _("Choose a member of staff who cares for members here.")})
    if email:
        _limit_enrolment_sends(acting_user, email)
    now = timezone.now()
    invitation = EnrolmentInvitation(
        organization=organization,
        program=program,
        email=email.strip(),
        primary_staff=primary_staff,
        invited_by=acting_user,
        created_at=now,
        expires_at=now + enrolment_invitation_lifetime(),
    )
    # A fresh code that no other invitation holds (31^8 codes: a clash is rare, but possible).
    while EnrolmentInvitation.objects.filter(code=invitation.code).exists():
        invitation.code = new_enrolment_code()
    invitation.full_clean()
    invitation.save()
    record("invitation.send", acting_user, object_ref=f"enrolment_invitation:{invitation.pk}")
    _send_enrolment_invitation(invitation, origin)
    return invitation


@transaction.atomic
def do_resend_enrolment_invitation(
    invitation: EnrolmentInvitation, *, origin: str, acting_user
) -> EnrolmentInvitation:
    """A fresh link and a fresh expiry (the old link stops working; the code stays the same)."""
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation was already accepted."))
    if invitation.email:
        _limit_enrolment_sends(acting_user, invitation.email)
    now = timezone.now()
    invitation.nonce = new_nonce()
    invitation.expires_at = now + enrolment_invitation_lifetime()
    invitation.cancelled_at = None
    invitation.save(update_fields=["nonce", "expires_at", "cancelled_at"])
    record("invitation.resend", acting_user, object_ref=f"enrolment_invitation:{invitation.pk}")
    _send_enrolment_invitation(invitation, origin)
    return invitation


@transaction.atomic
def do_cancel_enrolment_invitation(invitation: EnrolmentInvitation, *, acting_user) -> None:
    if invitation.accepted_at is None and invitation.cancelled_at is None:
        invitation.cancelled_at = timezone.now()
        invitation.save(update_fields=["cancelled_at"])
        record("invitation.cancel", acting_user, object_ref=f"enrolment_invitation:{invitation.pk}")


class EnrolmentRefused(Exception):
    """Enrolling with this invitation is not possible; `reason` names the page that says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def enrolment_invitation_problem(invitation: EnrolmentInvitation | None, nonce: str | None, member) -> str:
    """Why the invitation cannot be used now ("" when it can): missing, used, cancelled, expired,
    replaced (an older link), enrolled (already enrolled there), closed (the program is closed)."""
    if invitation is None:
        return "missing"
    if invitation.accepted_at is not None:
        return "used"
    if invitation.cancelled_at is not None:
        return "cancelled"
    if nonce is not None and invitation.nonce != nonce:
        return "replaced"
    if timezone.now() >= invitation.expires_at:
        return "expired"
    if not invitation.program.active:
        return "closed"
    if Enrolment.objects.active().filter(organization_id=invitation.organization_id, member=member).exists():
        return "enrolled"
    return ""


@transaction.atomic
def do_accept_enrolment_invitation(
    invitation_id: int,
    *,
    nonce: str | None,
    scopes: list[str],
    expires_on: dt.date | None,
    signature_name: str,
    acting_user,
) -> Enrolment:
    """The person signs the consent the invitation asks for and is enrolled (do_enrol_member); the
    invitation is used up. `nonce` is the emailed link's; None when the person typed the code."""
    invitation = (
        EnrolmentInvitation.objects.select_for_update(of=("self",))
        .select_related("organization", "program", "primary_staff")
        .filter(pk=invitation_id)
        .first()
    )
    problem = enrolment_invitation_problem(invitation, nonce, acting_user)
    if problem or invitation is None:
        raise EnrolmentRefused(problem or "missing")
    primary = invitation.primary_staff
    if primary is not None and not primary.is_current:
        primary = None
    enrolment = do_enrol_member(
        acting_user,
        organization=invitation.organization,
        program=invitation.program,
        scopes=scopes,
        expires_on=expires_on,
        signature_name=signature_name,
        primary_staff=primary,
        acting_user=acting_user,
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = acting_user
    invitation.enrolment = enrolment
    invitation.save(update_fields=["accepted_at", "accepted_by", "enrolment"])
    record(
        "invitation.accept",
        acting_user,
        subject=acting_user,
        object_ref=f"enrolment_invitation:{invitation.pk}",
    )
    return enrolment


def _care_team_change(enrolment: Enrolment, action: str, staff: StaffMembership, acting_user) -> None:
    record(
        action,
        acting_user,
        subject=enrolment.member_id,
        object_ref=f"enrolment:{enrolment.pk};staff:{staff.pk}",
    )


@transaction.atomic
def do_add_to_care_team(enrolment: Enrolment, staff: StaffMembership, *, acting_user) -> CareTeamMember:
    """Adds a care-role staff member of the enrolment's organization; the first one becomes primary."""
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if not enrolment.is_active:
        raise ValidationError(_("This enrolment has ended."))
    if (
        staff.organization_id != enrolment.organization_id
        or not staff.is_current
        or staff.role not in CARE_ROLES
    ):
        raise ValidationError({"staff": _("Choose a member of staff who cares for members here.")})
    if enrolment.care_team.filter(staff=staff).exists():
        raise ValidationError({"staff": _("They are already on the care team.")})
    row = CareTeamMember.objects.create(
        enrolment=enrolment, staff=staff, is_primary=not enrolment.care_team.filter(is_primary=True).exists()
    )
    _care_team_change(enrolment, "care_team.add", staff, acting_user)
    return row


@transaction.atomic
def do_remove_from_care_team(row: CareTeamMember, *, acting_user) -> None:
    """Takes someone off the care team. The primary stays until another is made primary, so the member
    always has someone who leads their care."""
    enrolment = Enrolment.objects.select_for_update().get(pk=row.enrolment_id)
    row = CareTeamMember.objects.select_related("staff").get(pk=row.pk)
    if row.is_primary and enrolment.care_team.count() > 1:
        raise ValidationError(_("Make someone else primary first."))
    row.delete()
    _care_team_change(enrolment, "care_team.remove", row.staff, acting_user)


@transaction.atomic
def do_make_primary(row: CareTeamMember, *, acting_user) -> CareTeamMember:
    """Makes one care team member primary; the one before is no longer (exactly one primary)."""
    enrolment = Enrolment.objects.select_for_update().get(pk=row.enrolment_id)
    row = CareTeamMember.objects.select_related("staff").get(pk=row.pk)
    if row.is_primary:
        return row
    enrolment.care_team.filter(is_primary=True).update(is_primary=False)
    row.is_primary = True
    row.save(update_fields=["is_primary"])
    _care_team_change(enrolment, "care_team.primary", row.staff, acting_user)
    return row


# --- Clinical notes (circles/care/views/record.py) ---


# --- Sessions (circles/care/views/sessions.py) ---


# --- Messages (circles/care/views/messages.py) ---


# --- Safety follow-ups (circles/care/views/inbox.py) ---
