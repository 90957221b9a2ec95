"""Events: how a lower app lets the apps above it react to a change without importing them.

The app that owns a change declares what happened as an `Event` (a frozen dataclass, in its
`events.py`) and announces it inside the transaction of the change. An app higher in the stack
subscribes with `@receiver(ThatEvent)` in its `receivers.py`, which its `AppConfig.ready()` imports.

Receivers run at once, one after another in the order they subscribed (their apps' ready(), so the
order of INSTALLED_APPS), inside the caller's transaction: what they write is saved with the change
or not at all (the outbox guarantee of docs/alerts.md). An exception in a receiver reaches the
caller and undoes the whole change.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import TypeVar

from django.db import transaction


class Event:
    """Something that happened in one app that others may need to act on. Subclass as a frozen dataclass."""


E = TypeVar("E", bound=Event)
Receiver = Callable[[E], None]

_receivers: defaultdict[type[Event], list[Callable]] = defaultdict(list)


class AnnouncedOutsideTransaction(RuntimeError):
    """An event announced in autocommit mode: its receivers' writes would not share the change's fate."""


def receiver(event_type: type[E]) -> Callable[[Receiver[E]], Receiver[E]]:
    """Subscribes the decorated function to one type of event (once, however often it is imported)."""

    def subscribe(function: Receiver[E]) -> Receiver[E]:
        if function not in _receivers[event_type]:
            _receivers[event_type].append(function)
        return function

    return subscribe


def receivers_of(event_type: type[Event]) -> tuple[Callable, ...]:
    return tuple(_receivers.get(event_type, ()))


def announce(event: Event, *, using: str | None = None) -> None:
    """Runs every receiver of the event now, in the transaction that made the change."""
    if not transaction.get_connection(using).in_atomic_block:
        raise AnnouncedOutsideTransaction(
            f"{type(event).__name__} must be announced inside the transaction of the change it reports"
        )
    for function in receivers_of(type(event)):
        function(event)
