"""Changing what reminders and notices a person gets."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circles.network.logic import EVERY_N_DAYS, WEEKDAYS
from circles.network.models import Commitment
from circles.notices import logic
from circles.notices.models import CommitmentStart, ReminderPreferences


def preferences_of(person) -> ReminderPreferences:
    """The person's preferences, or the defaults (everything off) when they never saved any."""
    return ReminderPreferences.objects.filter(person=person).first() or ReminderPreferences(person=person)


def commitments_with_days(person) -> list[Commitment]:
    """The person's commitments that fall on known days, so a start time means something (one query)."""
    return list(
        Commitment.objects.filter(member=person, cadence__in=[WEEKDAYS, EVERY_N_DAYS])
        .select_related("reminder_start")
        .order_by("title", "id")
    )


@transaction.atomic
def do_save_reminder_preferences(
    preferences: ReminderPreferences,
    commitment_starts: dict[int, dt.time | None] | None = None,
    *,
    acting_user,
) -> ReminderPreferences:
    """Saves the person's own preferences and, when given, the start times of their commitments."""
    preferences.person = acting_user
    preferences.updated_at = timezone.now()
    preferences.full_clean()
    if commitment_starts:
        own = set(
            Commitment.objects.filter(member=acting_user, pk__in=list(commitment_starts)).values_list(
                "pk", flat=True
            )
        )
        if own != set(commitment_starts):
            raise ValidationError({"commitment_starts": _("Choose one of your own commitments.")})
    preferences.save()
    for commitment_id, starts_at in (commitment_starts or {}).items():
        if starts_at is None:
            CommitmentStart.objects.filter(commitment_id=commitment_id).delete()
        else:
            CommitmentStart.objects.update_or_create(
                commitment_id=commitment_id, defaults={"starts_at": starts_at}
            )
    return preferences


def do_unsubscribe(person_id: int, kind: str) -> None:
    """Turns one kind off, as an email's unsubscribe link asks; doing it again changes nothing."""
    if kind not in logic.KINDS:
        raise ValueError(kind)
    ReminderPreferences.objects.filter(person_id=person_id).update(
        **{f"{kind}_on": False}, updated_at=timezone.now()
    )
