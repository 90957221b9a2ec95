"""Whether an alert's sending is delayed, and the direct ways to reach the ladder when it is: what the
member's alert page shows and GET /api/v1/alerts/{id} reports, from this one place."""

import datetime as dt

from django.conf import settings

from circles.alerts import logic
from circles.alerts.models import Alert, AlertStatus, NotificationStatus, RungPerson
from circles.network.models import Tie, TieStatus


def sending_is_delayed(alert: Alert, now: dt.datetime) -> bool:
    """logic.sending_is_delayed for an alert fetched with its notifications (access_own_alert)."""
    notifications = list(alert.notifications.all())
    return logic.sending_is_delayed(
        still_asking=alert.status in (AlertStatus.ACTIVE, AlertStatus.UNANSWERED),
        pending_since=[n.created_at for n in notifications if n.status == NotificationStatus.PENDING],
        all_failed=bool(notifications)
        and all(n.status in (NotificationStatus.DEAD, NotificationStatus.SKIPPED) for n in notifications)
        and any(n.status == NotificationStatus.DEAD for n in notifications),
        now=now,
        after_seconds=settings.ALERT_DELAYED_SECONDS,
    )


def direct_contacts(alert: Alert) -> list[logic.DirectContact]:
    """The people on the member's ladder, then others this alert asked, in order; ended ties left out.

    Only the phone and email the member recorded on their own ties: never a supporter's account address.
    """
    ladder_ties = RungPerson.objects.filter(rung__member_id=alert.member_id).order_by("rung__position", "id")
    order = [*ladder_ties.values_list("tie_id", flat=True), *(n.tie_id for n in alert.notifications.all())]
    ties = Tie.objects.filter(member_id=alert.member_id, pk__in={t for t in order if t}).exclude(
        status=TieStatus.ENDED
    )
    by_id = {tie.pk: tie for tie in ties.only("display_name", "phone", "email")}
    return [
        logic.direct_contact(tie.pk, tie.display_name, tie.phone, tie.email)
        for tie_id in dict.fromkeys(order)
        if tie_id and (tie := by_id.get(tie_id)) is not None
    ]


def delivery_delay(alert: Alert, now: dt.datetime) -> tuple[bool, list[logic.DirectContact]]:
    """Whether sending is delayed and, if so, the direct ways to reach the ladder: what the member's alert
    page shows and GET /api/v1/alerts/{id} reports, from this one place."""
    delayed = sending_is_delayed(alert, now)
    return delayed, direct_contacts(alert) if delayed else []
