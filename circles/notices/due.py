"""What is due now for the people who opted in, read a chunk of people at a time.

Each chunk costs a fixed number of queries whatever its size (one per kind at most, plus the people
and the notices already sent); the worker's job walks the chunks (circles/notices/sending.py).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Max, Q

from circles.checkins.logic import INSTRUMENTS
from circles.checkins.models import Assessment, CheckIn, MeasureSchedule
from circles.checkins.reminders import measure_statuses
from circles.checkins.timing import local_day
from circles.lib.time import user_zone
from circles.network.models import Commitment, Interaction, InteractionKind, TieStatus
from circles.notices import logic
from circles.notices.models import ReminderPreferences, SentNotice
from circles.sharing.models import Invitation

CHUNK = 200


def opted_in(chunk_size: int = CHUNK) -> Iterator[list[ReminderPreferences]]:
    """The preferences of active people with at least one kind on, in chunks by person id."""
    any_on = Q()
    for kind in logic.KINDS:
        any_on |= Q(**{f"{kind}_on": True})
    last = 0
    while True:
        chunk = list(
            ReminderPreferences.objects.filter(any_on, person__is_active=True, person_id__gt=last)
            .select_related("person")
            .order_by("person_id")[:chunk_size]
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1].person_id
        if len(chunk) < chunk_size:
            return


def due_now(
    chunk: list[ReminderPreferences], now: dt.datetime
) -> list[tuple[ReminderPreferences, logic.Due]]:
    """Every reminder and notice of the chunk's people that should go out at `now` and has not yet."""
    zones = {p.person_id: user_zone(p.person) for p in chunk}
    today = {p.person_id: now.astimezone(zones[p.person_id]).date() for p in chunk}
    quiet = {p.person_id: (p.quiet_from, p.quiet_until) for p in chunk}
    found: list[tuple[ReminderPreferences, logic.Due]] = []

    def wanting(kind: str) -> list[ReminderPreferences]:
        return [p for p in chunk if p.is_on(kind)]

    if people := wanting(logic.CHECKIN):
        checked_in = set(
            CheckIn.objects.filter(
                member_id__in=[p.person_id for p in people], day__in=set(today.values())
            ).values_list("member_id", "day")
        )
        for p in people:
            if (p.person_id, today[p.person_id]) in checked_in:
                continue
            due = logic.checkin_due(today[p.person_id], p.checkin_at, zones[p.person_id], quiet[p.person_id])
            if due is not None:
                found.append((p, due))

    if people := wanting(logic.QUESTIONNAIRE):
        found += _questionnaires(people, today, zones, quiet)

    if people := wanting(logic.ENCOURAGEMENT):
        by_person = {p.person_id: p for p in people}
        for interaction in Interaction.objects.filter(
            member_id__in=by_person,
            kind=InteractionKind.ENCOURAGEMENT,
            sent_by__isnull=False,
            occurred_at__gt=now - logic.EVENT_LOOKBACK,
            occurred_at__lte=now,
        ):
            p = by_person[interaction.member_id]
            found.append(
                (
                    p,
                    logic.event_due(
                        logic.ENCOURAGEMENT,
                        str(interaction.pk),
                        interaction.occurred_at,
                        zones[p.person_id],
                        quiet[p.person_id],
                        object_id=interaction.tie_id,
                    ),
                )
            )

    if people := wanting(logic.COMMITMENT):
        by_person = {p.person_id: p for p in people}
        for commitment in Commitment.objects.filter(
            member_id__in=by_person, reminder_start__isnull=False, tie__status=TieStatus.ACTIVE
        ).select_related("reminder_start"):
            p = by_person[commitment.member_id]
            for day in (today[p.person_id], today[p.person_id] + dt.timedelta(days=1)):
                schedule = commitment.schedule
                if not logic.falls_on(
                    schedule.cadence,
                    schedule.weekdays,
                    schedule.interval_days,
                    schedule.starts_on,
                    schedule.ends_on,
                    day,
                ):
                    continue
                due = logic.commitment_due(
                    commitment.pk,
                    day,
                    commitment.reminder_start.starts_at,
                    p.commitment_lead_minutes,
                    zones[p.person_id],
                    quiet[p.person_id],
                )
                if due is not None:
                    found.append((p, due))

    if people := wanting(logic.INVITATION):
        by_person = {p.person_id: p for p in people}
        for invitation in Invitation.objects.filter(
            member_id__in=by_person, accepted_at__gt=now - logic.EVENT_LOOKBACK, accepted_at__lte=now
        ):
            p = by_person[invitation.member_id]
            if invitation.accepted_at is None:  # filtered out above; says so to the type checker
                continue
            found.append(
                (
                    p,
                    logic.event_due(
                        logic.INVITATION,
                        str(invitation.pk),
                        invitation.accepted_at,
                        zones[p.person_id],
                        quiet[p.person_id],
                        object_id=invitation.tie_id,
                    ),
                )
            )

    found = [(p, due) for p, due in found if due.sendable(now)]
    return _not_sent_yet(found)


def _questionnaires(people, today, zones, quiet) -> list[tuple[ReminderPreferences, logic.Due]]:
    """Due questionnaires by the rules of the check-ins app, for many people in two queries."""
    ids = [p.person_id for p in people]
    intervals: dict[int, dict[str, int | None]] = defaultdict(dict)
    for member_id, instrument, interval in MeasureSchedule.objects.filter(member_id__in=ids).values_list(
        "member_id", "instrument", "interval_days"
    ):
        intervals[member_id][instrument] = interval
    last: dict[int, dict[str, dt.date]] = defaultdict(dict)
    saved: dict[int, dict[str, int]] = defaultdict(dict)
    for member_id, instrument, status, last_day, newest_id in (
        Assessment.objects.filter(member_id__in=ids)
        .values("member_id", "instrument", "status")
        .annotate(last_day=Max("day"), newest_id=Max("id"))
        .values_list("member_id", "instrument", "status", "last_day", "newest_id")
    ):
        if status == Assessment.Status.COMPLETED:
            last[member_id][instrument] = last_day
        else:
            saved[member_id][instrument] = newest_id
    found = []
    for p in people:
        pid = p.person_id
        person_intervals = {code: spec.default_interval_days for code, spec in INSTRUMENTS.items()}
        person_intervals.update(intervals[pid])
        joined = local_day(p.person.date_joined, zones[pid])
        for measure in measure_statuses(person_intervals, last[pid], saved[pid], joined, today[pid]):
            if measure.is_due and measure.next_due is not None:
                found.append(
                    (
                        p,
                        logic.questionnaire_due(
                            measure.instrument.code,
                            measure.next_due,
                            today[pid],
                            p.questionnaire_at,
                            zones[pid],
                            quiet[pid],
                        ),
                    )
                )
    return found


def _not_sent_yet(
    found: list[tuple[ReminderPreferences, logic.Due]],
) -> list[tuple[ReminderPreferences, logic.Due]]:
    if not found:
        return []
    wanted = Q()
    for p, due in found:
        wanted |= Q(person_id=p.person_id, kind=due.kind, occurrence=due.occurrence)
    sent = set(SentNotice.objects.filter(wanted).values_list("person_id", "kind", "occurrence"))
    return [(p, due) for p, due in found if (p.person_id, due.kind, due.occurrence) not in sent]
