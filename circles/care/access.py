"""The one way staff reach an organization or an enrolled member, and the one way a member reaches their
own enrolments.

Staff read a member's data only as a member of that member's care team, while the enrolment is active and
the member's consent to the organization is live; what they then read goes through
circles/sharing/access.py (the loaders supporters use), which audits every read. Everyone else gets 404
and, when the record exists, a refused row in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from circles.audit.models import Outcome
from circles.audit.trail import record, refuse
from circles.care.models import (
    Appointment,
    CareTeamMember,
    Enrolment,
    EnrolmentStatus,
    Organization,
    StaffMembership,
    StaffRole,
)
from circles.sharing.access import Disclosure, organization_disclosures

ENROLMENT_VIEW = "enrolment.view"
ENROLMENT_CHANGE = "enrolment.change"
ORGANIZATION_VIEW = "organization.view"
ORGANIZATION_CHANGE = "organization.change"


def _known_id(value: int) -> int:
    if not 0 < value < 2**63:  # beyond any database key: nothing to look for
        raise Http404
    return value


@dataclass(frozen=True)
class CareAccess:
    """A staff member's access to one enrolled member, as their care team, at this moment."""

    enrolment: Enrolment
    staff: StaffMembership  # the viewer's own membership of the enrolment's organization
    disclosure: Disclosure  # the member's live consent to the organization (never None here)

    @property
    def member(self):
        return self.enrolment.member

    @property
    def scopes(self) -> frozenset[str]:
        return self.disclosure.scopes

    def allows(self, scope: str) -> bool:
        return self.disclosure.allows(scope)


def current_memberships(user) -> list[StaffMembership]:
    """The organizations this person works for now, with their role in each. One query."""
    if not user.is_authenticated:
        return []
    return list(StaffMembership.objects.current().filter(user=user).select_related("organization"))


def access_organization(user, organization_id: int, *, admin: bool = False) -> StaffMembership:
    """The viewer's current membership of the organization (an administrator's, when `admin`); 404 and a
    refused row otherwise, whether or not the organization exists."""
    organization_id = _known_id(organization_id)
    memberships = StaffMembership.objects.current().filter(user=user, organization_id=organization_id)
    if admin:
        memberships = memberships.filter(role=StaffRole.ADMINISTRATOR)
    membership = memberships.select_related("organization").first()
    if membership is None:
        exists = Organization.objects.filter(pk=organization_id).exists()
        if exists:
            record(
                ORGANIZATION_CHANGE if admin else ORGANIZATION_VIEW,
                user,
                object_ref=f"organization:{organization_id}",
                outcome=Outcome.DENIED,
            )
        raise Http404
    return membership


def _refuse_enrolment(user, enrolment_id: int, action: str) -> Http404:
    owner = Enrolment.objects.filter(pk=enrolment_id).values_list("member_id", flat=True).first()
    return refuse(user, action, f"enrolment:{enrolment_id}", owner)


def access_enrolment(user, enrolment_id: int, *, scope: str | None = None, write: bool = False) -> CareAccess:
    """An enrolled member as the viewer's care team may see them now: the viewer is on the member's care
    team through a current membership, the enrolment is active, the member's consent to the organization
    is live (and covers `scope`, if given). Otherwise 404 and a refused row.

    Three queries. Reads of the member's data still go through circles/sharing/access.py loaders.
    """
    enrolment_id = _known_id(enrolment_id)
    action = ENROLMENT_CHANGE if write else ENROLMENT_VIEW
    team = (
        CareTeamMember.objects.filter(
            enrolment_id=enrolment_id,
            enrolment__status=EnrolmentStatus.ACTIVE,
            staff__user=user,
            staff__ended_at__isnull=True,
        )
        .select_related(
            "staff__organization", "enrolment__member", "enrolment__tie__member", "enrolment__program"
        )
        .first()
    )
    if team is None or team.enrolment.tie is None:
        raise _refuse_enrolment(user, enrolment_id, action)
    enrolment, tie = team.enrolment, team.enrolment.tie
    disclosure = organization_disclosures([tie]).get(tie.pk)
    if (
        disclosure is None
        or disclosure.consent is None
        or (scope is not None and not disclosure.allows(scope))
    ):
        raise _refuse_enrolment(user, enrolment_id, action)
    return CareAccess(enrolment=enrolment, staff=team.staff, disclosure=disclosure)


def care_team_accesses(user, *, organization_id: int | None = None) -> list[CareAccess]:
    """Every active enrolment the viewer is on the care team of, whose consent is live now: the caseload's
    members. A fixed number of queries (two) whatever the caseload's size."""
    if not user.is_authenticated:
        return []
    teams = CareTeamMember.objects.filter(
        enrolment__status=EnrolmentStatus.ACTIVE,
        enrolment__tie__isnull=False,
        staff__user=user,
        staff__ended_at__isnull=True,
    )
    if organization_id is not None:
        teams = teams.filter(staff__organization_id=organization_id)
    teams_list = list(
        teams.select_related(
            "staff__organization", "enrolment__member", "enrolment__tie__member", "enrolment__program"
        )
    )
    disclosures = organization_disclosures([team.enrolment.tie for team in teams_list if team.enrolment.tie])
    accesses = []
    for team in teams_list:
        disclosure = disclosures.get(team.enrolment.tie_id or 0)
        if disclosure is not None and disclosure.consent is not None:
            accesses.append(CareAccess(enrolment=team.enrolment, staff=team.staff, disclosure=disclosure))
    return accesses


def access_own_enrolment(member, enrolment_id: int) -> Enrolment:
    """One of the member's own enrolments (ended ones too: their history is theirs)."""
    enrolment_id = _known_id(enrolment_id)
    try:
        return Enrolment.objects.select_related("organization", "program", "tie").get(
            pk=enrolment_id, member=member
        )
    except Enrolment.DoesNotExist:
        raise _refuse_enrolment(member, enrolment_id, ENROLMENT_VIEW) from None


# --- Organizations, programs and staff ---


# --- Enrolment invitations and care teams ---


# --- Clinical notes ---


# --- Sessions ---

SESSION_VIEW = "session.view"
SESSION_CHANGE = "session.change"


def access_session(user, enrolment_id: int, session_id: int, *, write: bool = False):
    """(the care team's access, one of the enrolled member's sessions); 404 and a refused row otherwise."""
    care = access_enrolment(user, enrolment_id, write=write)
    session_id = _known_id(session_id)
    appointment = Appointment.objects.filter(pk=session_id, enrolment=care.enrolment).first()
    if appointment is None:
        raise refuse(
            user,
            SESSION_CHANGE if write else SESSION_VIEW,
            f"appointment:{session_id}",
            care.enrolment.member_id,
        )
    appointment.enrolment = care.enrolment
    return care, appointment


def access_own_session(member, session_id: int):
    """One of the member's own sessions (of any enrolment of theirs); 404 and a refused row otherwise."""
    session_id = _known_id(session_id)
    appointment = (
        Appointment.objects.filter(pk=session_id, enrolment__member=member)
        .select_related("enrolment__organization")
        .first()
    )
    if appointment is None:
        owner = (
            Appointment.objects.filter(pk=session_id).values_list("enrolment__member_id", flat=True).first()
        )
        raise refuse(member, SESSION_VIEW, f"appointment:{session_id}", owner)
    return appointment


# --- Messages ---


# --- Safety follow-ups ---
