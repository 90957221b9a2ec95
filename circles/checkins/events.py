"""What the check-ins app announces (circles/lib/events.py); apps above react in the same transaction."""

from dataclasses import dataclass

from circles.checkins.models import CheckIn, SafetySignal
from circles.lib.events import Event


@dataclass(frozen=True)
class CheckInSaved(Event):
    """A day's check-in was recorded or changed (its struggles addressed to ties included)."""

    checkin: CheckIn


@dataclass(frozen=True)
class SafetySignalRaised(Event):
    """A self-harm answer or a positive screen was recorded as a safety signal.

    An "I need help now" press is not announced: the member confirms SOS themselves (circles/alerts).
    """

    signal: SafetySignal
