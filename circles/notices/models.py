"""Reminders and notices a person opted into, and the one row per notice that makes sending idempotent.

Nothing is on until the person turns it on (docs/reminders.md).
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circles.alerts.logic import in_quiet_hours
from circles.network.models import Commitment
from circles.notices import logic


class Channel(models.TextChoices):
    EMAIL = logic.EMAIL, _("Email")
    PUSH = logic.PUSH, _("Notification on my devices")
    PUSH_ELSE_EMAIL = logic.PUSH_ELSE_EMAIL, _("Notification on my devices, or email when none gets it")


# What a person turns off with an email's unsubscribe link, in their words.
KIND_LABELS = {
    logic.CHECKIN: _("daily check-in reminders"),
    logic.QUESTIONNAIRE: _("questionnaire reminders"),
    logic.ENCOURAGEMENT: _("notices of encouragement you receive"),
    logic.COMMITMENT: _("reminders before your commitments"),
    logic.INVITATION: _("notices when someone accepts your invitation"),
}


def _channel(label):
    return models.CharField(label, max_length=20, choices=Channel.choices, default=Channel.EMAIL)


class ReminderPreferences(models.Model):
    """Which reminders and notices a person wants, by which channel, and their quiet hours (local time)."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preferences"
    )
    checkin_on = models.BooleanField(_("Remind me to check in each day"), default=False)
    checkin_at = models.TimeField(
        _("at what time"), default=dt.time(20, 0), help_text=_("Only on days you have not checked in yet.")
    )
    checkin_channel = _channel(_("send by"))
    questionnaire_on = models.BooleanField(_("Tell me when a questionnaire is due"), default=False)
    questionnaire_at = models.TimeField(_("at what time"), default=dt.time(10, 0))
    questionnaire_channel = _channel(_("send by"))
    encouragement_on = models.BooleanField(_("Tell me when someone sends me encouragement"), default=False)
    encouragement_channel = _channel(_("send by"))
    commitment_on = models.BooleanField(_("Remind me before a commitment starts"), default=False)
    commitment_lead_minutes = models.PositiveSmallIntegerField(
        _("minutes before"),
        default=60,
        validators=[
            MinValueValidator(logic.LEAD_MINUTES_MIN),
            MaxValueValidator(logic.LEAD_MINUTES_MAX),
        ],
        help_text=_("Between 5 minutes and 12 hours (720 minutes)."),
    )
    commitment_channel = _channel(_("send by"))
    invitation_on = models.BooleanField(_("Tell me when someone accepts my invitation"), default=False)
    invitation_channel = _channel(_("send by"))
    quiet_from = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_until = models.TimeField(_("quiet hours until"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "reminder preferences"

    def __str__(self) -> str:
        return f"Reminder preferences of user {self.person_id}"

    def is_on(self, kind: str) -> bool:
        return bool(getattr(self, f"{kind}_on"))

    def channel(self, kind: str) -> str:
        return getattr(self, f"{kind}_channel")

    @property
    def any_on(self) -> bool:
        return any(self.is_on(kind) for kind in logic.KINDS)

    def clean(self):
        super().clean()
        errors: dict[str, str] = {}
        if (self.quiet_from is None) != (self.quiet_until is None):
            missing = "quiet_until" if self.quiet_until is None else "quiet_from"
            errors[missing] = _("Give both the start and the end of your quiet hours, or neither.")
        elif self.quiet_from is not None and self.quiet_from == self.quiet_until:
            errors["quiet_until"] = _("Quiet hours must end at another time than they start.")
        else:
            for kind in ("checkin", "questionnaire"):
                at = getattr(self, f"{kind}_at")
                if self.is_on(kind) and at and in_quiet_hours(at, self.quiet_from, self.quiet_until):
                    errors[f"{kind}_at"] = _("This time is in your quiet hours: choose another.")
        if errors:
            raise ValidationError(errors)


class CommitmentStart(models.Model):
    """When a commitment begins on its days ("Tuesday group at 19:00"), for the reminder before it."""

    commitment = models.OneToOneField(Commitment, on_delete=models.CASCADE, related_name="reminder_start")
    starts_at = models.TimeField(_("starts at"))

    def __str__(self) -> str:
        return f"Commitment {self.commitment_id} starts at {self.starts_at:%H:%M}"


class SentNotice(models.Model):
    """One reminder or notice to one person: the unique row is claimed before sending, so never twice."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("being sent")
        SENT = "sent", _("sent")
        NOT_DELIVERED = "not_delivered", _("not delivered")

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    occurrence = models.CharField(max_length=64)  # e.g. a local date, "phq9:2026-11-02", an interaction id
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CLAIMED)
    channel = models.CharField(max_length=20, blank=True)  # what carried it: "push" or "email"
    reason = models.CharField(max_length=200, blank=True)  # why it was not delivered
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "occurrence"], name="notice_once_per_occurrence"
            )
        ]
        indexes = [models.Index(fields=["person", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.occurrence} for user {self.person_id}"
