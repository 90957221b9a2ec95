"""Loads a staff member's caseload and ranks it (circles/care/logic.py), in a fixed number of queries
whatever its size, and fast at hundreds of members (bench/caseload.py).

Everything about a member's own life is read through circles/sharing/access.py (`collect_caseload_signals`),
only as far as their consent to the organization reaches right now. What changes slowly (check-ins, mood and
craving, days of use, scores, contact in each pillar) is kept per enrolment as `CaseloadFacts` and read again
when it is older than FACTS_MAX_AGE, when the consent's scopes change, or at once when the member has checked
in, completed a questionnaire or changed a tie since, so a request reads one small row per member instead of a
year of everyone's history. Safety signals are read on every request. Sessions, safety follow-ups and messages
belong to the care relationship itself and are read here; so are alerts (the alerts app sits above sharing),
only for members whose consent includes alerts, and only alerts that reached the organization's tie (the
member put their care team on their crisis ladder).

The ranking covers the whole caseload; each member whose reasons a person is shown gets one audit row
with the scopes they were ranked by (`record_caseload_views`), the way a supporter's page is audited.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from circles.alerts.models import OPEN_STATUSES, Alert
from circles.care import logic
from circles.care.access import (
    CaseloadEntry,
    care_team_enrolment_ids,
    care_team_entries,
    consenting_enrolments,
)
from circles.care.models import (
    CARE_ROLES,
    Appointment,
    Attendance,
    CareTeamMember,
    CaseloadFacts,
    Enrolment,
    EnrolmentStatus,
    Message,
    SafetyFollowUp,
    StaffMembership,
    ThreadRead,
)
from circles.lib.time import user_zone
from circles.sharing import logic as sharing
from circles.sharing.access import (
    CaseloadSignals,
    RecentResult,
    caseload_changes_since,
    collect_caseload_signals,
    record_caseload_views,
)

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
# What CaseloadFacts keeps: all of the above but safety signals, which are read on every request.
STORED_SCOPES = RANKING_SCOPES - {sharing.ALERTS}
# The instruments the ranking reads (logic.py): only their results are kept.
RANKED_INSTRUMENTS = frozenset({"phq9", "gad7", "bam"})
# The mood and craving the ranking compares: this week and the week before.
MOOD_DAYS = 2 * logic.MOOD_WINDOW_DAYS
# Kept facts older than this are read again. A check-in, a questionnaire or a change to a tie since
# they were read makes them out of date at once; what is left to this (a contact logged, a check-in
# deleted) ranks on weeks, not hours. The worker reads
# them again before they reach it (refresh_caseload_facts), so a request seldom has to.
FACTS_MAX_AGE = dt.timedelta(hours=1)
# A change saved just before facts were read may commit just after: count it as newer than them.
CHANGE_MARGIN = dt.timedelta(minutes=1)
FACTS_REFRESH_AFTER = dt.timedelta(minutes=45)


@dataclass(frozen=True)
class CaseloadRow:
    """One member on the caseload: their enrolment (member, program, organization), care team, and need."""

    enrolment: Enrolment
    need: logic.Need
    primary: StaffMembership | None
    team: tuple[StaffMembership, ...]

    @property
    def member(self):
        return self.enrolment.member

    @property
    def unread_messages(self) -> int:
        return self.need.signals.unread_messages


@dataclass(frozen=True)
class Caseload:
    rows: list[CaseloadRow]  # the page shown, ranked
    page: Page  # of the filtered ranking
    shown: int  # members matching the filters
    total: int  # members on the caseload


def staff_choices(viewer) -> list[StaffMembership]:
    """Care-role staff of the viewer's organizations, for the caseload's filter. One query."""
    own_organizations = StaffMembership.objects.current().filter(user=viewer).values("organization_id")
    return list(
        StaffMembership.objects.current()
        .filter(organization_id__in=own_organizations, role__in=CARE_ROLES)
        .select_related("user", "organization")
        .order_by("user__display_name", "id")
    )


def _day(moment: dt.datetime, zone) -> dt.date:
    return moment.astimezone(zone).date()


def _results(signals: CaseloadSignals, scope: str, instrument: str):
    if scope not in signals.results:
        return logic.NOT_SHARED
    return tuple(
        logic.Result(day=r.day, total=r.total or 0)
        for r in reversed(signals.results[scope])
        if r.instrument == instrument
    )


def _bam(signals: CaseloadSignals):
    if RECOVERY_MONITOR not in signals.results:
        return logic.NOT_SHARED
    for result in signals.results[RECOVERY_MONITOR]:  # newest first
        if result.instrument == "bam":
            return logic.BamResult(
                day=result.day,
                risk=int(result.subscales.get("risk", 0)),
                protective=int(result.subscales.get("protective", 0)),
            )
    return None


# --- The kept facts ---


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value is not None else None


def _moment(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value is not None else None


def facts_to_json(signals: CaseloadSignals) -> dict:
    """What CaseloadFacts keeps of a member's signals: dates as ISO text, subscales only for the BAM."""
    return {
        "last_checkin": _iso(signals.last_checkin),
        "ratings": None
        if signals.ratings is None
        else [[day.isoformat(), mood, craving] for day, mood, craving in signals.ratings],
        "use_days": None if signals.use_days is None else [day.isoformat() for day in signals.use_days],
        "last_contact": None
        if signals.last_contact is None
        else {pillar: _iso(moment) for pillar, moment in signals.last_contact.items()},
        "results": {
            scope: [
                [r.instrument, r.day.isoformat(), r.total, r.subscales if r.instrument == "bam" else {}]
                for r in results
            ]
            for scope, results in signals.results.items()
        },
    }


def facts_from_json(data: dict, *, today: dt.date, shared: frozenset[str]) -> CaseloadSignals:
    """The signals facts_to_json kept, as of `today` (the member's today now), and only those the
    `shared` scopes cover, whatever the row holds: a copy never reaches further than the consent now."""
    ratings, use_days, last_contact = data["ratings"], data["use_days"], data["last_contact"]
    return CaseloadSignals(
        today=today,
        last_checkin=_date(data["last_checkin"]) if sharing.CHECKED_IN in shared else None,
        ratings=None
        if ratings is None or sharing.MOOD not in shared
        else [(dt.date.fromisoformat(day), mood, craving) for day, mood, craving in ratings],
        use_days=None
        if use_days is None or sharing.RETURNS_TO_USE not in shared
        else [dt.date.fromisoformat(day) for day in use_days],
        last_contact=None
        if last_contact is None or sharing.NETWORK_MAP not in shared
        else {pillar: _moment(moment) for pillar, moment in last_contact.items()},
        results={
            scope: [
                RecentResult(instrument, dt.date.fromisoformat(day), total, subscales)
                for instrument, day, total, subscales in results
            ]
            for scope, results in data["results"].items()
            if scope in shared
        },
        shared=shared,
    )


def _stored_scopes(entry: CaseloadEntry) -> frozenset[str]:
    return frozenset(entry.share.scopes & STORED_SCOPES)


def _scopes_key(scopes: frozenset[str]) -> str:
    return sharing.scopes_ref(sharing.ordered_scopes(scopes))


@dataclass(frozen=True)
class Kept:
    """One member's kept facts as the ranking reads them: the kept components' score and reason codes on
    the member's day, and the signals themselves only when they were read in this request."""

    score: int
    codes: frozenset[str]
    signals: CaseloadSignals | None = None


def _member_signals(
    entry: CaseloadEntry,
    seen: CaseloadSignals,
    *,
    open_safety=(),
    open_alerts=(),
    missed=(),
    unread: int = 0,
) -> logic.MemberSignals:
    """What logic.py ranks one member by: `seen` (their consented signals) with the care relationship's
    own (missed sessions, unread messages) and the safety signals and alerts read in this request.
    Contacts count in the member's days, so the kept score is the same whoever looks."""
    zone = user_zone(entry.share)
    last_contact: dict[str, dt.date | None] | logic.NotShared = (
        {pillar: _day(moment, zone) if moment else None for pillar, moment in seen.last_contact.items()}
        if seen.last_contact is not None
        else logic.NOT_SHARED
    )
    return logic.MemberSignals(
        key=entry.enrolment_id,
        name=entry.name,
        today=seen.today,
        open_safety=open_safety,
        open_alerts=open_alerts,
        phq9=_results(seen, DEPRESSION, "phq9"),
        gad7=_results(seen, ANXIETY, "gad7"),
        use_days=tuple(seen.use_days) if seen.use_days is not None else logic.NOT_SHARED,
        ratings=tuple(logic.DayRatings(day, mood, craving) for day, mood, craving in seen.ratings)
        if seen.ratings is not None
        else logic.NOT_SHARED,
        last_checkin=seen.last_checkin if sharing.CHECKED_IN in seen.shared else logic.NOT_SHARED,
        last_contact=last_contact,
        missed_sessions=tuple(missed),
        bam=_bam(seen),
        enrolled_on=_day(entry.started_at, zone),
        unread_messages=unread,
    )


def refresh_facts(entries: list[CaseloadEntry], now: dt.datetime) -> dict[int, Kept]:
    """Reads the members' signals through their consent and keeps them with the kept components' score
    and reasons on each member's today, by enrolment id. Six queries and one write, however many."""
    if not entries:
        return {}
    found = collect_caseload_signals(
        [entry.share for entry in entries],
        scopes=STORED_SCOPES,
        signals_since={},
        mood_days=MOOD_DAYS,
        use_days=logic.RETURN_TO_USE_DAYS,
        instruments=RANKED_INSTRUMENTS,
    )
    kept: dict[int, Kept] = {}
    rows = []
    for entry in entries:
        signals = found[entry.share.tie_id]
        need = logic.assess(_member_signals(entry, signals), logic.KEPT_COMPONENTS)
        kept[entry.enrolment_id] = Kept(need.score, need.codes, signals)
        rows.append(
            CaseloadFacts(
                enrolment_id=entry.enrolment_id,
                scopes=_scopes_key(signals.shared),
                facts=facts_to_json(signals),
                computed_at=now,
                as_of=signals.today,
                score=need.score,
                codes=" ".join(sorted(need.codes)),
            )
        )
    with transaction.atomic():
        CaseloadFacts.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["enrolment"],
            update_fields=["scopes", "facts", "computed_at", "as_of", "score", "codes"],
        )
    return kept


def current_facts(entries: list[CaseloadEntry], now: dt.datetime, enrolment_ids=None) -> dict[int, Kept]:
    """Each member's kept score and reasons by enrolment id, read again where they are missing, older
    than FACTS_MAX_AGE, of another day than the member's today, read under other scopes than the
    consent shares now, or older than the member's last check-in, questionnaire or change to a tie.
    Two queries when all are current; the facts themselves are not read. `enrolment_ids`, a subquery of
    the same enrolments or more, saves sending their ids."""
    if enrolment_ids is None:
        enrolment_ids = [entry.enrolment_id for entry in entries]
    kept: dict[int, tuple[str, dt.datetime, dt.date, int, str]] = {
        enrolment_id: (scopes, computed_at, as_of, score, codes)
        for enrolment_id, scopes, computed_at, as_of, score, codes in CaseloadFacts.objects.filter(
            enrolment_id__in=enrolment_ids, computed_at__gte=now - FACTS_MAX_AGE
        ).values_list("enrolment_id", "scopes", "computed_at", "as_of", "score", "codes")
    }
    changed = (
        caseload_changes_since(
            Enrolment.objects.filter(pk__in=enrolment_ids).values("member_id"),
            min(row[1] for row in kept.values()) - CHANGE_MARGIN,
            instruments=RANKED_INSTRUMENTS,
        )
        if kept
        else {}
    )
    current: dict[int, Kept] = {}
    stale: list[CaseloadEntry] = []
    for entry in entries:
        row = kept.get(entry.enrolment_id)
        if row is not None:
            scopes, computed_at, as_of, score, codes = row
            change = changed.get(entry.member_id)
            if (
                scopes == _scopes_key(_stored_scopes(entry))
                and as_of == entry.share.today
                and (change is None or change < computed_at - CHANGE_MARGIN)
            ):
                current[entry.enrolment_id] = Kept(score, frozenset(codes.split()))
                continue
        stale.append(entry)
    current.update(refresh_facts(stale, now))
    return current


def _kept_signals(
    entries: list[CaseloadEntry], kept: dict[int, Kept], now: dt.datetime
) -> dict[int, CaseloadSignals]:
    """The signals behind the kept facts of these members (the page shown), by enrolment id: those read
    in this request as they are, the others from their kept facts if these are still the ones ranked
    (same scopes and day), else read again. One query when nothing changed meanwhile."""
    signals = {entry.enrolment_id: kept[entry.enrolment_id].signals for entry in entries}
    missing = {entry.enrolment_id: entry for entry in entries if signals[entry.enrolment_id] is None}
    if missing:
        for enrolment_id, scopes, as_of, facts in CaseloadFacts.objects.filter(
            enrolment_id__in=list(missing)
        ).values_list("enrolment_id", "scopes", "as_of", "facts"):
            entry = missing[enrolment_id]
            shared = _stored_scopes(entry)
            if scopes == _scopes_key(shared) and as_of == entry.share.today:
                signals[enrolment_id] = facts_from_json(facts, today=entry.share.today, shared=shared)
                del missing[enrolment_id]
        # Dropped or rewritten since the ranking read them (an enrolment ended, a worker's refresh):
        # read them again rather than show words from another copy, or leave out whoever left.
        for enrolment_id in missing:
            del signals[enrolment_id]
        still = consenting_enrolments(list(missing))
        for enrolment_id, fresh in refresh_facts(still, now).items():
            signals[enrolment_id] = fresh.signals
    return signals  # type: ignore[return-value]


# --- The caseload ---


@dataclass
class _Live:
    """What the caseload reads on every request, by member or enrolment."""

    safety: dict[int, CaseloadSignals]  # by tie: the member's safety signals, if that consent shares them
    followed_up: set[tuple[int, int]]  # (enrolment, signal)
    open_alerts: dict[int, list[dt.date]]  # by tie
    missed: dict[int, list[dt.date]]  # by enrolment

    def open_safety(self, entry: CaseloadEntry, zone):
        seen = self.safety[entry.share.tie_id]
        if seen.safety_signals is None:
            return logic.NOT_SHARED
        return tuple(
            _day(raised, zone)
            for signal_id, raised in seen.safety_signals
            if (entry.enrolment_id, signal_id) not in self.followed_up
        )

    def alerts(self, entry: CaseloadEntry):
        if sharing.ALERTS not in self.safety[entry.share.tie_id].shared:
            return logic.NOT_SHARED
        return tuple(self.open_alerts[entry.share.tie_id])


def _read_live(viewer, entries: list[CaseloadEntry], enrolment_ids, now: dt.datetime, zone) -> _Live:
    safety = collect_caseload_signals(
        [entry.share for entry in entries],
        scopes=frozenset({sharing.ALERTS}),
        signals_since={entry.share.tie_id: entry.started_at for entry in entries},
    )
    followed_up = set(
        SafetyFollowUp.objects.filter(enrolment_id__in=enrolment_ids).values_list("enrolment_id", "signal_id")
    )
    # The organization ties whose consent shares alerts, and whose member each is.
    alert_ties = {
        entry.share.tie_id: entry.member_id for entry in entries if sharing.ALERTS in entry.share.scopes
    }
    open_alerts: dict[int, list[dt.date]] = defaultdict(list)
    if alert_ties:
        enrolled = Enrolment.objects.filter(pk__in=enrolment_ids)
        alerts = (
            Alert.objects.filter(
                member_id__in=enrolled.values("member_id"),
                status__in=OPEN_STATUSES,
                notifications__tie_id__in=enrolled.values("tie_id"),
            )
            .values_list("id", "member_id", "created_at", "notifications__tie_id")
            .distinct()
        )
        counted: set[tuple[int, int]] = set()
        for alert_id, member_id, created_at, tie_id in alerts:
            # Only the member's own alerts that reached an organization tie whose consent shares alerts.
            if alert_ties.get(tie_id) == member_id and (alert_id, tie_id) not in counted:
                counted.add((alert_id, tie_id))
                open_alerts[tie_id].append(_day(created_at, zone))
    missed: dict[int, list[dt.date]] = defaultdict(list)
    for enrolment_id, starts_at in Appointment.objects.filter(
        enrolment_id__in=enrolment_ids,
        attendance=Attendance.MISSED,
        starts_at__gte=now - dt.timedelta(days=logic.MISSED_SESSION_DAYS + 1),
        starts_at__lte=now,
    ).values_list("enrolment_id", "starts_at"):
        missed[enrolment_id].append(_day(starts_at, zone))
    return _Live(safety, followed_up, open_alerts, missed)


def _unread(viewer, enrolment_ids: list[int]) -> dict[int, int]:
    """Messages from each member the viewer has not read, by enrolment: shown on the row, never ranked,
    so only the page's members are counted."""
    read_since = ThreadRead.objects.filter(
        enrolment_id=OuterRef("enrolment_id"), user=viewer, read_at__gte=OuterRef("sent_at")
    )
    return dict(
        Message.objects.filter(enrolment_id__in=enrolment_ids, from_member=True)
        .exclude(Exists(read_since))
        .values("enrolment_id")
        .annotate(count=Count("id"))
        .order_by()
        .values_list("enrolment_id", "count")
    )


def _nothing(value) -> bool:
    return value is logic.NOT_SHARED or not value


def load_caseload(
    viewer,
    *,
    staff_id: int | None = None,
    reason: str | None = None,
    page_number: int | str | None = None,
    per_page: int | None = None,
) -> Caseload:
    """The viewer's caseload ranked by need; the rows of one page of it (all of it without `per_page`),
    narrowed to members whose care team includes that staff membership and who have that reason code.

    Filtering by staff only ever narrows the viewer's own caseload: a colleague's members the viewer is
    not on the care team of are never shown. A fixed number of queries whatever the caseload's size.
    Everyone is ranked from their standing (logic.Standing); only the page's members' reasons are put
    into words, from their kept facts.
    """
    now = timezone.now()
    zone = user_zone(viewer)
    entries = care_team_entries(viewer)
    if not entries:
        return Caseload(rows=[], page=Paginator([], 1).get_page(1), shown=0, total=0)
    enrolment_ids = care_team_enrolment_ids(viewer)
    kept = current_facts(entries, now, enrolment_ids)
    live = _read_live(viewer, entries, enrolment_ids, now, zone)
    by_enrolment = {entry.enrolment_id: entry for entry in entries}

    standings = []
    for entry in entries:
        facts = kept[entry.enrolment_id]
        open_safety, open_alerts = live.open_safety(entry, zone), live.alerts(entry)
        missed = live.missed.get(entry.enrolment_id, ())
        if _nothing(open_safety) and _nothing(open_alerts) and not missed:  # the live part adds nothing
            standings.append(logic.kept_standing(entry.enrolment_id, entry.name, facts.score, facts.codes))
            continue
        now_signals = logic.MemberSignals(
            key=entry.enrolment_id,
            name=entry.name,
            today=entry.share.today,
            open_safety=open_safety,
            open_alerts=open_alerts,
            missed_sessions=tuple(missed),
        )
        standings.append(logic.standing(now_signals, facts.score, facts.codes))
    standings.sort(key=logic.Standing.sort_key)
    total = len(standings)
    if staff_id is not None:
        with_staff = set(
            CareTeamMember.objects.filter(enrolment_id__in=enrolment_ids, staff_id=staff_id).values_list(
                "enrolment_id", flat=True
            )
        )
        standings = [s for s in standings if s.key in with_staff]
    if reason:
        standings = [s for s in standings if reason in s.codes]
    page = Paginator(standings, per_page or max(len(standings), 1)).get_page(page_number)
    shown = [by_enrolment[s.key] for s in page.object_list]
    signals = _kept_signals(shown, kept, now)
    unread = _unread(viewer, [entry.enrolment_id for entry in shown]) if shown else {}
    needs = [
        logic.assess(
            _member_signals(
                entry,
                _with_safety(signals[entry.enrolment_id], live.safety[entry.share.tie_id]),
                open_safety=live.open_safety(entry, zone),
                open_alerts=live.alerts(entry),
                missed=live.missed[entry.enrolment_id],
                unread=unread.get(entry.enrolment_id, 0),
            )
        )
        for entry in shown
        if entry.enrolment_id in signals
    ]
    return Caseload(rows=_rows(viewer, needs, entries), page=page, shown=len(standings), total=total)


def _with_safety(facts: CaseloadSignals, safety: CaseloadSignals) -> CaseloadSignals:
    """The kept facts with the safety signals read now, and the scopes of both."""
    return dataclasses.replace(
        facts, safety_signals=safety.safety_signals, shared=facts.shared | safety.shared
    )


def _rows(viewer, needs: list[logic.Need], entries: list[CaseloadEntry]) -> list[CaseloadRow]:
    """The page's rows with their care teams, and one audit row per member shown, with the scopes they
    were ranked by. Access was checked for the whole caseload a moment ago (care_team_entries)."""
    if not needs:
        return []
    shown = [need.signals.key for need in needs]
    enrolments = Enrolment.objects.select_related("member", "program", "organization").in_bulk(shown)
    teams: dict[int, list[CareTeamMember]] = defaultdict(list)
    for member in CareTeamMember.objects.filter(enrolment_id__in=shown).select_related("staff__user"):
        teams[member.enrolment_id].append(member)
    rows = []
    for need in needs:
        team = teams[need.signals.key]
        rows.append(
            CaseloadRow(
                enrolment=enrolments[need.signals.key],
                need=need,
                primary=next((m.staff for m in team if m.is_primary), None),
                team=tuple(m.staff for m in team),
            )
        )
    scopes = {entry.enrolment_id: entry.share.scopes for entry in entries}
    record_caseload_views(
        viewer, [(row.member.pk, scopes[row.enrolment.pk] & RANKING_SCOPES) for row in rows]
    )
    return rows


REFRESH_CHUNK = 200  # enrolments read per chunk of the worker's job


def refresh_caseload_facts(now: dt.datetime) -> Iterator[int]:
    """The worker's job (circles/worker/jobs.py): reads the caseload facts that are missing or about to
    grow too old, so a caseload seldom has to, and drops those of enrolments that ended or whose consent
    is no longer live. Yields the number read after each chunk."""
    CaseloadFacts.objects.exclude(enrolment__status=EnrolmentStatus.ACTIVE).delete()
    due = list(
        Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE)
        .filter(Q(caseload_facts__isnull=True) | Q(caseload_facts__computed_at__lt=now - FACTS_REFRESH_AFTER))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(due), REFRESH_CHUNK):
        chunk = due[start : start + REFRESH_CHUNK]
        consenting = consenting_enrolments(chunk)
        # A consent revoked or expired: nothing of theirs is kept for a caseload any more.
        CaseloadFacts.objects.filter(
            enrolment_id__in=set(chunk) - {e.enrolment_id for e in consenting}
        ).delete()
        yield len(refresh_facts(consenting, now))
