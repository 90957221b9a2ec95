"""What the alerts app keeps about a person: their rules, crisis ladder and alerts with their delivery
(circles/lib/personal_data.py; export and erasure are circles/records)."""

from circles.alerts.models import (
    Acknowledgement,
    Alert,
    AlertSettings,
    DeliveryAttempt,
    Destination,
    EscalationTimer,
    Notification,
    Rung,
    RungPerson,
)
from circles.lib.personal_data import PersonalData, Row, row


def alert_settings(user) -> list[Row]:
    names = [f.name for f in AlertSettings._meta.fields if f.name not in ("id", "member")]
    return [row(settings_row, names) for settings_row in AlertSettings.objects.filter(member=user)]


def crisis_ladder(user) -> list[Row]:
    return [row(rung, ["id", "position", "window_minutes"]) for rung in Rung.objects.filter(member=user)]


def crisis_ladder_people(user) -> list[Row]:
    # The webhook's signing secret is a credential for the receiver, not information about the person.
    names = ["id", "rung_id", "tie_id", "channels", "quiet_from", "quiet_until", "webhook_url"]
    return [row(person, names) for person in RungPerson.objects.filter(rung__member=user).order_by("id")]


def alerts(user) -> list[Row]:
    names = ["id", "kind", "facts", "message", "urgent", "status", "rung", "created_at", "answered_at"]
    return [
        row(alert, [*names, "exhausted_at", "closed_at", "closed_by_member"], reason=alert.reason)
        for alert in Alert.objects.filter(member=user).order_by("id")
    ]


def alert_notifications(user) -> list[Row]:
    names = ["id", "alert_id", "rung", "tie_id", "recipient_name", "channel", "address", "status"]
    return [
        row(n, [*names, "skip_reason", "attempts", "created_at", "sent_at", "last_error"])
        for n in Notification.objects.filter(alert__member=user).order_by("id")
    ]


def alert_delivery_attempts(user) -> list[Row]:
    names = ["notification_id", "number", "started_at", "finished_at", "ok", "error", "next_attempt_at"]
    return [
        row(a, names) for a in DeliveryAttempt.objects.filter(notification__alert__member=user).order_by("id")
    ]


def alert_timers(user) -> list[Row]:
    return [
        row(t, ["alert_id", "rung", "due_at", "fired_at"])
        for t in EscalationTimer.objects.filter(alert__member=user).order_by("id")
    ]


def alert_answers(user) -> list[Row]:
    return [
        row(a, ["alert_id", "tie_id", "name", "at"])
        for a in Acknowledgement.objects.filter(alert__member=user).order_by("id")
    ]


def erase(user) -> None:
    """Alerts that asked the person keep, in the member's history, that they were asked, not where."""
    Notification.objects.filter(recipient=user).update(address="")


PERSONAL_DATA = PersonalData(
    sections={
        AlertSettings: alert_settings,
        Rung: crisis_ladder,
        RungPerson: crisis_ladder_people,
        Alert: alerts,
        Notification: alert_notifications,
        DeliveryAttempt: alert_delivery_attempts,
        EscalationTimer: alert_timers,
        Acknowledgement: alert_answers,
    },
    not_member_data={
        Destination: "how a mail server, SMS provider or webhook address has been answering lately (by host, "
        "and for a webhook a short hash of its address, never the address): about a service, not a person",
    },
    erase=erase,
)
