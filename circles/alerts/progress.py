"""What the member is told about asking their ladder: who is being asked, by which channel, when the next
step starts and whom it asks; and, before an SOS, whom it would ask first. The alert page, the SOS pages
and the questionnaire result page show it from this one place (logic.LadderStep words it)."""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from django.utils import timezone
from django.utils.formats import date_format

from circles.alerts import logic
from circles.alerts.models import Alert, AlertStatus, EscalationTimer, NotificationStatus, Rung, RungPerson
from circles.alerts.outbox import askable_ties, ladder_name, pushable_supporters, reachable_channels
from circles.checkins.models import Assessment, SafetySignal

ASKING = (NotificationStatus.PENDING, NotificationStatus.SENT)


def _ladder_after(member_id: int, position: int) -> list[tuple[Rung, list[RungPerson]]]:
    """The member's ladder after `position`, each step with its people: one query."""
    people = (
        RungPerson.objects.filter(rung__member_id=member_id, rung__position__gt=position)
        .select_related("rung", "tie__supporter")
        .order_by("rung__position", "id")
    )
    return [(rung, list(group)) for rung, group in groupby(people, key=lambda person: person.rung)]


def _first_reachable(rungs, *, urgent: bool, now: dt.datetime) -> tuple[int, list]:
    """The index in `rungs` of the first step someone on it can be reached from, and its people with
    their channels; (len(rungs), []) when there is none. Mirrors what outbox.ask_rung will do."""
    ties = {person.tie_id for _rung, people in rungs for person in people}
    allowed = askable_ties(ties, now) if ties else set()
    pushable = pushable_supporters(person for _rung, people in rungs for person in people)
    for index, (_rung, people) in enumerate(rungs):
        reached = [
            (ladder_name(person.tie), tuple(channels))
            for person in people
            if (
                channels := reachable_channels(
                    person, urgent=urgent, allowed_ties=allowed, now=now, pushable=pushable
                )
            )
        ]
        if reached:
            return index, reached
    return len(rungs), []


def alert_progress(alert: Alert) -> logic.LadderStep:
    """Where asking stands for an alert fetched with its notifications (access_own_alert).

    `next_at` is set only while the current step's timer has not fired and nobody has answered.
    """
    asking: dict[str, list[str]] = {}
    for n in alert.notifications.all():
        if n.rung == alert.rung and n.status in ASKING:
            asking.setdefault(n.recipient_name, []).append(n.channel)
    step = logic.LadderStep(asking=tuple((name, tuple(channels)) for name, channels in asking.items()))
    if alert.status != AlertStatus.ACTIVE:
        return step
    timer = (
        EscalationTimer.objects.filter(alert=alert, rung=alert.rung, fired_at__isnull=True)
        .order_by("due_at")
        .first()
    )
    if timer is None:
        return step
    _index, people = _first_reachable(
        _ladder_after(alert.member_id, alert.rung), urgent=alert.urgent, now=timer.due_at
    )
    return logic.LadderStep(
        asking=step.asking, next_at=timer.due_at, next_people=tuple(name for name, _channels in people)
    )


def ladder_preview(member, now: dt.datetime) -> logic.LadderStep:
    """Whom an SOS raised now would ask first and how, how long they have, and whom it asks next.

    `asking` is empty when nobody on the ladder can be reached (no consent, no address).
    """
    rungs = _ladder_after(member.pk, -1)
    index, first = _first_reachable(rungs, urgent=True, now=now)
    if not first:
        return logic.LadderStep(asking=())
    window = rungs[index][0].window_minutes
    _later, then = _first_reachable(rungs[index + 1 :], urgent=True, now=now + dt.timedelta(minutes=window))
    return logic.LadderStep(
        asking=tuple(first), next_people=tuple(name for name, _channels in then), window_minutes=window
    )


def when(moment: dt.datetime) -> str:
    """A moment in the active timezone (the viewer's own): "14:32" today, "Dec 2, 00:10" another day."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return date_format(local, "H:i")
    return date_format(local, "M j, H:i")


def progress_context(alert: Alert) -> dict:
    """What alerts/includes/progress.html needs."""
    step = alert_progress(alert)
    return {
        "progress": step,
        "next_when": when(step.next_at) if step.next_at else "",
        "nobody_asked": all(n.status == NotificationStatus.SKIPPED for n in alert.notifications.all()),
    }


def alert_for_assessment(assessment: Assessment) -> Alert | None:
    """The safety alert a questionnaire's answers raised, or the one already open that took them in."""
    signals = list(
        assessment.safety_signals.exclude(source=SafetySignal.Source.HELP_NOW).values_list("pk", flat=True)
    )
    if not signals:
        return None
    alerts = Alert.objects.filter(member_id=assessment.member_id, kind=logic.SAFETY)
    raised = alerts.filter(facts__signal__in=signals).order_by("-created_at").first()
    if raised is not None:
        return raised
    # An alert was already open when the answer came in: it is the one asking people about it.
    first_signal = min(s.created_at for s in SafetySignal.objects.filter(pk__in=signals))
    return (
        alerts.filter(created_at__lte=first_signal)
        .exclude(closed_at__lt=first_signal)
        .order_by("-created_at")
        .first()
    )
