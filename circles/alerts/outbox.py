"""Raising an alert and asking a rung of the ladder, inside the caller's transaction.

This is the transactional outbox: the alert, its notifications and its escalation timer are rows
written in the same transaction as the check-in, answer or button press that caused them, so they
exist before the response returns and no message is sent for a change that rolled back. The worker
(`delivery.py`) sends them; PostgreSQL wakes it with NOTIFY when the transaction commits.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from circles.accounts.push import accounts_with_push
from circles.alerts import logic
from circles.alerts.models import (
    OPEN_STATUSES,
    Alert,
    AlertStatus,
    EscalationTimer,
    Notification,
    NotificationStatus,
    Rung,
    RungPerson,
    SkipReason,
    destination_of,
    priority_of,
)
from circles.audit.trail import record
from circles.lib.time import user_zone
from circles.sharing.logic import ALERTS
from circles.sharing.models import Consent

WAKE_CHANNEL = "circles_outbox"


def wake_workers() -> None:
    """On PostgreSQL, a NOTIFY that is delivered when (and only if) the transaction commits."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [WAKE_CHANNEL])


def raise_alert(member, kind: str, *, facts: dict | None = None, message: str = "", now=None):
    """The member's alert of this kind, raised now and its first rung asked; or the one already open.

    Returns (alert, created). Must run inside the transaction of the signal that caused it.
    """
    now = now or timezone.now()
    open_alert = Alert.objects.filter(member=member, kind=kind, status__in=OPEN_STATUSES).first()
    if open_alert is not None:
        return open_alert, False
    try:
        with transaction.atomic():  # a savepoint: a simultaneous twin may win the one-open-alert rule
            alert = Alert.objects.create(
                member=member,
                kind=kind,
                facts=facts or {},
                message=message,
                urgent=kind in logic.URGENT_KINDS,
                created_at=now,
            )
    except IntegrityError:
        return Alert.objects.get(member=member, kind=kind, status__in=OPEN_STATUSES), False
    ask_rung(alert, 0, now)
    return alert, True


def _ladder(member) -> list[Rung]:
    return list(
        Rung.objects.filter(member=member).order_by("position").prefetch_related("people__tie__supporter")
    )


def _address(person: RungPerson, channel: str, pushable: set[int]) -> str:
    """The person's address on the channel ("" when none). `pushable`: the accounts with a device that
    takes push, loaded once for the whole ladder (pushable_supporters)."""
    supporter = person.tie.supporter
    if channel == logic.EMAIL:
        return supporter.email if supporter else ""
    if channel == logic.SMS:
        return logic.dialable(person.tie.phone)
    if channel == logic.WEBHOOK:
        return person.webhook_url
    if channel == logic.PUSH:  # the account, when it has a device that takes notifications
        return str(supporter.pk) if supporter and supporter.pk in pushable else ""
    return str(supporter.pk) if supporter else ""  # in-app: the account that sees it


def _quiet(person: RungPerson, now: dt.datetime) -> bool:
    zone = user_zone(person.tie.supporter or person.tie.member)
    return logic.in_quiet_hours(now.astimezone(zone).time(), person.quiet_from, person.quiet_until)


def pushable_supporters(people) -> set[int]:
    """The supporters among these ladder people whom a push could reach: one query, not one each."""
    wanted = {person.tie.supporter_id for person in people if logic.PUSH in (person.channels or [])}
    return accounts_with_push(wanted)


def reachable_channels(
    person: RungPerson, *, urgent: bool, allowed_ties: set[int], now, pushable: set[int]
) -> list[str]:
    """The channels `ask_rung` would send this person a message on at `now` ([]: they would be skipped),
    for telling the member beforehand who is asked next and how."""
    if person.tie_id not in allowed_ties or (not urgent and _quiet(person, now)):
        return []
    return [channel for channel in person.channels or [logic.IN_APP] if _address(person, channel, pushable)]


def askable_ties(tie_ids, now) -> set[int]:
    """The ties among `tie_ids` whose live consent lets them be asked for support."""
    return {
        consent.tie_id
        for consent in Consent.objects.live(now).filter(tie_id__in=tie_ids).only("tie_id", "scopes")
        if ALERTS in consent.scopes
    }


def _notifications_for(
    alert: Alert, rung: Rung, allowed_ties: set[int], now, pushable: set[int]
) -> list[Notification]:
    rows = []
    for person in rung.people.all():
        tie = person.tie
        base = {
            "alert": alert,
            "rung": rung.position,
            "tie": tie,
            "recipient": tie.supporter,
            "recipient_name": tie.display_name,
            "created_at": now,
            "due_at": now,
            "priority": priority_of(alert),
        }
        skip = ""
        if tie.pk not in allowed_ties:
            skip = SkipReason.NO_CONSENT
        elif not alert.urgent and _quiet(person, now):
            skip = SkipReason.QUIET_HOURS
        for channel in person.channels or [logic.IN_APP]:
            address = _address(person, channel, pushable)
            reason = skip or ("" if address else SkipReason.NO_ADDRESS)
            row = Notification(
                channel=channel, address=address, destination=destination_of(channel, address), **base
            )
            if reason:
                row.status, row.skip_reason = NotificationStatus.SKIPPED, reason
            elif channel == logic.IN_APP:  # nothing to send: it is on their page from now on
                row.status, row.sent_at = NotificationStatus.SENT, now
            elif channel == logic.WEBHOOK:
                row.webhook_secret = person.webhook_secret
            rows.append(row)
    return rows


def ask_rung(alert: Alert, position: int, now) -> None:
    """Asks the first rung from `position` on with someone who can be reached; records an exhausted
    ladder when there is none. Call with the alert row locked (or just created)."""
    ladder = [rung for rung in _ladder(alert.member) if rung.position >= position]
    ties = {person.tie_id for rung in ladder for person in rung.people.all()}
    allowed = askable_ties(ties, now)
    pushable = pushable_supporters(person for rung in ladder for person in rung.people.all())
    for rung in ladder:
        rows = _notifications_for(alert, rung, allowed, now, pushable)
        Notification.objects.bulk_create(rows)
        asked = [row for row in rows if row.status != NotificationStatus.SKIPPED]
        if not asked:
            continue
        alert.rung = rung.position
        alert.save(update_fields=["rung"])
        EscalationTimer.objects.create(
            alert=alert, rung=rung.position, due_at=now + dt.timedelta(minutes=rung.window_minutes)
        )
        tie_ids = sorted({row.tie_id for row in asked if row.tie_id})
        record(
            "alert.ask",
            None,
            subject=alert.member_id,
            object_ref=f"alert:{alert.pk} ties:" + ",".join(map(str, tie_ids)),
        )
        if any(row.status == NotificationStatus.PENDING for row in asked):
            wake_workers()
        return
    alert.status = AlertStatus.UNANSWERED
    alert.exhausted_at = now
    alert.save(update_fields=["status", "exhausted_at"])


def stop_asking(alert: Alert, reason: str) -> int:
    """Pending messages of an alert someone answered or the member closed are not sent."""
    return Notification.objects.filter(alert=alert, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.CANCELLED, skip_reason=reason
    )
