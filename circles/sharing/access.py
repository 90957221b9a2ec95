"""The one way anyone reads another person's data: through a live consent, with every read and every
refusal written to the audit trail.

A `Disclosure` is made here, and only here, from a consent that is live at the moment of the request;
the loaders below read nothing that the disclosures passed to them do not allow. Revoking or expiring a
consent therefore takes effect on the very next request.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import F, JSONField, Max, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from circles.accounts.models import User
from circles.audit.models import Outcome
from circles.audit.trail import Event, record, record_many, refuse_record
from circles.checkins.models import Assessment, CheckIn, SafetySignal
from circles.checkins.trajectory import Trajectory, load_trajectory
from circles.lib.contact_links import ContactLink
from circles.lib.time import local_today
from circles.network.health import load_network
from circles.network.logic import PILLARS
from circles.network.models import Relationship, Tie, TieStatus
from circles.sharing import logic
from circles.sharing.actions import to_organization
from circles.sharing.models import Consent, Invitation, ReachDetails, ReachWay, RecipientKind

MOOD_DAYS = 30
USE_DAYS = 90
STRUGGLE_DAYS = 30
RESULTS_PER_INSTRUMENT = 5
LOADED_ELSEWHERE = frozenset({logic.NETWORK_MAP, logic.PLAN, logic.ALERTS})


@dataclass(frozen=True)
class Disclosure:
    """What one supporter may see of one member at this moment."""

    member: User
    tie: Tie
    consent: Consent | None  # None: linked, but nothing is shared right now

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.consent.scopes) if self.consent else frozenset()

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def _linked_ties(user):
    return Tie.objects.filter(supporter=user).exclude(status=TieStatus.ENDED).select_related("member")


def access_supported_members(user) -> list[Disclosure]:
    """Everyone whose tie is linked to this account, with what each shares now. Two queries."""
    ties = list(_linked_ties(user).order_by("member__display_name", "id"))
    consents = {c.tie_id: c for c in Consent.objects.live_for(user).filter(tie__in=ties)}
    return [Disclosure(member=tie.member, tie=tie, consent=consents.get(tie.pk)) for tie in ties]


def organization_disclosures(ties) -> dict[int, Disclosure]:
    """What each organization tie's care team may see of its member right now (consent None: nothing),
    by tie id, in one query. Only circles/care/access.py calls this, once it has checked that the viewer
    is on the member's care team of an active enrolment; the reads themselves go through the loaders
    below and are audited there."""
    ties = [tie for tie in ties if to_organization(tie) and tie.status != TieStatus.ENDED]
    consents = {
        c.tie_id: c
        for c in Consent.objects.live().filter(tie__in=ties, recipient_kind=RecipientKind.ORGANIZATION)
    }
    return {tie.pk: Disclosure(member=tie.member, tie=tie, consent=consents.get(tie.pk)) for tie in ties}


def _refuse(user, member_id: int | None, object_ref: str, action: str) -> Http404:
    exists = member_id is not None and User.objects.filter(pk=member_id).exists()
    record(action, user, subject=member_id if exists else None, object_ref=object_ref, outcome=Outcome.DENIED)
    return Http404()


def _known_id(member_id: int) -> int:
    if not 0 < member_id < 2**63:  # beyond any database key: nobody to look for
        raise Http404
    return member_id


def _linked_disclosure(user, member_id: int) -> Disclosure | None:
    """The member linked to this account and their live consent (None: nothing shared); None if not linked."""
    tie = _linked_ties(user).filter(member_id=_known_id(member_id)).first()
    if tie is None:
        return None
    return Disclosure(
        member=tie.member, tie=tie, consent=Consent.objects.live_for(user).filter(tie=tie).first()
    )


def access_disclosure(user, member_id: int) -> Disclosure:
    """The member as this supporter may see them; 404 (and a refused row) for anyone not linked."""
    disclosure = _linked_disclosure(user, member_id)
    if disclosure is None:
        raise _refuse(user, member_id, f"member:{member_id}", "member.view")
    return disclosure


def access_shared(user, member_id: int, scope: str) -> Disclosure:
    """A disclosure that covers `scope`; otherwise 404 and a refused row, whether or not the member exists."""
    disclosure = _linked_disclosure(user, member_id)
    if disclosure is None or not disclosure.allows(scope):
        raise _refuse(user, member_id, logic.scopes_ref([scope]), logic.SHARED_VIEW)
    return disclosure


@dataclass
class SharedData:
    """What one member shares with the viewer, loaded for the scopes their consent covers."""

    disclosure: Disclosure
    today: dt.date
    last_checkin: dt.date | None = None
    mood: list[tuple[dt.date, int, int, int]] = field(default_factory=list)
    returns_to_use: list[tuple[dt.date, str]] = field(default_factory=list)
    struggles: list[tuple[dt.date, str]] = field(default_factory=list)
    results: dict[str, list[Assessment]] = field(default_factory=dict)  # scope code -> newest first
    reach: list[ContactLink] = field(default_factory=list)  # how to reach the member, preferred first

    @property
    def checked_in_today(self) -> bool:
        return self.last_checkin == self.today


def access_shared_data(
    viewer, disclosures: list[Disclosure], scopes: frozenset[str] | None = None
) -> list[SharedData]:
    """For each disclosure, the data of the scopes it allows (only those in `scopes`, if given).

    A fixed number of queries however many members, and one audit row per member and scope read, all
    written in one insert.
    """
    shared: dict[int, SharedData] = {}
    wanted: dict[str, list[SharedData]] = defaultdict(list)
    for disclosure in disclosures:
        if disclosure.consent is None:
            continue
        data = shared[disclosure.member.pk] = SharedData(disclosure, local_today(disclosure.member))
        for scope in logic.ordered_scopes(disclosure.scopes):
            # The map is read (and recorded) by access_shared_map, only where it is drawn; a plan has
            # nothing to read until plans exist.
            if scope in LOADED_ELSEWHERE or (scopes is not None and scope not in scopes):
                continue
            wanted[scope].append(data)

    def members(*codes: str) -> set[int]:
        return {data.disclosure.member.pk for code in codes for data in wanted.get(code, [])}

    if checked := members(logic.CHECKED_IN):
        # One index seek per member on (member, day), newest first, rather than aggregating every
        # check-in of every member: a year of daily check-ins is hundreds of rows each.
        newest_day = CheckIn.objects.filter(member_id=OuterRef("pk")).order_by("-day").values("day")[:1]
        last_days = (
            User.objects.filter(pk__in=checked)
            .annotate(last=Subquery(newest_day))
            .filter(last__isnull=False)
            .values_list("pk", "last")
        )
        for member_id, last in last_days:
            shared[member_id].last_checkin = last
    mood_members, use_members = members(logic.MOOD), members(logic.RETURNS_TO_USE)
    if mood_members or use_members:
        earliest = min(shared[m].today for m in mood_members | use_members) - dt.timedelta(days=USE_DAYS)
        rows = (
            CheckIn.objects.filter(member_id__in=mood_members | use_members, day__gte=earliest)
            .filter(Q(member_id__in=mood_members) | Q(used=True))
            .order_by("day")
            .values_list("member_id", "day", "mood", "craving", "stress", "used", "substance")
        )
        for member_id, day, mood, craving, stress, used, substance in rows:
            data = shared[member_id]
            age = (data.today - day).days
            if member_id in mood_members and 0 <= age < MOOD_DAYS:
                data.mood.append((day, mood, craving, stress))
            if member_id in use_members and used and 0 <= age < USE_DAYS:
                data.returns_to_use.append((day, substance))
    if struggle_ties := {data.disclosure.tie.pk: data for data in wanted.get(logic.STRUGGLES, [])}:
        through = CheckIn.struggling_for.through
        struggle_rows = (
            through.objects.filter(
                tie_id__in=struggle_ties,
                checkin__day__gte=min(d.today for d in struggle_ties.values())
                - dt.timedelta(days=STRUGGLE_DAYS),
            )
            .exclude(checkin__struggling="")
            .order_by("-checkin__day")
            .values_list("tie_id", "checkin__member_id", "checkin__day", "checkin__struggling")
        )
        for tie_id, member_id, day, text in struggle_rows:
            data = struggle_ties[tie_id]
            if member_id == data.disclosure.member.pk and 0 <= (data.today - day).days < STRUGGLE_DAYS:
                data.struggles.append((day, text))
    result_scopes = [scope for scope in logic.RESULT_SCOPES if scope.code in wanted]
    if result_scopes:
        allowed = {
            (data.disclosure.member.pk, code)
            for s in result_scopes
            for data in wanted[s.code]
            for code in s.instruments
        }
        earliest = min(data.today for s in result_scopes for data in wanted[s.code]) - dt.timedelta(days=365)
        rows = (
            Assessment.objects.completed()
            .filter(
                member_id__in={member for member, _code in allowed},
                instrument__in={code for _member, code in allowed},
                day__gte=earliest,
            )
            .order_by("-completed_at", "-id")
            .only("member_id", "instrument", "day", "total", "band", "subscales", "completed_at")
        )
        counts: dict[tuple[int, str], int] = defaultdict(int)
        for assessment in rows:
            member_id, instrument = assessment.member_id, assessment.instrument
            key = (member_id, instrument)
            if key not in allowed or counts[key] >= RESULTS_PER_INSTRUMENT:
                continue
            counts[key] += 1
            scope_code = logic.SCOPE_FOR_INSTRUMENT[instrument]
            shared[member_id].results.setdefault(scope_code, []).append(assessment)
    if reach_members := members(logic.REACH):
        saved = {d.member_id: d for d in ReachDetails.objects.filter(member_id__in=reach_members)}
        for member_id in reach_members:
            member = shared[member_id].disclosure.member
            details = saved.get(member_id) or ReachDetails(member=member, preferred=ReachWay.EMAIL)
            shared[member_id].reach = details.links(member.email)
    # One row per member read: who saw which kinds of information, and when.
    read: dict[int, list[str]] = defaultdict(list)
    for scope in logic.SCOPE_CODES:
        for data in wanted.get(scope, []):
            read[data.disclosure.member.pk].append(scope)
    record_many(
        Event(
            action=logic.SHARED_VIEW,
            actor_id=viewer.pk,
            subject_id=member_id,
            object_ref=logic.scopes_ref(codes),
        )
        for member_id, codes in read.items()
    )
    return list(shared.values())


def access_reach(viewer, member_id: int) -> list[ContactLink]:
    """How to reach the member, when the member's live consent shares it with this viewer (the read is
    recorded like any other); empty otherwise, and then nothing is recorded: pages that merely offer
    the links (an alert) ask for them without the viewer having asked to see anything."""
    disclosure = _linked_disclosure(viewer, member_id)
    if disclosure is None or not disclosure.allows(logic.REACH):
        return []
    return access_shared_data(viewer, [disclosure], scopes=frozenset({logic.REACH}))[0].reach


def access_shared_map(viewer, disclosure: Disclosure):
    """The member's network, loaded as for their own map page, when their live consent shares the map."""
    member_id = disclosure.member.pk
    if not disclosure.allows(logic.NETWORK_MAP):
        raise _refuse(viewer, member_id, logic.scopes_ref([logic.NETWORK_MAP]), logic.SHARED_VIEW)
    record(logic.SHARED_VIEW, viewer, subject=member_id, object_ref=logic.scopes_ref([logic.NETWORK_MAP]))
    # An organization the member is enrolled with names where they are treated (42 CFR Part 2 protects
    # that very fact): enrolling puts it in their circle, but only its own care team sees it on the map.
    leave_out = (
        frozenset() if to_organization(disclosure.tie) else frozenset({Relationship.CARE_ORGANIZATION})
    )
    return load_network(disclosure.member, leave_out=leave_out)


# What the trajectory (circles/checkins/trajectory.py) draws, and the scopes each part needs.
TRAJECTORY_SCOPES = frozenset({logic.MOOD, logic.RETURNS_TO_USE, logic.NETWORK_MAP}) | frozenset(
    scope.code for scope in logic.RESULT_SCOPES
)


def access_shared_trajectory(viewer, disclosure: Disclosure, days: int) -> Trajectory | None:
    """The member's trajectory cut to what their live consent shares: check-ins with mood, days with use
    only with returns to use, the questionnaire families shared, weekly contact only with the map.

    None, with nothing read or recorded, when the consent shares none of these; otherwise one audit row
    naming the scopes read.
    """
    scopes = disclosure.scopes
    read = [code for code in logic.ordered_scopes(scopes) if code in TRAJECTORY_SCOPES]
    if not read:
        return None
    instruments = frozenset(
        code for scope in logic.RESULT_SCOPES if scope.code in scopes for code in scope.instruments
    )
    record(logic.SHARED_VIEW, viewer, subject=disclosure.member.pk, object_ref=logic.scopes_ref(read))
    return load_trajectory(
        disclosure.member,
        days,
        checkins=logic.MOOD in scopes,
        used=logic.RETURNS_TO_USE in scopes,
        instruments=instruments,
        contact=logic.NETWORK_MAP in scopes,
    )


def access_consent(user, consent_id: int) -> Consent:
    """One of the member's own consent records."""
    try:
        return Consent.objects.select_related("tie", "member").get(pk=consent_id, member=user)
    except Consent.DoesNotExist:
        raise refuse_record(user, Consent, consent_id, write=False) from None


def access_invitation(user, invitation_id: int, write: bool = False) -> Invitation:
    """One of the member's own invitations."""
    try:
        return Invitation.objects.select_related("tie").get(pk=invitation_id, member=user)
    except Invitation.DoesNotExist:
        raise refuse_record(user, Invitation, invitation_id, write=write) from None


# --- Loaders for a care team's caseload (circles/care/caseload.py) ---


@dataclass(frozen=True)
class OrganizationShare:
    """What one member's live consent to an organization shares now, without the objects behind it: the
    caseload ranks hundreds of members at a time and needs no more. Made only here, like a Disclosure."""

    member_id: int
    tie_id: int
    timezone: str  # the member's, for their today
    scopes: frozenset[str]

    @functools.cached_property
    def today(self) -> dt.date:
        """The member's today, as of the first time it is asked (a share lives for one request)."""
        return local_today(self)  # reads .timezone, as it does of an account

    @classmethod
    def of(cls, disclosure: Disclosure) -> OrganizationShare:
        member = disclosure.member
        return cls(member.pk, disclosure.tie.pk, member.timezone, disclosure.scopes)


def _live_organization_consents():
    """Live consents on organization ties: the rule organization_disclosures applies."""
    return (
        Consent.objects.live()
        .filter(recipient_kind=RecipientKind.ORGANIZATION, tie__relationship=Relationship.CARE_ORGANIZATION)
        .exclude(tie__status=TieStatus.ENDED)
    )


def organization_shares(rows, tie: str, *fields: str) -> Iterator[tuple[tuple, OrganizationShare]]:
    """For each of `rows` (a queryset) whose organization tie, at the path `tie` from them (e.g.
    "enrolment__tie"), has a live consent now: the values of `fields` and what that consent shares, for
    the tie's own member. One query, the consent read by a subquery per row with the rule
    organization_disclosures applies; only circles/care/access.py calls it, for a care team."""
    live_scopes = Subquery(
        _live_organization_consents()
        .filter(tie_id=OuterRef(f"{tie}__id"))
        .order_by("-signed_at", "-id")
        .values("scopes")[:1],
        output_field=JSONField(),
    )
    found = rows.annotate(live_scopes=live_scopes).values_list(
        *fields, f"{tie}__id", f"{tie}__member_id", f"{tie}__member__timezone", "live_scopes"
    )
    for *values, tie_id, member_id, zone, scopes in found:
        if scopes is not None:
            yield tuple(values), OrganizationShare(member_id, tie_id, zone, frozenset(scopes))


@dataclass(frozen=True)
class RecentResult:
    instrument: str
    day: dt.date
    total: float | None
    subscales: dict


@dataclass
class CaseloadSignals:
    """For one member, what a care team's caseload ranks by; each value None when it was not asked for
    or the member's consent does not cover it."""

    today: dt.date  # the member's
    last_checkin: dt.date | None = None  # checked_in (None there too: never checked in)
    ratings: list[tuple[dt.date, int, int]] | None = None  # mood: (day, mood, craving), oldest first
    use_days: list[dt.date] | None = None  # returns_to_use
    safety_signals: list[tuple[int, dt.datetime]] | None = None  # alerts: (signal id, raised at)
    last_contact: dict[str, dt.datetime | None] | None = None  # network_map: pillar -> latest contact
    # results.* scope -> its instruments' newest results (at most RESULTS_PER_INSTRUMENT each within a
    # year), newest first.
    results: dict[str, list[RecentResult]] = field(default_factory=dict)
    shared: frozenset[str] = frozenset()  # the scopes read


def collect_caseload_signals(
    shares: list[OrganizationShare],
    *,
    scopes: frozenset[str],
    signals_since: dict[int, dt.datetime],
    mood_days: int = 14,
    use_days: int = 30,
    instruments: frozenset[str] | None = None,
) -> dict[int, CaseloadSignals]:
    """By tie id (one per share), for the `scopes` each share's consent covers: the last check-in day
    (checked_in), mood and craving of the last `mood_days` days (mood), days of use in the last
    `use_days` (returns to use), safety signals raised since `signals_since[tie id]` (alerts), the
    latest contact in each pillar of the network (network_map) and the newest results of the results.*
    scopes (only of `instruments`, when given).

    Reads only the windows a caseload ranks by, where access_shared_data reads what a supporter's page
    shows: results are cut to the newest few per instrument by the database (a window function), so a
    caseload of hundreds of members with years of history stays one small read each. Six queries however
    many members. It writes no audit row: the care app ranks from what this returns (and keeps it as the
    enrolment's caseload facts), and `record_caseload_views` records each member whose reasons a person
    is then shown, with the scopes read, as access_shared_data does for a supporter's page.
    """
    # A member enrolled with two organizations has two shares, each with its own consent: every value
    # read goes to each of the member's shares whose consent covers it, and to no other.
    found: dict[int, CaseloadSignals] = {}  # by tie
    of_member: dict[int, list[tuple[int, CaseloadSignals]]] = defaultdict(list)
    for share in shares:
        shared = frozenset(share.scopes & scopes)
        if logic.ALERTS in shared and share.tie_id not in signals_since:
            shared -= {logic.ALERTS}
        data = CaseloadSignals(share.today, shared=shared)
        found[share.tie_id] = data
        of_member[share.member_id].append((share.tie_id, data))

    covering: dict[str, set[int]] = defaultdict(set)  # scope -> the members one of whose shares covers it
    for member_id, datas in of_member.items():
        for _tie, data in datas:
            for code in data.shared:
                covering[code].add(member_id)

    def members(code: str) -> set[int]:
        return covering.get(code, set())

    def each(member_id: int, code: str) -> list[CaseloadSignals]:
        return [data for _tie, data in of_member[member_id] if code in data.shared]

    if checked := members(logic.CHECKED_IN):
        # One index seek per member on (member, day), newest first, rather than aggregating every
        # check-in of every member: a year of daily check-ins is hundreds of rows each.
        newest_day = CheckIn.objects.filter(member_id=OuterRef("pk")).order_by("-day").values("day")[:1]
        last_days = (
            User.objects.filter(pk__in=checked)
            .annotate(last=Subquery(newest_day))
            .filter(last__isnull=False)
            .values_list("pk", "last")
        )
        for member_id, last in last_days:
            for data in each(member_id, logic.CHECKED_IN):
                data.last_checkin = last
    mood_members, use_members = members(logic.MOOD), members(logic.RETURNS_TO_USE)
    for member_id in mood_members:
        for data in each(member_id, logic.MOOD):
            data.ratings = []
    for member_id in use_members:
        for data in each(member_id, logic.RETURNS_TO_USE):
            data.use_days = []
    if mood_members or use_members:
        earliest = min(data.today for m in mood_members | use_members for _tie, data in of_member[m])
        rows = (
            CheckIn.objects.filter(
                Q(member_id__in=mood_members, day__gte=earliest - dt.timedelta(days=mood_days))
                | Q(member_id__in=use_members, used=True, day__gte=earliest - dt.timedelta(days=use_days))
            )
            .order_by("day")
            .values_list("member_id", "day", "mood", "craving", "used")
        )
        for member_id, day, mood, craving, used in rows:
            for _tie, data in of_member[member_id]:
                age = (data.today - day).days
                if data.ratings is not None and 0 <= age < mood_days:
                    data.ratings.append((day, mood, craving))
                if data.use_days is not None and used and 0 <= age < use_days:
                    data.use_days.append(day)
    if alert_members := members(logic.ALERTS):
        since = {}
        for member_id in alert_members:
            for tie_id, data in of_member[member_id]:
                if logic.ALERTS in data.shared:
                    data.safety_signals = []
                    since[tie_id] = signals_since[tie_id]
        signals = (
            SafetySignal.objects.filter(member_id__in=alert_members, created_at__gte=min(since.values()))
            .order_by("created_at", "id")
            .values_list("id", "member_id", "created_at")
        )
        for signal_id, member_id, created_at in signals:
            for tie_id, data in of_member[member_id]:
                if data.safety_signals is not None and created_at >= since[tie_id]:
                    data.safety_signals.append((signal_id, created_at))
    if map_members := members(logic.NETWORK_MAP):
        for member_id in map_members:
            for data in each(member_id, logic.NETWORK_MAP):
                data.last_contact = {pillar: None for pillar in PILLARS}
        latest = (
            Tie.objects.filter(member_id__in=map_members)
            .exclude(status=TieStatus.ENDED)
            .values("member_id", "pillar")
            .annotate(last=Max("last_contact_at"))
            .order_by()
            .values_list("member_id", "pillar", "last")
        )
        for member_id, pillar, last in latest:
            for data in each(member_id, logic.NETWORK_MAP):
                data.last_contact[pillar] = last  # type: ignore[index]
    wanted: list[Q] = []
    for family in logic.RESULT_SCOPES:
        if family_members := members(family.code):
            asked = [code for code in family.instruments if instruments is None or code in instruments]
            if asked:
                wanted.append(Q(member_id__in=family_members, instrument__in=asked))
            for member_id in family_members:
                for data in each(member_id, family.code):
                    data.results[family.code] = []
    if wanted:
        earliest = min(data.today for data in found.values()) - dt.timedelta(days=365)
        newest = (
            Assessment.objects.completed()
            .filter(functools.reduce(operator.or_, wanted), day__gte=earliest)
            .annotate(
                position=Window(
                    RowNumber(),
                    partition_by=[F("member_id"), F("instrument")],
                    order_by=[F("completed_at").desc(), F("id").desc()],
                )
            )
            .filter(position__lte=RESULTS_PER_INSTRUMENT)
            .order_by("-completed_at", "-id")
            .values_list("member_id", "instrument", "day", "total", "subscales")
        )
        for member_id, instrument, day, total, subscales in newest:
            scope_code = logic.SCOPE_FOR_INSTRUMENT[instrument]
            for data in each(member_id, scope_code):
                data.results[scope_code].append(RecentResult(instrument, day, total, subscales or {}))
    return found


def caseload_changes_since(
    member_ids, since: dt.datetime, *, instruments: frozenset[str]
) -> dict[int, dt.datetime]:
    """By member, the latest moment since `since` at which a check-in of theirs was saved, a
    questionnaire of `instruments` completed or a tie changed: what puts a caseload's kept facts out of
    date. Reads when, never what. One query, on indexes that reach only the rows changed since then."""
    # No ORDER BY in the parts of a UNION (the models' default orderings would add one).
    checkins = (
        CheckIn.objects.filter(member_id__in=member_ids, updated_at__gte=since)
        .order_by()
        .values_list("member_id", "updated_at")
    )
    scores = (
        Assessment.objects.filter(
            member_id__in=member_ids, instrument__in=instruments, completed_at__gte=since
        )
        .order_by()
        .values_list("member_id", "completed_at")
    )
    ties = (
        Tie.objects.filter(member_id__in=member_ids, updated_at__gte=since)
        .order_by()
        .values_list("member_id", "updated_at")
    )
    latest: dict[int, dt.datetime] = {}
    for member_id, moment in checkins.union(scores, ties, all=True):
        if member_id not in latest or moment > latest[member_id]:
            latest[member_id] = moment
    return latest


def record_caseload_views(viewer, shown: list[tuple[int, frozenset[str]]]) -> None:
    """One audit row per caseload row whose reasons the viewer is shown ((member id, the scopes they were
    ranked by); a member enrolled twice has two), in one insert."""
    record_many(
        Event(
            action=logic.SHARED_VIEW,
            actor_id=viewer.pk,
            subject_id=member_id,
            object_ref=logic.scopes_ref(logic.ordered_scopes(scopes)),
        )
        for member_id, scopes in shown
        if scopes
    )
