"""What the notices app keeps about a person: their reminder preferences, the start times they gave
their commitments, and which notices were sent (circles/lib/personal_data.py)."""

from circles.lib.personal_data import PersonalData, Row, row
from circles.notices.models import CommitmentStart, ReminderPreferences, SentNotice


def reminder_preferences(user) -> list[Row]:
    names = [f.name for f in ReminderPreferences._meta.fields if f.name not in ("id", "person")]
    return [row(p, names) for p in ReminderPreferences.objects.filter(person=user)]


def commitment_start_times(user) -> list[Row]:
    return [
        row(start, ["commitment_id", "starts_at"])
        for start in CommitmentStart.objects.filter(commitment__member=user).order_by("commitment_id")
    ]


def notices_sent(user) -> list[Row]:
    names = ["kind", "occurrence", "status", "channel", "reason", "created_at"]
    return [row(notice, names) for notice in SentNotice.objects.filter(person=user).order_by("id")]


PERSONAL_DATA = PersonalData(
    sections={
        ReminderPreferences: reminder_preferences,
        CommitmentStart: commitment_start_times,
        SentNotice: notices_sent,
    }
)
