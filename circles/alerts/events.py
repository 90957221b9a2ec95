"""What the alerts app announces (circles/lib/events.py); apps above react in the same transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from circles.alerts.models import Alert, RungPerson
from circles.lib.events import Event


@dataclass(frozen=True)
class CareTeamAsked(Event):
    """A rung asked "my care team": an organization the member is enrolled with, whose consent lets it
    be asked (the `alerts` scope). The app that knows the organization's staff (circles/care) answers by
    calling `outbox.notify_accounts` with the staff to ask; nobody answering leaves the rung's care
    team "Not asked" (nobody on call) and the ladder moves on.

    `channels`: the person's channels that reach an account (in Circles, email, push); a text message or
    webhook to the organization's own number or address is sent by the outbox itself.
    """

    alert: Alert
    person: RungPerson
    channels: tuple[str, ...]
    now: dt.datetime
