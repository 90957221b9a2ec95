"""Small builders for care records in tests: Harbor Recovery Center with olivia (administrator), casey
(counselor) and riley enrolled, sharing what the test asks."""

from dataclasses import dataclass

from django.db import connection

from circles.care.actions import do_add_staff, do_create_organization, do_enrol_member
from circles.care.models import Enrolment, Organization, StaffMembership, StaffRole
from circles.sharing import logic as sharing

# On PostgreSQL an audit insert first takes its chains' advisory locks (circles/audit/trail.py): one
# query more than on SQLite, whatever the number of rows.
AUDIT_LOCK_QUERIES = 1 if connection.vendor == "postgresql" else 0

# What most tests have the member share: everything a caseload reads.
CASELOAD_SCOPES = [
    sharing.CHECKED_IN,
    sharing.MOOD,
    sharing.RETURNS_TO_USE,
    sharing.RESULTS + "depression",
    sharing.RESULTS + "anxiety",
    sharing.RESULTS + "recovery_monitor",
    sharing.RESULTS + "safety_screen",
    sharing.NETWORK_MAP,
    sharing.ALERTS,
]


@dataclass
class Harbor:
    organization: Organization
    admin: StaffMembership
    counselor: StaffMembership | None


def make_organization(admin_user, counselor_user=None, name="Harbor Recovery Center") -> Harbor:
    organization = do_create_organization(
        name=name, kind="treatment_centre", program_name="Intensive outpatient", acting_user=admin_user
    )
    admin = StaffMembership.objects.get(organization=organization, user=admin_user)
    counselor = None
    if counselor_user is not None:
        counselor = do_add_staff(
            organization, counselor_user, role=StaffRole.COUNSELOR, acting_user=admin_user
        )
    return Harbor(organization=organization, admin=admin, counselor=counselor)


def enrol(member, harbor: Harbor, scopes=None, primary=None, expires_on=None) -> Enrolment:
    return do_enrol_member(
        member,
        organization=harbor.organization,
        program=harbor.organization.programs.get(),
        scopes=CASELOAD_SCOPES if scopes is None else scopes,
        expires_on=expires_on,
        signature_name=member.display_name,
        primary_staff=primary or harbor.counselor,
        acting_user=member,
    )
