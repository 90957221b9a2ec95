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
from django.utils.translation import gettext as _

from circles.accounts.push import accounts_with_push
from circles.alerts import logic
from circles.alerts.events import CareTeamAsked
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
from circles.lib.events import announce
from circles.lib.time import user_zone
from circles.sharing.actions import to_organization
from circles.sharing.logic import ALERTS
from circles.sharing.models import Consent

WAKE_CHANNEL = "circles_outbox"

# The channels that reach a person's account. On a rung, "my care team" (an organization's tie) is
# reached on these through the staff the care app names (events.CareTeamAsked, notify_accounts); a
# text message or a webhook goes to the number or address the member saved on the organization's tie.
ACCOUNT_CHANNELS = (logic.IN_APP, logic.EMAIL, logic.PUSH)


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


def _quiet(person: RungPerson, now: dt.datetime, account=None) -> bool:
    """In the quiet hours the member set for this person, in the timezone of the account asked (a
    supporter, or one of the care team's staff), else the member's."""
    zone = user_zone(account or person.tie.supporter or person.tie.member)
    return logic.in_quiet_hours(now.astimezone(zone).time(), person.quiet_from, person.quiet_until)


def is_care_team(person: RungPerson) -> bool:
    """The person stands for "my care team": the tie of an organization the member is enrolled with."""
    return to_organization(person.tie)


def ladder_name(tie) -> str:
    """How the ladder names a tie: "My care team at Harbor Recovery Center — …" for an organization."""
    if to_organization(tie):
        return _("My care team at %(name)s") % {"name": tie.display_name}
    return tie.display_name


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
    channels = person.channels or [logic.IN_APP]
    if is_care_team(person):  # who is on call is the care app's to know: the team counts as reachable
        return [c for c in channels if c in ACCOUNT_CHANNELS or _address(person, c, pushable)]
    return [channel for channel in channels if _address(person, channel, pushable)]


def askable_ties(tie_ids, now) -> set[int]:
    """The ties among `tie_ids` whose live consent lets them be asked for support."""
    return {
        consent.tie_id
        for consent in Consent.objects.live(now).filter(tie_id__in=tie_ids).only("tie_id", "scopes")
        if ALERTS in consent.scopes
    }


def _notifications_for(
    alert: Alert, rung: Rung, allowed_ties: set[int], now, pushable: set[int]
) -> tuple[list[Notification], list[tuple[RungPerson, tuple[str, ...]]]]:
    """The rung's rows, and the care teams to ask (each with its account channels) through the care app."""
    rows = []
    teams = []
    for person in rung.people.all():
        tie = person.tie
        channels = person.channels or [logic.IN_APP]
        if is_care_team(person) and tie.pk in allowed_ties:
            # Staff are asked by name (notify_accounts), each in their own quiet hours.
            teams.append((person, tuple(c for c in channels if c in ACCOUNT_CHANNELS)))
            channels = [c for c in channels if c not in ACCOUNT_CHANNELS]
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
        for channel in channels:
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
    return rows, teams


def staff_name(account, tie) -> str:
    """How a care team's staff member is named to the member: "Casey (Harbor Recovery Center — …)"."""
    return f"{account.display_name} ({tie.display_name})"[:80]


def notify_accounts(alert: Alert, person: RungPerson, channels, accounts, now) -> list[Notification]:
    """Asks these accounts (a care team's staff) in the place of `person`, an organization's tie on the
    rung: one row per account per channel, with the same quiet-hours rule (urgent alerts reach people in
    their quiet hours, in each one's own timezone) and, before each send, the same check that the
    member's consent to the organization is still live with `alerts` (delivery.py, by the tie).

    Called by a receiver of events.CareTeamAsked, inside the transaction that asks the rung.
    """
    accounts = list(accounts)
    pushable = accounts_with_push({account.pk for account in accounts}) if logic.PUSH in channels else set()
    rows = []
    for account in accounts:
        quiet = not alert.urgent and _quiet(person, now, account)
        for channel in channels:
            if channel == logic.EMAIL:
                address = account.email
            elif channel == logic.PUSH:
                address = str(account.pk) if account.pk in pushable else ""
            else:
                address = str(account.pk)
            row = Notification(
                alert=alert,
                rung=person.rung.position,
                tie=person.tie,
                recipient=account,
                recipient_name=staff_name(account, person.tie),
                channel=channel,
                address=address,
                destination=destination_of(channel, address),
                created_at=now,
                due_at=now,
                priority=priority_of(alert),
            )
            if quiet or not address:
                row.status = NotificationStatus.SKIPPED
                row.skip_reason = SkipReason.QUIET_HOURS if quiet else SkipReason.NO_ADDRESS
            elif channel == logic.IN_APP:
                row.status, row.sent_at = NotificationStatus.SENT, now
            rows.append(row)
    return Notification.objects.bulk_create(rows)


def _ask_care_teams(alert: Alert, rung: Rung, teams, now) -> list[Notification]:
    """Announces each care team on the rung; a team nobody could be asked of is recorded as such."""
    rows: list[Notification] = []
    for person, channels in teams:
        if not channels:
            continue
        announce(CareTeamAsked(alert=alert, person=person, channels=channels, now=now))
        asked = list(
            Notification.objects.filter(
                alert=alert, rung=rung.position, tie=person.tie, recipient__isnull=False
            )
        )
        if not asked:
            asked = Notification.objects.bulk_create(
                Notification(
                    alert=alert,
                    rung=rung.position,
                    tie=person.tie,
                    recipient=None,
                    recipient_name=person.tie.display_name,
                    channel=channel,
                    status=NotificationStatus.SKIPPED,
                    skip_reason=SkipReason.NOBODY_ON_CALL,
                    created_at=now,
                    due_at=now,
                    priority=priority_of(alert),
                )
                for channel in channels
            )
        rows.extend(asked)
    return rows


def ask_rung(alert: Alert, position: int, now) -> None:
    """Asks the first rung from `position` on with someone who can be reached; records an exhausted
    ladder when there is none. Call with the alert row locked (or just created)."""
    ladder = [rung for rung in _ladder(alert.member) if rung.position >= position]
    ties = {person.tie_id for rung in ladder for person in rung.people.all()}
    allowed = askable_ties(ties, now)
    pushable = pushable_supporters(person for rung in ladder for person in rung.people.all())
    for rung in ladder:
        rows, teams = _notifications_for(alert, rung, allowed, now, pushable)
        Notification.objects.bulk_create(rows)
        rows += _ask_care_teams(alert, rung, teams, now)
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
