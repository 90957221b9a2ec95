"""What the network app announces (circles/lib/events.py); apps above react in the same transaction."""

from dataclasses import dataclass

from circles.accounts.models import User
from circles.lib.events import Event
from circles.network.models import Tie


@dataclass(frozen=True)
class TieEnded(Event):
    """A tie ended: its status became "ended", or it is about to be deleted (`deleted`).

    Announced while the tie still exists, so a receiver can still read and write what hangs off it.
    """

    tie: Tie
    acting_user: User
    deleted: bool = False  # True: the tie and its log are deleted once the receivers have run
