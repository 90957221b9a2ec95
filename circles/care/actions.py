"""Changes to organizations, staff and enrolments. Each writes its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.accounts.actions import do_grant_role
from circles.accounts.models import Role
from circles.alerts.actions import Answer, do_answer
from circles.alerts.models import Notification
from circles.alerts.outbox import staff_name
from circles.audit.trail import record
from circles.care.models import (
    CARE_ROLES,
    CareTeamMember,
    ClinicalNote,
    Enrolment,
    EnrolmentStatus,
    Organization,
    Program,
    SafetyFollowUp,
    StaffMembership,
    StaffRole,
)
from circles.checkins.models import SafetySignal
from circles.network.actions import do_add_tie, do_change_tie_status
from circles.network.models import Circle, ContactFrequency, Relationship, Stance, Tie, TieStatus
from circles.sharing.actions import do_grant_consent
from circles.sharing.statement import ORGANIZATION_PURPOSE


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


# --- Messages (circles/care/views/messages.py) ---


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
