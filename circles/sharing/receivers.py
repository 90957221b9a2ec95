"""What the sharing app does when the apps below it announce a change (circles/lib/events.py)."""

from circles.lib.events import receiver
from circles.network.events import TieEnded
from circles.sharing.actions import do_revoke_consent


@receiver(TieEnded)
def revoke_when_tie_ends(event: TieEnded) -> None:
    """Ending a tie is the event every consent names as its end: sharing with them stops for good."""
    do_revoke_consent(event.tie, acting_user=event.acting_user)
