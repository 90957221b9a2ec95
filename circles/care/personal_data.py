"""What the care app keeps about a person (circles/lib/personal_data.py): as a member, their enrolments,
care teams, sessions, progress notes, messages and safety follow-ups; as staff, their memberships. The
FHIR download adds the care as Organization, CareTeam, Appointment and Flag resources.

Private process notes are left out of the member's export: 45 CFR 164.524(a)(1)(i) excludes
psychotherapy notes from the right of access (docs/care.md). Erasing the account deletes the member's
enrolments and everything that hangs off them.
"""

from django.db.models import Q

from circles.care.fhir import care_entries
from circles.care.models import (
    Appointment,
    CareTeamMember,
    CaseloadFacts,
    ClinicalNote,
    Enrolment,
    EnrolmentInvitation,
    Message,
    NoteKind,
    Organization,
    Program,
    SafetyFollowUp,
    StaffInvitation,
    StaffMembership,
    ThreadRead,
)
from circles.lib.personal_data import PersonalData, Row, row


def enrolments(user) -> list[Row]:
    names = ["id", "status", "started_at", "ended_at", "end_reason"]
    return [
        row(e, names, organization=e.organization.name, program=e.program.name)
        for e in Enrolment.objects.filter(member=user)
        .select_related("organization", "program")
        .order_by("id")
    ]


def care_teams(user) -> list[Row]:
    team = CareTeamMember.objects.filter(enrolment__member=user).select_related("staff__user").order_by("id")
    return [
        row(m, ["enrolment_id", "is_primary", "added_at"], name=m.staff.user.display_name, role=m.staff.role)
        for m in team
    ]


def sessions(user) -> list[Row]:
    names = ["enrolment_id", "kind", "mode", "starts_at", "duration_minutes", "place", "attendance"]
    return [
        row(a, names) for a in Appointment.objects.filter(enrolment__member=user).order_by("starts_at", "id")
    ]


def progress_notes(user) -> list[Row]:
    notes = ClinicalNote.objects.filter(enrolment__member=user, kind=NoteKind.PROGRESS).order_by(
        "created_at", "id"
    )
    return [row(n, ["enrolment_id", "author_name", "body", "corrects_id", "created_at"]) for n in notes]


def care_messages(user) -> list[Row]:
    messages = Message.objects.filter(enrolment__member=user).order_by("sent_at", "id")
    return [row(m, ["enrolment_id", "sender_name", "from_member", "body", "sent_at"]) for m in messages]


def thread_reads(user) -> list[Row]:
    return [row(r, ["enrolment_id", "read_at"]) for r in ThreadRead.objects.filter(user=user).order_by("id")]


def safety_follow_ups(user) -> list[Row]:
    follow_ups = SafetyFollowUp.objects.filter(enrolment__member=user).order_by("acknowledged_at", "id")
    return [
        row(f, ["enrolment_id", "signal_id", "acknowledged_by_name", "acknowledged_at", "note"])
        for f in follow_ups
    ]


def staff_memberships(user) -> list[Row]:
    memberships = StaffMembership.objects.filter(user=user).select_related("organization").order_by("id")
    names = ["role", "clinical_supervisor", "on_call", "joined_at", "ended_at"]
    return [row(m, names, organization=m.organization.name) for m in memberships]


def enrolment_invitations(user) -> list[Row]:
    invitations = EnrolmentInvitation.objects.filter(accepted_by=user).order_by("id")
    return [row(i, ["organization_id", "email", "created_at", "accepted_at"]) for i in invitations]


def staff_invitations(user) -> list[Row]:
    invitations = StaffInvitation.objects.filter(accepted_by=user).order_by("id")
    return [row(i, ["organization_id", "email", "role", "created_at", "accepted_at"]) for i in invitations]


def fhir_entries(user) -> list[dict]:
    """Each enrolment's Organization and CareTeam, every session as an Appointment, and a Flag for each
    safety answer not yet followed up (circles/care/fhir.py). Notes are not FHIR resources here: progress
    notes are in the JSON download, process notes in neither."""
    return care_entries(user)


def caseload_facts(user) -> list[Row]:
    """What each organization's caseload last read of the person through their consent (a copy), and the
    score and reason codes it ranked them by."""
    facts = CaseloadFacts.objects.filter(enrolment__member=user).order_by("enrolment_id")
    names = ["enrolment_id", "scopes", "facts", "computed_at", "as_of", "score", "codes"]
    return [row(f, names) for f in facts]


def erase(user) -> None:
    """Invitations name the person's email address, and would outlive the account."""
    StaffInvitation.objects.filter(Q(accepted_by=user) | Q(email__iexact=user.email)).delete()
    EnrolmentInvitation.objects.filter(Q(accepted_by=user) | Q(email__iexact=user.email)).delete()


PERSONAL_DATA = PersonalData(
    sections={
        Enrolment: enrolments,
        CareTeamMember: care_teams,
        Appointment: sessions,
        ClinicalNote: progress_notes,
        Message: care_messages,
        ThreadRead: thread_reads,
        SafetyFollowUp: safety_follow_ups,
        CaseloadFacts: caseload_facts,
        StaffMembership: staff_memberships,
        EnrolmentInvitation: enrolment_invitations,
        StaffInvitation: staff_invitations,
    },
    not_member_data={
        Organization: "an organization's name and kind, not a person's data",
        Program: "an organization's program names",
    },
    fhir_entries=fhir_entries,
    erase=erase,
)
