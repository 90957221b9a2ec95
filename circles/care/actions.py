"""Changes to organizations, staff and enrolments. Each writes its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from circles.accounts.actions import do_grant_role
from circles.accounts.models import Role
from circles.alerts.actions import Answer, do_answer
from circles.alerts.models import Notification
from circles.alerts.outbox import staff_name
from circles.audit.models import Outcome
from circles.audit.trail import record
from circles.care import threads
from circles.care.access import shares_with_care_team
from circles.care.models import (
    CARE_ROLES,
    STAFF_INVITATION_SALT,
    Appointment,
    Attendance,
    CareTeamMember,
    ClinicalNote,
    Enrolment,
    EnrolmentInvitation,
    EnrolmentStatus,
    Message,
    Organization,
    Program,
    SafetyFollowUp,
    SessionKind,
    StaffInvitation,
    StaffMembership,
    StaffRole,
    ThreadRead,
    new_enrolment_code,
    read_signed_token,
)
from circles.care.wording import organization_audience
from circles.checkins.actions import import_for_audience
from circles.checkins.definitions import import_reference
from circles.checkins.models import QuestionnaireDefinition, SafetySignal
from circles.lib import ratelimit
from circles.network.actions import do_add_tie, do_change_tie_status
from circles.network.models import (
    Circle,
    ContactFrequency,
    Interaction,
    InteractionKind,
    InteractionQuality,
    Relationship,
    Stance,
    Tie,
    TieStatus,
)
from circles.sharing.actions import do_grant_consent, email_after_commit, limit_invitation_sends
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
    do_add_tie(tie, acting_user=member)  # the member's own tie, with its status history
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
        and primary_staff.user_id != member.pk  # staff enrolled where they work: colleagues care for them
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


def staff_invitation_lifetime() -> dt.timedelta:
    return dt.timedelta(days=settings.INVITATION_EXPIRY_DAYS)


def _send_staff_invitation(invitation: StaffInvitation, origin: str) -> None:
    """Emails the link after commit (a rolled-back invitation is never mailed). The email names the
    organization and the role, nothing about any member."""
    link = origin.rstrip("/") + reverse("care:staff_accept", kwargs={"token": invitation.token})
    context = {
        "organization": invitation.organization,
        "role": invitation.get_role_display(),
        "link": link,
        "days": settings.INVITATION_EXPIRY_DAYS,
    }
    email_after_commit(
        "care/organization/email/staff_invitation",
        context,
        invitation.email,
        failure="A staff invitation email could not be sent; the administrator can send it again",
    )


@transaction.atomic
def do_invite_staff(
    organization: Organization,
    *,
    email: str,
    role: str,
    clinical_supervisor: bool,
    origin: str,
    acting_user,
) -> StaffInvitation:
    """An emailed single-use link that makes whoever accepts it staff of the organization in `role`.
    An earlier pending invitation to the same address is cancelled (its link stops working)."""
    limit_invitation_sends(acting_user, email, bucket="staff-invitation-send")
    now = timezone.now()
    for earlier in StaffInvitation.objects.filter(
        organization=organization, email__iexact=email, accepted_at__isnull=True, cancelled_at__isnull=True
    ):
        do_cancel_staff_invitation(earlier, acting_user=acting_user)
    invitation = StaffInvitation(
        organization=organization,
        email=email,
        role=role,
        clinical_supervisor=clinical_supervisor,
        invited_by=acting_user,
        created_at=now,
        expires_at=now + staff_invitation_lifetime(),
    )
    invitation.full_clean()
    invitation.save()
    record("staff_invitation.send", acting_user, object_ref=f"staff_invitation:{invitation.pk}")
    _send_staff_invitation(invitation, origin)
    return invitation


@transaction.atomic
def do_resend_staff_invitation(invitation: StaffInvitation, *, origin: str, acting_user) -> StaffInvitation:
    """A fresh link with a fresh expiry; the link in earlier emails stops working."""
    limit_invitation_sends(acting_user, invitation.email, bucket="staff-invitation-send")
    invitation.renew(staff_invitation_lifetime())
    record("staff_invitation.resend", acting_user, object_ref=f"staff_invitation:{invitation.pk}")
    _send_staff_invitation(invitation, origin)
    return invitation


@transaction.atomic
def do_cancel_staff_invitation(invitation: StaffInvitation, *, acting_user) -> None:
    if invitation.cancel():
        record("staff_invitation.cancel", acting_user, object_ref=f"staff_invitation:{invitation.pk}")


class StaffInvitationRefused(Exception):  # noqa: N818 — reads as what happened
    """Why a staff invitation link cannot be used: tampered, missing, used, replaced, cancelled, expired,
    or already_staff (the person accepting already works for the organization)."""

    def __init__(self, reason: str, invitation: StaffInvitation | None = None):
        super().__init__(reason)
        self.reason = reason
        self.invitation = invitation


def staff_invitation_from_token(token: str) -> tuple[StaffInvitation, str]:
    """The invitation a link names, and the link's nonce; StaffInvitationRefused when it cannot be used."""
    try:
        invitation_id, nonce = read_signed_token(token, STAFF_INVITATION_SALT)
    except signing.BadSignature:
        raise StaffInvitationRefused("tampered") from None
    invitation = (
        StaffInvitation.objects.select_related("organization")
        .filter(pk=_staff_invitation_id(invitation_id))
        .first()
    )
    if invitation is None:
        raise StaffInvitationRefused("missing")
    if invitation.accepted_at is not None:
        reason = "used"
    elif invitation.cancelled_at is not None:
        reason = "cancelled"
    elif invitation.nonce != nonce:
        reason = "replaced"
    elif timezone.now() >= invitation.expires_at:
        reason = "expired"
    else:
        return invitation, nonce
    raise StaffInvitationRefused(reason, invitation)


def _staff_invitation_id(value: int) -> int:
    return value if 0 < value < 2**63 else 0


@transaction.atomic
def do_accept_staff_invitation(token: str, *, acting_user) -> StaffMembership:
    """The signed-in person joins the organization in the invited role; the link works once."""
    invitation, nonce = staff_invitation_from_token(token)
    invitation = (
        StaffInvitation.objects.select_for_update().select_related("organization").get(pk=invitation.pk)
    )
    if invitation.accepted_at is not None or invitation.cancelled_at is not None or invitation.nonce != nonce:
        raise StaffInvitationRefused("used" if invitation.accepted_at else "replaced", invitation)
    if (
        StaffMembership.objects.current()
        .filter(organization=invitation.organization, user=acting_user)
        .exists()
    ):
        # A new membership would end the current one and with it their places on care teams; a change of
        # role is the administrator's, on the staff page (do_change_staff).
        raise StaffInvitationRefused("already_staff", invitation)
    membership = do_add_staff(
        invitation.organization,
        acting_user,
        role=invitation.role,
        clinical_supervisor=invitation.clinical_supervisor,
        acting_user=acting_user,
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = acting_user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    record("staff_invitation.accept", acting_user, object_ref=f"staff_invitation:{invitation.pk}")
    return membership


def _administrators_left(organization_id: int, *, without: StaffMembership) -> int:
    """The other current administrators, locked to the end of the transaction, so two administrators
    ending each other at the same moment cannot leave the organization with none."""
    others = (
        StaffMembership.objects.current()
        .select_for_update()
        .filter(organization_id=organization_id, role=StaffRole.ADMINISTRATOR)
        .exclude(pk=without.pk)
    )
    return len(list(others.values_list("pk", flat=True)))


def _last_administrator_error() -> ValidationError:
    return ValidationError(
        _("An organization needs at least one administrator. Make someone else an administrator first.")
    )


@transaction.atomic
def do_change_staff(
    membership: StaffMembership, *, role: str, clinical_supervisor: bool, on_call: bool, acting_user
) -> StaffMembership:
    """Changes a current membership's role, clinical supervision and on-call (the last administrator
    stays one). A new role keeps the same membership row, so care teams, notes and sessions still name
    it, and grants the account role it brings (two-factor sign-in for both)."""
    membership = StaffMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_at is not None:
        raise ValidationError(_("This person no longer works for the organization."))
    if role not in StaffRole.values:
        raise ValidationError({"role": _("Choose one of the roles.")})
    if (
        membership.role == StaffRole.ADMINISTRATOR
        and role != StaffRole.ADMINISTRATOR
        and _administrators_left(membership.organization_id, without=membership) == 0
    ):
        raise _last_administrator_error()
    membership.role = role
    membership.clinical_supervisor = clinical_supervisor
    membership.on_call = on_call
    membership.save(update_fields=["role", "clinical_supervisor", "on_call"])
    if role not in CARE_ROLES:
        # An administrator is never on a care team (docs/care.md): they leave every team, as on ending.
        CareTeamMember.objects.filter(staff=membership).delete()
    do_grant_role(membership.user, role_kind_for(role))
    record("staff.change", acting_user, object_ref=f"staff:{membership.pk}")
    return membership


@transaction.atomic
def do_end_staff(membership: StaffMembership, *, acting_user) -> StaffMembership:
    """Ends a membership: from the next request the person reaches nothing of the organization. They
    leave every care team they were on; an enrolment whose primary they were has no primary until staff
    choose one (the member's page says "No primary"). The row stays, so their notes keep their author."""
    membership = StaffMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_at is not None:
        return membership
    if (
        membership.role == StaffRole.ADMINISTRATOR
        and _administrators_left(membership.organization_id, without=membership) == 0
    ):
        raise _last_administrator_error()
    membership.ended_at = timezone.now()
    membership.save(update_fields=["ended_at"])
    CareTeamMember.objects.filter(staff=membership).delete()
    record("staff.end", acting_user, object_ref=f"staff:{membership.pk}")
    return membership


@transaction.atomic
def do_add_program(organization: Organization, *, name: str, acting_user) -> Program:
    program = Program(organization=organization, name=name)
    program.full_clean()
    program.save()
    record("program.create", acting_user, object_ref=f"program:{program.pk}")
    return program


@transaction.atomic
def do_set_program_active(program: Program, *, active: bool, acting_user) -> Program:
    """A deactivated program takes no new enrolments; members enrolled in it stay enrolled."""
    if program.active != active:
        program.active = active
        program.save(update_fields=["active"])
        record(
            "program.activate" if active else "program.deactivate",
            acting_user,
            object_ref=f"program:{program.pk}",
        )
    return program


def do_import_organization_questionnaire(
    organization: Organization, instrument: str, resource: object, *, activate: bool, acting_user
) -> QuestionnaireDefinition:
    """Wording for this organization's actively enrolled members only, checked as every import is (the
    safety items keep their meaning), audited as "organization.questionnaire_import" with the instrument
    and the file's SHA-256. A refused file is audited as refused, outside the rolled-back change."""
    object_ref = f"{import_reference(instrument, resource)};organization:{organization.pk}"
    try:
        with transaction.atomic():
            definition = import_for_audience(
                instrument,
                resource,
                audience=organization_audience(organization.pk),
                activate=activate,
                acting_user=acting_user,
            )
            record("organization.questionnaire_import", acting_user, object_ref=object_ref)
    except ValidationError:
        record(
            "organization.questionnaire_import", acting_user, object_ref=object_ref, outcome=Outcome.DENIED
        )
        raise
    return definition


@transaction.atomic
def do_set_organization_wording_active(
    organization: Organization, definition: QuestionnaireDefinition, *, active: bool, acting_user
) -> QuestionnaireDefinition:
    """Offers the organization's wording again (others of its instrument and language step back), or
    stops offering it: its members then get Circles' wording."""
    audience = organization_audience(organization.pk)
    if definition.audience != audience:
        raise ValueError("not this organization's wording")
    if active:
        QuestionnaireDefinition.objects.filter(
            instrument=definition.instrument, language=definition.language, builtin=False, audience=audience
        ).exclude(pk=definition.pk).update(active=False)
    QuestionnaireDefinition.objects.filter(pk=definition.pk).update(active=active)
    definition.active = active
    record(
        "organization.questionnaire_activate" if active else "organization.questionnaire_deactivate",
        acting_user,
        object_ref=f"questionnaire_definition:{definition.pk};organization:{organization.pk}",
    )
    return definition


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
    email_after_commit(
        "care/enrolment/email/invitation",
        context,
        invitation.email,
        failure="An enrolment invitation email could not be sent; staff can send it again",
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
        limit_invitation_sends(acting_user, email)
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
        limit_invitation_sends(acting_user, invitation.email)
    invitation.renew(enrolment_invitation_lifetime())
    record("invitation.resend", acting_user, object_ref=f"enrolment_invitation:{invitation.pk}")
    _send_enrolment_invitation(invitation, origin)
    return invitation


@transaction.atomic
def do_cancel_enrolment_invitation(invitation: EnrolmentInvitation, *, acting_user) -> None:
    if invitation.cancel():
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
    if staff.user_id == enrolment.member_id:
        raise ValidationError({"staff": _("Nobody is on their own care team: choose a colleague.")})
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


@transaction.atomic
def do_write_note(
    enrolment: Enrolment, *, kind: str, body: str, corrects: ClinicalNote | None = None, acting_user
) -> ClinicalNote:
    """Saves a clinical note (encrypted at rest). Notes are never edited: a correction is a new note
    that names the one it corrects, of the same kind."""
    note = ClinicalNote(
        enrolment=enrolment,
        author=acting_user,
        author_name=acting_user.display_name[:80],
        kind=corrects.kind if corrects is not None else kind,
        body=body,
        corrects=corrects,
    )
    note.full_clean()
    note.save()
    record("care.note.create", acting_user, subject=enrolment.member_id, object_ref=f"note:{note.pk}")
    return note


# --- Sessions (circles/care/views/sessions.py) ---


@transaction.atomic
def do_schedule_session(enrolment: Enrolment, appointment: Appointment, *, staff, acting_user) -> Appointment:
    """Saves a new session with the enrolled member, led by `staff` (the scheduler's membership)."""
    appointment.enrolment = enrolment
    appointment.staff = staff
    appointment.created_by = acting_user
    appointment.full_clean()
    appointment.save()
    record(
        "care.session.create",
        acting_user,
        subject=enrolment.member_id,
        object_ref=f"appointment:{appointment.pk}",
    )
    return appointment


@transaction.atomic
def do_schedule_group_session(accesses, appointment: Appointment, *, acting_user) -> list[Appointment]:
    """One group session with several members of the viewer's caseload: a copy of `appointment` for each
    (each member sees and is marked present on their own), led by the viewer's membership of each one's
    organization. `accesses` are care.access.CareAccess, so each member's consent is live now."""
    scheduled = []
    for access in accesses:
        copy = Appointment(
            kind=SessionKind.GROUP,
            mode=appointment.mode,
            starts_at=appointment.starts_at,
            duration_minutes=appointment.duration_minutes,
            place=appointment.place,
        )
        scheduled.append(
            do_schedule_session(access.enrolment, copy, staff=access.staff, acting_user=acting_user)
        )
    return scheduled


@transaction.atomic
def do_change_session(appointment: Appointment, *, acting_user) -> Appointment:
    """Saves a changed upcoming session (its time, length, kind, mode or place)."""
    appointment.full_clean()
    appointment.save()
    record(
        "care.session.change",
        acting_user,
        subject=appointment.enrolment.member_id,
        object_ref=f"appointment:{appointment.pk}",
    )
    return appointment


def _remove_session_contact(appointment: Appointment) -> None:
    # Through the model's delete, so the member's contact rollup stays exact.
    if appointment.interaction_id is not None:
        interaction = Interaction.objects.filter(pk=appointment.interaction_id).first()
        appointment.interaction = None
        if interaction is not None:
            interaction.delete()


@transaction.atomic
def do_record_attendance(appointment: Appointment, attendance: str, *, acting_user) -> Appointment:
    """Records whether the member came. Attended logs a therapy-session contact with the organization's
    tie at the session's time, which counts in the member's engagement like any contact; any other answer
    removes that contact again. Cancelling an upcoming session is recorded here too."""
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("enrolment__tie")
        .get(pk=appointment.pk)
    )
    if attendance not in Attendance.values:
        raise ValidationError({"attendance": _("Choose attended, missed or cancelled.")})
    now = timezone.now()
    if attendance != Attendance.CANCELLED and appointment.starts_at > now:
        raise ValidationError({"attendance": _("Attendance can be recorded once the session has started.")})
    enrolment = appointment.enrolment
    if attendance == Attendance.ATTENDED and appointment.interaction_id is None:
        if enrolment.tie is None:
            raise ValidationError(_("This enrolment no longer has a place in the member's circle."))
        interaction = Interaction(
            member_id=enrolment.member_id,
            tie=enrolment.tie,
            occurred_at=appointment.starts_at,
            kind=InteractionKind.THERAPY_SESSION,
            duration_minutes=appointment.duration_minutes,
            # Staff record that the member came, not how it went for them.
            quality=InteractionQuality.NEUTRAL,
        )
        interaction.full_clean()
        interaction.save()
        appointment.interaction = interaction
    elif attendance != Attendance.ATTENDED:
        _remove_session_contact(appointment)
    appointment.attendance = attendance
    appointment.attendance_recorded_at = now
    appointment.attendance_recorded_by = acting_user
    appointment.save(
        update_fields=["attendance", "attendance_recorded_at", "attendance_recorded_by", "interaction"]
    )
    action = "care.session.cancel" if attendance == Attendance.CANCELLED else "care.session.attendance"
    record(action, acting_user, subject=enrolment.member_id, object_ref=f"appointment:{appointment.pk}")
    return appointment


# --- Messages (circles/care/views/messages.py) ---

# A member may send this many messages in this many seconds: enough for any conversation, not a flood.
MEMBER_MESSAGE_RATE = "20/600"


def do_mark_thread_read(enrolment: Enrolment, user, *, at=None) -> None:
    """Notes that `user` has read the enrolment's thread up to now."""
    ThreadRead.objects.update_or_create(
        enrolment=enrolment, user=user, defaults={"read_at": at or timezone.now()}
    )


@transaction.atomic
def do_send_message(
    enrolment: Enrolment, body: str, *, from_member: bool, origin: str, acting_user
) -> Message:
    """Adds a message to the enrolment's thread and, once saved, tells the other side that there is one
    (never what it says). A member may send only while enrolled, and only so many at a time."""
    if from_member:
        if not enrolment.is_active:
            raise ValidationError(
                _("This enrolment has ended: the thread stays here to read, but not to send.")
            )
        if not shares_with_care_team(enrolment):
            raise ValidationError(
                _(
                    "You are not sharing anything with %(name)s now, so its care team cannot read "
                    "messages. Choose what they see under Sharing to write to them again."
                )
                % {"name": enrolment.organization.name}
            )
        ratelimit.limit("care-message-send", [f"user:{acting_user.pk}"], MEMBER_MESSAGE_RATE)
    message = Message(
        enrolment=enrolment,
        sender=acting_user,
        sender_name=acting_user.display_name[:80],
        from_member=from_member,
        body=body,
    )
    message.full_clean()
    message.save()
    do_mark_thread_read(enrolment, acting_user, at=message.sent_at)
    record("care.message.send", acting_user, subject=enrolment.member_id, object_ref=f"message:{message.pk}")
    language = translation.get_language() or settings.LANGUAGE_CODE
    message_id = message.pk
    # After commit, so a rolled-back message is never announced; in the background, so it never waits.
    transaction.on_commit(
        lambda: threads.in_background(
            lambda: threads.notify_new_message(message_id, origin=origin, language=language)
        )
    )
    return message


# --- Safety follow-ups (circles/care/views/inbox.py) ---


@transaction.atomic
def do_create_follow_up(access, signal: SafetySignal, *, note: str, acting_user) -> SafetyFollowUp:
    """The care team acknowledges a member's safety signal, with what they did (the note is encrypted).
    A signal already followed up keeps its first follow-up."""
    follow_up = SafetyFollowUp(
        enrolment=access.enrolment,
        signal=signal,
        acknowledged_by=acting_user,
        acknowledged_by_name=acting_user.display_name[:80],
        note=note,
    )
    follow_up.full_clean(exclude=["enrolment", "signal"])
    follow_up, created = SafetyFollowUp.objects.get_or_create(
        enrolment=access.enrolment,
        signal=signal,
        defaults={
            "acknowledged_by": acting_user,
            "acknowledged_by_name": follow_up.acknowledged_by_name,
            "note": follow_up.note,
        },
    )
    if created:
        record(
            "care.follow_up.create",
            acting_user,
            subject=access.member.pk,
            object_ref=f"enrolment:{access.enrolment.pk} signal:{signal.pk}",
        )
    return follow_up


def care_team_to_ask(tie: Tie) -> list:
    """Whom a crisis ladder's "my care team" asks: the staff on the member's care team who are on call;
    when none of them is, everyone on the care team. Never anyone outside it: the member's consent names
    their care team (docs/care.md, "Alerts to the care team")."""
    team = list(
        CareTeamMember.objects.filter(
            enrolment__tie=tie,
            enrolment__status=EnrolmentStatus.ACTIVE,
            staff__ended_at__isnull=True,
            staff__role__in=CARE_ROLES,
        )
        .select_related("staff__user")
        .order_by("-is_primary", "id")
    )
    on_call = [member for member in team if member.staff.on_call]
    return [member.staff.user for member in on_call or team]


@transaction.atomic
def do_answer_team_alert(team_alert, *, acting_user) -> Answer:
    """A member of the care team is reaching out: one answer answers for the team (docs/alerts.md)."""
    tie = team_alert.access.enrolment.tie
    notification = (
        Notification.objects.filter(alert=team_alert.alert, tie=tie, recipient=acting_user)
        .order_by("channel")
        .first()
    )  # None for a member of the team who was not asked (off call): they may answer all the same
    return do_answer(
        team_alert.alert,
        tie,
        notification=notification,
        acting_user=acting_user,
        name=staff_name(acting_user, tie),
    )
