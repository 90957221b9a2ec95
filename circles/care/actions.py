"""Changes to organizations, staff and enrolments. Each writes its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from circles.accounts.actions import do_grant_role
from circles.accounts.models import Role
from circles.audit.trail import record
from circles.care import threads
from circles.care.models import (
    Appointment,
    Attendance,
    CareTeamMember,
    Enrolment,
    EnrolmentStatus,
    Message,
    Organization,
    Program,
    SessionKind,
    StaffMembership,
    StaffRole,
    ThreadRead,
)
from circles.lib import ratelimit
from circles.network.actions import do_change_tie_status
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


# --- Clinical notes (circles/care/views/record.py) ---


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
