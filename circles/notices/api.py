"""Reminder and notice preferences in the API (the account's section of it)."""

import datetime as dt
from typing import Literal

from ninja import Router, Schema
from pydantic import Field

from circles.lib.schema import InputSchema
from circles.notices.actions import commitments_with_days, do_save_reminder_preferences, preferences_of
from circles.notices.models import ReminderPreferences

router = Router(tags=["account"])

Channel = Literal["email", "push", "push_else_email"]


class CommitmentStartIn(InputSchema):
    commitment_id: int
    starts_at: dt.time | None = Field(None, description="Local time it starts; null: no reminder for it.")


class ReminderPreferencesIn(InputSchema):
    checkin_on: bool
    checkin_at: dt.time
    checkin_channel: Channel
    questionnaire_on: bool
    questionnaire_at: dt.time
    questionnaire_channel: Channel
    encouragement_on: bool
    encouragement_channel: Channel
    commitment_on: bool
    commitment_lead_minutes: int
    commitment_channel: Channel
    invitation_on: bool
    invitation_channel: Channel
    quiet_from: dt.time | None = None
    quiet_until: dt.time | None = None
    commitment_starts: list[CommitmentStartIn] | None = Field(
        None, description="Start times of your commitments; left out: unchanged."
    )


class CommitmentStartOut(Schema):
    commitment_id: int
    title: str
    starts_at: dt.time | None


class ReminderPreferencesOut(Schema):
    checkin_on: bool
    checkin_at: dt.time
    checkin_channel: Channel
    questionnaire_on: bool
    questionnaire_at: dt.time
    questionnaire_channel: Channel
    encouragement_on: bool
    encouragement_channel: Channel
    commitment_on: bool
    commitment_lead_minutes: int
    commitment_channel: Channel
    invitation_on: bool
    invitation_channel: Channel
    quiet_from: dt.time | None
    quiet_until: dt.time | None
    commitment_starts: list[CommitmentStartOut]


def _out(person, preferences: ReminderPreferences) -> dict:
    names = [name for name in ReminderPreferencesOut.model_fields if name != "commitment_starts"]
    starts = [
        {
            "commitment_id": c.pk,
            "title": c.title,
            "starts_at": c.reminder_start.starts_at if hasattr(c, "reminder_start") else None,
        }
        for c in commitments_with_days(person)
    ]
    return {**{name: getattr(preferences, name) for name in names}, "commitment_starts": starts}


@router.get("/reminders/preferences", response=ReminderPreferencesOut, summary="Your reminders and notices")
def get_reminders(request):
    return _out(request.auth, preferences_of(request.auth))


@router.put(
    "/reminders/preferences",
    response=ReminderPreferencesOut,
    summary="Change your reminders and notices",
    description="Times are wall-clock times in your timezone (`HH:MM`). Each kind is off until turned on; "
    "`channel`: `email`, `push` or `push_else_email` (push, and email when no device took it). Quiet "
    "hours: both or neither; a reminder due in them waits until they end.",
)
def put_reminders(request, payload: ReminderPreferencesIn):
    preferences = preferences_of(request.auth)
    data = payload.dict()
    starts = data.pop("commitment_starts")
    for name, value in data.items():
        setattr(preferences, name, value)
    commitment_starts = None if starts is None else {s["commitment_id"]: s["starts_at"] for s in starts}
    do_save_reminder_preferences(preferences, commitment_starts, acting_user=request.auth)
    return _out(request.auth, preferences)
