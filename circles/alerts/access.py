"""Who may see an alert: the member it is about, and the people it asked, as far as their consent goes.

A person the ladder asked sees the alert while their tie is still linked to their account and their
consent still lets them be asked; why it fired only when that consent also covers the information the
rule read (logic.reason_scope). Every other request is a 404 and a refused row in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.alerts import logic
from circles.alerts.channels import read_answer_token
from circles.alerts.models import (
    OPEN_STATUSES,
    Acknowledgement,
    Alert,
    AlertStatus,
    Notification,
    NotificationStatus,
)
from circles.audit.trail import Event, record, record_many, refuse_record
from circles.network.models import Tie, TieStatus
from circles.sharing.logic import ALERTS
from circles.sharing.models import Consent

RECENT_ALERTS = 50


def _known(alert_id: int) -> int:
    if not 0 < alert_id < 2**63:
        raise Http404
    return alert_id


def access_own_alert(user, alert_id: int, *, write: bool = False) -> Alert:
    """The member's own alert with who was asked and who answered; 404 (recorded) for anyone else's."""
    alert = (
        Alert.objects.filter(pk=_known(alert_id), member=user)
        .prefetch_related(
            Prefetch("notifications", queryset=Notification.objects.order_by("rung", "id")),
            Prefetch("acknowledgements", queryset=Acknowledgement.objects.order_by("at", "id")),
        )
        .first()
    )
    if alert is None:
        raise refuse_record(user, Alert, alert_id, write=write)
    return alert


def own_alerts(user):
    return Alert.objects.filter(member=user).prefetch_related("acknowledgements")[:RECENT_ALERTS]


@dataclass(frozen=True)
class AskedAlert:
    """An alert as one of the people it asked sees it."""

    alert: Alert
    tie: Tie
    scopes: frozenset[str]
    answers: tuple[Acknowledgement, ...]

    @property
    def member_name(self) -> str:
        return self.alert.member.display_name

    @property
    def reason(self) -> str | None:
        needed = logic.reason_scope(self.alert.kind, self.alert.facts)
        if needed is None or needed not in self.scopes:
            return None
        return self.alert.reason

    @property
    def message(self) -> str:
        return self.alert.message  # written by the member for the people they ask

    @property
    def i_answered(self) -> bool:
        return any(answer.tie_id == self.tie.pk for answer in self.answers)

    def is_mine(self, answer: Acknowledgement) -> bool:
        return answer.tie_id == self.tie.pk

    @property
    def answer_names(self) -> list[str]:
        """Who answered, by the names the member gave them; the viewer's own answer as "you"."""
        return [str(_("you")) if self.is_mine(answer) else answer.name for answer in self.answers]

    @property
    def answer_rows(self) -> list[tuple[str, dt.datetime]]:
        return [(str(_("You")) if self.is_mine(a) else a.name, a.at) for a in self.answers]


def _asked(user, alerts):
    """The alerts given, each with the tie through which it asked this user, while they may see it."""
    alerts = list(alerts)
    if not alerts:
        return []
    asked = (
        Notification.objects.filter(alert__in=alerts, recipient=user, tie__supporter=user)
        .exclude(status=NotificationStatus.SKIPPED)
        .values_list("alert_id", "tie_id")
        .distinct()
    )
    tie_of = dict(asked)
    ties = {
        tie.pk: tie
        for tie in Tie.objects.filter(pk__in=tie_of.values(), supporter=user).exclude(status=TieStatus.ENDED)
    }
    scopes = {c.tie_id: frozenset(c.scopes) for c in Consent.objects.live_for(user).filter(tie__in=ties)}
    result = []
    for alert in alerts:
        tie = ties.get(tie_of.get(alert.pk, 0))
        if tie is None or ALERTS not in scopes.get(tie.pk, frozenset()):
            continue
        result.append(AskedAlert(alert, tie, scopes[tie.pk], tuple(alert.acknowledgements.all())))
    return result


def access_asked_alerts(user) -> list[AskedAlert]:
    """Alerts that asked this user for support: open ones, and recent ones nobody answered (an answer
    still helps). Four queries."""
    asked_ids = (
        Notification.objects.filter(recipient=user)
        .exclude(status=NotificationStatus.SKIPPED)
        .values("alert_id")
    )
    alerts = (
        Alert.objects.filter(pk__in=asked_ids).select_related("member").prefetch_related("acknowledgements")
    )
    recent = timezone.now() - dt.timedelta(hours=settings.ALERT_ANSWERED_OPEN_HOURS)
    alerts = alerts.filter(
        Q(status__in=OPEN_STATUSES) | Q(status=AlertStatus.UNANSWERED, created_at__gte=recent)
    )
    found = _asked(user, alerts[:RECENT_ALERTS])
    record_many(  # the list names the member and who answered: each alert listed is a disclosure
        Event("alert.view", user.pk, subject_id=view.alert.member_id, object_ref=f"alert:{view.alert.pk}")
        for view in found
    )
    return found


def access_answer_link(token: str) -> tuple[Notification, Tie]:
    """The notification an answer link was sent with, and its person. The link itself is the
    permission (it says "I'm reaching out", nothing more). Raises signing.SignatureExpired or
    signing.BadSignature for a link that expired or is not one of ours; 404 when the alert is gone."""
    notification = (
        Notification.objects.filter(pk=read_answer_token(token), tie__isnull=False)
        .select_related("alert__member", "tie")
        .first()
    )
    if notification is None or notification.tie is None:
        raise Http404
    return notification, notification.tie


def access_asked_alert(user, alert_id: int, *, write: bool = False) -> AskedAlert:
    """One alert that asked this user, as they may see it now; the view is recorded in the audit trail."""
    alert = (
        Alert.objects.filter(pk=_known(alert_id))
        .select_related("member")
        .prefetch_related("acknowledgements")
        .first()
    )
    found = _asked(user, [alert]) if alert is not None else []
    if alert is None or not found:
        raise refuse_record(user, Alert, alert_id, write=write)
    if not write:
        record("alert.view", user, subject=alert.member_id, object_ref=f"alert:{alert.pk}")
    return found[0]
