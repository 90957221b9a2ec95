"""What the alerts app does when the apps below it announce a change (circles/lib/events.py).

Each receiver runs inside the transaction of the change, so an alert is saved with the answer or
check-in that raised it, or not at all.
"""

from circles.alerts import rules
from circles.checkins.events import CheckInSaved, SafetySignalRaised
from circles.lib.events import receiver


@receiver(CheckInSaved)
def ask_on_checkin(event: CheckInSaved) -> None:
    rules.on_checkin(event.checkin)


@receiver(SafetySignalRaised)
def ask_on_safety_signal(event: SafetySignalRaised) -> None:
    rules.on_safety_signal(event.signal)
