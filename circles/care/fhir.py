"""A member's care as FHIR R4 resources, validated with the fhir.resources R4B models: the organization
they are enrolled with (Organization), its care team (CareTeam), their sessions (Appointment) and their
safety answers the care team has not yet followed up (Flag). docs/care.md, "FHIR".
"""

import datetime as dt

from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.careteam import CareTeam as FhirCareTeam
from fhir.resources.R4B.flag import Flag as FhirFlag
from fhir.resources.R4B.organization import Organization as FhirOrganization

from circles.care.models import (
    Appointment,
    Attendance,
    CareTeamMember,
    Enrolment,
    EnrolmentStatus,
    SafetyFollowUp,
    StaffMembership,
)
from circles.checkins.models import SafetySignal
from circles.lib.fhir import patient_reference, urn
from circles.sharing.fhir import organization_urn

ROLE_SYSTEM = "urn:circles:staff-role"
SESSION_KIND_SYSTEM = "urn:circles:session-kind"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"

# A session's attendance as the Appointment's status; none recorded yet: still booked.
APPOINTMENT_STATUS = {
    Attendance.ATTENDED: "fulfilled",
    Attendance.MISSED: "noshow",
    Attendance.CANCELLED: "cancelled",
}


def organization_fullurl(enrolment: Enrolment) -> str:
    """The same address the member's consent to the organization names as its recipient
    (circles/sharing/fhir.py); an enrolment whose tie is gone has one of its own."""
    if enrolment.tie_id is not None:
        return organization_urn(enrolment.tie_id)
    return urn("Organization", f"enrolment:{enrolment.pk}")


def organization_reference(enrolment: Enrolment) -> dict:
    return {
        "reference": organization_fullurl(enrolment),
        "type": "Organization",
        "display": enrolment.organization.name,
    }


def staff_reference(staff: StaffMembership) -> dict:
    """A staff member, identified by their membership of the organization (not a resource of the export:
    their own details are theirs, not the member's)."""
    return {
        "type": "Practitioner",
        "identifier": {"system": "urn:circles:staff", "value": str(staff.pk)},
        "display": staff.user.display_name,
    }


def organization_resource(enrolment: Enrolment) -> dict:
    organization = enrolment.organization
    resource = {
        "resourceType": "Organization",
        "identifier": [{"system": "urn:circles:organization", "value": str(organization.pk)}],
        "active": True,
        "type": [
            {
                "coding": [{"system": ORGANIZATION_TYPE, "code": "prov", "display": "Healthcare Provider"}],
                "text": organization.get_kind_display(),
            }
        ],
        "name": organization.name,
    }
    FhirOrganization.model_validate(resource)
    return resource


def care_team_resource(enrolment: Enrolment, team: list[CareTeamMember]) -> dict:
    active = enrolment.status == EnrolmentStatus.ACTIVE
    period = {"start": enrolment.started_at.isoformat()}
    if enrolment.ended_at:
        period["end"] = enrolment.ended_at.isoformat()
    resource = {
        "resourceType": "CareTeam",
        "identifier": [{"system": "urn:circles:enrolment", "value": str(enrolment.pk)}],
        "status": "active" if active else "inactive",
        "name": f"{enrolment.organization.name} — {enrolment.program.name}"[:200],
        "subject": patient_reference(enrolment.member),
        "period": period,
        "participant": [
            {
                "role": [
                    {
                        "coding": [
                            {
                                "system": ROLE_SYSTEM,
                                "code": member.staff.role,
                                "display": str(member.staff.get_role_display()),
                            }
                        ],
                        "text": "primary" if member.is_primary else str(member.staff.get_role_display()),
                    }
                ],
                "member": staff_reference(member.staff),
                "onBehalfOf": organization_reference(enrolment),
                "period": {"start": member.added_at.isoformat()},
            }
            for member in team
        ],
        "managingOrganization": [organization_reference(enrolment)],
    }
    FhirCareTeam.model_validate(resource)
    return resource


def appointment_resource(appointment: Appointment, enrolment: Enrolment) -> dict:
    end = appointment.starts_at + dt.timedelta(minutes=appointment.duration_minutes)
    kind = {
        "coding": [
            {
                "system": SESSION_KIND_SYSTEM,
                "code": appointment.kind,
                "display": str(appointment.get_kind_display()),
            }
        ],
        "text": str(appointment.get_kind_display()),
    }
    participants = [{"actor": patient_reference(enrolment.member), "status": "accepted"}]
    if appointment.staff is not None:
        participants.append({"actor": staff_reference(appointment.staff), "status": "accepted"})
    resource = {
        "resourceType": "Appointment",
        "identifier": [{"system": "urn:circles:session", "value": str(appointment.pk)}],
        "status": APPOINTMENT_STATUS.get(Attendance(appointment.attendance), "booked")
        if appointment.attendance
        else "booked",
        "serviceType": [kind],
        "appointmentType": kind,
        "description": str(appointment.get_mode_display()),
        "start": appointment.starts_at.isoformat(),
        "end": end.isoformat(),
        "minutesDuration": appointment.duration_minutes,
        "created": appointment.created_at.isoformat(),
        "participant": participants,
    }
    FhirAppointment.model_validate(resource)
    return resource


def flag_resource(signal: SafetySignal, enrolment: Enrolment) -> dict:
    resource = {
        "resourceType": "Flag",
        "identifier": [{"system": "urn:circles:safety-signal", "value": str(signal.pk)}],
        "status": "active",
        "category": [{"coding": [{"system": FLAG_CATEGORY, "code": "safety", "display": "Safety"}]}],
        "code": {
            "coding": [{"system": "urn:circles:safety-signal-source", "code": signal.source}],
            "text": f"{signal.get_source_display()}: not yet followed up by the care team",
        },
        "subject": patient_reference(enrolment.member),
        "period": {"start": signal.created_at.isoformat()},
        "author": organization_reference(enrolment),
    }
    FhirFlag.model_validate(resource)
    return resource


def open_signals(enrolments: list[Enrolment]) -> list[tuple[SafetySignal, Enrolment]]:
    """Safety signals raised while an enrolment is active that its care team has not followed up: one
    query for the signals, one for the follow-ups, whatever their number."""
    active = [e for e in enrolments if e.status == EnrolmentStatus.ACTIVE]
    if not active:
        return []
    member_id = active[0].member_id
    earliest = min(e.started_at for e in active)
    signals = list(
        SafetySignal.objects.filter(member_id=member_id, created_at__gte=earliest).order_by(
            "created_at", "id"
        )
    )
    followed = set(
        SafetyFollowUp.objects.filter(enrolment__in=active).values_list("enrolment_id", "signal_id")
    )
    return [
        (signal, enrolment)
        for enrolment in active
        for signal in signals
        if signal.created_at >= enrolment.started_at and (enrolment.pk, signal.pk) not in followed
    ]


def care_entries(member) -> list[dict]:
    """The member's care as Bundle entries: each enrolment's Organization and CareTeam, every session,
    and a Flag for each open safety follow-up. A fixed number of queries."""
    enrolments = list(
        Enrolment.objects.filter(member=member)
        .select_related("organization", "program", "member")
        .order_by("id")
    )
    if not enrolments:
        return []
    teams: dict[int, list[CareTeamMember]] = {e.pk: [] for e in enrolments}
    for member_of_team in CareTeamMember.objects.filter(enrolment__in=enrolments).select_related(
        "staff__user"
    ):
        teams[member_of_team.enrolment_id].append(member_of_team)
    by_id = {e.pk: e for e in enrolments}
    entries = []
    for enrolment in enrolments:
        entries.append(
            {"fullUrl": organization_fullurl(enrolment), "resource": organization_resource(enrolment)}
        )
        entries.append(
            {
                "fullUrl": urn("CareTeam", enrolment.pk),
                "resource": care_team_resource(enrolment, teams[enrolment.pk]),
            }
        )
    sessions = (
        Appointment.objects.filter(enrolment__in=enrolments)
        .select_related("staff__user")
        .order_by("starts_at", "id")
    )
    for session in sessions:
        entries.append(
            {
                "fullUrl": urn("Appointment", session.pk),
                "resource": appointment_resource(session, by_id[session.enrolment_id]),
            }
        )
    for signal, enrolment in open_signals(enrolments):
        entries.append(
            {
                "fullUrl": urn("Flag", f"{enrolment.pk}:{signal.pk}"),
                "resource": flag_resource(signal, enrolment),
            }
        )
    return entries
