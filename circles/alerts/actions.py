"""Alert changes: SOS, answering, closing, the ladder and the rules' settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.alerts import logic
from circles.alerts.models import (
    Acknowledgement,
    Alert,
    AlertSettings,
    AlertStatus,
    Notification,
    Rung,
    RungPerson,
    SkipReason,
)
from circles.alerts.outbox import raise_alert, stop_asking
from circles.audit.trail import record
from circles.checkins.models import SafetySignal
from circles.network.models import Circle, Tie, TieStatus
from circles.sharing.logic import ALERTS
from circles.sharing.models import Consent

SOS_LINK_MINUTES = 60  # an "I need help now" press this recent is the signal an SOS confirms


@transaction.atomic
def do_raise_sos(member, *, message: str = "", acting_user) -> tuple[Alert, bool]:
    """The member confirmed they want their ladder asked. One open SOS at a time: a second press
    returns the open one (with the newer message if they wrote one)."""
    message = (message or "").strip()
    if len(message) > 500:
        raise ValidationError({"message": _("Please keep the message under 500 characters.")})
    now = timezone.now()
    alert, created = raise_alert(member, logic.SOS, message=message, now=now)
    if not created and message and message != alert.message:
        Alert.objects.filter(pk=alert.pk).update(message=message)
        alert.message = message
    # The "I need help now" press that led here is now handled.
    SafetySignal.objects.filter(
        member=member,
        source=SafetySignal.Source.HELP_NOW,
        handled_at__isnull=True,
        created_at__gte=now - dt.timedelta(minutes=SOS_LINK_MINUTES),
    ).update(handled_at=now)
    return alert, created


def _lock(alert: Alert) -> Alert:
    return Alert.objects.select_for_update(of=("self",)).select_related("member").get(pk=alert.pk)


@dataclass(frozen=True)
class Answer:
    alert: Alert
    recorded: bool  # False: the alert was closed before the answer came


@transaction.atomic
def do_answer(
    alert: Alert,
    tie: Tie,
    *,
    notification: Notification | None = None,
    acting_user=None,
    name: str | None = None,
) -> Answer:
    """Someone on the ladder is reaching out. Stops asking others; an unanswered ladder is answered late.

    `name`: how the member sees who answered, when not the tie's name (one of a care team's staff).
    """
    alert = _lock(alert)
    if alert.status == AlertStatus.CLOSED:
        return Answer(alert, False)
    now = timezone.now()
    answerer = tie.supporter_id
    if (
        name is None
        and notification is not None
        and notification.recipient_id
        and notification.recipient_id != answerer
    ):
        # One of a care team's staff, asked in the organization's place: named as the member saw them
        # asked ("Casey (Harbor Recovery Center — …)"). One answer answers for the whole team.
        name, answerer = notification.recipient_name, notification.recipient_id
    name = name or tie.display_name
    Acknowledgement.objects.get_or_create(
        alert=alert, tie=tie, defaults={"name": name, "notification": notification, "at": now}
    )
    if alert.status in (AlertStatus.ACTIVE, AlertStatus.UNANSWERED):
        alert.status, alert.answered_at = AlertStatus.ANSWERED, now
        try:
            with transaction.atomic():
                alert.save(update_fields=["status", "answered_at"])
        except IntegrityError:  # a newer alert of this kind is open: the answer is kept on this one
            alert.refresh_from_db()
        stop_asking(alert, SkipReason.ANSWERED)
    record(
        "alert.answer",
        acting_user or answerer,
        subject=alert.member_id,
        object_ref=f"alert:{alert.pk} tie:{tie.pk}",
    )
    return Answer(alert, True)


@transaction.atomic
def do_close_alert(alert: Alert, *, acting_user) -> Alert:
    """The member calls it off (or says they are OK now): nobody else is asked."""
    alert = _lock(alert)
    if alert.status != AlertStatus.CLOSED:
        alert.status, alert.closed_at, alert.closed_by_member = AlertStatus.CLOSED, timezone.now(), True
        alert.save(update_fields=["status", "closed_at", "closed_by_member"])
        stop_asking(alert, SkipReason.CLOSED)
    return alert


@transaction.atomic
def do_save_alert_settings(settings_row: AlertSettings, *, acting_user) -> AlertSettings:
    settings_row.member = acting_user
    settings_row.full_clean()
    settings_row.save()
    return settings_row


@dataclass
class PersonSpec:
    tie_id: int
    channels: list[str]
    quiet_from: dt.time | None = None
    quiet_until: dt.time | None = None
    webhook_url: str = ""


@dataclass
class RungSpec:
    people: list[PersonSpec] = field(default_factory=list)
    window_minutes: int = logic.DEFAULT_WINDOW_MINUTES


def ladder_spec(member) -> list[RungSpec]:
    """The member's ladder as plain values, to change and save with `do_set_ladder`."""
    return [
        RungSpec(
            people=[
                PersonSpec(p.tie_id, list(p.channels), p.quiet_from, p.quiet_until, p.webhook_url)
                for p in rung.people.all()
            ],
            window_minutes=rung.window_minutes,
        )
        for rung in Rung.objects.filter(member=member).prefetch_related("people")
    ]


def _check_ladder(member, rungs: list[RungSpec]) -> dict[int, Tie]:
    errors: dict[str, list[str]] = {}
    if len(rungs) > logic.MAX_RUNGS:
        errors.setdefault("rungs", []).append(_("A ladder has at most %d steps.") % logic.MAX_RUNGS)
    wanted = {person.tie_id for rung in rungs for person in rung.people}
    ties = {
        tie.pk: tie
        for tie in Tie.objects.filter(member=member, pk__in=[i for i in wanted if 0 < i < 2**63]).exclude(
            status=TieStatus.ENDED
        )
    }
    for index, rung in enumerate(rungs):
        where = f"rungs.{index}"
        if not rung.people:
            errors.setdefault(where, []).append(_("Each step needs at least one person."))
        if len(rung.people) > logic.MAX_PEOPLE_PER_RUNG:
            errors.setdefault(where, []).append(
                _("A step asks at most %d people at once.") % logic.MAX_PEOPLE_PER_RUNG
            )
        if not logic.MIN_WINDOW_MINUTES <= rung.window_minutes <= logic.MAX_WINDOW_MINUTES:
            errors.setdefault(f"{where}.window_minutes", []).append(
                _("Choose between %(low)d and %(high)d minutes.")
                % {"low": logic.MIN_WINDOW_MINUTES, "high": logic.MAX_WINDOW_MINUTES}
            )
        seen = set()
        for number, person in enumerate(rung.people):
            at = f"{where}.people.{number}"
            if person.tie_id not in ties:
                errors.setdefault(f"{at}.tie_id", []).append(_("Choose one of the people in your circle."))
            if person.tie_id in seen:
                errors.setdefault(f"{at}.tie_id", []).append(_("This person is already on this step."))
            seen.add(person.tie_id)
            if not person.channels or any(c not in logic.CHANNELS for c in person.channels):
                errors.setdefault(f"{at}.channels", []).append(_("Choose at least one way to reach them."))
            if logic.WEBHOOK in person.channels and not person.webhook_url:
                errors.setdefault(f"{at}.webhook_url", []).append(_("Give the webhook address."))
            schemes = ("https://", "http://") if settings.ALERT_WEBHOOK_ALLOW_PRIVATE else ("https://",)
            if person.webhook_url and not person.webhook_url.startswith(schemes):
                errors.setdefault(f"{at}.webhook_url", []).append(_("Give an https:// address."))
            if len(person.webhook_url) > 500:
                errors.setdefault(f"{at}.webhook_url", []).append(_("That address is too long."))
            if (person.quiet_from is None) != (person.quiet_until is None):
                errors.setdefault(f"{at}.quiet_until", []).append(
                    _("Give both the start and the end of the quiet hours, or neither.")
                )
    if errors:
        raise ValidationError(errors)
    return ties


@transaction.atomic
def do_set_ladder(member, rungs: list[RungSpec], *, acting_user) -> list[Rung]:
    """Replaces the member's crisis ladder. A person keeps their webhook secret while the address stays."""
    _check_ladder(member, rungs)
    secrets = {
        (p.tie_id, p.webhook_url): p.webhook_secret
        for p in RungPerson.objects.filter(rung__member=member).exclude(webhook_url="")
    }
    Rung.objects.filter(member=member).delete()
    saved = []
    for position, spec in enumerate(rungs):
        rung = Rung.objects.create(member=member, position=position, window_minutes=spec.window_minutes)
        people = []
        for person in spec.people:
            row = RungPerson(
                rung=rung,
                tie_id=person.tie_id,
                channels=[c for c in logic.CHANNELS if c in person.channels],
                quiet_from=person.quiet_from,
                quiet_until=person.quiet_until,
                webhook_url=person.webhook_url,
            )
            if (person.tie_id, person.webhook_url) in secrets:
                row.webhook_secret = secrets[(person.tie_id, person.webhook_url)]
            people.append(row)
        RungPerson.objects.bulk_create(people)
        saved.append(rung)
    return saved


def can_be_asked(member) -> set[int]:
    """Ties whose live consent lets them be asked for support."""
    return {
        consent.tie_id
        for consent in Consent.objects.live().filter(member=member).only("tie_id", "scopes")
        if ALERTS in consent.scopes
    }


def suggested_ladder(member) -> list[RungSpec]:
    """A first ladder from the inner circle: the closest person who can be asked first, then the rest
    of the inner circle together. The member reviews it before it is saved."""
    inner = list(
        Tie.objects.filter(member=member, circle=Circle.INNER, status=TieStatus.ACTIVE).order_by(
            "-importance", "display_name"
        )
    )
    if not inner:
        return []
    askable = can_be_asked(member)
    inner.sort(key=lambda tie: tie.pk not in askable)  # stable: people who can be asked first

    def person(tie: Tie) -> PersonSpec:
        channels = [logic.IN_APP, logic.EMAIL] if tie.supporter_id else []
        if tie.phone:
            channels.append(logic.SMS)
        return PersonSpec(tie.pk, channels or [logic.IN_APP])

    first, rest = inner[0], inner[1 : logic.MAX_PEOPLE_PER_RUNG + 1]
    ladder = [RungSpec([person(first)])]
    if rest:
        ladder.append(RungSpec([person(tie) for tie in rest]))
    return ladder
