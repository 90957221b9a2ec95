"""The one way staff reach an organization or an enrolled member, and the one way a member reaches their
own enrolments.

Staff read a member's data only as a member of that member's care team, while the enrolment is active and
the member's consent to the organization is live; what they then read goes through
circles/sharing/access.py (the loaders supporters use), which audits every read. Everyone else gets 404
and, when the record exists, a refused row in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.http import Http404

from circles.alerts import logic as alert_logic
from circles.alerts.models import OPEN_STATUSES, Acknowledgement, Alert, Notification, NotificationStatus
from circles.audit.models import Outcome
from circles.audit.trail import Event as AuditEvent
from circles.audit.trail import record, record_many, refuse
from circles.care.models import (
    CARE_ROLES,
    Appointment,
    CareTeamMember,
    ClinicalNote,
    Enrolment,
    EnrolmentInvitation,
    EnrolmentStatus,
    NoteKind,
    Organization,
    SafetyFollowUp,
    StaffMembership,
    StaffRole,
)
from circles.checkins.models import SafetySignal
from circles.sharing.access import (
    Disclosure,
    OrganizationShare,
    organization_disclosures,
    organization_shares,
)
from circles.sharing.logic import ALERTS, RESULTS
from circles.sharing.models import Consent, RecipientKind

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
            staff__role__in=CARE_ROLES,  # an administrator reads no member's data, even left on a team
        )
        .exclude(enrolment__member=user)  # staff enrolled where they work are cared for, not carers
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


def shares_with_care_team(enrolment: Enrolment) -> bool:
    """Whether the member's consent to the organization is live now: while it is not, its care team
    reads nothing of theirs, messages included, so the member is not offered to write."""
    if not enrolment.is_active or enrolment.tie is None:
        return False
    disclosure = organization_disclosures([enrolment.tie]).get(enrolment.tie.pk)
    return disclosure is not None and disclosure.consent is not None


def _care_teams(user, *, organization_id: int | None = None):
    """The viewer's places on care teams of active enrolments, through a current care-role membership."""
    teams = CareTeamMember.objects.filter(
        enrolment__status=EnrolmentStatus.ACTIVE,
        enrolment__tie__isnull=False,
        staff__user=user,
        staff__ended_at__isnull=True,
        staff__role__in=CARE_ROLES,
    ).exclude(enrolment__member=user)
    if organization_id is not None:
        teams = teams.filter(staff__organization_id=organization_id)
    # The enrolment's tie is its member's own tie (a tie of anyone else would be no access at all).
    return teams.filter(enrolment__tie__member_id=F("enrolment__member_id"))


def care_team_accesses(user, *, organization_id: int | None = None) -> list[CareAccess]:
    """Every active enrolment the viewer is on the care team of, whose consent is live now: the
    caseload's members. A fixed number of queries (two) whatever their number."""
    if not user.is_authenticated:
        return []
    # Join the member once and give the tie the same object, rather than building every member twice.
    teams_list = list(
        _care_teams(user, organization_id=organization_id).select_related(
            "staff__organization", "enrolment__member", "enrolment__tie", "enrolment__program"
        )
    )
    for team in teams_list:
        if team.enrolment.tie is not None:
            team.enrolment.tie.member = team.enrolment.member
    disclosures = organization_disclosures([team.enrolment.tie for team in teams_list if team.enrolment.tie])
    accesses = []
    for team in teams_list:
        disclosure = disclosures.get(team.enrolment.tie_id or 0)
        if disclosure is not None and disclosure.consent is not None:
            accesses.append(CareAccess(enrolment=team.enrolment, staff=team.staff, disclosure=disclosure))
    return accesses


@dataclass(frozen=True)
class CaseloadEntry:
    """One member of the viewer's caseload as the ranking needs them, without the objects behind them:
    care_team_accesses for the same enrolment gives the full access."""

    enrolment_id: int
    name: str  # the member's display name
    started_at: dt.datetime  # the enrolment's
    share: OrganizationShare  # what the member's live consent to the organization shares now

    @property
    def member_id(self) -> int:
        return self.share.member_id


def care_team_entries(user) -> list[CaseloadEntry]:
    """Every member care_team_accesses(user) gives, as light entries. One query, few objects, whatever
    the caseload's size."""
    if not user.is_authenticated:
        return []
    return _entries(_care_teams(user).order_by(), "enrolment__")


def care_team_enrolment_ids(user):
    """The enrolments care_team_entries(user) draws from, as a subquery: a superset of the caseload (the
    consent is checked there), so a caseload's own reads of hundreds of rows need not send
    hundreds of ids back to the database. Use it only to narrow what is then matched to entries."""
    return CareTeamMember.objects.filter(
        staff__user=user,
        staff__ended_at__isnull=True,
        staff__role__in=CARE_ROLES,
        enrolment__status=EnrolmentStatus.ACTIVE,
    ).values("enrolment_id")


def consenting_enrolments(enrolment_ids) -> list[CaseloadEntry]:
    """The active enrolments among these whose member's consent to the organization is live now, as
    caseload entries, for keeping their caseload facts current (circles/care/caseload.py); no person is
    shown anything here. One query."""
    enrolments = Enrolment.objects.filter(
        pk__in=enrolment_ids, status=EnrolmentStatus.ACTIVE, tie__member_id=F("member_id")
    )
    return _entries(enrolments.order_by(), "")


def _entries(rows, enrolment: str) -> list[CaseloadEntry]:
    """Entries for `rows` (active enrolments on their member's own tie, or what leads to them by the path
    `enrolment`) whose member's consent to the organization is live now, with what it shares."""
    found = organization_shares(
        rows,
        f"{enrolment}tie",
        f"{enrolment}id",
        f"{enrolment}member__display_name",
        f"{enrolment}started_at",
    )
    entries: dict[int, CaseloadEntry] = {}
    for (enrolment_id, name, started_at), share in found:
        entries[enrolment_id] = CaseloadEntry(enrolment_id, name, started_at, share)
    return list(entries.values())


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


CONSENT_VIEW = "consent.view"


def organization_record(user, membership: StaffMembership, model, pk: int, *, write: bool = True, **lookup):
    """A record of the viewer's organization (a staff membership, an invitation, a program), found by its
    id within that organization only; 404 otherwise, with a refused row when it belongs to another one."""
    pk = _known_id(pk)
    found = model.objects.filter(pk=pk, organization_id=membership.organization_id, **lookup).first()
    if found is None:
        if model.objects.filter(pk=pk).exists():
            name = model._meta.model_name
            record(
                f"{name}.change" if write else f"{name}.view",
                user,
                object_ref=f"{name}:{pk}",
                outcome=Outcome.DENIED,
            )
        raise Http404
    return found


def organization_consents(organization_id: int):
    """Every consent record addressed to the organization: signed on the tie of one of its enrolments."""
    return Consent.objects.filter(
        recipient_kind=RecipientKind.ORGANIZATION, tie__enrolment__organization_id=organization_id
    )


def access_organization_consent(
    user, organization_id: int, consent_id: int
) -> tuple[StaffMembership, Consent]:
    """One consent record addressed to the organization, for its administrator. The read is audited
    ("consent.view", about the member); anyone else gets 404 and a refused row."""
    membership = access_organization(user, organization_id, admin=True)
    consent_id = _known_id(consent_id)
    consent = (
        organization_consents(membership.organization_id)
        .select_related("member", "tie__enrolment__program")
        .filter(pk=consent_id)
        .first()
    )
    if consent is None:
        owner = Consent.objects.filter(pk=consent_id).values_list("member_id", flat=True).first()
        raise refuse(user, CONSENT_VIEW, f"consent:{consent_id}", owner)
    record(CONSENT_VIEW, user, subject=consent.member_id, object_ref=f"consent:{consent.pk}")
    return membership, consent


# --- Enrolment invitations and care teams ---

INVITATION_VIEW = "invitation.view"
INVITATION_CHANGE = "invitation.change"
CARE_TEAM_CHANGE = "care_team.change"


def access_enrolment_invitation(user, invitation_id: int, *, write: bool = False):
    """An enrolment invitation of an organization the viewer works for now (any role): (invitation,
    the viewer's membership). 404 and a refused row otherwise."""
    invitation_id = _known_id(invitation_id)
    invitation = (
        EnrolmentInvitation.objects.select_related("organization", "program", "primary_staff__user")
        .filter(pk=invitation_id)
        .first()
    )
    membership = None
    if invitation is not None:
        membership = (
            StaffMembership.objects.current()
            .filter(user=user, organization_id=invitation.organization_id)
            .first()
        )
    if invitation is None or membership is None:
        if invitation is not None:
            record(
                INVITATION_CHANGE if write else INVITATION_VIEW,
                user,
                object_ref=f"enrolment_invitation:{invitation_id}",
                outcome=Outcome.DENIED,
            )
        raise Http404
    return invitation, membership


def access_care_team(user, enrolment_id: int) -> tuple[Enrolment, StaffMembership]:
    """Who may change an enrolled member's care team, or end the enrolment from the staff side: anyone on
    the care team, or an administrator of the organization; only while the enrolment is active and the
    member's consent to the organization is live (the same moment staff stop reading). 404 and a refused
    row otherwise. Three queries."""
    enrolment_id = _known_id(enrolment_id)
    enrolment = (
        Enrolment.objects.filter(pk=enrolment_id, status=EnrolmentStatus.ACTIVE, tie__isnull=False)
        .select_related("organization", "program", "member", "tie__member")
        .first()
    )
    membership = None
    if enrolment is not None:
        membership = (
            StaffMembership.objects.current()
            .filter(user=user, organization_id=enrolment.organization_id)
            .filter(Q(role=StaffRole.ADMINISTRATOR) | Q(care_teams__enrolment_id=enrolment_id))
            .first()
        )
    if enrolment is None or membership is None or enrolment.tie is None:
        raise _refuse_enrolment(user, enrolment_id, CARE_TEAM_CHANGE)
    disclosure = organization_disclosures([enrolment.tie]).get(enrolment.tie.pk)
    if disclosure is None or disclosure.consent is None:
        raise _refuse_enrolment(user, enrolment_id, CARE_TEAM_CHANGE)
    return enrolment, membership


# --- Clinical notes ---

NOTE_VIEW = "care.note.view"


def _readable_notes(access: CareAccess, user):
    """The enrolment's notes this staff member may read: every progress note; a process note only when
    they wrote it or are a clinical supervisor of the organization (45 CFR 164.501)."""
    notes = ClinicalNote.objects.filter(enrolment=access.enrolment)
    if not access.staff.clinical_supervisor:
        notes = notes.filter(Q(kind=NoteKind.PROGRESS) | Q(author=user))
    return notes


def access_notes(user, enrolment_id: int) -> tuple[CareAccess, list[ClinicalNote]]:
    """The member's notes the viewer may read, newest first, with corrections' originals; the read is
    recorded. Process notes of others are left out as if they did not exist. Three queries for access,
    one for the notes, one for the audit row."""
    access = access_enrolment(user, enrolment_id)
    notes = list(_readable_notes(access, user).select_related("corrects"))
    record(NOTE_VIEW, user, subject=access.member, object_ref=f"enrolment:{access.enrolment.pk}")
    return access, notes


def access_note(user, enrolment_id: int, note_id: int) -> tuple[CareAccess, ClinicalNote]:
    """One note the viewer may read (the read recorded); 404 and a refused row otherwise, including a
    process note of someone else's that the viewer is not a supervisor for."""
    access = access_enrolment(user, enrolment_id)
    note = _readable_notes(access, user).select_related("corrects").filter(pk=_known_id(note_id)).first()
    if note is None:
        raise refuse(user, NOTE_VIEW, f"note:{note_id}", access.member.pk)
    record(NOTE_VIEW, user, subject=access.member, object_ref=f"note:{note.pk}")
    return access, note


def access_own_progress_notes(member, enrolment_id: int) -> tuple[Enrolment, list[ClinicalNote]]:
    """The member's own progress notes of one enrolment (ended ones too), newest first; never a process
    note. The read is recorded like staff's."""
    enrolment = access_own_enrolment(member, enrolment_id)
    notes = list(
        ClinicalNote.objects.filter(enrolment=enrolment, kind=NoteKind.PROGRESS).select_related("corrects")
    )
    record(NOTE_VIEW, member, subject=member, object_ref=f"enrolment:{enrolment.pk}")
    return enrolment, notes


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

# What a care team's alert inbox reads (circles/care/views/inbox.py): the safety signals of members on the
# viewer's caseload whose consent lets the organization be asked for support (the `alerts` scope), since
# their enrolment started, and the alerts asking the care team on their crisis ladder.

RECENT_FOLLOW_UP_DAYS = 14
INBOX_LIMIT = 100
ALERT_ACTION = "alert.view"


def alert_accesses(user) -> list[CareAccess]:
    """The caseload's members whose live consent includes `alerts`: whose safety the team may follow."""
    return [access for access in care_team_accesses(user) if access.allows(ALERTS)]


def _signals_since_enrolment(enrolment_ids):
    """Safety signals of the enrolments' members since each enrolment started, each annotated with the
    enrolment (`enrolment_id`) and whether a follow-up answers it (`followed_up`)."""
    enrolment = Enrolment.objects.filter(
        pk__in=enrolment_ids, member=OuterRef("member"), started_at__lte=OuterRef("created_at")
    ).order_by("-started_at")
    return (
        SafetySignal.objects.annotate(enrolment_id=Subquery(enrolment.values("pk")[:1]))
        .filter(enrolment_id__isnull=False)
        .annotate(
            followed_up=Exists(
                SafetyFollowUp.objects.filter(enrolment_id=OuterRef("enrolment_id"), signal=OuterRef("pk"))
            )
        )
    )


def open_follow_ups(enrolment_ids) -> dict[int, list[SafetySignal]]:
    """The safety signals no follow-up answers yet, newest first, by enrolment id: one query.

    For the caseload's ranking and the inbox; call it with enrolments the viewer may see (the access
    checks are the caller's: care_team_accesses, then keep those whose consent allows `alerts`).
    """
    ids = list(enrolment_ids)
    found: dict[int, list[SafetySignal]] = {}
    if not ids:
        return found
    for signal in _signals_since_enrolment(ids).filter(followed_up=False).order_by("-created_at", "-id"):
        found.setdefault(signal.enrolment_id, []).append(signal)  # type: ignore[attr-defined]
    return found


@dataclass(frozen=True)
class InboxSignal:
    access: CareAccess
    signal: SafetySignal

    @property
    def source_shown(self) -> bool:
        """The kind of signal is shown only when the consent covers what raised it (a questionnaire
        answer needs that questionnaire's results; a press of "I need help now" needs only `alerts`)."""
        needed = SIGNAL_SCOPE.get(self.signal.source)
        return needed is None or self.access.allows(needed)


@dataclass(frozen=True)
class Inbox:
    open: list[InboxSignal]
    recent: list[SafetyFollowUp]
    asking: list[tuple[CareAccess, Alert]]
    accesses: list[CareAccess]


# Which sharing choice lets the care team read what raised a signal (None: the signal itself says it).
SIGNAL_SCOPE: dict[str, str | None] = {
    SafetySignal.Source.SAFETY_ITEM: RESULTS + "depression",
    SafetySignal.Source.SCREEN: RESULTS + "safety_screen",
    SafetySignal.Source.HELP_NOW: None,
}


def load_inbox(user, now) -> Inbox:
    """The viewer's alert inbox: open signals (no follow-up yet), newest first; follow-ups of the last
    two weeks; open alerts asking the care team. A fixed number of queries whatever the caseload's size;
    each member listed is recorded as a read (`care.alerts.view`)."""
    accesses = alert_accesses(user)
    by_enrolment = {access.enrolment.pk: access for access in accesses}
    ids = list(by_enrolment)
    open_signals: list[InboxSignal] = []
    recent: list[SafetyFollowUp] = []
    asking: list[tuple[CareAccess, Alert]] = []
    if ids:
        rows = _signals_since_enrolment(ids).filter(followed_up=False).order_by("-created_at", "-id")
        open_signals = [
            InboxSignal(by_enrolment[row.enrolment_id], row)  # type: ignore[attr-defined]
            for row in rows[:INBOX_LIMIT]
        ]
        recent = list(
            SafetyFollowUp.objects.filter(
                enrolment_id__in=ids, acknowledged_at__gte=now - dt.timedelta(days=RECENT_FOLLOW_UP_DAYS)
            )
            .select_related("signal")
            .order_by("-acknowledged_at", "-id")[:INBOX_LIMIT]
        )
        ties = {access.enrolment.tie_id: access for access in accesses}
        asked_team = Notification.objects.filter(
            alert=OuterRef("pk"), tie_id__in=list(ties), recipient__isnull=False
        ).exclude(status=NotificationStatus.SKIPPED)
        alerts = (
            Alert.objects.filter(
                status__in=OPEN_STATUSES, member_id__in=[access.member.pk for access in accesses]
            )
            .annotate(team_tie=Subquery(asked_team.values("tie_id")[:1]))
            .filter(team_tie__isnull=False)
            .order_by("-created_at", "-id")[:INBOX_LIMIT]
        )
        asking = [(ties[alert.team_tie], alert) for alert in alerts if alert.team_tie in ties]  # type: ignore[attr-defined]
        for follow_up in recent:
            follow_up.access = by_enrolment[follow_up.enrolment_id]  # type: ignore[attr-defined]
        record_many(
            AuditEvent(
                ALERT_INBOX_VIEW,
                user.pk,
                subject_id=access.member.pk,
                object_ref=f"enrolment:{access.enrolment.pk}",
            )
            for access in accesses
        )
    return Inbox(open=open_signals, recent=recent, asking=asking, accesses=accesses)


ALERT_INBOX_VIEW = "care.alerts.view"


def access_signal(
    user, enrolment_id: int, signal_id: int, *, write: bool = False
) -> tuple[CareAccess, SafetySignal]:
    """One safety signal of a member the viewer's care team follows (consent with `alerts`), raised since
    the enrolment started; 404 and a refused row otherwise."""
    access = access_enrolment(user, enrolment_id, scope=ALERTS, write=write)
    signal = SafetySignal.objects.filter(
        pk=_known_id(signal_id), member=access.member, created_at__gte=access.enrolment.started_at
    ).first()
    if signal is None:
        raise _refuse_enrolment(user, access.enrolment.pk, ENROLMENT_CHANGE if write else ENROLMENT_VIEW)
    if not write:
        record(
            ALERT_INBOX_VIEW,
            user,
            subject=access.member.pk,
            object_ref=f"enrolment:{access.enrolment.pk} signal:{signal.pk}",
        )
    return access, signal


@dataclass(frozen=True)
class TeamAlert:
    """An alert asking a member's care team, as one of the team sees it (docs/alerts.md, "what a person
    asked sees"): why it fired only when the consent covers what the rule read."""

    access: CareAccess
    alert: Alert

    @property
    def reason(self) -> str | None:
        needed = alert_logic.reason_scope(self.alert.kind, self.alert.facts)
        if needed is None or not self.access.allows(needed):
            return None
        return self.alert.reason

    @property
    def answers(self) -> list[Acknowledgement]:
        return list(self.alert.acknowledgements.all())

    @property
    def team_answered(self) -> bool:
        tie_id = self.access.enrolment.tie_id
        return any(answer.tie_id == tie_id for answer in self.answers)


def access_team_alert(user, alert_id: int, *, write: bool = False) -> TeamAlert:
    """An alert whose ladder asked the member's care team, for a member of that team while the enrolment
    is active and the consent live with `alerts`; 404 and a refused row otherwise. The view is audited."""
    alert = (
        Alert.objects.filter(pk=_known_id(alert_id))
        .select_related("member")
        .prefetch_related("acknowledgements")
        .first()
    )
    if alert is None:
        raise Http404
    enrolment_id = (
        Enrolment.objects.filter(
            member_id=alert.member_id,
            status=EnrolmentStatus.ACTIVE,
            care_team__staff__user=user,
            care_team__staff__ended_at__isnull=True,
        )
        .values_list("pk", flat=True)
        .first()
    )
    if enrolment_id is None:
        raise refuse(user, ALERT_ACTION, f"alert:{alert.pk}", alert.member_id)
    access = access_enrolment(user, enrolment_id, scope=ALERTS, write=write)
    asked_team = (
        Notification.objects.filter(alert=alert, tie=access.enrolment.tie, recipient__isnull=False)
        .exclude(status=NotificationStatus.SKIPPED)
        .exists()
    )
    if not asked_team:
        raise refuse(user, ALERT_ACTION, f"alert:{alert.pk}", alert.member_id)
    if not write:
        record(ALERT_ACTION, user, subject=alert.member_id, object_ref=f"alert:{alert.pk}")
    return TeamAlert(access=access, alert=alert)
