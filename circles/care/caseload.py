"""Loads a staff member's caseload and ranks it (circles/care/logic.py), in a fixed number of queries
whatever its size.

Everything about a member's own life is read through circles/sharing/access.py
(`access_caseload_signals`), only as far as their consent to the organization reaches, and every read is
audited there. Sessions, safety follow-ups and
messages belong to the care relationship itself and are read here. Alerts are read here too (the alerts
app sits above sharing), only for members whose consent includes alerts, and only alerts that reached
the organization's tie (the member put their care team on their crisis ladder); the alerts scope is in
the audit row access_caseload_signals writes for that member in the same request.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from circles.alerts.models import OPEN_STATUSES, Alert
from circles.care import logic
from circles.care.access import CareAccess, care_team_accesses
from circles.care.models import (
    CARE_ROLES,
    Appointment,
    Attendance,
    CareTeamMember,
    Message,
    SafetyFollowUp,
    StaffMembership,
    ThreadRead,
)
from circles.lib.time import user_zone
from circles.sharing import logic as sharing
from circles.sharing.access import CaseloadSignals, access_caseload_signals

DEPRESSION, ANXIETY, RECOVERY_MONITOR = (
    sharing.RESULTS + "depression",
    sharing.RESULTS + "anxiety",
    sharing.RESULTS + "recovery_monitor",
)
# Every scope the ranking reads, when the member's consent includes it.
RANKING_SCOPES = frozenset(
    {
        sharing.CHECKED_IN,
        sharing.MOOD,
        sharing.RETURNS_TO_USE,
        sharing.ALERTS,
        sharing.NETWORK_MAP,
        DEPRESSION,
        ANXIETY,
        RECOVERY_MONITOR,
    }
)
# The mood and craving the ranking compares: this week and the week before.
MOOD_DAYS = 2 * logic.MOOD_WINDOW_DAYS


@dataclass(frozen=True)
class CaseloadRow:
    """One member on the caseload: their access (enrolment, program), care team, and need."""

    access: CareAccess
    need: logic.Need
    primary: StaffMembership | None
    team: tuple[StaffMembership, ...]

    @property
    def enrolment(self):
        return self.access.enrolment

    @property
    def unread_messages(self) -> int:
        return self.need.signals.unread_messages


@dataclass(frozen=True)
class Caseload:
    rows: list[CaseloadRow]  # ranked
    staff_choices: list[StaffMembership]  # care-role staff of the viewer's organizations, for the filter

    def filtered(self, *, staff_id: int | None = None, reason: str | None = None) -> list[CaseloadRow]:
        """The rows whose care team includes that staff membership, and that have that reason code.

        Filtering by staff only ever narrows the viewer's own caseload: a colleague's members the viewer
        is not on the care team of are never shown."""
        rows = self.rows
        if staff_id is not None:
            rows = [row for row in rows if any(staff.pk == staff_id for staff in row.team)]
        if reason:
            rows = [row for row in rows if reason in row.need.codes]
        return rows


def _day(moment: dt.datetime, zone) -> dt.date:
    return moment.astimezone(zone).date()


def _results(signals: CaseloadSignals | None, scope: str, instrument: str):
    if signals is None or scope not in signals.results:
        return logic.NOT_SHARED
    return tuple(
        logic.Result(day=r.day, total=r.total or 0)
        for r in reversed(signals.results[scope])
        if r.instrument == instrument
    )


def _bam(signals: CaseloadSignals | None):
    if signals is None or RECOVERY_MONITOR not in signals.results:
        return logic.NOT_SHARED
    for result in signals.results[RECOVERY_MONITOR]:  # newest first
        if result.instrument == "bam":
            return logic.BamResult(
                day=result.day,
                risk=int(result.subscales.get("risk", 0)),
                protective=int(result.subscales.get("protective", 0)),
            )
    return None


def load_caseload(viewer) -> Caseload:
    """The viewer's caseload, ranked by need. A fixed number of queries whatever its size."""
    zone = user_zone(viewer)
    accesses = care_team_accesses(viewer)
    own_organizations = StaffMembership.objects.current().filter(user=viewer).values("organization_id")
    staff_choices = list(
        StaffMembership.objects.current()
        .filter(organization_id__in=own_organizations, role__in=CARE_ROLES)
        .select_related("user", "organization")
        .order_by("user__display_name", "id")
    )
    if not accesses:
        return Caseload(rows=[], staff_choices=staff_choices)
    enrolment_ids = [access.enrolment.pk for access in accesses]
    by_member = {access.member.pk: access for access in accesses}
    disclosures = [access.disclosure for access in accesses]

    since = {access.member.pk: access.enrolment.started_at for access in accesses}
    found = access_caseload_signals(
        viewer,
        disclosures,
        scopes=RANKING_SCOPES,
        signals_since=since,
        mood_days=MOOD_DAYS,
        use_days=logic.RETURN_TO_USE_DAYS,
    )

    followed_up = set(
        SafetyFollowUp.objects.filter(enrolment_id__in=enrolment_ids).values_list("enrolment_id", "signal_id")
    )
    alert_members = {m for m, access in by_member.items() if access.allows(sharing.ALERTS)}
    open_alerts: dict[int, list[dt.date]] = defaultdict(list)
    if alert_members:
        tie_ids = [tie_id for m in alert_members if (tie_id := by_member[m].enrolment.tie_id) is not None]
        alerts = (
            Alert.objects.filter(
                member_id__in=alert_members, status__in=OPEN_STATUSES, notifications__tie_id__in=tie_ids
            )
            .values_list("id", "member_id", "created_at", "notifications__tie_id")
            .distinct()
        )
        counted: set[int] = set()
        for alert_id, member_id, created_at, tie_id in alerts:
            if tie_id == by_member[member_id].enrolment.tie_id and alert_id not in counted:
                counted.add(alert_id)
                open_alerts[member_id].append(_day(created_at, zone))
    now = timezone.now()
    missed: dict[int, list[dt.date]] = defaultdict(list)
    for enrolment_id, starts_at in Appointment.objects.filter(
        enrolment_id__in=enrolment_ids,
        attendance=Attendance.MISSED,
        starts_at__gte=now - dt.timedelta(days=logic.MISSED_SESSION_DAYS + 1),
        starts_at__lte=now,
    ).values_list("enrolment_id", "starts_at"):
        missed[enrolment_id].append(_day(starts_at, zone))
    read_since = ThreadRead.objects.filter(
        enrolment_id=OuterRef("enrolment_id"), user=viewer, read_at__gte=OuterRef("sent_at")
    )
    unread = dict(
        Message.objects.filter(enrolment_id__in=enrolment_ids, from_member=True)
        .exclude(Exists(read_since))
        .values("enrolment_id")
        .annotate(count=Count("id"))
        .order_by()
        .values_list("enrolment_id", "count")
    )
    teams: dict[int, list[CareTeamMember]] = defaultdict(list)
    for member in CareTeamMember.objects.filter(enrolment_id__in=enrolment_ids).select_related("staff__user"):
        teams[member.enrolment_id].append(member)

    signals = []
    for member_id, access in by_member.items():
        enrolment = access.enrolment
        seen = found.get(member_id)
        if seen is None:
            continue
        if seen.safety_signals is not None:
            open_safety: tuple[dt.date, ...] | logic.NotShared = tuple(
                _day(raised, zone)
                for signal_id, raised in seen.safety_signals
                if (enrolment.pk, signal_id) not in followed_up
            )
        else:
            open_safety = logic.NOT_SHARED
        last_contact: dict[str, dt.date | None] | logic.NotShared = (
            {pillar: _day(moment, zone) if moment else None for pillar, moment in seen.last_contact.items()}
            if seen.last_contact is not None
            else logic.NOT_SHARED
        )
        signals.append(
            logic.MemberSignals(
                key=enrolment.pk,
                name=access.member.display_name,
                today=seen.today,
                open_safety=open_safety,
                open_alerts=tuple(open_alerts[member_id])
                if sharing.ALERTS in seen.shared
                else logic.NOT_SHARED,
                phq9=_results(seen, DEPRESSION, "phq9"),
                gad7=_results(seen, ANXIETY, "gad7"),
                use_days=tuple(seen.use_days) if seen.use_days is not None else logic.NOT_SHARED,
                ratings=tuple(logic.DayRatings(day, mood, craving) for day, mood, craving in seen.ratings)
                if seen.ratings is not None
                else logic.NOT_SHARED,
                last_checkin=seen.last_checkin if sharing.CHECKED_IN in seen.shared else logic.NOT_SHARED,
                last_contact=last_contact,
                missed_sessions=tuple(missed[enrolment.pk]),
                bam=_bam(seen),
                enrolled_on=_day(enrolment.started_at, user_zone(access.member)),
                unread_messages=unread.get(enrolment.pk, 0),
            )
        )
    by_enrolment = {access.enrolment.pk: access for access in accesses}
    rows = []
    for need in logic.rank(signals):
        access = by_enrolment[need.signals.key]
        team = teams[access.enrolment.pk]
        rows.append(
            CaseloadRow(
                access=access,
                need=need,
                primary=next((m.staff for m in team if m.is_primary), None),
                team=tuple(m.staff for m in team),
            )
        )
    return Caseload(rows=rows, staff_choices=staff_choices)
