"""Alert rules' settings, the crisis ladder, alerts, and the outbox the worker delivers from.

The outbox is two tables of rows with a due time: `Notification` (one message to one person on one
channel) and `EscalationTimer` (when to ask the next rung). A worker claims a row by moving its due
time forward by a lease; if the worker dies, the lease runs out and the row is due again.
"""

import hashlib
import secrets
import urllib.parse
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circles.alerts import logic
from circles.lib.encryption import EncryptedCharField
from circles.network.models import Tie


def _threshold(field: str):
    bound = logic.THRESHOLD_BY_FIELD[field]
    return models.PositiveSmallIntegerField(
        bound.label,
        default=bound.default,
        validators=[MinValueValidator(bound.low), MaxValueValidator(bound.high)],
        help_text=bound.reason,
    )


class AlertSettings(models.Model):
    """Which rules watch a member's check-ins and contacts, and their thresholds (safe bounds in logic).

    SOS and safety answers always raise an alert: they are not rules a member turns off.
    """

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    craving_on = models.BooleanField(_("High craving several days running"), default=True)
    craving_level = _threshold("craving_level")
    craving_days = _threshold("craving_days")
    low_mood_on = models.BooleanField(_("Low mood several days running"), default=True)
    low_mood_level = _threshold("low_mood_level")
    low_mood_days = _threshold("low_mood_days")
    return_to_use_on = models.BooleanField(
        _("When I record a return to use"),
        default=False,
        help_text=_(
            "Off unless you choose it. Your ladder is told you could use support; only people you also "
            "share “Returns to use” with can see why."
        ),
    )
    missed_commitments_on = models.BooleanField(_("Missed commitments in a row"), default=True)
    missed_commitments = _threshold("missed_commitments")
    disengagement_on = models.BooleanField(_("No contact with my circle for a while"), default=True)
    disengaged_days = _threshold("disengaged_days")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Alert settings of {self.member}"


class Rung(models.Model):
    """One step of a member's crisis ladder: the people asked together, and how long they have to answer."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rungs")
    position = models.PositiveSmallIntegerField()  # 0 is asked first
    window_minutes = models.PositiveSmallIntegerField(
        _("minutes to answer before the next step is asked"),
        default=logic.DEFAULT_WINDOW_MINUTES,
        validators=[MinValueValidator(logic.MIN_WINDOW_MINUTES), MaxValueValidator(logic.MAX_WINDOW_MINUTES)],
    )

    class Meta:
        ordering = ["member", "position"]
        constraints = [models.UniqueConstraint(fields=["member", "position"], name="one_rung_per_position")]

    def __str__(self) -> str:
        return f"Rung {self.position + 1} of {self.member}"


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class RungPerson(models.Model):
    """A tie on a rung, the channels they are reached on, and their quiet hours (their own timezone)."""

    rung = models.ForeignKey(Rung, on_delete=models.CASCADE, related_name="people")
    tie = models.ForeignKey(Tie, on_delete=models.CASCADE, related_name="+")
    channels = models.JSONField(default=list)  # subset of logic.CHANNELS
    quiet_from = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_until = models.TimeField(_("quiet until"), null=True, blank=True)
    webhook_url = models.URLField(_("webhook address"), max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=64, default=new_webhook_secret, editable=False)

    class Meta:
        ordering = ["rung", "id"]
        constraints = [models.UniqueConstraint(fields=["rung", "tie"], name="tie_once_per_rung")]

    def __str__(self) -> str:
        return f"{self.tie} on {self.rung}"


class AlertStatus(models.TextChoices):
    ACTIVE = "active", _("Asking people now")
    ANSWERED = "answered", _("Someone is reaching out")
    UNANSWERED = "unanswered", _("Nobody has answered yet")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (AlertStatus.ACTIVE, AlertStatus.ANSWERED)


class Alert(models.Model):
    """One time a member could use support, and how the ladder answered it."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=24, choices=list(logic.KIND_LABELS.items()))
    facts = models.JSONField(default=dict)  # what the rule saw; logic.reason_text words it
    message = EncryptedCharField(_("a message for the people you ask (optional)"), max_length=500, blank=True)
    urgent = models.BooleanField(default=False)  # reaches people in their quiet hours
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default=AlertStatus.ACTIVE)
    rung = models.PositiveSmallIntegerField(default=0)  # the step being asked now (or last asked)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    exhausted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_member = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "status"])]
        constraints = [
            # The same condition does not fire again while its alert is open.
            models.UniqueConstraint(
                fields=["member", "kind"],
                condition=Q(status__in=OPEN_STATUSES),
                name="one_open_alert_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} alert {self.pk} for {self.member}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def reason(self) -> str:
        return logic.reason_text(self.kind, self.facts)

    @property
    def answer_names(self) -> list[str]:
        return [answer.name for answer in self.acknowledgements.all()]

    @property
    def kind_label(self) -> str:
        return str(logic.KIND_LABELS.get(self.kind, self.kind))


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Being sent")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Could not be delivered")
    CANCELLED = "cancelled", _("Not sent: no longer needed")
    SKIPPED = "skipped", _("Not asked")


class SkipReason(models.TextChoices):
    NO_CONSENT = "no_consent", _("has not been given permission to receive your alerts")
    QUIET_HOURS = "quiet_hours", _("is in their quiet hours")
    NO_ADDRESS = "no_address", _("has no address for this channel")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("permission was withdrawn before it was sent")
    ANSWERED = "answered", _("someone had already answered")
    CLOSED = "closed", _("the alert was closed")
    NOBODY_ON_CALL = "nobody_on_call", _("nobody on the care team could be asked")


class Priority(models.IntegerChoices):
    """Which due notifications a worker claims first: every one of an urgent alert, then the rest."""

    URGENT = 0, _("Urgent: an SOS or a safety answer")
    ROUTINE = 1, _("A rule: craving, mood, return to use, commitments, out of touch")


def priority_of(alert: "Alert") -> int:
    return Priority.URGENT if alert.urgent else Priority.ROUTINE


def destination_of(channel: str, address: str) -> str:
    """Whom a send waits on, for the caps on concurrent sends and for backing off one that keeps failing.

    Every email goes through the one mail server (EMAIL_HOST) and every text through the one SMS
    provider, so each is one destination; a webhook's is its host and port. Every push goes to the
    browsers' push services, counted as one provider. In-app messages send nothing.
    """
    if channel == logic.EMAIL:
        return "email"
    if channel == logic.SMS:
        return "sms"
    if channel == logic.PUSH:
        return "push"
    if channel != logic.WEBHOOK:
        return ""
    try:
        parts = urllib.parse.urlsplit(address)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # not an address at all: the send fails for good, on its own
        return "webhook " + address[:200]
    return f"webhook {host}:{port}"


def endpoint_of(channel: str, address: str) -> str:
    """What a failure counts against when backing off (`Destination.key`): the destination, except that
    each webhook address counts on its own, so one member's endpoint that keeps failing does not block
    everyone else's on a shared host (script.google.com, hooks.slack.com). A webhook's address may carry
    a secret, so the key holds a digest of it, never the address itself. A push counts against its
    recipient's account (its address), so one person's devices that keep failing back off only them."""
    destination = destination_of(channel, address)
    if channel == logic.PUSH:
        return f"{destination} {address}"
    if channel != logic.WEBHOOK:
        return destination
    digest = hashlib.sha256(address.encode()).hexdigest()[:16]
    return f"{destination} {digest}"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def due(self, now):
        return self.filter(status=NotificationStatus.PENDING, due_at__lte=now)


class Notification(models.Model):
    """One message to one person on one channel: the outbox row the worker delivers at least once."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    rung = models.PositiveSmallIntegerField()
    tie = models.ForeignKey(Tie, on_delete=models.SET_NULL, null=True, related_name="+")
    recipient = models.ForeignKey(  # the account linked to the tie when the rung was asked
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="alert_notifications"
    )
    recipient_name = models.CharField(max_length=80)  # the tie's name then, for the member's history
    channel = models.CharField(max_length=12, choices=list(logic.CHANNEL_LABELS.items()))
    # Email, phone number, webhook URL, or for in-app and push the recipient's account number.
    address = models.CharField(max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=12, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    skip_reason = models.CharField(max_length=20, choices=SkipReason.choices, blank=True)
    due_at = models.DateTimeField(default=timezone.now)  # next attempt, or the end of a claim's lease
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.ROUTINE)
    destination = models.CharField(max_length=300, blank=True)  # destination_of(channel, address)
    claimed_by = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["alert", "rung", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["recipient", "status"]),
            # The claim: pending rows, urgent first, then by due time.
            models.Index(
                fields=["priority", "due_at"],
                condition=Q(status=NotificationStatus.PENDING),
                name="alerts_notification_claim",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient_name} for alert {self.alert_id}"


class Destination(models.Model):
    """A mail server, SMS provider or webhook address whose sends keep failing, shared by all workers.

    A webhook is counted per address (`endpoint_of`), while the cap on sends at once is per host.

    After ALERT_DESTINATION_FAILURES failures in a row that were its fault (no answer in time, no
    connection, a server error), it is blocked for a while: its rows wait, unclaimed, without holding
    a send thread, while other destinations go on. When the block is over its rows are tried again;
    the first failure then blocks it again, for longer. A success clears it.
    """

    key = models.CharField(max_length=300, unique=True)  # endpoint_of(channel, address)
    failures = models.PositiveIntegerField(default=0)  # in a row
    blocks = models.PositiveIntegerField(default=0)  # blocked this many times since its last success
    blocked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key


class DeliveryAttempt(models.Model):
    """One try at delivering a notification: started on claim, finished when the channel answered.

    An attempt that never finished is one whose worker died; the notification was claimed again.
    """

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    worker = models.CharField(max_length=200)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)
    error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["notification", "number", "id"]

    def __str__(self) -> str:
        return f"Attempt {self.number} of notification {self.notification_id}"


class EscalationTimer(models.Model):
    """When to ask the next rung of an alert, unless someone answers first."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="timers")
    rung = models.PositiveSmallIntegerField()  # the rung whose window this closes
    due_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=200, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["fired_at", "due_at"])]

    def __str__(self) -> str:
        return f"Timer for rung {self.rung + 1} of alert {self.alert_id}"


class Acknowledgement(models.Model):
    """Someone on the ladder said they are reaching out."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="acknowledgements")
    tie = models.ForeignKey(Tie, on_delete=models.SET_NULL, null=True, related_name="+")
    name = models.CharField(max_length=80)  # the tie's name then
    notification = models.ForeignKey(Notification, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["alert", "tie"], name="one_answer_per_tie")]

    def __str__(self) -> str:
        return f"{self.name} answered alert {self.alert_id}"
